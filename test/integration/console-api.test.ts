// The API routes the console reads beyond the rest of /v1: the claim search by patient control
// number, the chart aggregates (GET /v1/stats/claims), a block's events as its parties see them,
// and the console's files at / (503 with the way out while unbuilt). Real PostgreSQL.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAssets } from '../../src/api/console.js';
import { sealPending } from '../../src/ledger/seal.js';
import { bearer, expectProblem, postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, keyOf, paidClaim, type Parties } from '../support/settlement.js';

let environment: TestEnvironment;
let app: Express;
let parties: Parties;
let otherProvider: { key: string; id: string };
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
  const other = await createActor(environment, 'provider', 'provider_biller', 'Other Clinic');
  otherProvider = { key: other.key, id: other.organization.id };
  // Two paid claims (92.00 each) and one denied (an unknown member) from the first provider,
  // one paid claim from the other.
  await paidClaim(environment, app, parties);
  await paidClaim(environment, app, parties);
  await paidClaim(environment, app, parties, 'M-UNKNOWN');
  await paidClaim(environment, app, { payerId: parties.payerId, biller: otherProvider.key });
});

afterAll(async () => {
  await environment.close();
});

describe('GET /v1/claims?patientControlNumber=', () => {
  it('finds the caller’s claim by its exact patient control number', async () => {
    const claim = validClaim(parties.payerId, { patientControlNumber: 'ACCT 1001' });
    expect((await postClaim(app, parties.biller, claim)).status).toBe(201);
    const found = await request(app)
      .get('/v1/claims')
      .query({ patientControlNumber: 'ACCT 1001' })
      .set(bearer(parties.biller));
    expect(found.status).toBe(200);
    expect(
      found.body.claims.map((c: { patientControlNumber: string }) => c.patientControlNumber),
    ).toEqual(['ACCT 1001']);
    const otherSees = await request(app)
      .get('/v1/claims')
      .query({ patientControlNumber: 'ACCT 1001' })
      .set(bearer(otherProvider.key));
    expect(otherSees.body.claims).toEqual([]);
    const refused = await request(app)
      .get('/v1/claims')
      .query({ patientControlNumber: 'A*B' })
      .set(bearer(parties.biller));
    expect(expectProblem(refused, 422).errors![0]!.field).toBe('patientControlNumber');
  });
});

describe('GET /v1/stats/claims', () => {
  it('counts the payer’s claims per day by status, paid by provider and denials by CARC', async () => {
    const response = await request(app)
      .get('/v1/stats/claims')
      .set(bearer(parties.payerAdjudicator));
    expect(response.status, response.text).toBe(200);
    const { perDay, paidByProvider, denialReasons, from, to } = response.body;
    expect(to).toBe(today);
    expect(Date.parse(to) - Date.parse(from)).toBe(29 * 86_400_000);
    const submittedToday = perDay.filter((row: { day: string }) => row.day === today);
    expect(submittedToday).toEqual(
      expect.arrayContaining([
        { day: today, status: 'paid', claimCount: 3 },
        { day: today, status: 'denied', claimCount: 1 },
      ]),
    );
    // 92.00 per paid claim: two from the first provider, one from the other; the denial pays 0.00.
    expect(paidByProvider).toEqual([
      { providerId: parties.providerId, providerName: expect.any(String), paidAmount: '184.00' },
      { providerId: otherProvider.id, providerName: 'Other Clinic', paidAmount: '92.00' },
    ]);
    // The unknown member's two lines, 125.00 and 48.50, each denied as not covered.
    expect(denialReasons).toEqual([
      { group: 'CO', reasonCode: '31', lineCount: 2, amount: '173.50' },
    ]);
  });

  it('shows a provider its own claims only', async () => {
    const response = await request(app).get('/v1/stats/claims').set(bearer(otherProvider.key));
    expect(response.body.paidByProvider).toEqual([
      { providerId: otherProvider.id, providerName: 'Other Clinic', paidAmount: '92.00' },
    ]);
    expect(response.body.denialReasons).toEqual([]);
  });

  it('pays nothing for a voided or replaced claim, and still counts why a reversed claim was denied', async () => {
    const reversing = await createParties(environment);
    const kept = await paidClaim(environment, app, reversing);
    const voided = await paidClaim(environment, app, reversing);
    const denied = await paidClaim(environment, app, reversing, 'M-UNKNOWN');
    await paidClaim(environment, app, reversing, 'M-PAID', {
      frequencyCode: '8',
      originalClaimId: voided.id,
    });
    await paidClaim(environment, app, reversing, 'M-UNKNOWN', {
      frequencyCode: '8',
      originalClaimId: denied.id,
    });
    expect(kept.status).toBe('paid');
    const response = await request(app)
      .get('/v1/stats/claims')
      .set(bearer(reversing.payerAdjudicator));
    expect(response.status, response.text).toBe(200);
    // 92.00 of the kept claim; the voided one paid 92.00 that the provider now owes back.
    expect(response.body.paidByProvider).toEqual([
      { providerId: reversing.providerId, providerName: expect.any(String), paidAmount: '92.00' },
    ]);
    expect(response.body.denialReasons).toEqual([
      { group: 'CO', reasonCode: '31', lineCount: 2, amount: '173.50' },
    ]);
  });

  it('refuses a window out of order or longer than 92 days, and organizations without claims', async () => {
    const call = (query: object, key = parties.payerAdjudicator) =>
      request(app).get('/v1/stats/claims').query(query).set(bearer(key));
    expect(expectProblem(await call({ from: '2026-03-02', to: '2026-03-01' }), 422).errors).toEqual(
      [{ field: 'from', message: 'must not be after to' }],
    );
    expect(expectProblem(await call({ from: '2026-01-01', to: '2026-04-03' }), 422).errors).toEqual(
      [{ field: 'from', message: 'the window must be at most 92 days' }],
    );
    // 2026-01-01 to 2026-04-02 inclusive: 31 + 28 + 31 + 2 = 92 days, the longest window.
    expect((await call({ from: '2026-01-01', to: '2026-04-02' })).status).toBe(200);
    expect(expectProblem(await call({ from: '2026-02-30' }), 422).errors![0]!.field).toBe('from');
    const operator = await createActor(environment, 'operator', 'auditor');
    expectProblem(await call({}, operator.key), 403);
  });
});

