// The BullMQ queues by name, and their key prefix: one list for the workers that run them and
// for what shows them (queue depths in /metrics, the queue board).
import { Queue } from 'bullmq';
import type { Config } from './config.js';
import type { Redis } from './redis.js';

export const QUEUE_NAMES = [
  'sealing',
  'adjudication',
  'settlement',
  'reconciliation',
  // The log's pushes of each new checkpoint to its witnesses: a sweep, and a job per witness.
  'witness-push-sweep',
  'witness-push',
] as const;

export type QueueName = (typeof QUEUE_NAMES)[number];

/** Hash-tagged, so that every key of every queue lands in one Redis Cluster slot. */
export function queuePrefixOf(config: Pick<Config, 'queuePrefix'>): string {
  return `{${config.queuePrefix}}`;
}

/**
 * Removes the named queues of this prefix from Redis: jobs, schedulers and counters. For runs
 * that used a prefix of their own (the bench) and must leave nothing behind.
 */
export async function obliterateQueues(
  connection: Redis,
  config: Pick<Config, 'queuePrefix'>,
  names: readonly QueueName[] = QUEUE_NAMES,
): Promise<void> {
  for (const name of names) {
    const queue = new Queue(name, { connection, prefix: queuePrefixOf(config) });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** Job states whose counts /metrics reports for each queue. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** Longest a queue depth read may take before the scrape reports Redis as failed. */
const JOB_COUNTS_TIMEOUT_MS = 2_000;

/**
 * The queues as the API sees them, to count their jobs and show them on the queue board; created
 * on first use. Their errors are Redis being away, which the connection reports
 * (reportConnectionState) and the readiness probe answers. They share the connection they are
 * given and end with it.
 */
export class QueueViews {
  private queues: Queue[] | undefined;

  constructor(
    private readonly config: Pick<Config, 'queuePrefix'>,
    private readonly connection: Redis,
  ) {}

  all(): Queue[] {
    this.queues ??= QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, {
        connection: this.connection,
        prefix: queuePrefixOf(this.config),
      });
      queue.on('error', () => undefined);
      return queue;
    });
    return this.queues;
  }

  /** Each queue's job counts by state; rejects when Redis does not answer in time. */
  async jobCounts(): Promise<Map<string, Record<string, number>>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error('redis did not answer in time')),
        JOB_COUNTS_TIMEOUT_MS,
      );
    });
    try {
      const counts = await Promise.race([
        Promise.all(this.all().map((queue) => queue.getJobCounts(...JOB_STATES))),
        timeout,
      ]);
      return new Map(QUEUE_NAMES.map((name, index) => [name, counts[index]!]));
    } finally {
      clearTimeout(timer);
    }
  }
}
