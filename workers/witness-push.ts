// Witness push: the log offers its latest checkpoint to each configured witness (C2SP
// tlog-witness add-checkpoint) and stores the cosignatures they answer with. A sweep every
// WITNESS_PUSH_INTERVAL_MS adds one job per witness that has not cosigned the latest checkpoint
// (job id witness-push.<name>.<size>.<minute>, so sweeps within a minute add it once, and a
// witness whose job ran out of attempts is offered the checkpoint again the next minute); each
// job retries with exponential backoff. Sealing never waits on any of this: a witness that is down only leaves
// its cosignature missing until it is back, and the next checkpoint is offered to it then.
import { queuePrefixOf, type QueueName } from '../src/infra/queues.js';
import { ErrorCode, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { dependencyOutageReason } from '../src/infra/errors.js';
import { parseTreeSize, formatAddCheckpoint } from '../src/witness/protocol.js';
import { loadWitnessList, type PolicyWitness } from '../src/witness/policy.js';
import { parseNote } from '../src/ledger/tlog/note.js';
import { TileCache } from '../src/ledger/tile-cache.js';
import type pg from 'pg';
import {
  addCosignature,
  readLatestCheckpoint,
  StoredTreeProofs,
} from '../src/ledger/transparency-log.js';
import { cosignaturesOfLatest } from '../src/ledger/witness-cosignatures.js';
import type { Queryable } from '../src/infra/db.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

export const WITNESS_PUSH_QUEUE: QueueName = 'witness-push';
const WITNESS_REQUEST_TIMEOUT_MS = 10_000;
const WITNESS_ANSWER_BYTES_MAX = 16 * 1024;
/** A witness that refused or was down is offered the same checkpoint again after this long. */
const WITNESS_REOFFER_MS = 60_000;
/**
 * Tiles the push keeps: a consistency proof reads the right edge of the tree, a tile or two per
 * level, so 256 (4 MiB with their inner hashes) hold every proof's tiles at any tree size.
 */
const PUSH_TILE_CACHE_TILES_MAX = 256;

export interface WitnessPushJobData {
  witnessName: string;
  treeSize: number;
}

export type WitnessPushResult =
  | { outcome: 'cosigned'; treeSize: number }
  | { outcome: 'already-cosigned' | 'superseded'; treeSize: number };

export function initWitnessPushWorker(dependencies: WorkerDependencies) {
  const { config, database, connection, logger } = dependencies;
  const witnesses = loadWitnessList(config.ledgerWitnessesFile).filter((each) => each.url);
  const options = { connection, prefix: queuePrefixOf(config) };
  const queue = new Queue<WitnessPushJobData, WitnessPushResult>(WITNESS_PUSH_QUEUE, {
    ...options,
    defaultJobOptions: {
      attempts: 6,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: 100,
      removeOnFail: 1_000,
    },
  });
  // One cache of the tiles proofs read, for every job of this process: a stored hash never
  // changes (tile-cache.ts), and each push's consistency proof mostly reads the tiles the last
  // one read, so only the tiles sealed since are read and hashed again.
  const tree = new StoredTreeProofs(database.pool, new TileCache(PUSH_TILE_CACHE_TILES_MAX));
  const worker = new Worker<WitnessPushJobData, WitnessPushResult>(
    WITNESS_PUSH_QUEUE,
    (job) => execWitnessPushJob(database.pool, witnesses, job, tree),
    { ...options, concurrency: Math.max(1, witnesses.length) },
  );
  // Redis being away is reported once by reportConnectionState; BullMQ repeats it per retry.
  const onError = (error: Error & { code?: unknown }) => {
    if (dependencyOutageReason(error) !== undefined) return;
    if (error.code === ErrorCode.JobNotExist || error.code === ErrorCode.JobLockNotExist) return;
    logger.error({ queue: WITNESS_PUSH_QUEUE, err: error }, 'queue error');
  };
  queue.on('error', onError);
  worker.on('error', onError);
  worker.on('failed', (job, error) => {
    if (dependencyOutageReason(error) !== undefined) return;
    logger.warn(
      { witness: job?.data.witnessName, treeSize: job?.data.treeSize, attempt: job?.attemptsMade },
      `witness push failed: ${error.message}`,
    );
  });
  worker.on('completed', (job, result) => {
    if (result.outcome === 'cosigned') {
      logger.info({ witness: job.data.witnessName, treeSize: result.treeSize }, 'witness cosigned');
    }
  });
  const sweep = startScheduledWorker(dependencies, {
    queueName: 'witness-push-sweep',
    schedulerId: 'witness-push-every-interval',
    jobName: 'sweep',
    everyMs: config.witnessPushIntervalMs,
    run: () => addWitnessPushJobs(database.pool, queue, witnesses),
    onCompleted: () => undefined,
    failureMessage: 'witness push sweep failed',
  });
  return {
    async close() {
      await sweep.close();
      await worker.close();
      await queue.close();
    },
  };
}

/**
 * One job per witness that has not cosigned the latest checkpoint: one query and, when any is
 * behind, one Redis call for all of them, since a sweep runs every few seconds beside sealing.
 */
export async function addWitnessPushJobs(
  db: Queryable,
  queue: Queue<WitnessPushJobData, WitnessPushResult>,
  witnesses: readonly PolicyWitness[],
): Promise<number> {
  if (witnesses.length === 0) return 0;
  const latest = await cosignaturesOfLatest(
    db,
    witnesses.map((witness) => witness.key),
  );
  if (!latest) return 0;
  const { latestSize, cosigned } = latest;
  const minute = Math.floor(Date.now() / WITNESS_REOFFER_MS);
  const jobs = witnesses
    .filter((_, position) => cosigned[position]!.treeSize < latestSize)
    .map((witness) => ({
      name: 'push',
      data: { witnessName: witness.name, treeSize: latestSize },
      // BullMQ refuses ':' in custom job ids.
      opts: { jobId: `witness-push.${witness.name.replaceAll(':', '_')}.${latestSize}.${minute}` },
    }));
  if (jobs.length > 0) await queue.addBulk(jobs);
  return jobs.length;
}

/**
 * Offers the latest checkpoint to one witness. Returns early when it has cosigned it already or a
 * newer checkpoint exists (the next sweep offers that one). On 409 it retries once from the size
 * the witness says it has; a refusal that a retry cannot change (a 4xx other than 409) fails the
 * job for good and is logged: it is what a witness answers to a log that forked.
 */
export async function execWitnessPushJob(
  db: pg.Pool,
  witnesses: readonly PolicyWitness[],
  job: Pick<Job<WitnessPushJobData>, 'data'>,
  tree: StoredTreeProofs = new StoredTreeProofs(db),
): Promise<WitnessPushResult> {
  const witness = witnesses.find((each) => each.name === job.data.witnessName);
  if (!witness?.url)
    throw new UnrecoverableError(`witness ${job.data.witnessName} is not configured`);
  const latest = await readLatestCheckpoint(db);
  if (!latest || latest.treeSize !== job.data.treeSize) {
    return { outcome: 'superseded', treeSize: job.data.treeSize };
  }
  let oldSize = (await cosignaturesOfLatest(db, [witness.key]))?.cosigned[0]!.treeSize ?? 0;
  if (oldSize >= latest.treeSize) return { outcome: 'already-cosigned', treeSize: oldSize };
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof = oldSize === 0 ? [] : await tree.consistencyProof(oldSize, latest.treeSize);
    const answer = await postAddCheckpoint(
      witness.url,
      formatAddCheckpoint({ oldSize, proof, note: latest.note }),
    );
    if (answer.status === 200) {
      const lines = parseNote(`cosigned\n\n${answer.body}`).signatures.filter(
        (line) => line.keyName === witness.key.keyName && line.keyId === witness.key.keyId,
      );
      if (lines.length === 0)
        throw new Error(`witness ${witness.name} answered no cosignature of its key`);
      for (const line of lines)
        await addCosignature(db, latest.treeSize, witness.key, line, new Date());
      return { outcome: 'cosigned', treeSize: latest.treeSize };
    }
    const witnessSize = answer.status === 409 ? parseTreeSize(answer.body) : undefined;
    if (witnessSize === undefined || witnessSize > latest.treeSize || witnessSize === oldSize) {
      const reason = `witness ${witness.name} refused size ${latest.treeSize}: ${answer.status} ${answer.body.trim()}`;
      if (answer.status >= 400 && answer.status < 500) throw new UnrecoverableError(reason);
      throw new Error(reason);
    }
    oldSize = witnessSize;
  }
  throw new Error(`witness ${witness.name} kept changing its size`);
}

async function postAddCheckpoint(
  prefix: string,
  body: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${prefix.replace(/\/$/, '')}/add-checkpoint`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body,
    signal: AbortSignal.timeout(WITNESS_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (text.length > WITNESS_ANSWER_BYTES_MAX) throw new Error('the witness answer is too long');
  return { status: response.status, body: text };
}
