// The workers and a Redis that loses everything: restarted empty, or emptied by FLUSHALL while
// connected. The workers must recreate their job schedulers and go on deciding and sealing
// claims within seconds, and say what happened in a few lines, not one stack per attempt.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRedis, type Redis } from '../../src/infra/redis.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { capturingLogger, LOG_LEVEL, type LogLine } from '../support/log.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const QUEUES = ['adjudication', 'reconciliation', 'sealing', 'settlement', 'witness-push-sweep'];
const RECONNECT_ATTEMPTS_MIN = 5;
/** The worker's own info lines while the test waits (a sweep or seal every 100 ms at most). */
const WORK_LINES_MAX = 40;
const RECREATED = 'job scheduler was missing (redis restarted or emptied); recreated';

let redis: PrivateRedis;
let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let provider: Actor;
let payer: Actor;
let connection: Redis;
let workers: RunningWorkers;
const log = capturingLogger();
const consoleError = vi.spyOn(console, 'error');

beforeAll(async () => {
  redis = await startPrivateRedis();
  environment = await createTestEnvironment({
    REDIS_URL: redis.url,
    ADJUDICATION_INTERVAL_MS: '100',
    SEAL_INTERVAL_MS: '100',
  });
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  connection = openRedis(environment.config.redisUrl);
  workers = await startWorkers({
    config: environment.config,
    database: environment.database,
    connection,
    logger: log.logger,
  });
});

afterAll(async () => {
  await workers?.close();
  connection?.disconnect();
  await redis?.kill();
  await environment?.close();
});

async function submitClaim(): Promise<string> {
  const response = await request(app)
    .post('/v1/claims')
    .set(bearer(provider.key))
    .send(validClaim(payer.organization.id));
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

/** The claim's status, and whether its decision's ledger event is in a sealed block. */
async function progressOf(claimId: string) {
  const { rows } = await environment.database.pool.query<{ status: string; sealed: boolean }>(
    `SELECT c.status,
            coalesce((SELECT bool_and(e.seq <= (SELECT max(last_seq) FROM ledger_blocks))
                        FROM ledger_events e
                       WHERE e.aggregate_id = c.id::text AND e.type = 'ClaimAdjudicated'),
                     false) AS sealed
       FROM claims c WHERE c.id = $1`,
    [claimId],
  );
  return rows[0]!;
}

async function expectDecidedAndSealed(claimId: string): Promise<void> {
  const progress = await waitFor(
    () => progressOf(claimId),
    (current) => current.status !== 'submitted' && current.sealed,
  );
  // Nobody covers this member: the decision is a denial (CO-31).
  expect(progress).toEqual({ status: 'denied', sealed: true });
}

/** Waits until every worker has logged its scheduler recreated since `from`. */
async function recreatedSince(from: number): Promise<string[]> {
  const queuesOf = () =>
    log.lines
      .slice(from)
      .filter((line) => line.msg === RECREATED)
      .map((line) => line.queue as string)
      .sort();
  return waitFor(queuesOf, (queues) => queues.length >= QUEUES.length);
}

/**
 * Beside `connectionLines` (lost, back) and the four recreated schedulers, at most one line per
 * worker whose job was running when Redis lost its data, and the workers' own reports of the
 * claims they decided and sealed; no errors, no stacks, no console output per reconnect attempt.
 */
function expectFewQuietLines(lines: LogLine[], connectionLines: number): void {
  const text = lines.map((line) => JSON.stringify(line)).join('\n');
  const lost = lines.filter((line) => line.msg.startsWith('a running job was lost'));
  expect(new Set(lost.map((line) => line.queue)).size, text).toBe(lost.length);
  const work = lines.filter((line) => ['adjudicated claims', 'sealed blocks'].includes(line.msg));
  expect(lines.length - work.length, text).toBeLessThanOrEqual(
    connectionLines + QUEUES.length + QUEUES.length,
  );
  expect(work.length, text).toBeLessThanOrEqual(WORK_LINES_MAX);
  expect(lines.filter((line) => line.level >= LOG_LEVEL.error)).toEqual([]);
  expect(text).not.toContain('"stack"');
  expect(consoleError).not.toHaveBeenCalled();
}

describe('workers and a Redis that loses everything', () => {
  it('decide and seal a claim while Redis is fine', async () => {
    await expectDecidedAndSealed(await submitClaim());
  });

  it('recreate their schedulers after Redis restarts empty, and decide and seal again', async () => {
    const from = log.lines.length;
    let reconnectAttempts = 0;
    const countAttempt = () => (reconnectAttempts += 1);
    connection.on('reconnecting', countAttempt);
    await redis.kill();
    // The API does not need Redis: claims are taken while it is away.
    const claimId = await submitClaim();
    // Away long enough for several failed reconnect attempts, each one an error event.
    await waitFor(
      () => reconnectAttempts,
      (attempts) => attempts >= RECONNECT_ATTEMPTS_MIN,
    );
    connection.off('reconnecting', countAttempt);
    expect(reconnectAttempts).toBeGreaterThanOrEqual(RECONNECT_ATTEMPTS_MIN);
    await redis.start();
    await expectDecidedAndSealed(claimId);
    expect(await recreatedSince(from)).toEqual(QUEUES);
    const lines = log.lines.slice(from);
    const messages = lines.map((line) => line.msg);
    expect(messages.filter((msg) => msg === 'redis unreachable; reconnecting')).toHaveLength(1);
    expect(messages.filter((msg) => msg === 'redis connected again')).toHaveLength(1);
    expectFewQuietLines(lines, 2);
  });

  it('recreate their schedulers after a FLUSHALL, which drops no connection', async () => {
    const from = log.lines.length;
    await connection.flushall();
    const claimId = await submitClaim();
    await expectDecidedAndSealed(claimId);
    expect(await recreatedSince(from)).toEqual(QUEUES);
    const lines = log.lines.slice(from);
    const messages = lines.map((line) => line.msg);
    expect(messages).not.toContain('redis unreachable; reconnecting');
    expectFewQuietLines(lines, 0);
  });
});
