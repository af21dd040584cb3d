// Who a claim is for, and what the family has met. A claim names the subscriber (its member id,
// by blind index) and, for a dependent, the patient (by patient index: names and birth date);
// the patient is that dependent of the subscriber. A family is a subscriber and its dependents;
// its accumulators (per plan and plan year) sit beside each member's own and are locked before
// them: claim, then family accumulator, then member accumulator, always in that order, so
// concurrent claims of one family queue instead of double-counting or deadlocking.
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';
import type { Accumulators, DecidedAdjudication } from './types.js';

export interface ClaimPatient {
  /** The member row the claim is for: the subscriber, or one of its dependents. */
  memberRowId: string;
  /** The row of the family's subscriber (the patient's own row when it is the subscriber). */
  familyRowId: string;
}

/**
 * The member a claim is for, or undefined when the payer does not know them: no member with the
 * subscriber's id, or no dependent of that subscriber with the patient's names and birth date.
 */
export async function findClaimPatient(
  client: Queryable,
  claim: { payer_org_id: string; member_id_index: string; patient_index: string | null },
): Promise<ClaimPatient | undefined> {
  const { rows } = await client.query<{ id: string; subscriber_member_id: string | null }>(
    claim.patient_index === null
      ? `SELECT id, subscriber_member_id FROM members
          WHERE payer_org_id = $1 AND member_id_index = $2`
      : `SELECT d.id, d.subscriber_member_id FROM members s
           JOIN members d ON d.subscriber_member_id = s.id AND d.patient_index = $3
          WHERE s.payer_org_id = $1 AND s.member_id_index = $2`,
    claim.patient_index === null
      ? [claim.payer_org_id, claim.member_id_index]
      : [claim.payer_org_id, claim.member_id_index, claim.patient_index],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { memberRowId: row.id, familyRowId: row.subscriber_member_id ?? row.id };
}

/** The family's accumulators of a plan year, created at zero and row-locked. */
export async function lockFamilyAccumulators(
  client: pg.PoolClient,
  familyRowId: string,
  planId: string,
  planYear: string,
): Promise<Accumulators> {
  await client.query(
    `INSERT INTO family_accumulators (subscriber_member_id, plan_id, plan_year,
       deductible_met_amount, out_of_pocket_met_amount, updated_at)
     VALUES ($1, $2, $3, 0, 0, now()) ON CONFLICT DO NOTHING`,
    [familyRowId, planId, planYear],
  );
  const { rows } = await client.query<{ deductible: string; out_of_pocket: string }>(
    `SELECT deductible_met_amount::text AS deductible, out_of_pocket_met_amount::text AS out_of_pocket
       FROM family_accumulators
      WHERE subscriber_member_id = $1 AND plan_id = $2 AND plan_year = $3 FOR UPDATE`,
    [familyRowId, planId, planYear],
  );
  return {
    planYear,
    deductibleMetAmount: rows[0]!.deductible,
    outOfPocketMetAmount: rows[0]!.out_of_pocket,
  };
}

export async function saveFamilyAccumulators(
  client: pg.PoolClient,
  familyRowId: string,
  result: DecidedAdjudication,
): Promise<void> {
  const after = result.familyAccumulatorsAfter;
  if (!after) return;
  await client.query(
    `UPDATE family_accumulators SET deductible_met_amount = $4, out_of_pocket_met_amount = $5,
            updated_at = now()
      WHERE subscriber_member_id = $1 AND plan_id = $2 AND plan_year = $3`,
    [
      familyRowId,
      result.planId,
      after.planYear,
      after.deductibleMetAmount,
      after.outOfPocketMetAmount,
    ],
  );
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

export interface FamilyAccumulatorsView {
  planId: string;
  planYear: string;
  /** The row id of the family's subscriber. */
  subscriberMemberId: string;
  deductibleMetAmount: string;
  outOfPocketMetAmount: string;
  /** The plan's family limits; null: the plan has individual limits only. */
  familyDeductibleAmount: string | null;
  familyOutOfPocketMaxAmount: string | null;
}

/**
 * What the family of a member (the member's subscriber and all its dependents) has met in a plan
 * year, per plan, with the plan's family limits: what an eligibility answer reports beside the
 * member's own figures. Empty when the family has no claims in that year yet (nothing met).
 * Another payer's member answers as empty, as an unknown one.
 */
export async function readFamilyAccumulators(
  db: Queryable,
  payerOrgId: string,
  memberRowId: string,
  planYear: string,
): Promise<FamilyAccumulatorsView[]> {
  const { rows } = await db.query<{
    plan_id: string;
    subscriber_member_id: string;
    deductible: string;
    out_of_pocket: string;
    family_deductible: string | null;
    family_out_of_pocket: string | null;
  }>(
    `SELECT f.plan_id, f.subscriber_member_id, f.deductible_met_amount::text AS deductible,
            f.out_of_pocket_met_amount::text AS out_of_pocket,
            p.family_deductible_amount::text AS family_deductible,
            p.family_out_of_pocket_max_amount::text AS family_out_of_pocket
       FROM members m
       JOIN family_accumulators f ON f.subscriber_member_id = COALESCE(m.subscriber_member_id, m.id)
       JOIN plans p ON p.id = f.plan_id
      WHERE m.id = $1 AND m.payer_org_id = $2 AND f.plan_year = $3
      ORDER BY f.plan_id`,
    [memberRowId, payerOrgId, planYear],
  );
  return rows.map((row) => ({
    planId: row.plan_id,
    planYear,
    subscriberMemberId: row.subscriber_member_id,
    deductibleMetAmount: row.deductible,
    outOfPocketMetAmount: row.out_of_pocket,
    familyDeductibleAmount: row.family_deductible,
    familyOutOfPocketMaxAmount: row.family_out_of_pocket,
  }));
}
