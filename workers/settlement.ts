// Settlement worker: a job scheduler ticks every SETTLEMENT_INTERVAL_MS and settles every
// payer whose own cadence says it is due. Claims are their own outbox (adjudicated and in no
// batch), so a run that fails or is cut short leaves them for the next; a pair's batch is
// built under an advisory lock, so overlapping runs (or a manual run through the API) never
// pay twice.
import { settleAllPayers } from '../src/domain/settlement/index.js';
import { DomainError } from '../src/infra/errors.js';
import type { WorkerDependencies } from './index.js';
import { endJobOnOutage, startScheduledWorker } from './scheduled.js';

export async function execSettlementJob(
  dependencies: Pick<WorkerDependencies, 'config' | 'database' | 'logger'>,
) {
  const { database, logger } = dependencies;
  // One payer's failure must not hold up the others; it is tried again next run. A payer that
  // may not settle yet (its remittance profile is incomplete) is told why, not a stack trace.
  return settleAllPayers(database, (payerOrgId, error) => {
    endJobOnOutage(error);
    if (error instanceof DomainError) {
      logger.warn({ payerOrgId, reason: error.message }, 'settlement waiting');
    } else {
      logger.error({ payerOrgId, err: error }, 'settlement failed');
    }
  });
}

export function initSettlementWorker(dependencies: WorkerDependencies) {
  const { config, logger } = dependencies;
  return startScheduledWorker(dependencies, {
    queueName: 'settlement',
    schedulerId: 'settle-every-interval',
    jobName: 'settle',
    everyMs: config.settlementIntervalMs,
    // The first run waits one interval too: settling at start-up would move claims on
    // (status "settled") before anyone asked for a run.
    firstRunAt: Date.now() + config.settlementIntervalMs,
    run: () => execSettlementJob(dependencies),
    onCompleted: (result) => {
      if (result.batches > 0 || result.failed > 0) logger.info(result, 'settled claims');
    },
    failureMessage: 'settlement run failed',
  });
}
