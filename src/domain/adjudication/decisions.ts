// A claim's decisions as others read them: the latest decision row (pended or decided), which
// the FHIR ClaimResponse and ExplanationOfBenefit are written from, and the same for many claims
// at once (a claim status answer, a settlement batch, a remittance, the console's charts,
// reconciliation).
import type { Queryable } from '../../infra/db.js';
import { type ClaimSet, claimsById, paramAfter } from '../claims/index.js';
import type { AdjudicationResult, DecisionRecord } from './types.js';

interface DecisionRow {
  id: string;
  decided_at: Date;
  decided_by: string;
  status: string;
  paid_amount: string;
  patient_responsibility_amount: string;
  result: AdjudicationResult;
}

const DECISION_COLUMNS = `id, decided_at, decided_by, status, paid_amount::text AS paid_amount,
  patient_responsibility_amount::text AS patient_responsibility_amount, result`;

/**
 * Each claim's latest decision, one index probe a claim (claim_decisions_claim_id_idx): the
 * LATERAL ... LIMIT 1 keeps the planner from reading and sorting every decision of the claims.
 * Decisions of one instant are told apart by id, here and in every read of a latest decision,
 * so that no two readers take different decisions for the latest.
 */
export const latestOfEachClaim = (columns: string, claims: ClaimSet) =>
  `SELECT c.*, d.* FROM (${claims.sql}) AS c
     JOIN LATERAL (SELECT ${columns} FROM claim_decisions WHERE claim_id = c.claim_id
                    ORDER BY decided_at DESC, id DESC LIMIT 1) d ON true`;

/** The claim's latest decision (pended or decided), or null while it has none. */
export async function latestDecisionOf(
  db: Queryable,
  claimId: string,
): Promise<DecisionRecord | null> {
  const { rows } = await db.query<DecisionRow>(
    `SELECT ${DECISION_COLUMNS} FROM claim_decisions WHERE claim_id = $1
      ORDER BY decided_at DESC, id DESC LIMIT 1`,
    [claimId],
  );
  return rows[0] ? decisionRecordOf(rows[0]) : null;
}

/** The latest decision of each of the claims, by claim id; a claim without one is absent. */
export async function latestDecisionsOf(
  db: Queryable,
  claimIds: readonly string[],
): Promise<Map<string, DecisionRecord>> {
  if (claimIds.length === 0) return new Map();
  const claims = claimsById(claimIds);
  const { rows } = await db.query<DecisionRow & { claim_id: string }>(
    latestOfEachClaim(DECISION_COLUMNS, claims),
    claims.values,
  );
  return new Map(rows.map((row) => [row.claim_id, decisionRecordOf(row)]));
}

/**
 * What the latest decision of each of the claims paid, by claim id; a claim without one is
 * absent. Without the result: a settlement batch reads thousands.
 */
export async function latestPaidAmountsOf(
  db: Queryable,
  claimIds: readonly string[],
): Promise<Map<string, string>> {
  if (claimIds.length === 0) return new Map();
  const claims = claimsById(claimIds);
  const { rows } = await db.query<{ claim_id: string; paid_amount: string }>(
    latestOfEachClaim('paid_amount::text AS paid_amount', claims),
    claims.values,
  );
  return new Map(rows.map((row) => [row.claim_id, row.paid_amount]));
}

/**
 * What the latest decisions of the claims paid, summed by the group each claim is in (the set's
 * `grp`: a provider, for the console's chart): the most paid first, ties by group, at most
 * `groupsMax`. One statement: one row a group comes back, not one a claim.
 */
export async function latestPaidTotalsByGroup(
  db: Queryable,
  claims: ClaimSet,
  groupsMax: number,
): Promise<{ group: string; paidAmount: string }[]> {
  const { rows } = await db.query<{ grp: string; paid: string }>(
    `SELECT d.grp, sum(d.paid_amount)::text AS paid
       FROM (${latestOfEachClaim('paid_amount', claims)}) d
      GROUP BY d.grp ORDER BY sum(d.paid_amount) DESC, d.grp LIMIT ${paramAfter(claims, 1)}`,
    [...claims.values, groupsMax],
  );
  return rows.map((row) => ({ group: row.grp, paidAmount: row.paid }));
}

export interface ClaimAsOf {
  claimId: string;
  asOf: Date;
}

/**
 * For each claim and moment given, in their order: the paid amount of the claim's latest
 * decision at or before that moment, or null when it had none: what reconciliation holds each
 * settlement batch's claim line to, as of when the batch was made.
 */
export async function paidAmountsAsOf(
  db: Queryable,
  claims: readonly ClaimAsOf[],
): Promise<(string | null)[]> {
  if (claims.length === 0) return [];
  const { rows } = await db.query<{ ordinal: string; paid_amount: string | null }>(
    `SELECT x.ordinal, d.paid_amount::text AS paid_amount
       FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS x(claim_id, as_of, ordinal)
       LEFT JOIN LATERAL (SELECT paid_amount FROM claim_decisions
                           WHERE claim_id = x.claim_id AND decided_at <= x.as_of
                           ORDER BY decided_at DESC, id DESC LIMIT 1) d ON true`,
    [claims.map((claim) => claim.claimId), claims.map((claim) => claim.asOf)],
  );
  const paidAmounts: (string | null)[] = new Array<string | null>(claims.length).fill(null);
  for (const row of rows) paidAmounts[Number(row.ordinal) - 1] = row.paid_amount;
  return paidAmounts;
}

export interface DenialReason {
  /** CAS01, e.g. "CO". */
  group: string;
  /** The CARC, e.g. "31". */
  reasonCode: string;
  lineCount: number;
  amount: string;
}

/**
 * The adjustments of the denied lines in the claims' latest decisions, by group and reason:
 * the most lines first, at most `reasonsMax`.
 */
export async function denialReasonsOf(
  db: Queryable,
  claims: ClaimSet,
  reasonsMax: number,
): Promise<DenialReason[]> {
  const { rows } = await db.query<{
    grp: string;
    reason: string;
    line_count: number;
    amount: string;
  }>(
    `SELECT a->>'group' AS grp, a->>'reasonCode' AS reason, count(*)::int AS line_count,
            sum((a->>'amount')::numeric)::text AS amount
       FROM (${latestOfEachClaim('result', claims)}) d
       CROSS JOIN LATERAL jsonb_array_elements(COALESCE(d.result->'lines', '[]'::jsonb)) l
       CROSS JOIN LATERAL jsonb_array_elements(COALESCE(l->'adjustments', '[]'::jsonb)) a
      WHERE (l->>'denied')::boolean IS TRUE
      GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ${paramAfter(claims, 1)}`,
    [...claims.values, reasonsMax],
  );
  return rows.map((row) => ({
    group: row.grp,
    reasonCode: row.reason,
    lineCount: row.line_count,
    amount: row.amount,
  }));
}

function decisionRecordOf(row: DecisionRow): DecisionRecord {
  const result = row.result;
  if (result.outcome !== 'pend' && result.outcome !== 'decided') {
    throw new Error(`claim decision ${row.id} holds no adjudication result`);
  }
  return {
    id: row.id,
    decidedAt: row.decided_at.toISOString(),
    decidedBy: row.decided_by,
    status: row.status,
    paidAmount: row.paid_amount,
    patientResponsibilityAmount: row.patient_responsibility_amount,
    result,
  };
}
