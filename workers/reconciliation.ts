// Reconciliation worker: a job scheduler runs a reconciliation every
// RECONCILIATION_INTERVAL_MS: incremental (what came after the last clean run), and a full run
// at least once a day. A run only reads (and stores what it found), so a run cut short loses
// nothing: the next run marks it abandoned and checks again.
import { lastFullRunAt, runReconciliation } from '../src/domain/reconciliation/index.js';
import { Conflict } from '../src/infra/errors.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

/**
 * An incremental run checks what came after the last clean run; a change to older history is
 * only found by a full run, so one runs at least this often.
 */
const FULL_RUN_AGE_MAX_MS = 24 * 60 * 60 * 1000;

type ReconciliationJobResult =
  | { runId: string; mode: 'full' | 'incremental'; exceptionsFound: number }
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
        const lastFull = await lastFullRunAt(database);
        const fullDue = !lastFull || Date.now() - lastFull.getTime() > FULL_RUN_AGE_MAX_MS;
        const mode = fullDue ? 'full' : 'incremental';
        const run = await runReconciliation(database, { trigger: 'schedule', mode });
        return {
          runId: run.id,
          mode: run.summary.mode,
          exceptionsFound: run.summary.exceptionsFound,
        };
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
