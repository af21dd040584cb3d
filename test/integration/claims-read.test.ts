// GET /v1/claims and /v1/claims/:id: lists scoped to the caller's organization, filtered
// by status and submission time, paged by cursor without repeats or gaps; bad parameters
// are a 422 naming the parameter.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/domain/organizations.js';
import { bearer, expectProblem, fieldsOf, postBatch, postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let app: Express;
let payerA: Actor;
let payerB: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  payerA = await createActor(environment, 'payer', 'payer_adjudicator');
  payerB = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment.close();
});

interface ListedClaim {
  id: string;
  status: string;
  providerId: string;
  payerId: string;
  patientControlNumber: string;
  submittedAt: string;
}
interface ClaimPage {
  claims: ListedClaim[];
  nextCursor: string | null;
}

async function list(actor: Actor, query: Record<string, string | number> = {}): Promise<ClaimPage> {
  const response = await request(app).get('/v1/claims').query(query).set(bearer(actor.key));
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as ClaimPage;
}

async function submitOne(actor: Actor, payer: Actor): Promise<ListedClaim> {
  const response = await postClaim(app, actor.key, validClaim(payer.organization.id));
  expect(response.status).toBe(201);
  return response.body as ListedClaim;
}

async function submitBatch(actor: Actor, payer: Actor, count: number): Promise<string[]> {
  const claims = Array.from({ length: count }, () => validClaim(payer.organization.id));
  const response = await postBatch(app, actor.key, claims);
  expect(response.status).toBe(200);
  return (response.body as { results: { claimId: string }[] }).results.map(
    (result) => result.claimId,
  );
}

/** Every page of the list, following nextCursor; bounded so a cursor loop fails the test. */
async function allPages(actor: Actor, query: Record<string, string | number>) {
  const pages: ClaimPage[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(actor, cursor ? { ...query, cursor } : query);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 20);
  return pages;
}

const ids = (page: ClaimPage) => page.claims.map((claim) => claim.id);

describe('the list is scoped to the caller', () => {
  let providerOne: Actor;
  let providerTwo: Actor;
  const claimsOf: Record<string, string[]> = {};

  beforeAll(async () => {
    providerOne = await createActor(environment, 'provider', 'provider_biller');
    providerTwo = await createActor(environment, 'provider', 'provider_biller');
    const oneToA = await submitBatch(providerOne, payerA, 3);
    const oneToB = [(await submitOne(providerOne, payerB)).id];
    const twoToA = [(await submitOne(providerTwo, payerA)).id];
    claimsOf.providerOne = [...oneToA, ...oneToB];
    claimsOf.providerTwo = twoToA;
    claimsOf.payerA = [...oneToA, ...twoToA];
  });

  it('a provider sees exactly the claims it submitted', async () => {
    expect(ids(await list(providerOne)).sort()).toEqual([...claimsOf.providerOne!].sort());
    expect(ids(await list(providerTwo)).sort()).toEqual([...claimsOf.providerTwo!].sort());
  });

  it('a payer sees exactly the claims addressed to it, from every provider', async () => {
    const listed = (await list(payerA)).claims.filter((claim) =>
      [providerOne.organization.id, providerTwo.organization.id].includes(claim.providerId),
    );
    expect(listed.map((claim) => claim.id).sort()).toEqual([...claimsOf.payerA!].sort());
    const ofPayerB = await list(payerB);
    expect(ofPayerB.claims.every((claim) => claim.payerId === payerB.organization.id)).toBe(true);
    expect(ids(ofPayerB)).toContain(claimsOf.providerOne![3]);
  });

  it('any key of the organization sees the same claims, whatever its role', async () => {
    const finance = await issueApiKey(environment.database, {
      orgId: providerOne.organization.id,
      role: 'finance',
    });
    const asFinance = { ...providerOne, key: finance.key, keyId: finance.id };
    expect(await list(asFinance)).toEqual(await list(providerOne));
  });

  it('lists no member data', async () => {
    for (const claim of (await list(providerOne)).claims) {
      expect(Object.keys(claim)).not.toContain('member');
      expect(JSON.stringify(claim)).not.toContain('Doe');
    }
  });

  it('is refused to an organization that is neither provider nor payer', async () => {
    const operator = await createActor(environment, 'operator', 'auditor');
    const response = await request(app).get('/v1/claims').set(bearer(operator.key));
    expectProblem(response, 403);
  });
});

