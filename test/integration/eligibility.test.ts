// GET /v1/eligibility on the real database: the hand-worked figures of one member, the answers
// for a member not covered on the date and an unknown member, who may ask whom, and the ledger
// event that records every inquiry.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOrganizationIdentifiers } from '../../src/domain/trading-partners.js';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type TestEnvironment,
} from '../support/environment.js';
import { createEligibilityScenario, type EligibilityScenario } from '../support/inquiries.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let scenario: EligibilityScenario;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  scenario = await createEligibilityScenario(environment);
});

afterAll(async () => {
  await environment.close();
});

function ask(key: string, query: Record<string, string | string[]>) {
  return request(app).get('/v1/eligibility').set(bearer(key)).query(query);
}

async function eligibilityEvents() {
  const { rows } = await environment.database.pool.query<{
    id: string;
    actor_org_id: string;
    payload: Record<string, unknown>;
    party_org_ids: string[];
  }>(
    `SELECT id, actor_org_id, payload, party_org_ids FROM ledger_events
      WHERE type = 'EligibilityInquired' ORDER BY seq`,
  );
  return rows;
}

describe('GET /v1/eligibility', () => {
  it('answers a covered member with the plan year figures worked by hand', async () => {
    const response = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
      date: '2026-06-15',
      procedureCode: ['99213,27447', '97110', '99499'],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const { ledgerEventId, ...answer } = response.body as Record<string, unknown>;
    expect(answer).toEqual({
      payerId: scenario.payer.organization.id,
      date: '2026-06-15',
      covered: true,
      notCovered: null,
      plan: { code: scenario.planCode, name: 'Test plan' },
      coverage: { effectiveFrom: '2026-01-01', effectiveTo: '2026-12-31' },
      planYear: { start: '2026-01-01', end: '2026-12-31' },
      benefits: {
        individual: {
          deductible: { amount: '500.00', metAmount: '200.00', remainingAmount: '300.00' },
          outOfPocketMaximum: {
            amount: '3000.00',
            metAmount: '450.00',
            remainingAmount: '2550.00',
          },
        },
        // An individual-only plan: no family figures, the member's own remaining applies.
        family: null,
        effectiveRemaining: { deductibleAmount: '300.00', outOfPocketAmount: '2550.00' },
      },
      copayAmount: '25.00',
      coinsurancePercent: '20',
      procedures: [
        {
          procedureCode: '99213',
          onFeeSchedule: true,
          covered: true,
          allowedAmount: '100.00',
          priorAuthorizationRequired: false,
          priorAuthorization: { active: false, unitsRemaining: 0 },
        },
        {
          procedureCode: '27447',
          onFeeSchedule: true,
          covered: true,
          allowedAmount: '1450.00',
          priorAuthorizationRequired: true,
          priorAuthorization: { active: true, unitsRemaining: 2 },
        },
        {
          procedureCode: '97110',
          onFeeSchedule: true,
          covered: false,
          allowedAmount: '40.00',
          priorAuthorizationRequired: false,
          priorAuthorization: { active: false, unitsRemaining: 0 },
        },
        {
          procedureCode: '99499',
          onFeeSchedule: false,
          covered: null,
          allowedAmount: null,
          priorAuthorizationRequired: null,
          priorAuthorization: { active: false, unitsRemaining: 0 },
        },
      ],
    });
    const event = (await eligibilityEvents()).find((row) => row.id === ledgerEventId);
    expect(event?.actor_org_id).toBe(scenario.provider.organization.id);
    expect(event?.party_org_ids.sort()).toEqual(
      [scenario.provider.organization.id, scenario.payer.organization.id].sort(),
    );
    expect(event?.payload).toEqual({
      inquiryId: ledgerEventId,
      channel: 'json',
      inquirerOrgId: scenario.provider.organization.id,
      payerOrgId: scenario.payer.organization.id,
      memberRowId: scenario.coveredMemberRowId,
      date: '2026-06-15',
      result: 'covered',
    });
  });

  it('answers a member not covered on the date, and an unknown member, as a 271 would', async () => {
    const outside = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
      date: '2027-02-01',
    });
    const neverCovered = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.uncoveredMemberId,
      date: '2026-06-15',
    });
    const unknown = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: 'NOSUCH-1',
      date: '2026-06-15',
    });
    const notCovered = (reason: string, message: string, date: string) => ({
      payerId: scenario.payer.organization.id,
      date,
      covered: false,
      notCovered: { reason, message },
      plan: null,
      coverage: null,
      planYear: null,
      benefits: null,
      copayAmount: null,
      coinsurancePercent: null,
      procedures: [],
      ledgerEventId: expect.any(String) as string,
    });
    const inactive = 'the member has no coverage in force on this date';
    expect(outside.status).toBe(200);
    expect(outside.body).toEqual(notCovered('no_coverage_on_date', inactive, '2027-02-01'));
    expect(neverCovered.body).toEqual(notCovered('no_coverage_on_date', inactive, '2026-06-15'));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual(
      notCovered('member_not_found', 'the payer has no member with this member id', '2026-06-15'),
    );
    const events = await eligibilityEvents();
    const unknownEvent = events.find((row) => row.id === unknown.body.ledgerEventId);
    expect(unknownEvent?.payload).toMatchObject({ memberRowId: null, result: 'member_not_found' });
    // The member id asked is nowhere on the ledger, not even for an unknown member.
    expect(JSON.stringify(events)).not.toContain('NOSUCH-1');
    expect(JSON.stringify(events)).not.toContain(scenario.coveredMemberId);
  });

  it('takes today as the date when none is given', async () => {
    const response = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
    });
    expect(response.status).toBe(200);
    expect(response.body.date).toBe(new Date().toISOString().slice(0, 10));
  });

  it('finds the payer by its external payer id as clearinghouses name it', async () => {
    await setOrganizationIdentifiers(
      environment.database,
      undefined,
      scenario.payer.organization.id,
      {
        payerId: '60054',
      },
    );
    const response = await ask(scenario.provider.key, {
      payerId: '60054',
      memberId: scenario.coveredMemberId,
      date: '2026-06-15',
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ payerId: '60054', covered: true });
  });

  it('lets a payer ask about its own members, without a provider’s authorizations', async () => {
    const response = await ask(scenario.payer.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
      date: '2026-06-15',
      procedureCode: '27447',
    });
    expect(response.status).toBe(200);
    expect(response.body.covered).toBe(true);
    expect(response.body.procedures[0].priorAuthorization).toBeNull();
  });

  it('refuses another payer the same way whether the member exists or not, and records nothing', async () => {
    const otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
    const before = (await eligibilityEvents()).length;
    const known = await ask(otherPayer.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
      date: '2026-06-15',
    });
    const unknown = await ask(otherPayer.key, {
      payerId: scenario.payer.organization.id,
      memberId: 'NOSUCH-2',
      date: '2026-06-15',
    });
    expect(expectProblem(known, 403).detail).toBe(
      'a payer answers inquiries about its own members only',
    );
    expect(expectProblem(unknown, 403).detail).toBe(expectProblem(known, 403).detail);
    const auditor = await createActor(environment, 'provider', 'auditor');
    expectProblem(
      await ask(auditor.key, {
        payerId: scenario.payer.organization.id,
        memberId: scenario.coveredMemberId,
      }),
      403,
    );
    expect((await eligibilityEvents()).length).toBe(before);
  });

  it('names each bad field in a 422 and records nothing', async () => {
    const before = (await eligibilityEvents()).length;
    const unknownPayer = await ask(scenario.provider.key, {
      payerId: scenario.provider.organization.id,
      memberId: scenario.coveredMemberId,
    });
    expect(fieldsOf(unknownPayer)).toEqual(['payerId']);
    const bad = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: 'no spaces allowed',
      date: '2026-02-30',
      procedureCode: '9921',
      extra: 'x',
    });
    expect(fieldsOf(bad).sort()).toEqual(['date', 'extra', 'memberId', 'procedureCode[0]']);
    const tooMany = await ask(scenario.provider.key, {
      payerId: scenario.payer.organization.id,
      memberId: scenario.coveredMemberId,
      procedureCode: Array.from({ length: 21 }, (_, index) => String(99200 + index)).join(','),
    });
    expect(fieldsOf(tooMany)).toEqual(['procedureCode']);
    expect((await eligibilityEvents()).length).toBe(before);
  });
});
