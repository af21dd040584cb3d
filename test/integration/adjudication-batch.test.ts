// Batched adjudication against the single-claim path, on real PostgreSQL: over random payers
// (plans with and without family limits, members with dependents, fee schedules, prior
// authorizations) and random claim sets in random submission order (duplicates, pends,
// replacements and voids among them), one batch decides exactly what deciding each claim alone
// in submission order decides: the same results, claim statuses, accumulators (member and
// family), authorization units, journal entries, balances and ledger event payloads.
// Each run builds the same payer twice in one database (two worlds, ids apart); the first
// world's claims are decided one by one, the second's by one batch, and the two are compared
// with every id replaced by its order of first appearance.
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateBatch } from '../../src/domain/adjudication/batch.js';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

const RUNS = 12;
const SEED = 20261202;

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
});

afterAll(async () => {
  await environment.close();
});

interface PlanSpec {
  deductible: number;
  outOfPocketMax: number;
  copay: number;
  coinsurance: number;
  family: boolean;
}

interface LineSpec {
  code: string;
  units: number;
  chargeDollars: number;
  day: number;
}

type ClaimSpec =
  | { kind: 'original'; member: number; dependent: boolean; lines: LineSpec[] }
  | { kind: 'void' | 'replace'; pick: number; lines: LineSpec[] };

interface WorldSpec {
  plans: PlanSpec[];
  /** Per subscriber: its plan, whether it has a dependent, its authorized 97110 units. */
  members: { plan: number; dependent: boolean; authorizedUnits: number }[];
  claims: ClaimSpec[];
}

const FEE_SCHEDULE = [
  { procedureCode: '99213', allowedAmount: '100.00', copayApplies: true },
  { procedureCode: '80053', allowedAmount: '40.00', copayApplies: false },
  { procedureCode: '97110', allowedAmount: '30.00', copayApplies: false, priorAuthRequired: true },
  { procedureCode: '99080', allowedAmount: '0.00', copayApplies: false, covered: false },
];
/** Codes a claim may bill: the schedule's, and one it lacks (the claim pends). */
const CODES = ['99213', '99213', '80053', '97110', '97110', '99080', 'J3490'];

const lineArbitrary: fc.Arbitrary<LineSpec> = fc.record({
  code: fc.constantFrom(...CODES),
  units: fc.integer({ min: 1, max: 2 }),
  chargeDollars: fc.integer({ min: 20, max: 260 }),
  day: fc.integer({ min: 1, max: 3 }),
});
const linesArbitrary = fc.array(lineArbitrary, { minLength: 1, maxLength: 3 });

