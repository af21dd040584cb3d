// What every worker here is: a BullMQ job scheduler that adds a job every interval, and a
// worker running one job at a time that does the work and logs what it did. Each worker file
// says only its work, its interval and what to log; the queue plumbing lives here once.
//
// The scheduler lives only in Redis. A Redis restarted empty, or emptied (FLUSHALL), loses it
// and with it every future job, so it is checked every few seconds and as soon as the
// connection is back, and recreated when missing. A FLUSHALL drops no connection, so only the
// periodic check notices that one. The work itself keeps its state in PostgreSQL (the claims
// and the ledger are their own outboxes), so a job lost with Redis loses nothing, and a job run
// twice does nothing the second time.
import { ErrorCode, Queue, Worker, type DefaultJobOptions } from 'bullmq';
import { dependencyOutageReason } from '../src/infra/errors.js';
import { secondsSince } from '../src/infra/metrics.js';
import { queuePrefixOf, type QueueName } from '../src/infra/queues.js';
import type { WorkerDependencies } from './index.js';

/** How often each worker checks that its job scheduler still exists. */
const SCHEDULER_CHECK_INTERVAL_MS = 3_000;

export interface ScheduledWork<Result> {
  queueName: QueueName;
  schedulerId: string;
  jobName: string;
  everyMs: number;
  /**
   * When the first job runs (default: at once). A recreated scheduler keeps it: before that
   * time it still waits, after it the recreated scheduler's first job runs at once.
   */
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

export interface RunningWorker {
  close(): Promise<void>;
}

/** Starts at once: a worker started while Redis is away begins when it is back. */
export function startScheduledWorker<Result>(
  dependencies: WorkerDependencies,
  work: ScheduledWork<Result>,
): RunningWorker {
  const { config, connection, metrics } = dependencies;
  const options = { connection, prefix: queuePrefixOf(config) };
  const queue = new Queue<ScheduledJobData, Result>(work.queueName, {
    ...options,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000, ...work.jobOptions },
  });
  const keeper = keepSchedulerAlive(dependencies, queue, work);
  const timedRun = async () => {
    const startedAt = process.hrtime.bigint();
    const observe = (outcome: 'completed' | 'failed') => {
      metrics.jobs.inc({ queue: work.queueName, outcome });
      metrics.jobDuration.observe({ queue: work.queueName, outcome }, secondsSince(startedAt));
    };
    try {
      const result = await work.run();
      observe('completed');
      return result;
    } catch (error) {
      observe('failed');
      throw error;
    }
  };
  const worker = new Worker<ScheduledJobData, Result>(work.queueName, timedRun, {
    ...options,
    concurrency: 1,
  });
  logEvents(dependencies, work, queue, worker);
  return {
    async close() {
      keeper.stop();
      await worker.close();
      await queue.close();
    },
  };
}

/**
 * For work that goes on past one item's failure (a claim, a payer): an outage is no item's
 * fault and fails every item after it too, so it ends the job, to be logged once as an outage.
 */
export function endJobOnOutage(error: unknown): void {
  if (dependencyOutageReason(error) !== undefined) throw error;
}

/**
 * Logs each job's result and failure. Trouble that every job meets alike (a database outage)
 * or that Redis losing its data leaves behind is said once, in one line, until a job completes
 * again; Redis being away is said once per connection (reportConnectionState), so the error
 * events BullMQ repeats for every reconnect attempt are not logged.
 */
function logEvents<Result>(
  { logger }: WorkerDependencies,
  work: ScheduledWork<Result>,
  queue: Queue<ScheduledJobData, Result>,
  worker: Worker<ScheduledJobData, Result>,
) {
  const said = new Set<'outage' | 'job lost'>();
  const sayOnce = (kind: 'outage' | 'job lost', fields: object, message: string) => {
    if (!said.has(kind)) logger.warn({ queue: work.queueName, ...fields }, message);
    said.add(kind);
  };
  worker.on('completed', (_job, result) => {
    if (said.has('outage')) logger.info({ queue: work.queueName }, 'work resumed');
    said.clear();
    work.onCompleted(result);
  });
  worker.on('failed', (job, error) => {
    const reason = dependencyOutageReason(error);
    if (reason !== undefined) {
      sayOnce('outage', { reason }, 'dependency outage; work waits for it');
      return;
    }
    logger.error({ queue: work.queueName, jobId: job?.id, err: error }, work.failureMessage);
  });
  const onError = (error: Error & { code?: unknown }) => {
    if (dependencyOutageReason(error) !== undefined) return;
    // The job that was running when Redis lost its data cannot be marked done: its work is
    // in PostgreSQL already, and the next job finds nothing left to do.
    if (error.code === ErrorCode.JobNotExist || error.code === ErrorCode.JobLockNotExist) {
      sayOnce('job lost', {}, 'a running job was lost with redis data; the next job redoes it');
      return;
    }
    logger.error({ queue: work.queueName, err: error }, 'queue error');
  };
  queue.on('error', onError);
  worker.on('error', onError);
}

/**
 * Creates the job scheduler now (updating its interval), then recreates it whenever it is
 * found missing: every SCHEDULER_CHECK_INTERVAL_MS, and at once when the connection is back.
 * One check at a time; while Redis is away a check waits in the client's offline queue.
 */
function keepSchedulerAlive<Result>(
  { connection, logger }: WorkerDependencies,
  queue: Queue<ScheduledJobData, Result>,
  work: ScheduledWork<Result>,
) {
  let stopped = false;
  let checking: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const upsert = () =>
    queue.upsertJobScheduler(
      work.schedulerId,
      {
        every: work.everyMs,
        ...(work.firstRunAt === undefined ? {} : { startDate: work.firstRunAt }),
      },
      { name: work.jobName, data: { reason: 'schedule' } },
    );
  const recreateIfMissing = async () => {
    if (await queue.getJobScheduler(work.schedulerId)) return;
    if (stopped) return;
    await upsert();
    logger.warn(
      { queue: work.queueName, schedulerId: work.schedulerId },
      'job scheduler was missing (redis restarted or emptied); recreated',
    );
  };
  const check = (attempt: () => Promise<unknown>) => {
    if (stopped || checking) return;
    checking = attempt()
      .then(
        () => undefined,
        (error: unknown) => {
          if (stopped || dependencyOutageReason(error) !== undefined) return;
          logger.error({ queue: work.queueName, err: error }, 'job scheduler check failed');
        },
      )
      .finally(() => {
        checking = undefined;
        if (stopped) return;
        timer = setTimeout(() => check(recreateIfMissing), SCHEDULER_CHECK_INTERVAL_MS);
      });
  };
  const onReady = () => {
    clearTimeout(timer);
    check(recreateIfMissing);
  };
  connection.on('ready', onReady);
  check(upsert);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      connection.off('ready', onReady);
    },
  };
}
