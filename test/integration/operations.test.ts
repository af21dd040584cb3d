// The operator's surface on the real PostgreSQL and Redis: /metrics read by an independent
// Prometheus text-format parser while claims flow through adjudication and sealing, /readyz
// through a PostgreSQL outage and with Redis or migrations missing, request ids in headers,
// error bodies and log lines, and the queue board for the operator's admin keys only.
import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { runReconciliation } from '../../src/domain/reconciliation/service.js';
import { openDatabase, type Database } from '../../src/infra/db.js';
import { ensureDatabase } from '../../src/infra/migrate.js';
import { createMetrics } from '../../src/infra/metrics.js';
import { openObservingRedis, openRedis } from '../../src/infra/redis.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { capturingLogger, LOG_LEVEL } from '../support/log.js';
import { freePort, startRelay, type Relay } from '../support/network.js';
import { Scrape } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let environment: TestEnvironment;
let provider: Actor;
let payer: Actor;
let operatorAdmin: Actor;
const log = capturingLogger();

beforeAll(async () => {
  environment = await createTestEnvironment({
    ADJUDICATION_INTERVAL_MS: '100',
    SEAL_INTERVAL_MS: '100',
    METRICS_DATABASE_CACHE_MS: '0',
  });
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  operatorAdmin = await createActor(environment, 'operator', 'admin');
});

afterAll(async () => {
  await environment?.close();
});

function appWith(overrides: Partial<Parameters<typeof createApp>[0]> = {}) {
  return createApp({
    config: environment.config,
    database: environment.database,
    redis: environment.redis,
    logger: log.logger,
    ...overrides,
  });
}

async function scrape(app: ReturnType<typeof createApp>): Promise<Scrape> {
  const response = await request(app).get('/metrics');
  expect(response.status, response.text).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(response.text);
}

