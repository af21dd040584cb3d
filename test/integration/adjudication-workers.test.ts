// Several adjudication workers, each its own process running the real sweep loop, on one
// backlog (real PostgreSQL): every claim is decided exactly once (one decision row and one
// ClaimAdjudicated or ClaimPended event each), and the totals (accumulators, balances) are
// exactly those of the engine deciding each member's claims one after another. A worker
// SIGKILLed in the middle of a batch loses nothing and decides nothing twice: its transaction
// rolls back and the survivors finish the backlog.
import { spawn, type ChildProcess } from 'node:child_process';
import { Decimal } from 'decimal.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phiKeysOf } from '../../src/api/app.js';
import { configureDemoPayer, demoClaim } from '../../src/cli/demo.js';
import { adjudicate } from '../../src/domain/adjudication/engine.js';
import type { Accumulators } from '../../src/domain/adjudication/types.js';
import { feeSchedulesOfPayers } from '../../src/domain/payers/fee-schedule.js';
import { planTermsOf } from '../../src/domain/payers/plans.js';
import { adjudicationRulesOfPayers } from '../../src/domain/payers/rules.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

const MEMBERS = 100;
const CLAIMS = 2_000;
const CLAIMS_PER_REQUEST = 1_000;
const CHARGES = ['125.00', '48.50'];

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
});

afterAll(async () => {
  await environment.close();
});

/** Member and service date of claim `index`: each member's claims on days of their own. */
function claimant(index: number): { memberId: string; serviceDate: string } {
  const day = Math.floor(index / MEMBERS);
  const serviceDate = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
  return { memberId: `WORKERS-${index % MEMBERS}`, serviceDate };
}

interface Backlog {
  payer: Actor;
  provider: Actor;
  claimIds: string[];
}

/** A new payer (the demo's plan and prices) and provider, and CLAIMS submitted claims. */
async function submitBacklog(): Promise<Backlog> {
  const payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const provider = await createActor(environment, 'provider', 'provider_biller');
  const memberIds = Array.from({ length: MEMBERS }, (_, index) => `WORKERS-${index}`);
  await configureDemoPayer(
    environment.database,
    phiKeysOf(environment.config),
    payer.key,
    memberIds,
  );
  const claimIds: string[] = [];
  for (let first = 0; first < CLAIMS; first += CLAIMS_PER_REQUEST) {
    const claims = Array.from({ length: CLAIMS_PER_REQUEST }, (_, offset) => {
      const { memberId, serviceDate } = claimant(first + offset);
      return demoClaim(
        payer.organization.id,
        `WK-${first + offset}`,
        CHARGES,
        serviceDate,
        memberId,
      );
    });
    const response = await request(app)
      .post('/v1/claims/batch')
      .set(bearer(provider.key))
      .send({ claims });
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200);
    const results = response.body.results as { status: string; claimId: string }[];
    expect(results.every((result) => result.status === 'accepted')).toBe(true);
    claimIds.push(...results.map((result) => result.claimId));
  }
  expect(claimIds).toHaveLength(CLAIMS);
  return { payer, provider, claimIds };
}

