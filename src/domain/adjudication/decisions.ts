// A claim's decisions as others read them: the latest decision row (pended or decided), which
// the FHIR ClaimResponse and ExplanationOfBenefit are written from.
import type { Queryable } from '../../infra/db.js';
import type { AdjudicationResult, DecisionRecord } from './types.js';

/** The claim's latest decision (pended or decided), or null while it has none. */
export async function latestDecisionOf(
  db: Queryable,
  claimId: string,
): Promise<DecisionRecord | null> {
  const { rows } = await db.query<{
    id: string;
    decided_at: Date;
    decided_by: string;
    status: string;
    paid_amount: string;
    patient_responsibility_amount: string;
    result: AdjudicationResult;
  }>(
    `SELECT id, decided_at, decided_by, status, paid_amount::text,
            patient_responsibility_amount::text, result
       FROM claim_decisions WHERE claim_id = $1
      ORDER BY decided_at DESC, id DESC LIMIT 1`,
    [claimId],
  );
  const row = rows[0];
  if (!row) return null;
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
