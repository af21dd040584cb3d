// The API and the workers while PostgreSQL is unreachable. Every request that needs the
// database, including authenticating its key, answers 503 with Retry-After and a problem body,
// logged as one warn line per request (no stack, no "unhandled error"); requests that need no
// database still work. The workers say once that they wait, and carry on when it is back.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDependencies } from '../../src/api/app.js';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../../src/api/errors.js';
import { openDatabase, type Database } from '../../src/infra/db.js';
import { openRedis } from '../../src/infra/redis.js';
import { startWorkers } from '../../workers/index.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { capturingLogger, LOG_LEVEL, type LogLine } from '../support/log.js';
import { startRelay, type Relay } from '../support/network.js';
import { waitFor } from '../support/wait.js';

let environment: TestEnvironment;
let relay: Relay;
let relayed: Database;
let app: ReturnType<typeof createApp>;
let provider: Actor;
let payer: Actor;
const log = capturingLogger();

beforeAll(async () => {
  environment = await createTestEnvironment({
    ADJUDICATION_INTERVAL_MS: '100',
    SEAL_INTERVAL_MS: '100',
  });
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  // The API reaches PostgreSQL through a relay the test can cut: the real server, made away.
  const url = new URL(environment.databaseUrl);
  relay = await startRelay(Number(url.port || 5432));
  url.port = String(relay.port);
  relayed = openDatabase(url.toString(), 4);
  const dependencies: AppDependencies = {
    config: environment.config,
    database: relayed,
    redis: environment.redis,
    logger: log.logger,
  };
  app = createApp(dependencies);
});

afterAll(async () => {
  await relayed?.close();
  await relay?.cut();
  await environment?.close();
});

function expectUnavailable(response: request.Response): void {
  expect(response.headers['retry-after']).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
  expect(response.status, JSON.stringify(response.body)).toBe(503);
}

describe('the API while PostgreSQL is unreachable', () => {
  it('answers 503 with Retry-After, logs one warn line each, and recovers', async () => {
    const unknownClaim = `/v1/claims/${randomUUID()}`;
    // Before the outage: the provider's key is authenticated (and cached for a few seconds).
    const before = await request(app).get(unknownClaim).set(bearer(provider.key));
    expectProblem(before, 404);

    await relay.cut();
    const from = log.lines.length;
    const submitted = await request(app)
      .post('/v1/claims')
      .set(bearer(provider.key))
      .send(validClaim(payer.organization.id));
    expectUnavailable(submitted);
    expect(expectProblem(submitted, 503)).toMatchObject({
      type: 'https://claimchain.dev/problems/dependency_unavailable',
      title: 'dependency_unavailable',
    });
    // The payer's key was never seen: authenticating it is what needs the database.
    const authenticating = await request(app).get(unknownClaim).set(bearer(payer.key));
    expectUnavailable(authenticating);
    expect(expectProblem(authenticating, 503).title).toBe('dependency_unavailable');
    const fhir = await request(app).get(`/v1/fhir/Claim/${randomUUID()}`).set(bearer(payer.key));
    expectUnavailable(fhir);
    expect(JSON.parse(fhir.text)).toMatchObject({ resourceType: 'OperationOutcome' });
    // What needs no database is answered as ever.
    expectProblem(await request(app).get(unknownClaim), 401);
    expect((await request(app).get('/health')).status).toBe(200);

    // Besides each request's own info line ("request completed"), one warn line per outage.
    const lines = log.lines.slice(from).filter((line) => line.level >= LOG_LEVEL.warn);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: LOG_LEVEL.warn,
        msg: 'dependency outage',
        dependency: 'postgresql',
      });
      expect(['ECONNREFUSED', 'P1001', 'connection terminated', 'connection broken']).toContain(
        line.reason,
      );
      expect(JSON.stringify(line)).not.toContain('stack');
    }

    await relay.open();
    const after = await request(app).get(unknownClaim).set(bearer(payer.key));
    expectProblem(after, 404);
  });
});

describe('the workers while PostgreSQL is unreachable', () => {
  it('say once per worker that they wait, and decide the waiting claim when it is back', async () => {
    const workersLog = capturingLogger();
    const connection = openRedis(environment.config.redisUrl);
    const workers = await startWorkers({
      config: environment.config,
      database: relayed,
      connection,
      logger: workersLog.logger,
    });
    const queue = new Queue('adjudication', {
      connection,
      prefix: `{${environment.config.queuePrefix}}`,
    });
    try {
      await relay.cut();
      // Taken through a database connection of its own: only the workers' is cut.
      const submitted = await request(testApp(environment))
        .post('/v1/claims')
        .set(bearer(provider.key))
        .send(validClaim(payer.organization.id));
      expect(submitted.status).toBe(201);
      const outageOf = (queueName: string) =>
        workersLog.lines.filter(
          (line) => line.queue === queueName && line.msg === 'dependency outage; work waits for it',
        );
      // Many sweeps fail alike; the log says so once.
      const failedSweeps = await waitFor(
        () => queue.getFailedCount(),
        (failed) => failed >= 5,
      );
      expect(failedSweeps).toBeGreaterThanOrEqual(5);
      expect(outageOf('adjudication')).toHaveLength(1);
      expect(outageOf('adjudication')[0]!.level).toBe(LOG_LEVEL.warn);
      expectNoErrors(workersLog.lines);

      await relay.open();
      const status = async () =>
        (
          await environment.database.pool.query<{ status: string }>(
            'SELECT status FROM claims WHERE id = $1',
            [submitted.body.id],
          )
        ).rows[0]!.status;
      expect(await waitFor(status, (current) => current !== 'submitted')).toBe('denied');
      const resumed = () =>
        workersLog.lines.some(
          (line) => line.queue === 'adjudication' && line.msg === 'work resumed',
        );
      expect(await waitFor(resumed, Boolean)).toBe(true);
      expect(outageOf('adjudication')).toHaveLength(1);
      expectNoErrors(workersLog.lines);
    } finally {
      await queue.close();
      await workers.close();
      connection.disconnect();
    }
  });
});

function expectNoErrors(lines: LogLine[]): void {
  const text = lines.map((line) => JSON.stringify(line)).join('\n');
  expect(
    lines.filter((line) => line.level >= LOG_LEVEL.error),
    text,
  ).toEqual([]);
  expect(text).not.toContain('"stack"');
}
