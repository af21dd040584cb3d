// Sealing worker: seals pending ledger events into hash-chained blocks. A job scheduler
// runs it every SEAL_INTERVAL_MS; the ledger itself is the outbox (every event with a seq
// past the head block is pending), so an event committed just before a crash is sealed
// by the next run. A duplicate or concurrent job finds the advisory lock taken or
// nothing pending, and the block table rejects a second block at the same height.
import { Queue, Worker, type Job } from 'bullmq';
import { sealPending } from '../src/ledger/seal.js';
import type { WorkerDependencies } from './index.js';

export const SEALING_QUEUE = 'sealing';
const SCHEDULER_ID = 'seal-every-interval';
/** Blocks sealed by one job before it yields to the next scheduled one. */
const BLOCKS_PER_JOB_MAX = 100;

export interface SealJobData {
  reason: 'schedule' | 'manual';
}

export interface SealJobResult {
  blocks: number;
  events: number;
  busy: boolean;
}

export async function execSealJob(
  dependencies: WorkerDependencies,
  _job?: Job<SealJobData>,
): Promise<SealJobResult> {
  return sealPending(
    dependencies.database.pool,
    dependencies.config.sealBlockEventsMax,
    BLOCKS_PER_JOB_MAX,
  );
}

export async function initSealingWorker(dependencies: WorkerDependencies) {
  const { config, connection, logger } = dependencies;
  const options = { connection, prefix: `{${config.queuePrefix}}` };
  const queue = new Queue<SealJobData, SealJobResult>(SEALING_QUEUE, {
    ...options,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: 100,
      removeOnFail: 1000,
    },
  });
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: config.sealIntervalMs },
    { name: 'seal', data: { reason: 'schedule' } },
  );
  const worker = new Worker<SealJobData, SealJobResult>(
    SEALING_QUEUE,
    async (job) => execSealJob(dependencies, job),
    { ...options, concurrency: 1 },
  );
  worker.on('completed', (_job, result) => {
    if (result.blocks > 0) logger.info(result, 'sealed blocks');
  });
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, 'sealing job failed');
  });
  return { queue, worker };
}
