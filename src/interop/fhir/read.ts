// Reading what the FHIR resources are built from: the claim as its provider or payer may see it
// (getClaim: anyone else gets 404) and the claim's latest decision row.
import type { Claim, ClaimResponse, ExplanationOfBenefit } from '@medplum/fhirtypes';
import type { AdjudicationResult } from '../../domain/adjudication/types.js';
import { getClaim, type ClaimDetail } from '../../domain/claims/query.js';
import type { Principal } from '../../domain/organizations.js';
import type { Database } from '../../infra/db.js';
import { DomainError } from '../../infra/errors.js';
import type { PhiKeys } from '../../infra/phi.js';
import {
  claimResponseOf,
  explanationOfBenefitOf,
  isDecided,
  type DecisionRecord,
} from './adjudication-out.js';
import {
  fhirClaimOf,
  type ClaimForFhir,
  type Dependent,
  type Member,
  type PriorPayer,
} from './claim-out.js';

function claimForFhirOf(detail: ClaimDetail): ClaimForFhir {
  // The member, patient and earlier payers were validated by the claim schema before storing.
  const { patient, payerResponsibilityCode, priorPayers, ...claim } = detail;
  return {
    ...claim,
    member: detail.member as Member,
    ...(patient === undefined ? {} : { patient: patient as Dependent }),
    ...(payerResponsibilityCode === 'S' || payerResponsibilityCode === 'T'
      ? { payerResponsibilityCode, priorPayers: priorPayers as PriorPayer[] }
      : {}),
  };
}

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

export async function readFhirClaim(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
): Promise<Claim> {
  return fhirClaimOf(claimForFhirOf(await getClaim(database, phiKeys, principal, claimId)));
}

export async function readClaimResponse(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
): Promise<ClaimResponse> {
  const claim = await getClaim(database, phiKeys, principal, claimId);
  return claimResponseOf(claimForFhirOf(claim), await latestDecisionOf(database, claimId));
}

/** Only a decided claim has an explanation of benefits; a pended or undecided one answers 404. */
export async function readExplanationOfBenefit(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
): Promise<ExplanationOfBenefit> {
  const claim = await getClaim(database, phiKeys, principal, claimId);
  const decision = await latestDecisionOf(database, claimId);
  if (!isDecided(decision)) {
    throw new DomainError(
      'no explanation of benefit: the claim is not decided yet',
      404,
      'not_found',
    );
  }
  return explanationOfBenefitOf(claimForFhirOf(claim), decision);
}
