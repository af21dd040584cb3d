// Adjudication worker: decides every submitted claim. A job scheduler runs a sweep every
// ADJUDICATION_INTERVAL_MS; the claims table is the outbox (every claim with status
// "submitted" is waiting), so a claim committed just before a crash is decided by the next
// sweep, and a claim another worker is deciding is skipped (row lock, SKIP LOCKED).
import { Queue, Worker, type Job } from 'bullmq';
import { adjudicateSubmitted, type SweepResult } from '../src/domain/adjudication/service.js';
import type { WorkerDependencies } from './index.js';

export const ADJUDICATION_QUEUE = 'adjudication';
const SCHEDULER_ID = 'adjudicate-every-interval';
/** Claims one sweep takes; the next sweep takes the rest. */
const CLAIMS_PER_SWEEP_MAX = 1_000;
/** Claims decided at once within a sweep (each in its own transaction). */
const CLAIMS_IN_PARALLEL = 4;

export interface AdjudicationJobData {
  reason: 'schedule' | 'manual';
}

export type AdjudicationJobResult = SweepResult;

export async function execAdjudicationJob(
  dependencies: WorkerDependencies,
  _job?: Job<AdjudicationJobData>,
): Promise<AdjudicationJobResult> {
  const { database, logger } = dependencies;
  return adjudicateSubmitted(database, {
    claimsMax: CLAIMS_PER_SWEEP_MAX,
    parallel: CLAIMS_IN_PARALLEL,
    // One claim's failure must not hold up the others; it is tried again next sweep.
    onFailure: (claimId, error) => logger.error({ claimId, err: error }, 'adjudication failed'),
  });
}

export async function initAdjudicationWorker(dependencies: WorkerDependencies) {
  const { config, connection, logger } = dependencies;
  const options = { connection, prefix: `{${config.queuePrefix}}` };
  const queue = new Queue<AdjudicationJobData, AdjudicationJobResult>(ADJUDICATION_QUEUE, {
    ...options,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 },
  });
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: config.adjudicationIntervalMs },
    { name: 'sweep', data: { reason: 'schedule' } },
  );
  const worker = new Worker<AdjudicationJobData, AdjudicationJobResult>(
    ADJUDICATION_QUEUE,
    async (job) => execAdjudicationJob(dependencies, job),
    { ...options, concurrency: 1 },
  );
  worker.on('completed', (_job, result) => {
    if (result.decided > 0 || result.failed > 0) logger.info(result, 'adjudicated claims');
  });
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, 'adjudication sweep failed');
  });
  return { queue, worker };
}
