// Adjudication's cache of payers' configuration, on real PostgreSQL: read once per
// configuration version, and read again as soon as the payer's plans, fee schedule or rules
// change, through the API or in SQL behind its back; decisions always apply the configuration
// committed when their batch runs, and name its versions.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateBatch } from '../../src/domain/adjudication/batch.js';
import { feeSchedulesOfPayers } from '../../src/domain/payers/fee-schedule.js';
import { payerConfigurationCacheOf } from '../../src/domain/payers/index.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let payer: Actor;
let provider: Actor;
let planId: string;

async function send(actor: Actor, method: 'post' | 'put', path: string, body: object) {
  const response = await request(app)[method](path).set(bearer(actor.key)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return response.body as { id: string };
}

const versionOf = async () =>
  (
    await environment.database.pool.query<{ version: string }>(
      'SELECT version::text FROM payer_configuration_versions WHERE payer_org_id = $1',
      [payer.organization.id],
    )
  ).rows[0]?.version;

/** Submits one claim (a 99213 line only, charged 200.00: above every price) and decides it as a batch of one. */
async function decideOneClaim(day: number) {
  const claim = await send(
    provider,
    'post',
    '/v1/claims',
    validClaim(payer.organization.id, {
      serviceLines: [
        {
          procedureCode: '99213',
          units: 1,
          chargeAmount: '200.00',
          serviceDate: `2026-11-${String(day).padStart(2, '0')}`,
        },
      ],
    }),
  );
  await adjudicateBatch(environment.database, { claimId: claim.id });
  const { rows } = await environment.database.pool.query<{
    paid_amount: string;
    config_versions: {
      plan: { version: number };
      payerRules: number;
      feeSchedule: { version: number }[];
    };
  }>('SELECT paid_amount::text, config_versions FROM claim_decisions WHERE claim_id = $1', [
    claim.id,
  ]);
  return rows[0]!;
}

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  provider = await createActor(environment, 'provider', 'provider_biller');
  planId = (
    await send(payer, 'post', '/v1/payer/plans', {
      code: 'CACHE-1',
      name: 'Cache plan',
      deductibleAmount: '0.00',
      outOfPocketMaxAmount: '5000.00',
      copayAmount: '0.00',
      coinsurancePercent: '20',
      planYearStartMonth: 1,
    })
  ).id;
  await send(payer, 'put', '/v1/payer/rules', {
    timelyFilingDays: 365,
    autoAdjudicationLimitAmount: '5000.00',
    pendUnknownCodes: true,
  });
  await send(payer, 'put', '/v1/payer/fee-schedule/entries', {
    entries: [
      {
        procedureCode: '99213',
        allowedAmount: '100.00',
        covered: true,
        priorAuthRequired: false,
        copayApplies: false,
      },
    ],
  });
  const member = await send(payer, 'post', '/v1/payer/members', {
    memberId: 'W123456789',
    firstName: 'Jane',
    lastName: 'Doe',
    birthDate: '1980-02-29',
    gender: 'F',
  });
  await send(payer, 'post', `/v1/payer/members/${member.id}/coverages`, {
    planId,
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
  });
});

afterAll(async () => {
  await environment.close();
});