describe('/metrics while claims flow', () => {
  let workers: RunningWorkers | undefined;
  const connection = openRedis('redis://127.0.0.1:6379');

  afterAll(async () => {
    await workers?.close();
    connection.disconnect();
  });

  it('counts requests by route pattern, claims by status, adjudication, sealing and queues', async () => {
    // API and workers in one process share one registry, as `serve` runs them.
    const metrics = createMetrics();
    const app = appWith({ metrics });
    const before = await scrape(app);
    expect(before.value('claimchain_claims', { status: 'submitted' })).toBe(0);
    expect(before.value('claimchain_claims', { status: 'denied' })).toBe(0);
    expect(before.value('claimchain_ledger_block_height')).toBe(0);
    expect(before.value('claimchain_scrape_source_up', { source: 'postgresql' })).toBe(1);
    expect(before.value('claimchain_scrape_source_up', { source: 'redis' })).toBe(1);
    expect(before.value('claimchain_reconciliation_exceptions')).toBe(0);

    const claims = [validClaim(payer.organization.id), validClaim(payer.organization.id)];
    for (const claim of claims) {
      const submitted = await request(app).post('/v1/claims').set(bearer(provider.key)).send(claim);
      expect(submitted.status, submitted.text).toBe(201);
    }
    const unknownClaimId = randomUUID();
    expectProblem(
      await request(app).get(`/v1/claims/${unknownClaimId}`).set(bearer(provider.key)),
      404,
    );
    const submittedNow = await scrape(app);
    expect(submittedNow.value('claimchain_claims', { status: 'submitted' })).toBe(2);
    expect(submittedNow.value('claimchain_ledger_unsealed_events')).toBeGreaterThanOrEqual(2);
    expect(
      submittedNow.value('claimchain_http_requests_total', {
        method: 'POST',
        route: '/v1/claims',
        status: '201',
      }),
    ).toBe(2);
    expect(
      submittedNow.count('claimchain_http_request_duration_seconds', {
        method: 'GET',
        route: '/v1/claims/:id',
        status: '404',
      }),
    ).toBe(1);
    expect(submittedNow.typeOf('claimchain_http_request_duration_seconds')).toBe('HISTOGRAM');
    // Route patterns only: no id, and nothing of the claim's patient, ever reaches a label.
    for (const secret of [
      unknownClaimId,
      'W123456789',
      'Jane',
      'Doe',
      claims[0]!.patientControlNumber,
    ]) {
      expect(submittedNow.text).not.toContain(secret);
    }

    workers = await startWorkers({
      config: environment.config,
      database: environment.database,
      connection,
      logger: log.logger,
      metrics,
    });
    const flowed = await waitFor(
      () => scrape(app),
      (now) =>
        now.value('claimchain_claims', { status: 'submitted' }) === 0 &&
        now.value('claimchain_ledger_unsealed_events') === 0 &&
        now.count('claimchain_seal_duration_seconds') > 0,
    );
    // A payer without plans or coverage denies both (CO-27).
    expect(flowed.value('claimchain_claims', { status: 'denied' })).toBe(2);
    expect(flowed.count('claimchain_adjudication_duration_seconds', { outcome: 'decided' })).toBe(
      2,
    );
    expect(flowed.value('claimchain_ledger_block_height')).toBeGreaterThanOrEqual(1);
    expect(flowed.value('claimchain_sealed_events_total')).toBeGreaterThanOrEqual(4);
    expect(
      flowed.value('claimchain_jobs_total', { queue: 'adjudication', outcome: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      flowed.count('claimchain_job_duration_seconds', { queue: 'sealing', outcome: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    for (const queue of ['sealing', 'adjudication', 'settlement', 'reconciliation']) {
      expect(flowed.value('claimchain_queue_jobs', { queue, state: 'failed' })).toBe(0);
      expect(
        flowed.value('claimchain_queue_jobs', { queue, state: 'waiting' }),
      ).toBeGreaterThanOrEqual(0);
    }
    expect(flowed.value('process_resident_memory_bytes')).toBeGreaterThan(0);

    await runReconciliation(environment.database, { trigger: 'request' });
    expect((await scrape(app)).value('claimchain_reconciliation_exceptions')).toBe(0);
  });

  it('answers only the scrape token when METRICS_TOKEN is set', async () => {
    const token = 'scrape-token-0123456789';
    const app = appWith({ config: { ...environment.config, metricsToken: token } });
    expectProblem(await request(app).get('/metrics'), 401);
    expectProblem(await request(app).get('/metrics').set(bearer('scrape-token-wrong-0000')), 401);
    const scraped = await request(app).get('/metrics').set(bearer(token));
    expect(scraped.status).toBe(200);
    expect(new Scrape(scraped.text).typeOf('claimchain_claims')).toBe('GAUGE');
  });
});

describe('/healthz and /readyz', () => {
  let relay: Relay;
  let relayed: Database;

  beforeAll(async () => {
    const url = new URL(environment.databaseUrl);
    relay = await startRelay(Number(url.port || 5432));
    url.port = String(relay.port);
    relayed = openDatabase(url.toString(), 4);
  });

  afterAll(async () => {
    await relayed?.close();
    await relay?.cut();
  });

  it('answers 503 naming PostgreSQL while it is unreachable, and 200 when it is back', async () => {
    const app = appWith({ database: relayed });
    const ready = await request(app).get('/readyz');
    expect(ready.status, ready.text).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { postgresql: 'ok', redis: 'ok', migrations: 'ok' },
    });

    await relay.cut();
    const unready = await request(app).get('/readyz');
    expect(unready.status).toBe(503);
    expect(unready.body).toEqual({
      status: 'unready',
      checks: { postgresql: 'unreachable', redis: 'ok', migrations: 'unknown' },
    });
    // The process itself is up: liveness does not depend on PostgreSQL.
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/health')).status).toBe(200);
    // A scrape still answers, saying PostgreSQL could not be read.
    const scraped = await scrape(app);
    expect(scraped.value('claimchain_scrape_source_up', { source: 'postgresql' })).toBe(0);
    expect(scraped.value('claimchain_scrape_source_up', { source: 'redis' })).toBe(1);

    await relay.open();
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('answers 503 naming Redis when it is unreachable', async () => {
    const redis = openObservingRedis(`redis://127.0.0.1:${await freePort()}`);
    try {
      const response = await request(appWith({ redis })).get('/readyz');
      expect(response.status).toBe(503);
      expect(response.body.checks).toEqual({
        postgresql: 'ok',
        redis: 'unreachable',
        migrations: 'ok',
      });
    } finally {
      redis.disconnect();
    }
  });

  it('answers 503 naming the migrations not yet applied', async () => {
    const url = new URL(environment.databaseUrl);
    url.pathname = `/${url.pathname.slice(1)}_empty`;
    await ensureDatabase(url.toString());
    const empty = openDatabase(url.toString(), 2);
    try {
      const response = await request(appWith({ database: empty })).get('/readyz');
      expect(response.status).toBe(503);
      expect(response.body.checks.postgresql).toBe('ok');
      // Every migration is pending, from the first to the latest.
      const latest = readdirSync('prisma/migrations', { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
        .at(-1)!;
      expect(response.body.checks.migrations).toMatch(
        new RegExp(`^pending: 20261125120000_ledger_spine, .*${latest}$`),
      );
    } finally {
      await empty.close();
      await environment.database.pool.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}"`);
    }
  });
});

describe('request ids', () => {
  it('gives every request an id, in its header, its error body and its log lines', async () => {
    const app = appWith();
    const from = log.lines.length;
    const missing = await request(app).get('/v1/claims');
    const body = expectProblem(missing, 401);
    const requestId = missing.headers['x-request-id'] as string;
    expect(requestId).toMatch(UUID);
    expect((body as unknown as { requestId: string }).requestId).toBe(requestId);
    const lines = log.lines.slice(from).filter((line) => line.requestId === requestId);
    expect(lines).toEqual([
      expect.objectContaining({
        level: LOG_LEVEL.info,
        msg: 'request completed',
        method: 'GET',
        route: 'unmatched',
        status: '401',
      }),
    ]);

    const unknownRoute = await request(app).get('/no/such/route');
    expect(expectProblem(unknownRoute, 404)).toMatchObject({
      requestId: unknownRoute.headers['x-request-id'],
    });
  });

  it('keeps a sane incoming X-Request-Id and replaces any other', async () => {
    const app = appWith();
    const kept = await request(app).get('/healthz').set('X-Request-Id', 'lb-7f3a.2:9_x');
    expect(kept.headers['x-request-id']).toBe('lb-7f3a.2:9_x');
    for (const insane of ['has space', 'x'.repeat(129), 'semi;colon', 'ünï']) {
      const replaced = await request(app).get('/healthz').set('X-Request-Id', insane);
      expect(replaced.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('marks the lines a request logs deep inside (a database outage) with its id', async () => {
    const url = new URL(environment.databaseUrl);
    const relay = await startRelay(Number(url.port || 5432));
    url.port = String(relay.port);
    const relayed = openDatabase(url.toString(), 2);
    try {
      const app = appWith({ database: relayed });
      await relay.cut();
      const from = log.lines.length;
      // A key not seen yet: authenticating it needs the database.
      const response = await request(app)
        .get(`/v1/claims/${randomUUID()}`)
        .set(bearer(payer.key))
        .set('X-Request-Id', 'outage-request-1');
      expect(expectProblem(response, 503)).toMatchObject({ requestId: 'outage-request-1' });
      const lines = log.lines.slice(from);
      expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
        ['dependency outage', 'outage-request-1'],
        ['request completed', 'outage-request-1'],
      ]);
    } finally {
      await relayed.close();
      await relay.cut();
    }
  });
});

describe('the queue board at /admin/queues', () => {
  it('refuses a request without a key (asking for one) or with a key of any other role', async () => {
    const app = appWith();
    const anonymous = await request(app).get('/admin/queues');
    expectProblem(anonymous, 401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expectProblem(await request(app).get('/admin/queues').set(bearer('cck_unknown')), 401);
    const payerAdmin = await createActor(environment, 'payer', 'admin');
    const operatorAuditor = await createActor(environment, 'operator', 'auditor');
    for (const actor of [payerAdmin, operatorAuditor, provider]) {
      expectProblem(await request(app).get('/admin/queues').set(bearer(actor.key)), 403);
      expectProblem(await request(app).get('/admin/queues/api/queues').set(bearer(actor.key)), 403);
    }
  });

  it("shows every queue to the operator's admin key, as Bearer or as a Basic password", async () => {
    const app = appWith();
    const page = await request(app).get('/admin/queues').set(bearer(operatorAdmin.key));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');
    // The page's web-font link to another site is blocked: everything comes from our server.
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    // Its scripts are served from node_modules by us, behind the same key.
    const script = /<script defer src="(static\/js\/[^"]+\.js)"/.exec(page.text)![1]!;
    expectProblem(await request(app).get(`/admin/queues/${script}`), 401);
    const served = await request(app).get(`/admin/queues/${script}`).set(bearer(operatorAdmin.key));
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/javascript/);
    const basic = `Basic ${Buffer.from(`operator:${operatorAdmin.key}`).toString('base64')}`;
    const queues = await request(app).get('/admin/queues/api/queues').set('Authorization', basic);
    expect(queues.status, queues.text).toBe(200);
    const names = (queues.body.queues as { name: string }[]).map((queue) => queue.name).sort();
    expect(names).toEqual([
      'adjudication',
      'reconciliation',
      'sealing',
      'settlement',
      'witness-push',
      'witness-push-sweep',
    ]);
    // A change forged by another site, riding on the browser's Basic credentials, is refused.
    const forged = await request(app)
      .put('/admin/queues/api/queues/sealing/pause')
      .set('Authorization', basic)
      .set('Origin', 'https://elsewhere.example')
      .set('Sec-Fetch-Site', 'cross-site');
    expectProblem(forged, 403);
    // The board's own page may pause and resume a queue.
    for (const action of ['pause', 'resume']) {
      const own = await request(app)
        .put(`/admin/queues/api/queues/sealing/${action}`)
        .set('Authorization', basic)
        .set('Sec-Fetch-Site', 'same-origin');
      expect(own.status, own.text).toBeLessThan(300);
    }
  });
});
