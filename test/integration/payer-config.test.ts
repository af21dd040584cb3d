// Payer configuration API (/v1/payer/...): payer roles only, scoped to the caller's
// organization; every change bumps the row's version and appends exactly one PHI-free ledger
// event in the same transaction; bad input is a 422 naming each field and writes nothing.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request, { type Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/domain/organizations.js';
import { bearer, expectProblem, fieldsOf, postClaim } from '../support/api.js';
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
let payer: Actor;
let payerAdmin: Actor;
let otherPayer: Actor;
let provider: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const adminKey = await issueApiKey(environment.database, {
    orgId: payer.organization.id,
    role: 'admin',
  });
  payerAdmin = { organization: payer.organization, key: adminKey.key, keyId: adminKey.id };
  otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
  provider = await createActor(environment, 'provider', 'provider_biller');
});

afterAll(async () => {
  await environment.close();
});

type Method = 'get' | 'post' | 'put';

function call(actor: Actor, method: Method, path: string, body?: unknown): Test {
  const pending = request(app)[method](path).set(bearer(actor.key));
  return body === undefined ? pending : pending.send(body as object);
}

async function ok(actor: Actor, method: Method, path: string, body: unknown, status = 200) {
  const response = await call(actor, method, path, body);
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  // Untyped JSON on purpose, as eslint.config.js allows in tests: the assertions check it.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return
  return response.body;
}

interface EventRow {
  type: string;
  aggregate_id: string;
  actor_org_id: string;
  payload: Record<string, unknown>;
  party_org_ids: string[];
}

async function events(type?: string): Promise<EventRow[]> {
  const { rows } = await environment.database.pool.query<EventRow>(
    `SELECT type, aggregate_id, actor_org_id, payload, party_org_ids FROM ledger_events
      WHERE ($1::text IS NULL OR type = $1) ORDER BY seq`,
    [type ?? null],
  );
  return rows;
}

