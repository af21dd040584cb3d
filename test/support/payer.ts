// Payer configuration written straight into the tables, for adjudication tests that should
// not depend on the configuration API's own behaviour.
import { randomUUID } from 'node:crypto';
import { phiKeysOf } from '../../src/api/app.js';
import { blindIndex, encryptPhi } from '../../src/infra/phi.js';
import type { TestEnvironment } from './environment.js';

export interface TestPlan {
  deductibleAmount: string;
  outOfPocketMaxAmount: string;
  copayAmount: string;
  coinsurancePercent: string;
}

export async function insertPlan(
  environment: TestEnvironment,
  payerOrgId: string,
  plan: TestPlan,
): Promise<string> {
  const id = randomUUID();
  await environment.database.pool.query(
    `INSERT INTO plans (id, payer_org_id, code, name, deductible_amount, out_of_pocket_max_amount,
       copay_amount, coinsurance_percent, plan_year_start_month, version, updated_at)
     VALUES ($1, $2, $3, 'Test plan', $4, $5, $6, $7, 1, 1, now())`,
    [
      id,
      payerOrgId,
      `P-${id.slice(0, 8)}`,
      plan.deductibleAmount,
      plan.outOfPocketMaxAmount,
      plan.copayAmount,
      plan.coinsurancePercent,
    ],
  );
  return id;
}

/**
 * Enrolls a member (found by claims through the same blind index) with one coverage, or with
 * none when `planId` is null.
 */
export async function insertMember(
  environment: TestEnvironment,
  payerOrgId: string,
  memberId: string,
  planId: string | null,
  effectiveFrom = '2026-01-01',
  effectiveTo: string | null = null,
): Promise<string> {
  const phiKeys = phiKeysOf(environment.config);
  const id = randomUUID();
  // The same shape enrollment encrypts, so anything reading members reads these too.
  const member = {
    memberId,
    firstName: 'Test',
    lastName: 'Member',
    birthDate: '1980-01-01',
    gender: 'U',
  };
  const sealed = encryptPhi(phiKeys, JSON.stringify(member));
  await environment.database.pool.query(
    `INSERT INTO members (id, payer_org_id, member_id_index, member_ciphertext, phi_key_version)
     VALUES ($1, $2, $3, $4, $5)`,
    [id, payerOrgId, blindIndex(phiKeys, memberId), sealed.ciphertext, sealed.version],
  );
  if (planId === null) return id;
  await environment.database.pool.query(
    `INSERT INTO coverages (id, member_id, plan_id, effective_from, effective_to, version, updated_at)
     VALUES ($1, $2, $3, $4, $5, 1, now())`,
    [randomUUID(), id, planId, effectiveFrom, effectiveTo],
  );
  return id;
}

export async function insertFeeScheduleEntry(
  environment: TestEnvironment,
  payerOrgId: string,
  procedureCode: string,
  allowedAmount: string,
  options: { covered?: boolean; priorAuthRequired?: boolean; copayApplies?: boolean } = {},
): Promise<void> {
  await environment.database.pool.query(
    `INSERT INTO fee_schedule_entries (payer_org_id, procedure_code, modifier, allowed_amount,
       covered, prior_auth_required, copay_applies, version, updated_at)
     VALUES ($1, $2, '', $3, $4, $5, $6, 1, now())`,
    [
      payerOrgId,
      procedureCode,
      allowedAmount,
      options.covered ?? true,
      options.priorAuthRequired ?? false,
      options.copayApplies ?? false,
    ],
  );
}

export async function insertPayerRules(
  environment: TestEnvironment,
  payerOrgId: string,
  autoAdjudicationLimitAmount: string,
  timelyFilingDays = 365,
): Promise<void> {
  await environment.database.pool.query(
    `INSERT INTO payer_rules (payer_org_id, timely_filing_days, auto_adjudication_limit_amount,
       pend_unknown_codes, version, updated_at)
     VALUES ($1, $2, $3, true, 1, now())`,
    [payerOrgId, timelyFilingDays, autoAdjudicationLimitAmount],
  );
}

/** What a member has met of the plan's deductible and out-of-pocket maximum in a plan year. */
export async function insertAccumulators(
  environment: TestEnvironment,
  memberRowId: string,
  planId: string,
  planYear: string,
  met: { deductibleMetAmount: string; outOfPocketMetAmount: string },
): Promise<void> {
  await environment.database.pool.query(
    `INSERT INTO accumulators (member_id, plan_id, plan_year, deductible_met_amount,
       out_of_pocket_met_amount, updated_at)
     VALUES ($1, $2, $3, $4, $5, now())`,
    [memberRowId, planId, planYear, met.deductibleMetAmount, met.outOfPocketMetAmount],
  );
}

/** A prior authorization of `procedureCode` for the member at the provider. */
export async function insertPriorAuthorization(
  environment: TestEnvironment,
  authorization: {
    payerOrgId: string;
    memberRowId: string;
    providerOrgId: string;
    procedureCode: string;
    unitsAuthorized: number;
    unitsUsed: number;
    validFrom: string;
    validTo: string;
  },
): Promise<void> {
  await environment.database.pool.query(
    `INSERT INTO prior_authorizations (id, payer_org_id, member_id, provider_org_id,
       procedure_code, units_authorized, units_used, valid_from, valid_to, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
    [
      randomUUID(),
      authorization.payerOrgId,
      authorization.memberRowId,
      authorization.providerOrgId,
      authorization.procedureCode,
      authorization.unitsAuthorized,
      authorization.unitsUsed,
      authorization.validFrom,
      authorization.validTo,
    ],
  );
}

/** What a family (keyed by its subscriber's row) has met of a plan in a plan year. */
export async function insertFamilyAccumulators(
  environment: TestEnvironment,
  subscriberRowId: string,
  planId: string,
  planYear: string,
  met: { deductibleMetAmount: string; outOfPocketMetAmount: string },
): Promise<void> {
  await environment.database.pool.query(
    `INSERT INTO family_accumulators (subscriber_member_id, plan_id, plan_year,
       deductible_met_amount, out_of_pocket_met_amount, updated_at)
     VALUES ($1, $2, $3, $4, $5, now())`,
    [subscriberRowId, planId, planYear, met.deductibleMetAmount, met.outOfPocketMetAmount],
  );
}