describe('the list filtered', () => {
  let provider: Actor;
  let first: ListedClaim;
  let second: ListedClaim;
  let third: ListedClaim;

  beforeAll(async () => {
    provider = await createActor(environment, 'provider', 'provider_biller');
    first = await submitOne(provider, payerA);
    second = await submitOne(provider, payerA);
    third = await submitOne(provider, payerA);
    // Sequential requests, so each claim has its own submission instant.
    expect(Date.parse(first.submittedAt)).toBeLessThan(Date.parse(second.submittedAt));
    expect(Date.parse(second.submittedAt)).toBeLessThan(Date.parse(third.submittedAt));
  });

  it('by status', async () => {
    // Adjudication does not exist yet; a decided claim is made by hand.
    await environment.database.pool.query("UPDATE claims SET status = 'denied' WHERE id = $1", [
      second.id,
    ]);
    expect(ids(await list(provider, { status: 'denied' }))).toEqual([second.id]);
    expect(ids(await list(provider, { status: 'submitted' }))).toEqual([third.id, first.id]);
    expect(ids(await list(provider, { status: 'paid' }))).toEqual([]);
    expect(ids(await list(provider))).toEqual([third.id, second.id, first.id]);
  });

  it('by patient control number, alone and with a status', async () => {
    const { patientControlNumber } = third;
    expect(ids(await list(provider, { patientControlNumber }))).toEqual([third.id]);
    expect(ids(await list(provider, { patientControlNumber, status: 'submitted' }))).toEqual([
      third.id,
    ]);
    expect(ids(await list(provider, { patientControlNumber, status: 'paid' }))).toEqual([]);
    expect(ids(await list(provider, { patientControlNumber: 'PCN-NOT-SENT' }))).toEqual([]);
  });

  it('by submittedFrom (inclusive)', async () => {
    const page = await list(provider, { submittedFrom: second.submittedAt });
    expect(ids(page)).toEqual([third.id, second.id]);
  });

  it('by submittedTo (exclusive)', async () => {
    expect(ids(await list(provider, { submittedTo: second.submittedAt }))).toEqual([first.id]);
  });

  it('by both, and with the instants written in another time zone', async () => {
    // The instant of the first claim, as a clock three hours ahead of UTC shows it.
    const from = new Date(Date.parse(first.submittedAt) + 3 * 3_600_000)
      .toISOString()
      .replace('Z', '+03:00');
    const page = await list(provider, { submittedFrom: from, submittedTo: third.submittedAt });
    expect(ids(page)).toEqual([second.id, first.id]);
  });

  it('by calendar dates', async () => {
    const today = first.submittedAt.slice(0, 10);
    expect(ids(await list(provider, { submittedFrom: today }))).toHaveLength(3);
    const past = await list(provider, { submittedFrom: '2020-01-01', submittedTo: '2020-01-02' });
    expect(past.claims).toEqual([]);
  });
});

describe('the list paged', () => {
  let provider: Actor;
  let everyId: string[];

  beforeAll(async () => {
    provider = await createActor(environment, 'provider', 'provider_biller');
    // Four claims share one submission instant (one batch), so the id breaks the tie.
    await submitBatch(provider, payerA, 4);
    for (let index = 0; index < 3; index++) await submitOne(provider, payerA);
    const whole = await list(provider, { limit: 200 });
    expect(whole.nextCursor).toBeNull();
    everyId = ids(whole);
    expect(everyId).toHaveLength(7);
  });

  it('is newest first, ties broken by id', async () => {
    const { claims } = await list(provider);
    const keys = claims.map((claim) => [claim.submittedAt, claim.id].join(' '));
    expect(keys).toEqual([...keys].sort().reverse());
  });

  it('by 3 gives 3, 3 and 1 claims, without repeats or gaps', async () => {
    const pages = await allPages(provider, { limit: 3 });
    expect(pages.map((page) => page.claims.length)).toEqual([3, 3, 1]);
    expect(pages.map((page) => page.nextCursor === null)).toEqual([false, false, true]);
    expect(pages.flatMap(ids)).toEqual(everyId);
  });

  it.each([1, 2, 4, 6, 7])('by %i covers every claim exactly once', async (limit) => {
    const pages = await allPages(provider, { limit });
    expect(pages.flatMap(ids)).toEqual(everyId);
    expect(pages[pages.length - 1]!.nextCursor).toBeNull();
  });

  it('is not disturbed by a claim submitted between two pages', async () => {
    const firstPage = await list(provider, { limit: 3 });
    const newcomer = await submitOne(provider, payerA);
    const rest = await allPages(provider, { limit: 3, cursor: firstPage.nextCursor! });
    const seen = [...ids(firstPage), ...rest.flatMap(ids)];
    expect(seen).toEqual(everyId);
    expect(seen).not.toContain(newcomer.id);
    expect(ids(await list(provider, { limit: 1 }))).toEqual([newcomer.id]);
  });

  it('keeps the filter from page to page', async () => {
    const [denied] = everyId.slice(2, 3);
    await environment.database.pool.query("UPDATE claims SET status = 'denied' WHERE id = $1", [
      denied,
    ]);
    const pages = await allPages(provider, { limit: 2, status: 'submitted' });
    const seen = pages.flatMap(ids);
    expect(seen).toHaveLength(7); // the 6 left of the first 7, and the newcomer of the test above
    expect(seen).not.toContain(denied);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('bad parameters', () => {
  let provider: Actor;

  beforeAll(async () => {
    provider = await createActor(environment, 'provider', 'provider_biller');
  });

  const forged = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['status', 'approved'],
    ['status', 'SUBMITTED'],
    ['limit', '0'],
    ['limit', '201'],
    ['limit', '2.5'],
    ['limit', 'ten'],
    ['submittedFrom', 'yesterday'],
    ['submittedFrom', '2026-13-01'],
    ['submittedTo', '1700000000000'],
    ['submittedTo', '2026-11-02T10:00:00'],
    ['cursor', 'c'.repeat(501)],
    ['cursor', 'not a cursor'],
    ['cursor', forged({ submittedAt: 'soon', id: 'me' })],
    ['cursor', forged({ submittedAt: new Date().toISOString(), id: 'not-a-uuid' })],
    ['cursor', forged(['2026-11-02T10:00:00.000Z', randomUUID()])],
    ['payerId', randomUUID()],
  ])('%s=%s is a 422 naming the parameter', async (parameter, value) => {
    const response = await request(app)
      .get('/v1/claims')
      .query({ [parameter]: value })
      .set(bearer(provider.key));
    expect(fieldsOf(response)).toEqual([parameter]);
  });

  it('a repeated parameter is a 422 naming it', async () => {
    const response = await request(app)
      .get('/v1/claims?status=submitted&status=paid')
      .set(bearer(provider.key));
    expect(fieldsOf(response)).toEqual(['status']);
  });

  it('a claim id that is not a UUID is a 422', async () => {
    const response = await request(app).get('/v1/claims/not-a-uuid').set(bearer(provider.key));
    expect(fieldsOf(response)).toEqual(['id']);
  });
});