/** Rows of every configuration table and the ledger: a rejected request changes none. */
async function rowCounts() {
  const { rows } = await environment.database.pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM plans) AS plans, (SELECT count(*) FROM members) AS members,
            (SELECT count(*) FROM coverages) AS coverages,
            (SELECT count(*) FROM fee_schedule_entries) AS fee_schedule,
            (SELECT count(*) FROM prior_authorizations) AS prior_authorizations,
            (SELECT count(*) FROM payer_rules) AS payer_rules,
            (SELECT coalesce(sum(version), 0) FROM plans) AS plan_versions,
            (SELECT coalesce(sum(version), 0) FROM coverages) AS coverage_versions,
            (SELECT coalesce(sum(version), 0) FROM fee_schedule_entries) AS fee_versions,
            (SELECT count(*) FROM ledger_events) AS events`,
  );
  return rows[0];
}

/** Sends a request that must fail with `status`, and checks that nothing was written. */
async function refused(actor: Actor, method: Method, path: string, body: unknown, status = 422) {
  const before = await rowCounts();
  const response = await call(actor, method, path, body);
  expectProblem(response, status);
  expect(await rowCounts()).toEqual(before);
  return response;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const goldPlan = {
  code: 'GOLD-2027',
  name: 'Gold PPO 2027',
  deductibleAmount: '500',
  outOfPocketMaxAmount: '3000.00',
  copayAmount: '25.5',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
};

let planCounter = 0;
async function createPlan(actor = payer, overrides: Record<string, unknown> = {}) {
  planCounter += 1;
  return (await ok(
    actor,
    'post',
    '/v1/payer/plans',
    { ...goldPlan, code: `PLAN-${planCounter}`, ...overrides },
    201,
  )) as { id: string; version: number };
}

let memberCounter = 0;
async function enroll(actor = payer, overrides: Record<string, unknown> = {}) {
  memberCounter += 1;
  return (await ok(
    actor,
    'post',
    '/v1/payer/members',
    {
      memberId: `M${String(memberCounter).padStart(6, '0')}`,
      firstName: 'Ada',
      lastName: 'Quintero',
      birthDate: '1975-06-30',
      gender: 'F',
      ...overrides,
    },
    201,
  )) as { id: string; memberId: string };
}

describe('who may configure', () => {
  const routes: [Method, string, unknown?][] = [
    ['get', '/v1/payer/rules'],
    ['put', '/v1/payer/rules', { timelyFilingDays: 90 }],
    ['get', '/v1/payer/plans'],
    ['post', '/v1/payer/plans', goldPlan],
    ['get', `/v1/payer/plans/${randomUUID()}`],
    ['put', `/v1/payer/plans/${randomUUID()}`, goldPlan],
    ['post', '/v1/payer/members', { memberId: 'X1' }],
    ['get', `/v1/payer/members/${randomUUID()}`],
    ['post', `/v1/payer/members/${randomUUID()}/coverages`, {}],
    ['get', `/v1/payer/members/${randomUUID()}/coverages`],
    ['put', `/v1/payer/coverages/${randomUUID()}`, {}],
    ['put', '/v1/payer/fee-schedule/entries', { entries: [] }],
    ['post', '/v1/payer/fee-schedule/csv', 'procedure_code'],
    ['get', '/v1/payer/fee-schedule'],
    ['post', '/v1/payer/prior-authorizations', {}],
    ['get', `/v1/payer/members/${randomUUID()}/prior-authorizations`],
  ];

  it.each(routes)('a provider biller gets 403 on %s %s', async (method, path, body) => {
    await refused(provider, method, path, body, 403);
  });

  it('a payer finance key, a provider admin and the operator admin get 403', async () => {
    const payerFinance = await issueApiKey(environment.database, {
      orgId: payer.organization.id,
      role: 'finance',
    });
    const providerAdmin = await createActor(environment, 'provider', 'admin');
    const operatorAdmin = await createActor(environment, 'operator', 'admin');
    for (const actor of [
      { ...payer, key: payerFinance.key },
      providerAdmin,
      operatorAdmin,
      { ...payer, key: (await createActor(environment, 'payer', 'auditor')).key },
    ]) {
      await refused(actor, 'get', '/v1/payer/plans', undefined, 403);
      await refused(actor, 'post', '/v1/payer/plans', goldPlan, 403);
    }
  });

  it('no key is a 401', async () => {
    expectProblem(await request(app).get('/v1/payer/plans'), 401);
  });
});

describe('payer rules', () => {
  const rules = {
    timelyFilingDays: 180,
    autoAdjudicationLimitAmount: '2500',
    pendUnknownCodes: true,
  };

  it('answer 404 until set, then read back exactly; a change is version 2 and one event', async () => {
    expectProblem(await call(otherPayer, 'get', '/v1/payer/rules'), 404);
    const set = await ok(otherPayer, 'put', '/v1/payer/rules', rules);
    expect(set).toEqual({
      timelyFilingDays: 180,
      autoAdjudicationLimitAmount: '2500.00',
      pendUnknownCodes: true,
      anesthesiaConversionFactor: null,
      version: 1,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    expect(await ok(otherPayer, 'get', '/v1/payer/rules', undefined)).toEqual(set);

    const before = (await events('PayerRulesSet')).length;
    // The same rules again change nothing: no version, no event.
    expect(
      await ok(otherPayer, 'put', '/v1/payer/rules', {
        ...rules,
        autoAdjudicationLimitAmount: '2500.00',
      }),
    ).toEqual(set);
    expect((await events('PayerRulesSet')).length).toBe(before);

    const changed = await ok(otherPayer, 'put', '/v1/payer/rules', {
      ...rules,
      pendUnknownCodes: false,
    });
    expect(changed).toMatchObject({ pendUnknownCodes: false, version: 2 });
    const appended = (await events('PayerRulesSet')).slice(before);
    expect(appended).toHaveLength(1);
    expect(appended[0]).toEqual({
      type: 'PayerRulesSet',
      aggregate_id: `payer-rules:${otherPayer.organization.id}`,
      actor_org_id: otherPayer.organization.id,
      payload: {
        payerOrgId: otherPayer.organization.id,
        version: 2,
        timelyFilingDays: 180,
        autoAdjudicationLimitAmount: '2500.00',
        pendUnknownCodes: false,
      },
      party_org_ids: [otherPayer.organization.id],
    });
  });

  it("are the caller's own: the payer's admin sets them, the other payer sees its own", async () => {
    const set = await ok(payerAdmin, 'put', '/v1/payer/rules', { ...rules, timelyFilingDays: 365 });
    expect(set).toMatchObject({ timelyFilingDays: 365, version: 1 });
    expect(await ok(payer, 'get', '/v1/payer/rules', undefined)).toEqual(set);
    expect(await ok(otherPayer, 'get', '/v1/payer/rules', undefined)).toMatchObject({
      timelyFilingDays: 180,
    });
  });

  it.each([
    ['timelyFilingDays', 0],
    ['timelyFilingDays', 3651],
    ['timelyFilingDays', 1.5],
    ['timelyFilingDays', '90'],
    ['autoAdjudicationLimitAmount', 2500],
    ['autoAdjudicationLimitAmount', '25.005'],
    ['autoAdjudicationLimitAmount', '-1.00'],
    ['autoAdjudicationLimitAmount', '1e3'],
    ['pendUnknownCodes', 'yes'],
    ['pendUnknownCodes', undefined],
    ['extra', 1],
  ])('%s = %j is named', async (field, value) => {
    const response = await refused(payer, 'put', '/v1/payer/rules', { ...rules, [field]: value });
    expect(fieldsOf(response)).toEqual([field]);
  });
});

describe('plans', () => {
  it('are created with exact values, listed, read, and replaced as version 2', async () => {
    const before = await events();
    const created = await ok(payer, 'post', '/v1/payer/plans', goldPlan, 201);
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      code: 'GOLD-2027',
      name: 'Gold PPO 2027',
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '3000.00',
      copayAmount: '25.50',
      coinsurancePercent: '20',
      planYearStartMonth: 1,
      familyDeductibleAmount: null,
      familyOutOfPocketMaxAmount: null,
      cobMethod: 'non_duplication',
      version: 1,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    expect(await ok(payer, 'get', `/v1/payer/plans/${created.id}`, undefined)).toEqual(created);
    const listed = await ok(payer, 'get', '/v1/payer/plans', undefined);
    expect(listed.plans).toContainEqual(created);

    const replacement = {
      ...goldPlan,
      name: 'Gold PPO 2027 (amended)',
      coinsurancePercent: '12.3456',
      planYearStartMonth: 7,
    };
    const updated = await ok(payerAdmin, 'put', `/v1/payer/plans/${created.id}`, replacement);
    expect(updated).toEqual({
      ...created,
      name: 'Gold PPO 2027 (amended)',
      coinsurancePercent: '12.3456',
      planYearStartMonth: 7,
      version: 2,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    expect(await ok(payer, 'get', `/v1/payer/plans/${created.id}`, undefined)).toEqual(updated);
    // Unchanged terms: no new version and no event.
    expect(await ok(payer, 'put', `/v1/payer/plans/${created.id}`, replacement)).toEqual(updated);

    const appended = (await events()).slice(before.length);
    expect(appended.map((event) => [event.type, event.aggregate_id])).toEqual([
      ['PlanCreated', created.id],
      ['PlanUpdated', created.id],
    ]);
    expect(appended[1]!.payload).toEqual({
      planId: created.id,
      payerOrgId: payer.organization.id,
      version: 2,
      code: 'GOLD-2027',
      name: 'Gold PPO 2027 (amended)',
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '3000.00',
      copayAmount: '25.50',
      coinsurancePercent: '12.3456',
      planYearStartMonth: 7,
      familyDeductibleAmount: null,
      familyOutOfPocketMaxAmount: null,
      cobMethod: 'non_duplication',
    });
  });

  it('a duplicate code is a 409, on create and on replace; another payer may use it', async () => {
    await createPlan(payer, { code: 'SILVER' });
    await refused(payer, 'post', '/v1/payer/plans', { ...goldPlan, code: 'SILVER' }, 409);
    const bronze = await createPlan(payer, { code: 'BRONZE' });
    await refused(
      payer,
      'put',
      `/v1/payer/plans/${bronze.id}`,
      { ...goldPlan, code: 'SILVER' },
      409,
    );
    await createPlan(otherPayer, { code: 'SILVER' });
  });

  it("another payer's plan answers 404, to read and to replace", async () => {
    const plan = await createPlan(otherPayer);
    await refused(payer, 'get', `/v1/payer/plans/${plan.id}`, undefined, 404);
    await refused(payer, 'put', `/v1/payer/plans/${plan.id}`, goldPlan, 404);
    await refused(payer, 'get', `/v1/payer/plans/${randomUUID()}`, undefined, 404);
    const listed = await ok(payer, 'get', '/v1/payer/plans', undefined);
    expect(listed.plans.map((each: { id: string }) => each.id)).not.toContain(plan.id);
  });

  it.each([
    ['code', 'has space'],
    ['code', ''],
    ['name', '   '],
    ['deductibleAmount', 500],
    ['deductibleAmount', '5.001'],
    ['outOfPocketMaxAmount', '$3000'],
    ['copayAmount', undefined],
    ['coinsurancePercent', 20],
    ['coinsurancePercent', '100.01'],
    ['coinsurancePercent', '12.34567'],
    ['coinsurancePercent', '-5'],
    ['planYearStartMonth', 0],
    ['planYearStartMonth', 13],
    ['planYearStartMonth', '1'],
    ['unknownField', true],
  ])('%s = %j is named', async (field, value) => {
    const response = await refused(payer, 'post', '/v1/payer/plans', {
      ...goldPlan,
      [field]: value,
    });
    expect(fieldsOf(response)).toEqual([field]);
  });

  it('a deductible above the out-of-pocket maximum is named; several bad fields all are', async () => {
    const above = await refused(payer, 'post', '/v1/payer/plans', {
      ...goldPlan,
      deductibleAmount: '3000.01',
    });
    expect(fieldsOf(above)).toEqual(['deductibleAmount']);
    const several = await refused(payer, 'post', '/v1/payer/plans', {
      ...goldPlan,
      code: '',
      copayAmount: 'x',
      coinsurancePercent: '101',
    });
    expect(fieldsOf(several)).toEqual(['code', 'copayAmount', 'coinsurancePercent']);
    const badId = await refused(payer, 'put', '/v1/payer/plans/not-a-uuid', goldPlan);
    expect(fieldsOf(badId)).toEqual(['id']);
  });
});

describe('members', () => {
  const jane = {
    memberId: 'W555000111',
    firstName: 'Janeth',
    lastName: 'Oyelaran',
    birthDate: '1980-02-29',
    gender: 'F',
  };
  let janeId: string;

  it('are enrolled encrypted, read back decrypted, with one PHI-free event', async () => {
    const before = await events();
    const created = await ok(payer, 'post', '/v1/payer/members', jane, 201);
    janeId = created.id;
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      ...jane,
      subscriberMemberId: null,
      relationshipCode: '18',
      createdAt: expect.stringMatching(ISO_TIME),
    });
    expect(await ok(payer, 'get', `/v1/payer/members/${janeId}`, undefined)).toEqual(created);
    expect(await ok(payerAdmin, 'get', `/v1/payer/members/${janeId}`, undefined)).toEqual(created);

    const { rows } = await environment.database.pool.query<Record<string, unknown>>(
      'SELECT * FROM members WHERE id = $1',
      [janeId],
    );
    const stored = JSON.stringify(rows[0]);
    for (const secret of [jane.memberId, jane.firstName, jane.lastName, jane.birthDate]) {
      expect(stored).not.toContain(secret);
    }
    const appended = (await events()).slice(before.length);
    expect(appended).toEqual([
      {
        type: 'MemberEnrolled',
        aggregate_id: janeId,
        actor_org_id: payer.organization.id,
        payload: {
          memberRowId: janeId,
          payerOrgId: payer.organization.id,
          subscriberMemberRowId: null,
          relationshipCode: '18',
        },
        party_org_ids: [payer.organization.id],
      },
    ]);
  });

  it('match claims by the same blind index of the member id', async () => {
    const claim = await postClaim(
      app,
      provider.key,
      validClaim(payer.organization.id, { member: jane }),
    );
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    const { rows } = await environment.database.pool.query<{ member: string; claim: string }>(
      `SELECT (SELECT member_id_index FROM members WHERE id = $1) AS member,
              (SELECT member_id_index FROM claims WHERE id = $2) AS claim`,
      [janeId, (claim.body as { id: string }).id],
    );
    expect(rows[0]!.member).toBe(rows[0]!.claim);
  });

  it('the same memberId twice for one payer is a 409 naming the row; another payer may enroll it', async () => {
    const response = await refused(
      payer,
      'post',
      '/v1/payer/members',
      { ...jane, firstName: 'Other' },
      409,
    );
    expect(expectProblem(response, 409).detail).toContain(janeId);
    await ok(otherPayer, 'post', '/v1/payer/members', jane, 201);
  });

  it('two concurrent enrollments of one member: one 201, one 409', async () => {
    const body = { ...jane, memberId: 'RACE-0001' };
    const statuses = await Promise.all([
      call(payer, 'post', '/v1/payer/members', body),
      call(payer, 'post', '/v1/payer/members', body),
    ]);
    expect(statuses.map((response) => response.status).sort()).toEqual([201, 409]);
    const [winner, loser] = statuses[0].status === 201 ? statuses : [statuses[1], statuses[0]];
    expect(expectProblem(loser, 409).detail).toContain(winner.body.id);
    const enrolled = await environment.database.pool.query<{ members: string; events: string }>(
      `SELECT (SELECT count(*) FROM members WHERE payer_org_id = $1) AS members,
              (SELECT count(*) FROM ledger_events
                WHERE type = 'MemberEnrolled' AND actor_org_id = $1) AS events`,
      [payer.organization.id],
    );
    expect(enrolled.rows[0]!.events).toBe(enrolled.rows[0]!.members);
  });

  it("another payer's member answers 404", async () => {
    await refused(otherPayer, 'get', `/v1/payer/members/${janeId}`, undefined, 404);
    await refused(payer, 'get', `/v1/payer/members/${randomUUID()}`, undefined, 404);
  });

  it.each([
    ['memberId', 'W'],
    ['memberId', 'W 123'],
    ['memberId', 12345],
    ['firstName', ''],
    ['lastName', undefined],
    ['birthDate', '1980-02-30'],
    ['birthDate', '2999-01-01'],
    ['gender', 'X'],
    ['ssn', '123-45-6789'],
  ])('%s = %j is named', async (field, value) => {
    const response = await refused(payer, 'post', '/v1/payer/members', {
      ...jane,
      memberId: 'NEW-1',
      [field]: value,
    });
    expect(fieldsOf(response)).toEqual([field]);
  });
});

describe('coverages', () => {
  it('are set, listed, ended as version 2, one CoverageSet event per change', async () => {
    const plan = await createPlan();
    const member = await enroll();
    const before = await events();
    const path = `/v1/payer/members/${member.id}/coverages`;
    const first = await ok(
      payer,
      'post',
      path,
      { planId: plan.id, effectiveFrom: '2026-01-01', effectiveTo: null },
      201,
    );
    expect(first).toEqual({
      id: expect.stringMatching(UUID),
      memberId: member.id,
      planId: plan.id,
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
      version: 1,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    const ended = await ok(payer, 'put', `/v1/payer/coverages/${first.id}`, {
      planId: plan.id,
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-12-31',
    });
    expect(ended).toEqual({
      ...first,
      effectiveTo: '2026-12-31',
      version: 2,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    // The next day starts the next coverage: touching is not overlapping.
    const second = await ok(
      payer,
      'post',
      path,
      { planId: plan.id, effectiveFrom: '2027-01-01', effectiveTo: null },
      201,
    );
    expect(await ok(payer, 'get', path, undefined)).toEqual({ coverages: [ended, second] });

    const appended = (await events()).slice(before.length);
    expect(
      appended.map((event) => [event.type, event.aggregate_id, event.payload.version]),
    ).toEqual([
      ['CoverageSet', first.id, 1],
      ['CoverageSet', first.id, 2],
      ['CoverageSet', second.id, 1],
    ]);
    expect(appended[1]!.payload).toEqual({
      coverageId: first.id,
      payerOrgId: payer.organization.id,
      memberRowId: member.id,
      planId: plan.id,
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-12-31',
      version: 2,
    });
  });

  it('an overlap is a 409 naming the coverage it overlaps, on create and on change', async () => {
    const plan = await createPlan();
    const member = await enroll();
    const path = `/v1/payer/members/${member.id}/coverages`;
    const year2026 = await ok(
      payer,
      'post',
      path,
      { planId: plan.id, effectiveFrom: '2026-01-01', effectiveTo: '2026-12-31' },
      201,
    );
    const open2027 = await ok(
      payer,
      'post',
      path,
      { planId: plan.id, effectiveFrom: '2027-01-01', effectiveTo: null },
      201,
    );
    for (const [body, overlapped] of [
      [{ effectiveFrom: '2026-12-31', effectiveTo: '2026-12-31' }, year2026.id],
      [{ effectiveFrom: '2025-01-01', effectiveTo: null }, year2026.id],
      [{ effectiveFrom: '2030-05-01', effectiveTo: '2030-05-02' }, open2027.id],
      [{ effectiveFrom: '2025-06-01', effectiveTo: '2026-01-01' }, year2026.id],
    ] as const) {
      const response = await refused(payer, 'post', path, { planId: plan.id, ...body }, 409);
      expect(expectProblem(response, 409).detail).toContain(overlapped);
    }
    const moved = await refused(
      payer,
      'put',
      `/v1/payer/coverages/${year2026.id}`,
      {
        planId: plan.id,
        effectiveFrom: '2026-01-01',
        effectiveTo: '2027-01-01',
      },
      409,
    );
    expect(expectProblem(moved, 409).detail).toContain(open2027.id);
  });

  it('two concurrent overlapping coverages: one 201, one 409', async () => {
    const plan = await createPlan();
    const member = await enroll();
    const path = `/v1/payer/members/${member.id}/coverages`;
    const responses = await Promise.all(
      ['2026-01-01', '2026-06-01'].map((effectiveFrom) =>
        call(payer, 'post', path, { planId: plan.id, effectiveFrom, effectiveTo: null }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
  });

  it("another payer's member, coverage or plan: 404 for paths, 422 for planId", async () => {
    const plan = await createPlan();
    const member = await enroll();
    const coverage = await ok(
      payer,
      'post',
      `/v1/payer/members/${member.id}/coverages`,
      { planId: plan.id, effectiveFrom: '2026-01-01', effectiveTo: null },
      201,
    );
    const body = { planId: plan.id, effectiveFrom: '2020-01-01', effectiveTo: '2020-12-31' };
    await refused(otherPayer, 'post', `/v1/payer/members/${member.id}/coverages`, body, 404);
    await refused(otherPayer, 'get', `/v1/payer/members/${member.id}/coverages`, undefined, 404);
    await refused(otherPayer, 'put', `/v1/payer/coverages/${coverage.id}`, body, 404);
    await refused(payer, 'put', `/v1/payer/coverages/${randomUUID()}`, body, 404);
    const foreignPlan = await createPlan(otherPayer);
    const response = await refused(payer, 'post', `/v1/payer/members/${member.id}/coverages`, {
      ...body,
      planId: foreignPlan.id,
    });
    expect(fieldsOf(response)).toEqual(['planId']);
  });

  it.each([
    ['planId', 'plan-1'],
    ['effectiveFrom', '2026-02-29'],
    ['effectiveFrom', undefined],
    ['effectiveTo', undefined],
    ['effectiveTo', '2025-12-31'],
    ['effectiveTo', '31/12/2026'],
    ['memberId', randomUUID()],
  ])('%s = %j is named', async (field, value) => {
    const member = await enroll();
    const body = {
      planId: randomUUID(),
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-12-31',
      [field]: value,
    };
    const response = await refused(payer, 'post', `/v1/payer/members/${member.id}/coverages`, body);
    expect(fieldsOf(response)).toEqual([field]);
  });
});

interface FeeEntry {
  procedureCode: string;
  modifier: string | null;
  allowedAmount: string;
  covered: boolean;
  priorAuthRequired: boolean;
  copayApplies: boolean;
  version: number;
  updatedAt: string;
}

async function feeSchedule(actor: Actor, query: Record<string, string | number> = {}) {
  const response = await request(app)
    .get('/v1/payer/fee-schedule')
    .query(query)
    .set(bearer(actor.key));
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { entries: FeeEntry[]; nextCursor: string | null };
}

/** Every entry of the caller's fee schedule, following nextCursor (bounded). */
async function wholeFeeSchedule(actor: Actor, limit = 1000): Promise<FeeEntry[]> {
  const entries: FeeEntry[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const body = await feeSchedule(actor, cursor ? { limit, cursor } : { limit });
    entries.push(...body.entries);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return entries;
}

describe('fee schedule as JSON', () => {
  const entries = [
    {
      procedureCode: '99213',
      allowedAmount: '92.5',
      covered: true,
      priorAuthRequired: false,
      copayApplies: true,
    },
    {
      procedureCode: '99213',
      modifier: '25',
      allowedAmount: '101.00',
      covered: true,
      priorAuthRequired: false,
      copayApplies: true,
    },
    {
      procedureCode: 'J1885',
      modifier: null,
      allowedAmount: '0',
      covered: false,
      priorAuthRequired: true,
      copayApplies: false,
    },
  ];

  it('upserts, reads back exactly, and versions only what changed', async () => {
    const before = (await events('FeeScheduleEntrySet')).length;
    expect(await ok(otherPayer, 'put', '/v1/payer/fee-schedule/entries', { entries })).toEqual({
      received: 3,
      created: 3,
      updated: 0,
      unchanged: 0,
    });
    const read = await feeSchedule(otherPayer);
    expect(read.nextCursor).toBeNull();
    for (const entry of read.entries) expect(entry.updatedAt).toMatch(ISO_TIME);
    expect(read.entries.map(({ updatedAt: _updatedAt, ...terms }) => terms)).toEqual([
      {
        procedureCode: '99213',
        modifier: null,
        allowedAmount: '92.50',
        covered: true,
        priorAuthRequired: false,
        copayApplies: true,
        anesthesiaBaseUnits: null,
        version: 1,
      },
      {
        procedureCode: '99213',
        modifier: '25',
        allowedAmount: '101.00',
        covered: true,
        priorAuthRequired: false,
        copayApplies: true,
        anesthesiaBaseUnits: null,
        version: 1,
      },
      {
        procedureCode: 'J1885',
        modifier: null,
        allowedAmount: '0.00',
        covered: false,
        priorAuthRequired: true,
        copayApplies: false,
        anesthesiaBaseUnits: null,
        version: 1,
      },
    ]);
    // The same entries again (92.50 is 92.5): nothing changes.
    const again = [{ ...entries[0], allowedAmount: '92.50' }, entries[1], entries[2]];
    expect(
      await ok(otherPayer, 'put', '/v1/payer/fee-schedule/entries', { entries: again }),
    ).toEqual({
      received: 3,
      created: 0,
      updated: 0,
      unchanged: 3,
    });
    const changed = [{ ...entries[1], allowedAmount: '99.99' }, entries[2]];
    expect(
      await ok(otherPayer, 'put', '/v1/payer/fee-schedule/entries', { entries: changed }),
    ).toEqual({
      received: 2,
      created: 0,
      updated: 1,
      unchanged: 1,
    });
    const appended = (await events('FeeScheduleEntrySet')).slice(before);
    expect(appended).toHaveLength(4);
    expect(appended[3]).toEqual({
      type: 'FeeScheduleEntrySet',
      aggregate_id: `fee-schedule:${otherPayer.organization.id}:99213:25`,
      actor_org_id: otherPayer.organization.id,
      payload: {
        payerOrgId: otherPayer.organization.id,
        procedureCode: '99213',
        modifier: '25',
        allowedAmount: '99.99',
        covered: true,
        priorAuthRequired: false,
        copayApplies: true,
        version: 2,
      },
      party_org_ids: [otherPayer.organization.id],
    });
    expect(
      (await feeSchedule(otherPayer, { procedureCode: '99213' })).entries.map((entry) => [
        entry.modifier,
        entry.allowedAmount,
        entry.version,
      ]),
    ).toEqual([
      [null, '92.50', 1],
      ['25', '99.99', 2],
    ]);
    // The other payer's schedule is not this payer's.
    expect((await feeSchedule(payer, { procedureCode: 'J1885' })).entries).toEqual([]);
  });

  it.each([
    ['procedureCode', '9921'],
    ['procedureCode', undefined],
    ['modifier', '2'],
    ['modifier', ''],
    ['allowedAmount', 92.5],
    ['allowedAmount', '-1'],
    ['allowedAmount', '1.234'],
    ['covered', 'yes'],
    ['priorAuthRequired', undefined],
    ['copayApplies', 1],
    ['price', '1'],
  ])('entries[1].%s = %j is named and nothing is written', async (field, value) => {
    const body = {
      entries: [entries[0], { ...entries[1], procedureCode: '80053', [field]: value }],
    };
    const response = await refused(payer, 'put', '/v1/payer/fee-schedule/entries', body);
    expect(fieldsOf(response)).toEqual([`entries[1].${field}`]);
  });

  it('a repeated code and modifier, no entries, or too many are named', async () => {
    const repeated = await refused(payer, 'put', '/v1/payer/fee-schedule/entries', {
      entries: [entries[0], entries[1], { ...entries[0], allowedAmount: '1.00' }],
    });
    expect(fieldsOf(repeated)).toEqual(['entries[2]']);
    expect(expectProblem(repeated, 422).errors![0]!.message).toContain('entries[0]');
    expect(
      fieldsOf(await refused(payer, 'put', '/v1/payer/fee-schedule/entries', { entries: [] })),
    ).toEqual(['entries']);
    const tooMany = Array.from({ length: 10_001 }, (_, index) => ({
      ...entries[0],
      procedureCode: String(10000 + index),
    }));
    expect(
      fieldsOf(await refused(payer, 'put', '/v1/payer/fee-schedule/entries', { entries: tooMany })),
    ).toEqual(['entries']);
  });

  it('refuses a bad query or cursor by name', async () => {
    for (const [query, field] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 1001 }, 'limit'],
      [{ procedureCode: 'ABC' }, 'procedureCode'],
      [{ cursor: 'garbage' }, 'cursor'],
      [{ sort: 'x' }, 'sort'],
    ] as const) {
      const response = await request(app)
        .get('/v1/payer/fee-schedule')
        .query(query)
        .set(bearer(payer.key));
      expect(fieldsOf(response)).toEqual([field]);
    }
  });
});

describe('fee schedule as CSV', () => {
  const HEADER = 'procedure_code,modifier,allowed_amount,covered,prior_auth_required,copay_applies';
  // Every spelling of a boolean the loader accepts, used in turn.
  const TRUE_TEXTS = ['true', 'yes', '1', 'TRUE'];
  const FALSE_TEXTS = ['false', 'no', '0', 'No'];

  function postCsv(actor: Actor, text: string, contentType = 'text/csv') {
    return request(app)
      .post('/v1/payer/fee-schedule/csv')
      .set(bearer(actor.key))
      .set('Content-Type', contentType)
      .send(text);
  }

  const amountOf = (index: number) => `${index}.${String(index % 100).padStart(2, '0')}`;

  /**
   * 2,000 rows: index i is code 10000 + (i mod 1000), modifier 59 from i = 1000 on, amount
   * "i.(i mod 100)", covered when i is odd, prior auth when 3 divides i, copay when 5 does.
   */
  function bigCsv(lineEnd: string, amount = amountOf) {
    const lines = [HEADER];
    for (let index = 0; index < 2000; index++) {
      const flags = [index % 2 === 1, index % 3 === 0, index % 5 === 0].map(
        (flag, place) => (flag ? TRUE_TEXTS : FALSE_TEXTS)[(index + place) % 4],
      );
      const modifier = index < 1000 ? '' : '59';
      lines.push([String(10000 + (index % 1000)), modifier, amount(index), ...flags].join(','));
    }
    return lines.join(lineEnd) + lineEnd;
  }

  it('loads 2,000 rows in one request, one event each, with exact spot checks', async () => {
    const csvPayer = await createActor(environment, 'payer', 'payer_adjudicator');
    const before = (await events('FeeScheduleEntrySet')).length;
    const response = await postCsv(csvPayer, bigCsv('\r\n'));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({ received: 2000, created: 2000, updated: 0, unchanged: 0 });
    const appended = (await events('FeeScheduleEntrySet')).slice(before);
    expect(appended).toHaveLength(2000);
    expect(new Set(appended.map((event) => event.aggregate_id)).size).toBe(2000);

    const all = await wholeFeeSchedule(csvPayer, 300);
    expect(all).toHaveLength(2000);
    const byKey = new Map(
      all.map((entry) => [`${entry.procedureCode}/${entry.modifier ?? ''}`, entry]),
    );
    // Index 0: code 10000, no modifier, 0.00; even, divisible by 3 and by 5.
    expect(byKey.get('10000/')).toMatchObject({
      modifier: null,
      allowedAmount: '0.00',
      covered: false,
      priorAuthRequired: true,
      copayApplies: true,
      version: 1,
    });
    // Index 1017: code 10017, modifier 59, 1017.17; odd, divisible by 3, not by 5.
    expect(byKey.get('10017/59')).toMatchObject({
      allowedAmount: '1017.17',
      covered: true,
      priorAuthRequired: true,
      copayApplies: false,
    });
    // Index 999: code 10999, no modifier, 999.99; odd, divisible by 3, not by 5.
    expect(byKey.get('10999/')).toMatchObject({
      allowedAmount: '999.99',
      covered: true,
      priorAuthRequired: true,
      copayApplies: false,
    });
    // Index 1995: code 10995, modifier 59, 1995.95; odd, divisible by 3 and by 5.
    expect(byKey.get('10995/59')).toMatchObject({
      allowedAmount: '1995.95',
      covered: true,
      priorAuthRequired: true,
      copayApplies: true,
    });

    // The same file with LF endings changes nothing; one changed amount is one new version.
    expect((await postCsv(csvPayer, bigCsv('\n'))).body).toEqual({
      received: 2000,
      created: 0,
      updated: 0,
      unchanged: 2000,
    });
    const oneChanged = bigCsv('\n', (index) => (index === 1500 ? '7.77' : amountOf(index)));
    expect((await postCsv(csvPayer, oneChanged)).body).toEqual({
      received: 2000,
      created: 0,
      updated: 1,
      unchanged: 1999,
    });
    expect((await events('FeeScheduleEntrySet')).slice(before)).toHaveLength(2001);
    expect(
      (await feeSchedule(csvPayer, { procedureCode: '10500' })).entries.map((entry) => [
        entry.modifier,
        entry.allowedAmount,
        entry.version,
      ]),
    ).toEqual([
      [null, '500.00', 1],
      ['59', '7.77', 2],
    ]);
  });

  it('reads quoted fields, "" escapes, a BOM, columns in any order and no final line end', async () => {
    const text =
      '\uFEFFmodifier,procedure_code,"allowed_amount",covered,prior_auth_required,copay_applies\n' +
      '"",99214,"130.00",yes,NO,1\r\n"LT","27447","1,000.00",true,true,false';
    const bad = await postCsv(payer, text);
    // "1,000.00" is one field (the comma is quoted) but not a valid amount.
    expect(fieldsOf(bad)).toEqual(['row 3, allowed_amount']);
    const fixed = text.replace('"1,000.00"', '"1000.00"');
    expect((await postCsv(payer, fixed)).body).toEqual({
      received: 2,
      created: 2,
      updated: 0,
      unchanged: 0,
    });
    expect((await feeSchedule(payer, { procedureCode: '27447' })).entries[0]).toMatchObject({
      modifier: 'LT',
      allowedAmount: '1000.00',
      covered: true,
      priorAuthRequired: true,
      copayApplies: false,
    });
    expect((await feeSchedule(payer, { procedureCode: '99214' })).entries[0]).toMatchObject({
      modifier: null,
      allowedAmount: '130.00',
      covered: true,
      priorAuthRequired: false,
      copayApplies: true,
    });
  });

  it('one bad row among 2,000 writes nothing and names its row and column', async () => {
    const csvPayer = await createActor(environment, 'payer', 'payer_adjudicator');
    const lines = bigCsv('\n').split('\n');
    // lines[16] is spreadsheet row 17 (the header is row 1).
    lines[16] = lines[16]!.replace(/^(\d+,,)[^,]+/, '$1' + '12.345');
    const before = await rowCounts();
    const response = await postCsv(csvPayer, lines.join('\n'));
    const problem = expectProblem(response, 422);
    expect(problem.errors).toEqual([
      {
        field: 'row 17, allowed_amount',
        row: 17,
        column: 'allowed_amount',
        message: 'must be a decimal string with at most 2 decimal places',
      },
    ]);
    expect(await rowCounts()).toEqual(before);
    expect((await feeSchedule(csvPayer)).entries).toEqual([]);
  });

  it.each([
    ['a bad boolean', `${HEADER}\n99213,,10.00,maybe,false,false\n`, ['row 2, covered']],
    [
      'a bad code and modifier',
      `${HEADER}\n99213,,10.00,true,false,false\n9921,2,10.00,true,false,false\n`,
      ['row 3, procedure_code', 'row 3, modifier'],
    ],
    ['a short row', `${HEADER}\n99213,,10.00,true,false\n`, ['row 2']],
    ['a long row', `${HEADER}\n99213,,10.00,true,false,false,x\n`, ['row 2']],
    [
      'a repeated code and modifier',
      `${HEADER}\n99213,25,10.00,true,false,false\n99213,,1,1,1,1\n99213,25,11.00,true,false,false\n`,
      ['row 4, procedure_code'],
    ],
    ['a stray quote', `${HEADER}\n99213,,10"0,true,false,false\n`, ['row 2']],
    ['text after a closing quote', `${HEADER}\n"99213"x,,10.00,true,false,false\n`, ['row 2']],
    ['an unclosed quote', `${HEADER}\n99213,,"10.00,true,false,false\n`, ['row 2']],
    ['a lone carriage return', `${HEADER}\r99213,,10.00,true,false,false\n`, ['row 1']],
    [
      'a blank line',
      `${HEADER}\n99213,,10.00,true,false,false\n\n80053,,1.00,true,false,false\n`,
      ['row 3'],
    ],
    ['an empty file', '', ['row 1']],
    ['a header only', `${HEADER}\n`, ['row 2']],
    [
      'a missing column',
      'procedure_code,modifier,allowed_amount,covered,prior_auth_required\n99213,,1,1,1\n',
      ['row 1, copay_applies'],
    ],
    ['an unknown column', `${HEADER},notes\n99213,,1,1,1,1,x\n`, ['row 1']],
    [
      'a repeated column',
      'procedure_code,modifier,allowed_amount,covered,covered,copay_applies\n',
      ['row 1, covered', 'row 1, prior_auth_required'],
    ],
  ])('%s is named by row and column, nothing written', async (_name, text, fields) => {
    const before = await rowCounts();
    const response = await postCsv(payer, text);
    expect(fieldsOf(response)).toEqual(fields);
    expect(await rowCounts()).toEqual(before);
  });

  it('more than 10,000 rows, or a body that is not text/csv, is refused', async () => {
    const rows = Array.from({ length: 10_001 }, (_, index) => `${10000 + index},,1.00,1,0,0`);
    expect(fieldsOf(await postCsv(payer, [HEADER, ...rows].join('\n')))).toEqual(['row 10002']);
    expect(fieldsOf(await postCsv(payer, `${HEADER}\n`, 'text/plain'))).toEqual(['Content-Type']);
  });
});

