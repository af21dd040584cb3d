// A payer's benefit plans: deductible, out-of-pocket maximum, copay and coinsurance. A plan
// is replaced whole; each change bumps its version and is a ledger event, so a decision can
// name the plan version it applied.
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { Plan } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import type { Plan as PlanTerms } from '../adjudication/types.js';
import { Conflict, isUniqueViolation, NotFound } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { payerOrgOf } from './access.js';
import type { PlanInput } from './schema.js';

export const PLANS_LIST_MAX = 1_000;

export interface PlanView {
  id: string;
  code: string;
  name: string;
  deductibleAmount: string;
  outOfPocketMaxAmount: string;
  copayAmount: string;
  /** "20" is 20 %: the shortest decimal, trailing zeros dropped. */
  coinsurancePercent: string;
  planYearStartMonth: number;
  /** Null: individual limits only. */
  familyDeductibleAmount: string | null;
  familyOutOfPocketMaxAmount: string | null;
  cobMethod: 'non_duplication' | 'carve_out';
  version: number;
  updatedAt: string;
}

interface PlanRow {
  id: string;
  code: string;
  name: string;
  deductible_amount: string;
  out_of_pocket_max_amount: string;
  copay_amount: string;
  coinsurance_percent: string;
  plan_year_start_month: number;
  family_deductible_amount: string | null;
  family_out_of_pocket_max_amount: string | null;
  cob_method: PlanView['cobMethod'];
  version: number;
  updated_at: Date;
}

const PLAN_COLUMNS = `id, code, name, deductible_amount::text AS deductible_amount,
  out_of_pocket_max_amount::text AS out_of_pocket_max_amount, copay_amount::text AS copay_amount,
  coinsurance_percent::text AS coinsurance_percent, plan_year_start_month,
  family_deductible_amount::text AS family_deductible_amount,
  family_out_of_pocket_max_amount::text AS family_out_of_pocket_max_amount, cob_method, version,
  updated_at`;

const CODE_CONSTRAINT = 'plans_payer_org_id_code_key';

function viewOfRow(row: PlanRow): PlanView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    deductibleAmount: row.deductible_amount,
    outOfPocketMaxAmount: row.out_of_pocket_max_amount,
    copayAmount: row.copay_amount,
    coinsurancePercent: new Decimal(row.coinsurance_percent).toFixed(),
    planYearStartMonth: row.plan_year_start_month,
    familyDeductibleAmount: row.family_deductible_amount,
    familyOutOfPocketMaxAmount: row.family_out_of_pocket_max_amount,
    cobMethod: row.cob_method,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}

function viewOf(plan: Plan): PlanView {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    deductibleAmount: plan.deductibleAmount.toFixed(2),
    outOfPocketMaxAmount: plan.outOfPocketMaxAmount.toFixed(2),
    copayAmount: plan.copayAmount.toFixed(2),
    coinsurancePercent: new Decimal(plan.coinsurancePercent.toString()).toFixed(),
    planYearStartMonth: plan.planYearStartMonth,
    familyDeductibleAmount: plan.familyDeductibleAmount?.toFixed(2) ?? null,
    familyOutOfPocketMaxAmount: plan.familyOutOfPocketMaxAmount?.toFixed(2) ?? null,
    cobMethod: plan.cobMethod as PlanView['cobMethod'],
    version: plan.version,
    updatedAt: plan.updatedAt.toISOString(),
  };
}

function planValues(input: PlanInput): unknown[] {
  return [
    input.code,
    input.name,
    input.deductibleAmount,
    input.outOfPocketMaxAmount,
    input.copayAmount,
    input.coinsurancePercent,
    input.planYearStartMonth,
    input.familyDeductibleAmount,
    input.familyOutOfPocketMaxAmount,
    input.cobMethod,
  ];
}

async function appendPlanEvent(
  client: pg.PoolClient,
  type: 'PlanCreated' | 'PlanUpdated',
  payerOrgId: string,
  plan: PlanView,
  now: Date,
): Promise<void> {
  await appendEvents(
    client,
    [
      {
        type,
        aggregateId: plan.id,
        actorOrgId: payerOrgId,
        payload: {
          planId: plan.id,
          payerOrgId,
          version: plan.version,
          code: plan.code,
          name: plan.name,
          deductibleAmount: plan.deductibleAmount,
          outOfPocketMaxAmount: plan.outOfPocketMaxAmount,
          copayAmount: plan.copayAmount,
          coinsurancePercent: plan.coinsurancePercent,
          planYearStartMonth: plan.planYearStartMonth,
          familyDeductibleAmount: plan.familyDeductibleAmount,
          familyOutOfPocketMaxAmount: plan.familyOutOfPocketMaxAmount,
          cobMethod: plan.cobMethod,
        },
        partyOrgIds: [payerOrgId],
      },
    ],
    now,
  );
}

/** Runs a plan write, turning a second plan with the same code into a 409. */
async function withUniqueCode<T>(code: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, CODE_CONSTRAINT)) {
      throw new Conflict(`you already have a plan with code "${code}"`);
    }
    throw error;
  }
}

export async function createPlan(
  database: Database,
  principal: Principal,
  input: PlanInput,
): Promise<PlanView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  return withUniqueCode(input.code, () =>
    inTransaction(database.pool, async (client) => {
      const { rows } = await client.query<PlanRow>(
        `INSERT INTO plans (id, payer_org_id, code, name, deductible_amount,
           out_of_pocket_max_amount, copay_amount, coinsurance_percent, plan_year_start_month,
           family_deductible_amount, family_out_of_pocket_max_amount, cob_method, version,
           updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13)
         RETURNING ${PLAN_COLUMNS}`,
        [randomUUID(), payerOrgId, ...planValues(input), now],
      );
      const plan = viewOfRow(rows[0]!);
      await appendPlanEvent(client, 'PlanCreated', payerOrgId, plan, now);
      return plan;
    }),
  );
}

