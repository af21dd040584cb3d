// One payer configuration that the eligibility tests of every channel (JSON, X12 271, FHIR) ask
// about, so each checks the same hand-worked figures: a deductible of 500.00 with 200.00 met
// leaves 300.00; an out-of-pocket maximum of 3000.00 with 450.00 met leaves 2550.00.
import { createActor, type Actor, type TestEnvironment } from './environment.js';
import {
  insertAccumulators,
  insertFeeScheduleEntry,
  insertMember,
  insertPlan,
  insertPriorAuthorization,
} from './payer.js';

export interface EligibilityScenario {
  payer: Actor;
  provider: Actor;
  planId: string;
  planCode: string;
  /** Covered 2026-01-01 to 2026-12-31, with 2026 accumulators. */
  coveredMemberId: string;
  coveredMemberRowId: string;
  /** Enrolled, never covered. */
  uncoveredMemberId: string;
}

export async function createEligibilityScenario(
  environment: TestEnvironment,
): Promise<EligibilityScenario> {
  const payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const provider = await createActor(environment, 'provider', 'provider_biller');
  const payerOrgId = payer.organization.id;
  const planId = await insertPlan(environment, payerOrgId, {
    deductibleAmount: '500.00',
    outOfPocketMaxAmount: '3000.00',
    copayAmount: '25.00',
    coinsurancePercent: '20',
  });
  const coveredMemberId = 'ELIG100200';
  const coveredMemberRowId = await insertMember(
    environment,
    payerOrgId,
    coveredMemberId,
    planId,
    '2026-01-01',
    '2026-12-31',
  );
  await insertAccumulators(environment, coveredMemberRowId, planId, '2026', {
    deductibleMetAmount: '200.00',
    outOfPocketMetAmount: '450.00',
  });
  const uncoveredMemberId = 'ELIG999000';
  await insertMember(environment, payerOrgId, uncoveredMemberId, null);
  await insertFeeScheduleEntry(environment, payerOrgId, '99213', '100.00', { copayApplies: true });
  await insertFeeScheduleEntry(environment, payerOrgId, '27447', '1450.00', {
    priorAuthRequired: true,
  });
  await insertFeeScheduleEntry(environment, payerOrgId, '97110', '40.00', { covered: false });
  await insertPriorAuthorization(environment, {
    payerOrgId,
    memberRowId: coveredMemberRowId,
    providerOrgId: provider.organization.id,
    procedureCode: '27447',
    unitsAuthorized: 3,
    unitsUsed: 1,
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
  });
  return {
    payer,
    provider,
    planId,
    planCode: `P-${planId.slice(0, 8)}`,
    coveredMemberId,
    coveredMemberRowId,
    uncoveredMemberId,
  };
}
