// The engine (API and workers in one process) started while Redis is not there: the API serves
// at once, since it does not need Redis, and the workers begin when Redis comes.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/cli/serve.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { capturingLogger } from '../support/log.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

let redis: PrivateRedis;
let environment: TestEnvironment;
let provider: Actor;
let payer: Actor;
let engine: Engine | undefined;
const log = capturingLogger();

beforeAll(async () => {
  redis = await startPrivateRedis();
  await redis.kill();
  environment = await createTestEnvironment({
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    PORT: '0',
    ADJUDICATION_INTERVAL_MS: '100',
  });
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await engine?.stop();
  await redis?.kill();
  await environment?.close();
});

async function statusOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ status: string }>(
    'SELECT status FROM claims WHERE id = $1',
    [claimId],
  );
  return rows[0]!.status;
}

describe('the engine started while Redis is away', () => {
  it('takes claims at once, and decides them when Redis comes', async () => {
    engine = await startEngine(
      {
        config: environment.config,
        database: environment.database,
        logger: log.logger,
        close: () => Promise.resolve(),
      },
      { api: true, workers: true },
    );
    const server = `http://127.0.0.1:${engine.port}`;
    const submitted = await request(server)
      .post('/v1/claims')
      .set(bearer(provider.key))
      .send(validClaim(payer.organization.id));
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const claimId = submitted.body.id as string;
    expect(await statusOf(claimId)).toBe('submitted');
    const messages = () => log.lines.map((line) => line.msg);
    const saysUnreachable = (said: string[]) => said.includes('redis unreachable; reconnecting');
    expect(saysUnreachable(await waitFor(messages, saysUnreachable))).toBe(true);

    await redis.start();
    const decided = await waitFor(
      () => statusOf(claimId),
      (status) => status !== 'submitted',
    );
    expect(decided).toBe('denied');
    expect(messages()).toContain('redis connected again');
  });
});
