// End to end on real PostgreSQL and Redis: claims submitted concurrently through the API
// are sealed by the BullMQ worker; every proof verifies offline; tampering is named.
import { inTransaction } from '../../src/infra/db.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/logger.js';
import { openRedis } from '../../src/infra/redis.js';
import { verifyEventProof } from '../../src/ledger/proof.js';
import { verifyChain } from '../../src/ledger/verify.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { MAKE_PAYLOAD_JSON_WRITABLE, tamper as tamperAsAttacker } from '../support/ledger.js';

describe('ledger end to end', () => {
  let environment: TestEnvironment;
  let app: ReturnType<typeof testApp>;
  let provider: Actor;
  let payer: Actor;
  let workers: RunningWorkers;
  let redis: ReturnType<typeof openRedis>;
  const eventIds: string[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment({
      SEAL_INTERVAL_MS: '100',
      SEAL_BLOCK_EVENTS_MAX: '64',
    });
    app = testApp(environment);
    provider = await createActor(environment, 'provider', 'provider_biller');
    payer = await createActor(environment, 'payer', 'payer_adjudicator');
    redis = openRedis(environment.config.redisUrl);
    workers = await startWorkers({
      config: environment.config,
      database: environment.database,
      connection: redis,
      logger: createLogger('silent'),
    });
  });

  afterAll(async () => {
    await workers.close();
    redis.disconnect();
    await environment.close();
  });

  it('seals concurrently submitted claims and every proof verifies offline', async () => {
    const singles = Array.from({ length: 120 }, () =>
      request(app)
        .post('/v1/claims')
        .set('authorization', `Bearer ${provider.key}`)
        .send(validClaim(payer.organization.id)),
    );
    const batch = request(app)
      .post('/v1/claims/batch')
      .set('authorization', `Bearer ${provider.key}`)
      .send({ claims: Array.from({ length: 200 }, () => validClaim(payer.organization.id)) });
    const [batchResponse, ...singleResponses] = await Promise.all([batch, ...singles]);
    for (const response of singleResponses) {
      expect(response.status).toBe(201);
      eventIds.push(response.body.ledgerEventId as string);
    }
    expect(batchResponse.status).toBe(200);
    for (const result of batchResponse.body.results as { claim: { ledgerEventId: string } }[]) {
      eventIds.push(result.claim.ledgerEventId);
    }
    expect(new Set(eventIds).size).toBe(320);

    // The worker seals on its schedule; wait (bounded) until nothing is pending.
    let head = { unsealedEvents: '1', height: 0 };
    for (let attempt = 0; attempt < 100 && head.unsealedEvents !== '0'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      head = (await request(app).get('/v1/ledger/head').set('authorization', `Bearer ${payer.key}`))
        .body;
    }
    expect(head.unsealedEvents).toBe('0');
    expect(head.height).toBeGreaterThanOrEqual(Math.ceil(324 / 64)); // 4 setup events + 320 claims

    for (const eventId of eventIds) {
      const response = await request(app)
        .get(`/v1/ledger/events/${eventId}/proof`)
        .set('authorization', `Bearer ${payer.key}`);
      expect(response.status).toBe(200);
      expect(verifyEventProof(JSON.parse(JSON.stringify(response.body)))).toEqual({ ok: true });
    }
    expect(await verifyChain(environment.database.pool)).toMatchObject({
      ok: true,
      unsealedEvents: 0,
    });
  });

  it('lists blocks by page and serves one block by height', async () => {
    const first = await request(app)
      .get('/v1/ledger/blocks?limit=2')
      .set('authorization', `Bearer ${provider.key}`);
    expect(first.status).toBe(200);
    expect(
      first.body.blocks.map((block: { header: { height: number } }) => block.header.height),
    ).toEqual([1, 2]);
    expect(first.body.nextAfterHeight).toBe(2);
    const next = await request(app)
      .get('/v1/ledger/blocks?limit=2&afterHeight=2')
      .set('authorization', `Bearer ${provider.key}`);
    expect(next.body.blocks[0].header.prevHash).toBe(first.body.blocks[1].hash);
    const one = await request(app)
      .get('/v1/ledger/blocks/2')
      .set('authorization', `Bearer ${provider.key}`);
    expect(one.body).toEqual(first.body.blocks[1]);
    const missing = await request(app)
      .get('/v1/ledger/blocks/99999')
      .set('authorization', `Bearer ${provider.key}`);
    expect(missing.status).toBe(404);
    const bad = await request(app)
      .get('/v1/ledger/blocks/abc')
      .set('authorization', `Bearer ${provider.key}`);
    expect(bad.status).toBe(422);
  });

  it("answers 404 for another organization's event proof", async () => {
    const stranger = await createActor(environment, 'provider', 'provider_biller');
    const response = await request(app)
      .get(`/v1/ledger/events/${eventIds[0]}/proof`)
      .set('authorization', `Bearer ${stranger.key}`);
    expect(response.status).toBe(404);
  });

  it('rejects UPDATE, DELETE and TRUNCATE of events and blocks', async () => {
    const pool = environment.database.pool;
    await expect(pool.query("UPDATE ledger_events SET type = 'X' WHERE seq = 1")).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('DELETE FROM ledger_events WHERE seq = 1')).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('TRUNCATE ledger_events')).rejects.toThrow(/append-only/);
    await expect(
      pool.query('UPDATE ledger_blocks SET event_count = 1 WHERE height = 1'),
    ).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM ledger_blocks')).rejects.toThrow(/append-only/);
  });

  /** Rewrites a claim event's charge in the jsonb column only, leaving the hashed text as it was. */
  const CHANGE_JSON_ALONE = `UPDATE ledger_events
      SET payload = jsonb_set(payload, '{totalChargeAmount}',
                              to_jsonb(replace(payload->>'totalChargeAmount', '173.50', '173.51')))
    WHERE id = $1`;

  /** As an attacker with database access would; where the tampered event sits. */
  async function tamper(sql: string, eventId: string): Promise<{ seq: string; height: number }> {
    const { rows } = await environment.database.pool.query<{ seq: string; height: number }>(
      `SELECT e.seq, b.height FROM ledger_events e
         JOIN ledger_blocks b ON e.seq BETWEEN b.first_seq AND b.last_seq WHERE e.id = $1`,
      [eventId],
    );
    await tamperAsAttacker(environment.databaseUrl, sql, [eventId]);
    return rows[0]!;
  }

  /** The claims' submission events in ledger order. */
  async function eventIdsBySeq(): Promise<string[]> {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id FROM ledger_events WHERE id = ANY($1::uuid[]) ORDER BY seq',
      [eventIds],
    );
    return rows.map((row) => row.id);
  }

  // Each test tampers an earlier event than the one before, so verify names the new one.
  it('verify names the event and block when one byte of the hashed payload text is changed', async () => {
    const target = (await eventIdsBySeq())[137]!;
    const place = await tamper(
      `UPDATE ledger_events SET payload_canonical = replace(payload_canonical, '173.50', '173.51')
        WHERE id = $1`,
      target,
    );
    const report = await verifyChain(environment.database.pool);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({
      height: place.height,
      eventSeq: place.seq,
      eventId: target,
      reason: 'payload does not match its payloadHash',
    });
  });

  it('verify re-serializes an event stored before its canonical text was kept, and names a change', async () => {
    const ordered = await eventIdsBySeq();
    const target = ordered[120]!;
    // An event from before the column: no canonical text, its jsonb kept as it was.
    await tamper(
      'UPDATE ledger_events SET payload_canonical = NULL, payload_legacy = payload WHERE id = $1',
      target,
    );
    const untouched = await verifyChain(environment.database.pool);
    expect(untouched.failure?.eventId).toBe(ordered[137]);
    const place = await tamper(
      `UPDATE ledger_events
          SET payload_legacy = jsonb_set(payload_legacy, '{totalChargeAmount}',
                                         to_jsonb(replace(payload_legacy->>'totalChargeAmount', '173.50', '173.51')))
        WHERE id = $1`,
      target,
    );
    const report = await verifyChain(environment.database.pool);
    expect(report.failure).toMatchObject({
      height: place.height,
      eventSeq: place.seq,
      eventId: target,
      reason: 'payload does not match its payloadHash',
    });
  });

  it('verify names the event and block when the payload JSON alone is changed', async () => {
    const target = (await eventIdsBySeq())[100]!;
    // PostgreSQL generates the JSON from the hashed text and refuses any other value, until
    // the attacker drops the expression; then verify compares each event's JSON again.
    await expect(tamper(CHANGE_JSON_ALONE, target)).rejects.toThrow(
      /can only be updated to DEFAULT/,
    );
    await tamperAsAttacker(environment.databaseUrl, MAKE_PAYLOAD_JSON_WRITABLE);
    const place = await tamper(CHANGE_JSON_ALONE, target);
    const report = await verifyChain(environment.database.pool);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({
      height: place.height,
      eventSeq: place.seq,
      eventId: target,
      reason: 'payload JSON no longer matches the canonical text that was hashed',
    });
  });

  it('verify reports hashed text that is no longer JSON, inside a read-only transaction too', async () => {
    const target = (await eventIdsBySeq())[20]!;
    const place = await tamper(
      "UPDATE ledger_events SET payload_canonical = '{not json' WHERE id = $1",
      target,
    );
    const expected = {
      height: place.height,
      eventSeq: place.seq,
      eventId: target,
      reason: 'payload does not match its payloadHash',
    };
    expect((await verifyChain(environment.database.pool)).failure).toMatchObject(expected);
    const report = await inTransaction(
      environment.database.pool,
      (client) => verifyChain(client),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    expect(report.failure).toMatchObject(expected);
  });
});
