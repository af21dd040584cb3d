// What a family has met. A family is a subscriber and its dependents (the payer area finds a
// claim's patient and its family's subscriber: findClaimPatients); its accumulators (per plan and
// plan year) sit beside each member's own and are locked before them: claim, then family
// accumulator, then member accumulator, always in that order, so concurrent claims of one family
// queue instead of double-counting or deadlocking.
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';
import type { Accumulators, DecidedAdjudication } from './types.js';

/** Whose accumulators: the member's own, or its family's (kept on the subscriber's row). */
export type AccumulatorLevel = 'family' | 'member';

/** One accumulator row: the member (or family subscriber) row, the plan, the plan year. */
export interface AccumulatorKey {
  ownerRowId: string;
  planId: string;
  planYear: string;
}

export const accumulatorKeyText = (key: AccumulatorKey) =>
  `${key.ownerRowId}|${key.planId}|${key.planYear}`;

const ACCUMULATOR_TABLES = {
  family: { table: 'family_accumulators', owner: 'subscriber_member_id' },
  member: { table: 'accumulators', owner: 'member_id' },
} as const;

/**
 * Creates the missing rows at zero and row-locks them all, in key order, in one statement; by
 * accumulatorKeyText. Adjudication locks every family row it needs, then every member row, then
 * the prior authorizations: one order for every transaction, so none deadlock.
 */
export async function lockAccumulatorRows(
  client: pg.PoolClient,
  level: AccumulatorLevel,
  keys: readonly AccumulatorKey[],
): Promise<Map<string, Accumulators>> {
  const locked = new Map<string, Accumulators>();
  if (keys.length === 0) return locked;
  const { table, owner } = ACCUMULATOR_TABLES[level];
  // DO UPDATE (to the same value) rather than DO NOTHING: it locks an existing row in the same
  // statement and order as it inserts a missing one, and returns both.
  const { rows } = await client.query<{
    owner: string;
    plan_id: string;
    plan_year: string;
    deductible: string;
    out_of_pocket: string;
  }>(
    `INSERT INTO ${table} AS a (${owner}, plan_id, plan_year, deductible_met_amount,
       out_of_pocket_met_amount, updated_at)
     SELECT k.owner, k.plan_id, k.plan_year, 0, 0, now()
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(owner, plan_id, plan_year)
      ORDER BY k.owner, k.plan_id, k.plan_year
     ON CONFLICT (${owner}, plan_id, plan_year) DO UPDATE SET updated_at = a.updated_at
     RETURNING ${owner} AS owner, plan_id, plan_year,
               deductible_met_amount::text AS deductible,
               out_of_pocket_met_amount::text AS out_of_pocket`,
    [
      keys.map((key) => key.ownerRowId),
      keys.map((key) => key.planId),
      keys.map((key) => key.planYear),
    ],
  );
  for (const row of rows) {
    locked.set(
      accumulatorKeyText({ ownerRowId: row.owner, planId: row.plan_id, planYear: row.plan_year }),
      {
        planYear: row.plan_year,
        deductibleMetAmount: row.deductible,
        outOfPocketMetAmount: row.out_of_pocket,
      },
    );
  }
  return locked;
}

/** Sets the rows (locked by lockAccumulatorRows) to what the decisions left: one statement. */
export async function saveAccumulatorRows(
  client: pg.PoolClient,
  level: AccumulatorLevel,
  rows: readonly { key: AccumulatorKey; accumulators: Accumulators }[],
): Promise<void> {
  if (rows.length === 0) return;
  const { table, owner } = ACCUMULATOR_TABLES[level];
  await client.query(
    `UPDATE ${table} a SET deductible_met_amount = v.deductible,
            out_of_pocket_met_amount = v.out_of_pocket, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::numeric[])
              AS v(owner, plan_id, plan_year, deductible, out_of_pocket)
      WHERE a.${owner} = v.owner AND a.plan_id = v.plan_id AND a.plan_year = v.plan_year`,
    [
      rows.map((row) => row.key.ownerRowId),
      rows.map((row) => row.key.planId),
      rows.map((row) => row.key.planYear),
      rows.map((row) => row.accumulators.deductibleMetAmount),
      rows.map((row) => row.accumulators.outOfPocketMetAmount),
    ],
  );
}

/** The family's accumulators of a plan year, created at zero and row-locked. */
export async function lockFamilyAccumulators(
  client: pg.PoolClient,
  familyRowId: string,
  planId: string,
  planYear: string,
): Promise<Accumulators> {
  const key = { ownerRowId: familyRowId, planId, planYear };
  return (await lockAccumulatorRows(client, 'family', [key])).get(accumulatorKeyText(key))!;
}

export async function saveFamilyAccumulators(
  client: pg.PoolClient,
  familyRowId: string,
  result: DecidedAdjudication,
): Promise<void> {
  const after = result.familyAccumulatorsAfter;
  if (!after) return;
  const key = { ownerRowId: familyRowId, planId: result.planId, planYear: after.planYear };
  await saveAccumulatorRows(client, 'family', [{ key, accumulators: after }]);
}

/** Gives a reversed claim's deductible and out-of-pocket back to the family (then the member). */
export async function returnToFamily(
  client: pg.PoolClient,
  familyRowId: string,
  decision: DecidedAdjudication,
  amounts: { deductibleAmount: string; outOfPocketAmount: string },
): Promise<void> {
  // Decisions made before families were kept moved no family accumulator: nothing to return.
  if (!decision.familyAccumulatorsAfter) return;
  await client.query(
    `UPDATE family_accumulators
        SET deductible_met_amount = deductible_met_amount - $4,
            out_of_pocket_met_amount = out_of_pocket_met_amount - $5, updated_at = now()
      WHERE subscriber_member_id = $1 AND plan_id::text = $2 AND plan_year = $3`,
    [
      familyRowId,
      decision.planId,
      decision.planYear,
      amounts.deductibleAmount,
      amounts.outOfPocketAmount,
    ],
  );
}

/**
 * What the owner (a member, or a family on its subscriber's row) has met of a plan in a plan
 * year, unlocked: what an eligibility answer reports. Undefined when no row exists yet, that is
 * when nothing of that plan year has been adjudicated for it.
 */
export async function readAccumulatorAmounts(
  db: Queryable,
  level: AccumulatorLevel,
  key: AccumulatorKey,
): Promise<{ deductibleMetAmount: string; outOfPocketMetAmount: string } | undefined> {
  const { table, owner } = ACCUMULATOR_TABLES[level];
  const { rows } = await db.query<{ deductible: string; out_of_pocket: string }>(
    `SELECT deductible_met_amount::text AS deductible, out_of_pocket_met_amount::text AS out_of_pocket
       FROM ${table} WHERE ${owner} = $1 AND plan_id = $2 AND plan_year = $3`,
    [key.ownerRowId, key.planId, key.planYear],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { deductibleMetAmount: row.deductible, outOfPocketMetAmount: row.out_of_pocket };
}