function startWorker(name: string): ChildProcess {
  const url = new URL(environment.databaseUrl);
  url.searchParams.set('application_name', name);
  return spawn(process.execPath, ['--import', 'tsx', 'test/support/adjudicate-child.ts'], {
    env: { ...process.env, DATABASE_URL: url.toString(), BATCH_CLAIMS_MAX: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Claims the worker says it decided, summed over its sweeps (one JSON line each). */
function decidedBy(child: ChildProcess): Promise<number> {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', () =>
      resolve(
        output
          .split('\n')
          .filter((line) => line.length > 0)
          .reduce((sum, line) => sum + (JSON.parse(line) as { decided: number }).decided, 0),
      ),
    ),
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** Waits until the worker's connection is inside a transaction that has decided claims. */
async function waitUntilMidBatch(name: string, backlog: Backlog): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const { rows } = await environment.database.pool.query<{ busy: boolean; decided: number }>(
      `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1
                        AND xact_start IS NOT NULL AND backend_xid IS NOT NULL) AS busy,
              (SELECT count(*)::int FROM claims WHERE id = ANY($2::uuid[])
                  AND status <> 'submitted') AS decided`,
      [name, backlog.claimIds],
    );
    if (rows[0]!.busy && rows[0]!.decided > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${name} never was in the middle of a batch`);
}

/** What the engine decides for one member's claims, one after another, in submission order. */
async function expectedPerMember(backlog: Backlog) {
  const payerOrgId = backlog.payer.organization.id;
  const pool = environment.database.pool;
  const planRow = await pool.query<{ id: string }>('SELECT id FROM plans WHERE payer_org_id = $1', [
    payerOrgId,
  ]);
  const { plan } = await planTermsOf(pool, planRow.rows[0]!.id);
  const codes = ['99213', '80053'];
  const feeSchedule = (await feeSchedulesOfPayers(pool, [payerOrgId]))
    .get(payerOrgId)!
    .termsOf(codes);
  const { rules } = (await adjudicationRulesOfPayers(pool, [payerOrgId])).get(payerOrgId)!;
  const receivedDate = new Date().toISOString().slice(0, 10);
  let accumulators: Accumulators = {
    planYear: '2026',
    deductibleMetAmount: '0.00',
    outOfPocketMetAmount: '0.00',
  };
  let familyAccumulators = accumulators;
  let paid = new Decimal(0);
  let patient = new Decimal(0);
  for (let index = 0; index < CLAIMS; index += MEMBERS) {
    const claim = demoClaim(payerOrgId, 'X', CHARGES, claimant(index).serviceDate);
    const result = adjudicate({
      claim: {
        receivedDate,
        lines: claim.serviceLines.map((line, position) => ({
          lineNumber: position + 1,
          procedureCode: line.procedureCode,
          modifiers: line.modifiers,
          units: String(line.units),
          chargeAmount: line.chargeAmount,
          serviceDate: line.serviceDate,
        })),
      },
      previouslyAdjudicatedLineKeys: new Set(),
      plan,
      coverages: [{ planId: plan.planId, effectiveFrom: '2026-01-01', effectiveTo: null }],
      feeSchedule: feeSchedule.entries,
      priorAuthorizations: [],
      accumulators,
      familyAccumulators,
      payerRules: rules,
    });
    if (result.outcome !== 'decided') throw new Error('the replay pended a claim');
    accumulators = result.accumulatorsAfter;
    familyAccumulators = result.familyAccumulatorsAfter!;
    paid = paid.plus(result.totals.paidAmount);
    patient = patient.plus(result.totals.patientResponsibilityAmount);
  }
  return { accumulators, familyAccumulators, paid, patient };
}

/** Every claim decided once, and the totals the one-by-one replay gives. */
async function expectDecidedOnceWithExactTotals(backlog: Backlog): Promise<void> {
  const pool = environment.database.pool;
  const counts = await pool.query<{
    waiting: number;
    decisions: number;
    claims_decided: number;
    events: number;
    events_per_claim_max: number;
  }>(
    `SELECT (SELECT count(*)::int FROM claims WHERE id = ANY($1::uuid[]) AND status = 'submitted') AS waiting,
            (SELECT count(*)::int FROM claim_decisions WHERE claim_id = ANY($1::uuid[])) AS decisions,
            (SELECT count(DISTINCT claim_id)::int FROM claim_decisions WHERE claim_id = ANY($1::uuid[])) AS claims_decided,
            (SELECT count(*)::int FROM ledger_events WHERE aggregate_id = ANY($2::text[])
                AND type IN ('ClaimAdjudicated', 'ClaimPended')) AS events,
            (SELECT COALESCE(max(n), 0)::int FROM (
               SELECT count(*) AS n FROM ledger_events WHERE aggregate_id = ANY($2::text[])
                  AND type IN ('ClaimAdjudicated', 'ClaimPended') GROUP BY aggregate_id) per) AS events_per_claim_max`,
    [backlog.claimIds, backlog.claimIds],
  );
  expect(counts.rows[0]).toEqual({
    waiting: 0,
    decisions: CLAIMS,
    claims_decided: CLAIMS,
    events: CLAIMS,
    events_per_claim_max: 1,
  });
  const expected = await expectedPerMember(backlog);
  const accumulators = await pool.query<{
    level: string;
    deductible: string;
    oop: string;
    rows: number;
  }>(
    `SELECT 'member' AS level, a.deductible_met_amount::text AS deductible,
            a.out_of_pocket_met_amount::text AS oop, count(*)::int AS rows
       FROM accumulators a JOIN members m ON m.id = a.member_id WHERE m.payer_org_id = $1
      GROUP BY 1, 2, 3
     UNION ALL
     SELECT 'family', f.deductible_met_amount::text, f.out_of_pocket_met_amount::text, count(*)::int
       FROM family_accumulators f JOIN members m ON m.id = f.subscriber_member_id
      WHERE m.payer_org_id = $1
      GROUP BY 1, 2, 3
      ORDER BY 1`,
    [backlog.payer.organization.id],
  );
  expect(accumulators.rows).toEqual([
    {
      level: 'family',
      deductible: expected.familyAccumulators.deductibleMetAmount,
      oop: expected.familyAccumulators.outOfPocketMetAmount,
      rows: MEMBERS,
    },
    {
      level: 'member',
      deductible: expected.accumulators.deductibleMetAmount,
      oop: expected.accumulators.outOfPocketMetAmount,
      rows: MEMBERS,
    },
  ]);
  const balances = await pool.query<{ purpose: string; balance: string }>(
    `SELECT purpose, balance_amount::text AS balance FROM accounts
      WHERE owner_org_id = $1 AND counterparty_org_id = $2
         OR owner_org_id = $2 AND counterparty_org_id = $1
      ORDER BY purpose`,
    [backlog.payer.organization.id, backlog.provider.organization.id],
  );
  const paid = expected.paid.times(MEMBERS);
  const patient = expected.patient.times(MEMBERS);
  expect(balances.rows).toEqual([
    { purpose: 'claims_expense', balance: paid.toFixed(2) },
    { purpose: 'patient_service_revenue', balance: paid.plus(patient).negated().toFixed(2) },
    { purpose: 'payable_to_provider', balance: paid.negated().toFixed(2) },
    { purpose: 'receivable_from_patients', balance: patient.toFixed(2) },
    { purpose: 'receivable_from_payer', balance: paid.toFixed(2) },
  ]);
}

describe('adjudication workers in separate processes', () => {
  it.each([2, 4])(
    '%i workers on one backlog decide every claim once, with exact totals',
    async (workerCount) => {
      const backlog = await submitBacklog();
      const workers = Array.from({ length: workerCount }, (_, index) =>
        startWorker(`adjudicator-${workerCount}-${index}`),
      );
      const decided = workers.map(decidedBy);
      const codes = await Promise.all(workers.map(exited));
      expect(codes).toEqual(workers.map(() => 0));
      // Between them the workers decided each claim once: no claim counted by two.
      const counted = await Promise.all(decided);
      expect(counted.reduce((sum, count) => sum + count, 0)).toBe(CLAIMS);
      await expectDecidedOnceWithExactTotals(backlog);
    },
    180_000,
  );

  it('a worker SIGKILLed mid-batch loses nothing and decides nothing twice', async () => {
    const backlog = await submitBacklog();
    const victim = startWorker('adjudicator-victim');
    victim.stdout!.resume();
    await waitUntilMidBatch('adjudicator-victim', backlog);
    const survivors = [
      startWorker('adjudicator-survivor-0'),
      startWorker('adjudicator-survivor-1'),
    ];
    victim.kill('SIGKILL');
    expect(await exited(victim)).toBeNull();
    const codes = await Promise.all(survivors.map(exited));
    expect(codes).toEqual([0, 0]);
    await expectDecidedOnceWithExactTotals(backlog);
  }, 180_000);
});
