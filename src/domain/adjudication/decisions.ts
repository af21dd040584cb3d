// A claim's decisions as others read them: the latest decision row (pended or decided), which
// the FHIR ClaimResponse and ExplanationOfBenefit are written from.
import type { Database } from '../../infra/db.js';
import type { AdjudicationResult, DecisionRecord } from './types.js';

/** The claim's latest decision (pended or decided), or null while it has none. */
export async function latestDecisionOf(
  database: Database,
  claimId: string,
): Promise<DecisionRecord | null> {
  const row = await database.prisma.claimDecision.findFirst({
    where: { claimId },
    orderBy: [{ decidedAt: 'desc' }, { id: 'desc' }],
  });
  if (!row) return null;
  const result = row.result as unknown as AdjudicationResult;
  if (result.outcome !== 'pend' && result.outcome !== 'decided') {
    throw new Error(`claim decision ${row.id} holds no adjudication result`);
  }
  return {
    id: row.id,
    decidedAt: row.decidedAt.toISOString(),
    status: row.status,
    paidAmount: row.paidAmount.toFixed(2),
    patientResponsibilityAmount: row.patientResponsibilityAmount.toFixed(2),
    result,
  };
}
