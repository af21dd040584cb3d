// What every worker here is: a BullMQ job scheduler that adds a job every interval, and a
// worker running one job at a time that does the work and logs what it did. Each worker file
// says only its work, its interval and what to log; the queue plumbing lives here once.
import { Queue, Worker, type DefaultJobOptions } from 'bullmq';
import type { WorkerDependencies } from './index.js';

export interface ScheduledWork<Result> {
  queueName: string;
  schedulerId: string;
  jobName: string;
  everyMs: number;
  /** When the first job runs (default: at once). */
  firstRunAt?: number;
  /** Retries and the like; completed and failed jobs are always trimmed. */
  jobOptions?: DefaultJobOptions;
  run: () => Promise<Result>;
  /** Logs a job's result, or keeps quiet when there is nothing to say. */
  onCompleted: (result: Result) => void;
  failureMessage: string;
}

export interface ScheduledJobData {
  reason: 'schedule';
}

export async function startScheduledWorker<Result>(
  dependencies: WorkerDependencies,
  work: ScheduledWork<Result>,
) {
  const { config, connection, logger } = dependencies;
  const options = { connection, prefix: `{${config.queuePrefix}}` };
  const queue = new Queue<ScheduledJobData, Result>(work.queueName, {
    ...options,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000, ...work.jobOptions },
  });
  await queue.upsertJobScheduler(
    work.schedulerId,
    {
      every: work.everyMs,
      ...(work.firstRunAt === undefined ? {} : { startDate: work.firstRunAt }),
    },
    { name: work.jobName, data: { reason: 'schedule' } },
  );
  const worker = new Worker<ScheduledJobData, Result>(work.queueName, () => work.run(), {
    ...options,
    concurrency: 1,
  });
  worker.on('completed', (_job, result) => work.onCompleted(result));
  worker.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, err: error }, work.failureMessage);
  });
  return { queue, worker };
}
