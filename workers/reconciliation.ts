// Reconciliation worker: a job scheduler runs a reconciliation every
// RECONCILIATION_INTERVAL_MS. A run only reads (and stores what it found), so a run cut short
// loses nothing: the next run marks it abandoned and checks everything again.
import { runReconciliation } from '../src/domain/reconciliation/service.js';
import { Conflict } from '../src/infra/errors.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

type ReconciliationJobResult =
  | { runId: string; exceptionsFound: number }
  // Finance started one just before: this tick has nothing to add.
  | { skipped: 'a run is in progress' };

export function initReconciliationWorker(dependencies: WorkerDependencies) {
  const { config, database, logger } = dependencies;
  return startScheduledWorker<ReconciliationJobResult>(dependencies, {
    queueName: 'reconciliation',
    schedulerId: 'reconcile-every-interval',
    jobName: 'reconcile',
    everyMs: config.reconciliationIntervalMs,
    firstRunAt: Date.now() + config.reconciliationIntervalMs,
    run: async () => {
      try {
        const run = await runReconciliation(database, { trigger: 'schedule' });
        return { runId: run.id, exceptionsFound: run.summary.exceptionsFound };
      } catch (error) {
        if (error instanceof Conflict) return { skipped: 'a run is in progress' };
        throw error;
      }
    },
    onCompleted: (result) => {
      if ('skipped' in result) return logger.info(result, 'reconciliation run skipped');
      const log = result.exceptionsFound > 0 ? logger.warn : logger.info;
      log.call(logger, result, 'reconciliation run completed');
    },
    failureMessage: 'reconciliation run failed',
  });
}