/**
 * Replaces the plan's terms (and code) whole. Sending the terms already in force changes
 * nothing: no new version, no event.
 */
export async function updatePlan(
  database: Database,
  principal: Principal,
  planId: string,
  input: PlanInput,
): Promise<PlanView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  return withUniqueCode(input.code, () =>
    inTransaction(database.pool, async (client) => {
      const { rows } = await client.query<PlanRow>(
        `UPDATE plans
            SET code = $3, name = $4, deductible_amount = $5, out_of_pocket_max_amount = $6,
                copay_amount = $7, coinsurance_percent = $8, plan_year_start_month = $9,
                family_deductible_amount = $10, family_out_of_pocket_max_amount = $11,
                cob_method = $12, version = version + 1, updated_at = $13
          WHERE id = $1 AND payer_org_id = $2
            AND (code, name, deductible_amount, out_of_pocket_max_amount, copay_amount,
                 coinsurance_percent, plan_year_start_month, family_deductible_amount,
                 family_out_of_pocket_max_amount, cob_method)
                IS DISTINCT FROM ($3::text, $4::text, $5::numeric, $6::numeric, $7::numeric,
                                  $8::numeric, $9::int, $10::numeric, $11::numeric, $12::text)
          RETURNING ${PLAN_COLUMNS}`,
        [planId, payerOrgId, ...planValues(input), now],
      );
      const changed = rows[0];
      if (!changed) {
        const current = await client.query<PlanRow>(
          `SELECT ${PLAN_COLUMNS} FROM plans WHERE id = $1 AND payer_org_id = $2`,
          [planId, payerOrgId],
        );
        if (!current.rows[0]) throw new NotFound('plan');
        return viewOfRow(current.rows[0]);
      }
      const plan = viewOfRow(changed);
      await appendPlanEvent(client, 'PlanUpdated', payerOrgId, plan, now);
      return plan;
    }),
  );
}

export async function getPlan(
  database: Database,
  principal: Principal,
  planId: string,
): Promise<PlanView> {
  const payerOrgId = payerOrgOf(principal);
  const plan = await database.prisma.plan.findFirst({ where: { id: planId, payerOrgId } });
  if (!plan) throw new NotFound('plan');
  return viewOf(plan);
}

/** The caller's plans by code (a payer has a handful; bounded all the same). */
export async function listPlans(
  database: Database,
  principal: Principal,
): Promise<{ plans: PlanView[] }> {
  const payerOrgId = payerOrgOf(principal);
  const plans = await database.prisma.plan.findMany({
    where: { payerOrgId },
    orderBy: { code: 'asc' },
    take: PLANS_LIST_MAX,
  });
  return { plans: plans.map(viewOf) };
}

// ---- For adjudication

/** A plan's terms as the engine applies them, with the version a decision names. */
export async function planTermsOf(db: Queryable, planId: string): Promise<VersionedPlanTerms> {
  return (await planTermsOfPlans(db, [planId])).get(planId)!;
}

/** A plan's terms and the version a decision names. */
export interface VersionedPlanTerms {
  plan: PlanTerms;
  version: { id: string; version: number };
}

/** planTermsOf for many plans in one statement, by plan id. */
export async function planTermsOfPlans(
  db: Queryable,
  planIds: readonly string[],
): Promise<Map<string, VersionedPlanTerms>> {
  const rows = await readPlanTermRows(db, 'id', [...new Set(planIds)]);
  return new Map(rows.map((row) => [row.id, versionedTermsOf(row)]));
}

/** Every plan of each payer, by payer then plan id (adjudication's configuration cache). */
export async function planTermsOfPayers(
  db: Queryable,
  payerOrgIds: readonly string[],
): Promise<Map<string, Map<string, VersionedPlanTerms>>> {
  const rows = await readPlanTermRows(db, 'payer_org_id', [...new Set(payerOrgIds)]);
  const byPayer = new Map(payerOrgIds.map((id) => [id, new Map<string, VersionedPlanTerms>()]));
  for (const row of rows) byPayer.get(row.payer_org_id)?.set(row.id, versionedTermsOf(row));
  return byPayer;
}

/** A plans row as adjudication reads it: the terms, without what only people read. */
type PlanTermsRow = Omit<PlanRow, 'code' | 'name' | 'updated_at'> & { payer_org_id: string };

async function readPlanTermRows(
  db: Queryable,
  by: 'id' | 'payer_org_id',
  ids: readonly string[],
): Promise<PlanTermsRow[]> {
  const { rows } = await db.query<PlanTermsRow>(
    `SELECT id, payer_org_id, version, deductible_amount::text, out_of_pocket_max_amount::text,
            copay_amount::text, coinsurance_percent::text, plan_year_start_month,
            family_deductible_amount::text, family_out_of_pocket_max_amount::text, cob_method
       FROM plans WHERE ${by} = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

function versionedTermsOf(row: PlanTermsRow): VersionedPlanTerms {
  return {
    plan: {
      planId: row.id,
      deductibleAmount: row.deductible_amount,
      outOfPocketMaxAmount: row.out_of_pocket_max_amount,
      copayAmount: row.copay_amount,
      coinsurancePercent: new Decimal(row.coinsurance_percent).toFixed(),
      planYearStartMonth: row.plan_year_start_month,
      familyDeductibleAmount: row.family_deductible_amount,
      familyOutOfPocketMaxAmount: row.family_out_of_pocket_max_amount,
      cobMethod: row.cob_method,
    },
    version: { id: row.id, version: row.version },
  };
}
