// Adjudicating one stored claim, and the reads and writes a person's decision (review.ts) shares
// with it. Automatic adjudication of one claim is a batch of one (batch.ts), so a claim is
// decided the same way whether it comes alone or with 499 others.
import type pg from 'pg';
import type { Database } from '../../infra/db.js';
import type { JsonValue } from '../../ledger/canonical.js';
import { type ClaimPatient, planTermsOf, readAppliedCoverages } from '../payers/index.js';
import { adjudicateBatch } from './batch.js';
import { accumulatorKeyText, lockAccumulatorRows, saveAccumulatorRows } from './family.js';
import { NO_PLAN, planIdFor, type LineRow, type StoredCoverage } from './stored-claim.js';
import type { Accumulators, AdjudicationResult, DecidedAdjudication, Plan } from './types.js';
import { DecisionWrites, type AdjudicationOutcome, type DecidedClaim } from './writes.js';

export {
  NO_PLAN,
  earliestServiceDate,
  type ClaimRow,
  type LineRow,
  type StoredCoverage,
} from './stored-claim.js';
export type { AdjudicationOutcome } from './writes.js';

/**
 * Adjudicates a submitted claim. Returns skipped when the claim is no longer waiting (already
 * decided, or being decided by another worker right now), which makes a retried or duplicated
 * job harmless.
 */
export async function adjudicateClaim(
  database: Database,
  claimId: string,
): Promise<AdjudicationOutcome> {
  const { outcomes } = await adjudicateBatch(database, { claimId });
  return outcomes[0]?.outcome ?? { status: 'skipped' };
}

/** The patient's coverages, by the rule eligibility answers with too (readAppliedCoverages). */
export async function readPatientCoverages(
  client: pg.PoolClient,
  patient: ClaimPatient,
): Promise<StoredCoverage[]> {
  const coverages = await readAppliedCoverages(client, patient);
  return coverages.map(({ id, version, planId, effectiveFrom, effectiveTo }) => ({
    id,
    version,
    coverage: { planId, effectiveFrom, effectiveTo },
  }));
}

/** The plan of the coverage in force on the earliest service date (else the latest one). */
export async function planFor(
  client: pg.PoolClient,
  coverages: StoredCoverage[],
  lines: LineRow[],
): Promise<{ plan: Plan; version: { id: string; version: number } | null }> {
  const planId = planIdFor(coverages, lines);
  if (!planId) return { plan: NO_PLAN, version: null };
  return planTermsOf(client, planId);
}

export async function lockAccumulators(
  client: pg.PoolClient,
  memberId: string,
  planId: string,
  planYear: string,
): Promise<Accumulators> {
  if (planId === NO_PLAN.planId) {
    return { planYear, deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };
  }
  const key = { ownerRowId: memberId, planId, planYear };
  return (await lockAccumulatorRows(client, 'member', [key])).get(accumulatorKeyText(key))!;
}

export async function saveAccumulators(
  client: pg.PoolClient,
  memberId: string,
  result: DecidedAdjudication,
): Promise<void> {
  if (result.planId === NO_PLAN.planId) return;
  const after = result.accumulatorsAfter;
  const key = { ownerRowId: memberId, planId: result.planId, planYear: after.planYear };
  await saveAccumulatorRows(client, 'member', [{ key, accumulators: after }]);
}

/** Writes one decision: its row, the claim's status, its journal entry and its ledger event. */
export async function recordDecision(
  client: pg.PoolClient,
  claim: DecidedClaim,
  result: AdjudicationResult,
  versions: JsonValue,
  decidedBy: string,
  note?: string,
): Promise<AdjudicationOutcome> {
  const writes = new DecisionWrites();
  const outcome = writes.addDecision(claim, result, versions, decidedBy, note);
  await writes.write(client);
  return outcome;
}
