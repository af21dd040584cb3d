// Reconciliation worker: a job scheduler runs a reconciliation every
// RECONCILIATION_INTERVAL_MS. A run only reads (and stores what it found), so a run cut short
// loses nothing: it is marked abandoned later and the next run checks everything again.
import { Queue, Worker } from 'bullmq';
import { runReconciliation } from '../src/domain/reconciliation/service.js';
import type { WorkerDependencies } from './index.js';

export const RECONCILIATION_QUEUE = 'reconciliation';
const SCHEDULER_ID = 'reconcile-every-interval';

interface ReconciliationJobResult {
  runId: string;
  exceptionsFound: number;
}

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
      const run = await runReconciliation(database, { trigger: 'schedule' });
      return { runId: run.id, exceptionsFound: run.summary.exceptionsFound };
    },
    { ...options, concurrency: 1 },
  );
  worker.on('completed', (_job, result) => {
    const log = result.exceptionsFound > 0 ? logger.warn : logger.info;
    log.call(logger, result, 'reconciliation run completed');
  });
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, 'reconciliation run failed');
  });
  return { queue, worker };
}
