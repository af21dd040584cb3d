// Settlement worker: a job scheduler runs settlement for every payer each
// SETTLEMENT_INTERVAL_MS. Claims are their own outbox (adjudicated and in no batch), so a
// run that fails or is cut short leaves them for the next; a pair's batch is built under an
// advisory lock, so overlapping runs (or a manual run through the API) never pay twice.
import { Queue, Worker, type Job } from 'bullmq';
import { settleAllPayers } from '../src/domain/settlement/service.js';
import type { WorkerDependencies } from './index.js';

export const SETTLEMENT_QUEUE = 'settlement';
const SCHEDULER_ID = 'settle-every-interval';

export interface SettlementJobData {
  reason: 'schedule' | 'manual';
}

export interface SettlementJobResult {
  batches: number;
  failed: number;
}

export async function execSettlementJob(
  dependencies: WorkerDependencies,
  _job?: Job<SettlementJobData>,
): Promise<SettlementJobResult> {
  const { database, logger } = dependencies;
  // One payer's failure must not hold up the others; it is tried again next run.
  return settleAllPayers(database, (payerOrgId, error) =>
    logger.error({ payerOrgId, err: error }, 'settlement failed'),
  );
}

export async function initSettlementWorker(dependencies: WorkerDependencies) {
  const { config, connection, logger } = dependencies;
  const options = { connection, prefix: `{${config.queuePrefix}}` };
  const queue = new Queue<SettlementJobData, SettlementJobResult>(SETTLEMENT_QUEUE, {
    ...options,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 },
  });
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    // The first run waits one interval too: settling at start-up would move claims on
    // (status "settled") before anyone asked for a run.
    { every: config.settlementIntervalMs, startDate: Date.now() + config.settlementIntervalMs },
    { name: 'settle', data: { reason: 'schedule' } },
  );
  const worker = new Worker<SettlementJobData, SettlementJobResult>(
    SETTLEMENT_QUEUE,
    async (job) => execSettlementJob(dependencies, job),
    { ...options, concurrency: 1 },
  );
  worker.on('completed', (_job, result) => {
    if (result.batches > 0 || result.failed > 0) logger.info(result, 'settled claims');
  });
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, 'settlement run failed');
  });
  return { queue, worker };
}