describe('prior authorizations', () => {
  it('are created, listed, with one event the provider is party to', async () => {
    const member = await enroll();
    const before = await events();
    const body = {
      memberId: member.id,
      providerId: provider.organization.id,
      procedureCode: '27447',
      unitsAuthorized: 2,
      validFrom: '2027-01-01',
      validTo: '2027-03-31',
    };
    const created = await ok(payer, 'post', '/v1/payer/prior-authorizations', body, 201);
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      ...body,
      unitsUsed: 0,
      updatedAt: expect.stringMatching(ISO_TIME),
    });
    expect(
      await ok(payer, 'get', `/v1/payer/members/${member.id}/prior-authorizations`, undefined),
    ).toEqual({
      priorAuthorizations: [created],
    });
    const appended = (await events()).slice(before.length);
    expect(appended).toEqual([
      {
        type: 'PriorAuthorizationCreated',
        aggregate_id: created.id,
        actor_org_id: payer.organization.id,
        payload: {
          priorAuthorizationId: created.id,
          payerOrgId: payer.organization.id,
          memberRowId: member.id,
          providerOrgId: provider.organization.id,
          procedureCode: '27447',
          unitsAuthorized: 2,
          validFrom: '2027-01-01',
          validTo: '2027-03-31',
        },
        party_org_ids: [payer.organization.id, provider.organization.id],
      },
    ]);
    await refused(
      otherPayer,
      'get',
      `/v1/payer/members/${member.id}/prior-authorizations`,
      undefined,
      404,
    );
  });

  it.each([
    ['memberId', 'not-a-uuid'],
    ['memberId', 'foreign'],
    ['providerId', 'payer'],
    ['providerId', randomUUID()],
    ['procedureCode', '123'],
    ['unitsAuthorized', 0],
    ['unitsAuthorized', 10_000],
    ['unitsAuthorized', 1.5],
    ['validFrom', '2027-02-30'],
    ['validTo', '2026-12-31'],
    ['note', 'x'],
  ])('%s = %j is named', async (field, value) => {
    const member = await enroll();
    const foreign = await enroll(otherPayer);
    const substitutes: Record<string, string> = {
      foreign: foreign.id,
      payer: payer.organization.id,
    };
    const body = {
      memberId: member.id,
      providerId: provider.organization.id,
      procedureCode: '27447',
      unitsAuthorized: 2,
      validFrom: '2027-01-01',
      validTo: '2027-03-31',
      [field]: typeof value === 'string' && value in substitutes ? substitutes[value] : value,
    };
    const response = await refused(payer, 'post', '/v1/payer/prior-authorizations', body);
    expect(fieldsOf(response)).toEqual([field]);
  });
});

describe('the ledger', () => {
  it('holds no PHI of any enrolled member in any event', async () => {
    const secrets = [
      'W555000111',
      'Janeth',
      'Oyelaran',
      'Quintero',
      'RACE-0001',
      'M000001',
      '1980-02-29',
      '1975-06-30',
    ];
    const { rows } = await environment.database.pool.query<{ type: string; payload: string }>(
      'SELECT type, payload::text AS payload FROM ledger_events',
    );
    const configuration = rows.filter((row) => row.type !== 'ClaimSubmitted');
    expect(configuration.length).toBeGreaterThan(2000);
    for (const row of configuration) {
      for (const secret of secrets) expect(row.payload, row.type).not.toContain(secret);
    }
  });
});
