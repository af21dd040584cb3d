// Reconciliation worker: a job scheduler runs a reconciliation every
// RECONCILIATION_INTERVAL_MS. A run only reads (and stores what it found), so a run cut short
// loses nothing: the next run marks it abandoned and checks everything again.
import { Queue, Worker } from 'bullmq';
import { runReconciliation } from '../src/domain/reconciliation/service.js';
import { Conflict } from '../src/infra/errors.js';
import type { WorkerDependencies } from './index.js';

export const RECONCILIATION_QUEUE = 'reconciliation';
const SCHEDULER_ID = 'reconcile-every-interval';

type ReconciliationJobResult =
  | { runId: string; exceptionsFound: number }
  // Finance started one just before: this tick has nothing to add.
  | { skipped: 'a run is in progress' };

export async function initReconciliationWorker(dependencies: WorkerDependencies) {
  const { config, connection, database, logger } = dependencies;
  const options = { connection, prefix: `{${config.queuePrefix}}` };
  const queue = new Queue<object, ReconciliationJobResult>(RECONCILIATION_QUEUE, {
    ...options,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 },
  });
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    {
      every: config.reconciliationIntervalMs,
      startDate: Date.now() + config.reconciliationIntervalMs,
    },
    { name: 'reconcile', data: {} },
  );
  const worker = new Worker<object, ReconciliationJobResult>(
    RECONCILIATION_QUEUE,
    async () => {
      try {
        const run = await runReconciliation(database, { trigger: 'schedule' });
        return { runId: run.id, exceptionsFound: run.summary.exceptionsFound };
      } catch (error) {
        if (error instanceof Conflict) return { skipped: 'a run is in progress' };
        throw error;
      }
    },
    { ...options, concurrency: 1 },
  );
  worker.on('completed', (_job, result) => {
    if ('skipped' in result) return logger.info(result, 'reconciliation run skipped');
    const log = result.exceptionsFound > 0 ? logger.warn : logger.info;
    log.call(logger, result, 'reconciliation run completed');
  });
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, 'reconciliation run failed');
  });
  return { queue, worker };
}