describe('GET /v1/ledger/blocks/:height/events', () => {
  it('lists the block’s events its parties see, a page at a time', async () => {
    await sealPending(environment.database.pool, 10_000);
    const operator = await createActor(environment, 'operator', 'auditor');
    const all = await request(app).get('/v1/ledger/blocks/1/events').set(bearer(operator.key));
    expect(all.status, all.text).toBe(200);
    const eventCount = all.body.block.header.eventCount as number;
    expect(all.body.events).toHaveLength(eventCount);
    expect(Object.keys(all.body.events[0]).sort()).toEqual(
      ['v', 'seq', 'id', 'type', 'aggregateId', 'actorOrgId', 'createdAt', 'payloadHash'].sort(),
    );

    const mine = await request(app)
      .get('/v1/ledger/blocks/1/events')
      .set(bearer(otherProvider.key));
    const types = mine.body.events.map((event: { type: string }) => event.type);
    // The other provider is party to its registration, its key, and its one claim.
    expect(types).toEqual([
      'OrganizationRegistered',
      'ApiKeyIssued',
      'ClaimSubmitted',
      'ClaimAdjudicated',
    ]);

    const first = await request(app)
      .get('/v1/ledger/blocks/1/events')
      .query({ limit: '2' })
      .set(bearer(operator.key));
    expect(first.body.events).toHaveLength(2);
    const next = await request(app)
      .get('/v1/ledger/blocks/1/events')
      .query({ limit: '2', afterSeq: first.body.nextAfterSeq })
      .set(bearer(operator.key));
    expect(next.body.events[0].seq).toBe(all.body.events[2].seq);

    expectProblem(
      await request(app).get('/v1/ledger/blocks/99/events').set(bearer(operator.key)),
      404,
    );
    const badSeq = await request(app)
      .get('/v1/ledger/blocks/1/events')
      .query({ afterSeq: '1e3' })
      .set(bearer(operator.key));
    expect(expectProblem(badSeq, 422).errors![0]!.field).toBe('afterSeq');
    const key = await keyOf(environment, parties.payerId, 'auditor');
    expect((await request(app).get('/v1/ledger/blocks/1/events').set(bearer(key))).status).toBe(
      200,
    );
  });
});

describe('the console at /', () => {
  it('answers 503 with the build command while unbuilt, then serves the files', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cc-console-'));
    try {
      const site = express().use(consoleAssets(directory));
      const unbuilt = await request(site).get('/');
      expect(unbuilt.status).toBe(503);
      expect(unbuilt.text).toContain('npm run build:console');
      await writeFile(join(directory, 'index.html'), '<!doctype html><title>console</title>');
      const built = await request(site).get('/');
      expect(built.status).toBe(200);
      expect(built.text).toContain('<title>console</title>');
      expect(built.headers['content-security-policy']).toContain("default-src 'self'");
      // API paths are never answered by the console.
      expect((await request(site).get('/v1/anything')).status).toBe(404);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