describe("adjudication's configuration cache", () => {
  it('reads a payer configuration once per version and names its versions in decisions', async () => {
    const cache = payerConfigurationCacheOf(environment.database);
    const missesBefore = cache.misses;
    // Allowed 100.00, no deductible, 20 % coinsurance: the payer pays 80.00.
    const first = await decideOneClaim(2);
    expect(first.paid_amount).toBe('80.00');
    expect(cache.misses).toBe(missesBefore + 1);
    const second = await decideOneClaim(3);
    expect(second.paid_amount).toBe('80.00');
    expect(cache.misses).toBe(missesBefore + 1);
    expect(second.config_versions.plan.version).toBe(1);
    expect(second.config_versions.payerRules).toBe(1);
    expect(second.config_versions.feeSchedule.map((entry) => entry.version)).toEqual([1]);
  });

  it('reads again after a fee schedule, plan or rules change through the API', async () => {
    const cache = payerConfigurationCacheOf(environment.database);
    const before = await versionOf();
    await send(payer, 'put', '/v1/payer/fee-schedule/entries', {
      entries: [
        {
          procedureCode: '99213',
          allowedAmount: '150.00',
          covered: true,
          priorAuthRequired: false,
          copayApplies: false,
        },
      ],
    });
    expect(await versionOf()).not.toBe(before);
    const missesBefore = cache.misses;
    // Allowed 150.00 at 20 %: 120.00.
    const afterPrice = await decideOneClaim(4);
    expect(afterPrice.paid_amount).toBe('120.00');
    expect(afterPrice.config_versions.feeSchedule.map((entry) => entry.version)).toEqual([2]);
    expect(cache.misses).toBe(missesBefore + 1);

    await send(payer, 'put', `/v1/payer/plans/${planId}`, {
      code: 'CACHE-1',
      name: 'Cache plan',
      deductibleAmount: '0.00',
      outOfPocketMaxAmount: '5000.00',
      copayAmount: '0.00',
      coinsurancePercent: '50',
      planYearStartMonth: 1,
    });
    // Allowed 150.00 at 50 %: 75.00.
    const afterPlan = await decideOneClaim(5);
    expect(afterPlan.paid_amount).toBe('75.00');
    expect(afterPlan.config_versions.plan.version).toBe(2);

    await send(payer, 'put', '/v1/payer/rules', {
      timelyFilingDays: 365,
      autoAdjudicationLimitAmount: '10.00',
      pendUnknownCodes: true,
    });
    // 75.00 is over the new automatic limit of 10.00: pended for a person.
    const afterRules = await decideOneClaim(6);
    expect(afterRules.paid_amount).toBe('0.00');
    expect(afterRules.config_versions.payerRules).toBe(2);
    expect(cache.misses).toBe(missesBefore + 3);
  });

  it('reads again after a change made in SQL, around the application', async () => {
    await send(payer, 'put', '/v1/payer/rules', {
      timelyFilingDays: 365,
      autoAdjudicationLimitAmount: '5000.00',
      pendUnknownCodes: true,
    });
    const before = await versionOf();
    await environment.database.pool.query(
      `UPDATE fee_schedule_entries SET allowed_amount = 60.00
        WHERE payer_org_id = $1 AND procedure_code = '99213'`,
      [payer.organization.id],
    );
    expect(await versionOf()).not.toBe(before);
    // Allowed 60.00 at 50 %: 30.00.
    expect((await decideOneClaim(9)).paid_amount).toBe('30.00');
  });

  it('keeps one cache per database', () => {
    expect(payerConfigurationCacheOf(environment.database)).toBe(
      payerConfigurationCacheOf(environment.database),
    );
    expect(payerConfigurationCacheOf({})).not.toBe(payerConfigurationCacheOf(environment.database));
  });
});

describe("each payer's fee schedule in one read", () => {
  it('groups every modifier of a code under it, per payer, in code then modifier order', async () => {
    const other = await createActor(environment, 'payer', 'payer_adjudicator');
    const entry = (procedureCode: string, modifier: string | null, allowedAmount: string) => ({
      procedureCode,
      ...(modifier === null ? {} : { modifier }),
      allowedAmount,
      covered: true,
      priorAuthRequired: false,
      copayApplies: false,
    });
    await send(other, 'put', '/v1/payer/fee-schedule/entries', {
      entries: [
        entry('99214', 'RT', '41.00'),
        entry('99213', 'LT', '12.00'),
        entry('99214', null, '40.00'),
        entry('99213', null, '10.00'),
        entry('99213', '25', '11.00'),
        entry('99214', 'LT', '42.00'),
        entry('80053', null, '30.00'),
      ],
    });
    const schedules = await feeSchedulesOfPayers(environment.database.pool, [
      other.organization.id,
      payer.organization.id,
    ]);
    const priced = (payerOrgId: string, codes: string[]) =>
      schedules
        .get(payerOrgId)!
        .termsOf(codes)
        .entries.map(
          (each) => `${each.procedureCode}/${each.modifier ?? '*'} ${each.allowedAmount}`,
        );
    // Codes asked twice and out of order: each once, sorted; '' (any modifier) sorts first.
    expect(priced(other.organization.id, ['99214', '99213', '99214', '12345'])).toEqual([
      '99213/* 10.00',
      '99213/25 11.00',
      '99213/LT 12.00',
      '99214/* 40.00',
      '99214/LT 42.00',
      '99214/RT 41.00',
    ]);
    // The other payer's rows stay its own: only its one 99213 price (60.00 since the SQL change).
    expect(priced(payer.organization.id, ['99213', '99214', '80053'])).toEqual(['99213/* 60.00']);
  });
});