const worldArbitrary: fc.Arbitrary<WorldSpec> = fc.record({
  plans: fc.array(
    fc.record({
      deductible: fc.constantFrom(0, 100, 250),
      outOfPocketMax: fc.constantFrom(300, 1000),
      copay: fc.constantFrom(0, 15),
      coinsurance: fc.constantFrom(0, 20, 35),
      family: fc.boolean(),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  members: fc.array(
    fc.record({
      plan: fc.nat(),
      dependent: fc.boolean(),
      authorizedUnits: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  claims: fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('original' as const),
          member: fc.nat(),
          dependent: fc.boolean(),
          lines: linesArbitrary,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constantFrom('void' as const, 'replace' as const),
          pick: fc.nat(),
          lines: linesArbitrary,
        }),
      },
    ),
    { minLength: 2, maxLength: 14 },
  ),
});

const subscriberPerson = {
  firstName: 'Jack',
  lastName: 'Smith',
  birthDate: '1960-10-22',
  gender: 'M',
};
const dependentPerson = {
  firstName: 'Ted',
  lastName: 'Smith',
  birthDate: '1990-05-01',
  gender: 'M',
};

interface World {
  payer: Actor;
  provider: Actor;
  /** Claim ids in submission order. */
  claimIds: string[];
  memberRowIds: string[];
}

async function send(actor: Actor, method: 'post' | 'put', path: string, body: object) {
  const response = await request(app)[method](path).set(bearer(actor.key)).send(body);
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  return response.body as { id: string };
}

/** Configures a new payer as `spec` says and submits its claims, in order; decides nothing. */
async function buildWorld(spec: WorldSpec): Promise<World> {
  const payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const provider = await createActor(environment, 'provider', 'provider_biller');
  const planIds: string[] = [];
  for (const [index, plan] of spec.plans.entries()) {
    const created = await send(payer, 'post', '/v1/payer/plans', {
      code: `PLAN-${index}`,
      name: 'Property plan',
      deductibleAmount: `${plan.deductible}.00`,
      outOfPocketMaxAmount: `${plan.outOfPocketMax}.00`,
      copayAmount: `${plan.copay}.00`,
      coinsurancePercent: String(plan.coinsurance),
      planYearStartMonth: 1,
      familyDeductibleAmount: plan.family ? `${plan.deductible * 2}.00` : null,
      familyOutOfPocketMaxAmount: plan.family ? `${plan.outOfPocketMax + 200}.00` : null,
    });
    planIds.push(created.id);
  }
  await send(payer, 'put', '/v1/payer/rules', {
    timelyFilingDays: 365,
    autoAdjudicationLimitAmount: '600.00',
    pendUnknownCodes: true,
  });
  await send(payer, 'put', '/v1/payer/fee-schedule/entries', {
    entries: FEE_SCHEDULE.map((entry) => ({
      covered: true,
      priorAuthRequired: false,
      ...entry,
    })),
  });
  const memberRowIds: string[] = [];
  for (const [index, member] of spec.members.entries()) {
    const subscriber = await send(payer, 'post', '/v1/payer/members', {
      memberId: `PROP-${index}`,
      ...subscriberPerson,
    });
    memberRowIds.push(subscriber.id);
    await send(payer, 'post', `/v1/payer/members/${subscriber.id}/coverages`, {
      planId: planIds[member.plan % planIds.length],
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
    });
    if (member.dependent) {
      const dependent = await send(payer, 'post', '/v1/payer/members', {
        memberId: `PROP-${index}-01`,
        ...dependentPerson,
        subscriberMemberId: subscriber.id,
        relationshipCode: '19',
      });
      memberRowIds.push(dependent.id);
    }
    if (member.authorizedUnits > 0) {
      await send(payer, 'post', '/v1/payer/prior-authorizations', {
        memberId: subscriber.id,
        providerId: provider.organization.id,
        procedureCode: '97110',
        unitsAuthorized: member.authorizedUnits,
        validFrom: '2026-03-01',
        validTo: '2026-03-31',
      });
    }
  }
  const claimIds: string[] = [];
  const originals: { id: string; member: number; dependent: boolean }[] = [];
  for (const claim of spec.claims) {
    const serviceLines = claim.lines.map((line) => ({
      procedureCode: line.code,
      units: line.units,
      chargeAmount: `${line.chargeDollars}.00`,
      serviceDate: `2026-03-0${line.day}`,
    }));
    let who: { member: number; dependent: boolean };
    let reversal = {};
    if (claim.kind === 'original') {
      const member = claim.member % spec.members.length;
      who = { member, dependent: claim.dependent && spec.members[member]!.dependent };
    } else {
      const original = originals[claim.pick % Math.max(1, originals.length)];
      if (!original) continue;
      who = original;
      reversal = { frequencyCode: claim.kind === 'void' ? '8' : '7', originalClaimId: original.id };
    }
    const body = {
      ...validClaim(payer.organization.id),
      member: { memberId: `PROP-${who.member}`, ...subscriberPerson },
      ...(who.dependent ? { patient: { ...dependentPerson, relationshipCode: '19' } } : {}),
      diagnosisCodes: ['J02.0'],
      serviceLines,
      ...reversal,
    };
    const response = await request(app).post('/v1/claims').set(bearer(provider.key)).send(body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const id = response.body.id as string;
    claimIds.push(id);
    if (claim.kind === 'original') originals.push({ id, ...who });
  }
  return { payer, provider, claimIds, memberRowIds };
}

/** The world's claims in the order the sweep takes them. */
async function submittedOrder(world: World): Promise<string[]> {
  const { rows } = await environment.database.pool.query<{ id: string }>(
    `SELECT id FROM claims WHERE id = ANY($1::uuid[]) ORDER BY submitted_at, id`,
    [world.claimIds],
  );
  return rows.map((row) => row.id);
}

/** Everything adjudication wrote for the world, in a stable order. */
async function outcomeOf(world: World) {
  const pool = environment.database.pool;
  const order = await submittedOrder(world);
  const claims = await pool.query(
    `SELECT c.id, c.status,
            (SELECT json_agg(json_build_object('status', d.status, 'paid', d.paid_amount::text,
                    'patient', d.patient_responsibility_amount::text, 'result', d.result,
                    'versions', d.config_versions) ORDER BY d.decided_at)
               FROM claim_decisions d WHERE d.claim_id = c.id) AS decisions
       FROM claims c JOIN unnest($1::uuid[]) WITH ORDINALITY o(id, position) ON o.id = c.id
      ORDER BY o.position`,
    [order],
  );
  const accumulators = await pool.query(
    `SELECT 'member' AS level, m.position, a.plan_id, a.plan_year,
            a.deductible_met_amount::text, a.out_of_pocket_met_amount::text
       FROM accumulators a JOIN unnest($1::uuid[]) WITH ORDINALITY m(id, position) ON m.id = a.member_id
     UNION ALL
     SELECT 'family', m.position, f.plan_id, f.plan_year, f.deductible_met_amount::text,
            f.out_of_pocket_met_amount::text
       FROM family_accumulators f
       JOIN unnest($1::uuid[]) WITH ORDINALITY m(id, position) ON m.id = f.subscriber_member_id
      ORDER BY 1, 2, 3, 4`,
    [world.memberRowIds],
  );
  const authorizations = await pool.query(
    `SELECT units_authorized, units_used FROM prior_authorizations
      WHERE payer_org_id = $1 ORDER BY valid_from, units_authorized, units_used`,
    [world.payer.organization.id],
  );
  const journal = await pool.query(
    `SELECT e.kind, o.position,
            (SELECT json_agg(json_build_object('purpose', a.purpose,
                    'payerBooks', a.owner_org_id = $2, 'amount', p.amount::text)
                    ORDER BY a.owner_org_id = $2, a.purpose)
               FROM journal_postings p JOIN accounts a ON a.id = p.account_id
              WHERE p.entry_id = e.id) AS postings
       FROM journal_entries e JOIN unnest($1::uuid[]) WITH ORDINALITY o(id, position)
         ON o.id = e.claim_id
      ORDER BY o.position, e.kind`,
    [order, world.payer.organization.id],
  );
  const balances = await pool.query(
    `SELECT owner_org_id = $1 AS payer_books, purpose, balance_amount::text FROM accounts
      WHERE (owner_org_id = $1 AND counterparty_org_id = $2)
         OR (owner_org_id = $2 AND counterparty_org_id = $1)
      ORDER BY 1, 2`,
    [world.payer.organization.id, world.provider.organization.id],
  );
  const events = await pool.query(
    `SELECT type, payload FROM ledger_events
      WHERE aggregate_id = ANY($1::text[])
        AND type IN ('ClaimAdjudicated', 'ClaimPended', 'ClaimReversed', 'ClaimVoided')
      ORDER BY seq`,
    [order],
  );
  return normalized({
    claims: claims.rows,
    accumulators: accumulators.rows,
    authorizations: authorizations.rows,
    journal: journal.rows,
    balances: balances.rows,
    events: events.rows,
  });
}

/** The value with every UUID replaced by the order in which it first appears. */
function normalized(value: unknown): unknown {
  const labels = new Map<string, string>();
  const text = JSON.stringify(value).replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
    (id) => {
      if (!labels.has(id)) labels.set(id, `id-${labels.size}`);
      return labels.get(id)!;
    },
  );
  return JSON.parse(text);
}

describe('batched adjudication', () => {
  it('decides random claim sets exactly as deciding each claim alone in submission order', async () => {
    let batchesWithReversals = 0;
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (spec) => {
        const alone = await buildWorld(spec);
        for (const claimId of await submittedOrder(alone)) {
          await adjudicateClaim(environment.database, claimId);
        }
        const batched = await buildWorld(spec);
        const { outcomes } = await adjudicateBatch(environment.database, { claimsMax: 500 });
        expect(outcomes.map(({ claimId }) => claimId)).toEqual(await submittedOrder(batched));
        if (spec.claims.some((claim) => claim.kind !== 'original')) batchesWithReversals += 1;
        const expected = await outcomeOf(alone);
        expect(await outcomeOf(batched)).toEqual(expected);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The runs did exercise reversals inside a batch, not only plain claims.
    expect(batchesWithReversals).toBeGreaterThan(0);
  }, 120_000);

  it('decides nothing twice: a second batch finds no submitted claim', async () => {
    const spec: WorldSpec = {
      plans: [{ deductible: 100, outOfPocketMax: 1000, copay: 0, coinsurance: 20, family: true }],
      members: [{ plan: 0, dependent: true, authorizedUnits: 1 }],
      claims: [
        {
          kind: 'original',
          member: 0,
          dependent: false,
          lines: [{ code: '99213', units: 1, chargeDollars: 120, day: 1 }],
        },
        {
          kind: 'original',
          member: 0,
          dependent: true,
          lines: [{ code: '97110', units: 2, chargeDollars: 60, day: 2 }],
        },
      ],
    };
    const world = await buildWorld(spec);
    const first = await adjudicateBatch(environment.database, { claimsMax: 500 });
    expect(first.outcomes.map(({ claimId }) => claimId)).toEqual(world.claimIds);
    expect(first.outcomes.every(({ outcome }) => outcome.status !== 'skipped')).toBe(true);
    expect((await adjudicateBatch(environment.database, { claimsMax: 500 })).outcomes).toEqual([]);
    const decisions = await environment.database.pool.query<{ count: string }>(
      'SELECT count(*) FROM claim_decisions WHERE claim_id = ANY($1::uuid[])',
      [world.claimIds],
    );
    expect(decisions.rows[0]!.count).toBe('2');
  });
});
