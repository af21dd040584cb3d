// What a member's coverage gives on one date, read for eligibility inquiries: the member (a
// dependent too, as adjudication finds a claim's patient), the coverage that applies on the date
// and its plan (the member's own, or a dependent's subscriber's: the rule adjudication applies),
// the plan year's accumulators of the member and of its family, the fee schedule's terms for the
// codes asked and the asking provider's prior authorizations. Indexed reads, no locks and no
// decryption: an inquiry is the call billing offices make most and it changes nothing.
import type { Queryable } from '../../infra/db.js';
import { planYearOf } from '../adjudication/engine.js';
import { type AccumulatorLevel, readAccumulatorAmounts } from '../adjudication/index.js';
import { inForceOn, readAppliedCoverages } from './coverages.js';
import { type ClaimPatient, findClaimPatient } from './patients.js';

export interface CoveredPlan {
  planId: string;
  code: string;
  name: string;
  deductibleAmount: string;
  outOfPocketMaxAmount: string;
  copayAmount: string;
  /** Shortest form: "20", "12.5". */
  coinsurancePercent: string;
  planYearStartMonth: number;
  /** The plan's family limits; null: individual limits only. */
  familyDeductibleAmount: string | null;
  familyOutOfPocketMaxAmount: string | null;
}

export interface ProcedureTerms {
  procedureCode: string;
  allowedAmount: string;
  covered: boolean;
  priorAuthRequired: boolean;
}

export interface AuthorizationOnDate {
  procedureCode: string;
  unitsAuthorized: number;
  unitsUsed: number;
  validTo: string;
}

/** Everything an eligibility answer is built from; `memberRowId` undefined: no such member. */
export interface MemberBenefits {
  memberRowId: string | undefined;
  /** Why no member was found: no member with the id, or no such dependent of that subscriber. */
  notFound: 'member_not_found' | 'dependent_not_found' | null;
  coverage: { effectiveFrom: string; effectiveTo: string | null; plan: CoveredPlan } | undefined;
  planYear: string | undefined;
  /** The member's own figures of the plan year. */
  accumulators: { deductibleMetAmount: string; outOfPocketMetAmount: string };
  /** The family's (the subscriber and all its dependents) figures of the plan year. */
  familyAccumulators: { deductibleMetAmount: string; outOfPocketMetAmount: string };
  /** The any-modifier fee schedule entry of each code asked that has one. */
  procedures: ProcedureTerms[];
  /** The provider's authorizations valid on the date for the codes asked. */
  authorizations: AuthorizationOnDate[];
}

export interface BenefitsQuestion {
  payerOrgId: string;
  /** The blind index of the member id asked about (phi.ts blindIndex). */
  memberIdIndex: string;
  /**
   * A dependent named under its subscriber's member id (a 270's loop 2000D): its patient index
   * (names and birth date, dependents.ts patientIndexOf); null: the member id's own member.
   */
  patientIndex: string | null;
  date: string;
  procedureCodes: readonly string[];
  /** The asking provider, whose prior authorizations count; null when a payer asks. */
  providerOrgId: string | null;
}

const NOTHING_MET = { deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };

/** Who is asked about: the member, or why the payer knows no one by what was sent. */
type FoundPatient = ClaimPatient | 'member_not_found' | 'dependent_not_found';

/**
 * The member asked about, found as adjudication finds a claim's patient: by the member id's
 * blind index, and for a dependent named under its subscriber by the patient index too.
 */
async function findPatient(
  queryable: Queryable,
  question: BenefitsQuestion,
): Promise<FoundPatient> {
  const asked = {
    payer_org_id: question.payerOrgId,
    member_id_index: question.memberIdIndex,
    patient_index: question.patientIndex,
  };
  const patient = await findClaimPatient(queryable, asked);
  if (patient) return patient;
  if (question.patientIndex === null) return 'member_not_found';
  const subscriber = await findClaimPatient(queryable, { ...asked, patient_index: null });
  return subscriber ? 'dependent_not_found' : 'member_not_found';
}

interface PlanRow {
  code: string;
  name: string;
  deductible_amount: string;
  out_of_pocket_max_amount: string;
  copay_amount: string;
  coinsurance_percent: string;
  plan_year_start_month: number;
  family_deductible_amount: string | null;
  family_out_of_pocket_max_amount: string | null;
}

async function readPlan(queryable: Queryable, planId: string): Promise<CoveredPlan> {
  const { rows } = await queryable.query<PlanRow>(
    `SELECT code, name, deductible_amount::text AS deductible_amount,
            out_of_pocket_max_amount::text AS out_of_pocket_max_amount,
            copay_amount::text AS copay_amount, coinsurance_percent::text AS coinsurance_percent,
            plan_year_start_month, family_deductible_amount::text AS family_deductible_amount,
            family_out_of_pocket_max_amount::text AS family_out_of_pocket_max_amount
       FROM plans WHERE id = $1`,
    [planId],
  );
  // A coverage's plan_id is a foreign key: the plan exists.
  const row = rows[0]!;
  return {
    planId,
    code: row.code,
    name: row.name,
    deductibleAmount: row.deductible_amount,
    outOfPocketMaxAmount: row.out_of_pocket_max_amount,
    copayAmount: row.copay_amount,
    coinsurancePercent: row.coinsurance_percent.replace(/\.?0+$/, '') || '0',
    planYearStartMonth: row.plan_year_start_month,
    familyDeductibleAmount: row.family_deductible_amount,
    familyOutOfPocketMaxAmount: row.family_out_of_pocket_max_amount,
  };
}

/** The coverage that applies to the member on the date (adjudication's rule), with its plan. */
async function readCoverageOn(queryable: Queryable, patient: ClaimPatient, date: string) {
  const coverages = await readAppliedCoverages(queryable, patient);
  const inForce = coverages.find((coverage) => inForceOn(coverage, date));
  if (!inForce) return undefined;
  return {
    effectiveFrom: inForce.effectiveFrom,
    effectiveTo: inForce.effectiveTo,
    plan: await readPlan(queryable, inForce.planId),
  };
}

/**
 * What the member (its own row) or its family (the subscriber's row) has met of the plan in the
 * plan year, as adjudication keeps it; nothing met while adjudication has no row yet.
 */
async function readMet(
  queryable: Queryable,
  level: AccumulatorLevel,
  ownerRowId: string,
  planId: string,
  planYear: string,
) {
  return (
    (await readAccumulatorAmounts(queryable, level, { ownerRowId, planId, planYear })) ??
    NOTHING_MET
  );
}

async function readProcedureTerms(
  queryable: Queryable,
  payerOrgId: string,
  procedureCodes: readonly string[],
): Promise<ProcedureTerms[]> {
  if (procedureCodes.length === 0) return [];
  const { rows } = await queryable.query<{
    procedure_code: string;
    allowed_amount: string;
    covered: boolean;
    prior_auth_required: boolean;
  }>(
    `SELECT procedure_code, allowed_amount::text AS allowed_amount, covered, prior_auth_required
       FROM fee_schedule_entries
      WHERE payer_org_id = $1 AND procedure_code = ANY($2::text[]) AND modifier = ''`,
    [payerOrgId, procedureCodes],
  );
  return rows.map((row) => ({
    procedureCode: row.procedure_code,
    allowedAmount: row.allowed_amount,
    covered: row.covered,
    priorAuthRequired: row.prior_auth_required,
  }));
}

async function readAuthorizations(
  queryable: Queryable,
  memberRowId: string,
  question: BenefitsQuestion,
): Promise<AuthorizationOnDate[]> {
  if (question.providerOrgId === null || question.procedureCodes.length === 0) return [];
  const { rows } = await queryable.query<{
    procedure_code: string;
    units_authorized: number;
    units_used: number;
    valid_to: string;
  }>(
    `SELECT procedure_code, units_authorized, units_used, valid_to::text AS valid_to
       FROM prior_authorizations
      WHERE member_id = $1 AND provider_org_id = $2 AND payer_org_id = $3
        AND procedure_code = ANY($4::text[]) AND valid_from <= $5::date AND valid_to >= $5::date
      ORDER BY valid_to, id`,
    [
      memberRowId,
      question.providerOrgId,
      question.payerOrgId,
      question.procedureCodes,
      question.date,
    ],
  );
  return rows.map((row) => ({
    procedureCode: row.procedure_code,
    unitsAuthorized: row.units_authorized,
    unitsUsed: row.units_used,
    validTo: row.valid_to,
  }));
}

/** The member's benefits on `question.date`, as the payer's configuration stands now. */
export async function readMemberBenefits(
  queryable: Queryable,
  question: BenefitsQuestion,
): Promise<MemberBenefits> {
  const patient = await findPatient(queryable, question);
  if (typeof patient === 'string') {
    return {
      memberRowId: undefined,
      notFound: patient,
      coverage: undefined,
      planYear: undefined,
      accumulators: NOTHING_MET,
      familyAccumulators: NOTHING_MET,
      procedures: [],
      authorizations: [],
    };
  }
  const { memberRowId, familyRowId } = patient;
  const coverage = await readCoverageOn(queryable, patient, question.date);
  const planYear = coverage
    ? planYearOf(question.date, coverage.plan.planYearStartMonth)
    : undefined;
  const planId = coverage?.plan.planId;
  const [accumulators, familyAccumulators, procedures, authorizations] = await Promise.all([
    planId && planYear ? readMet(queryable, 'member', memberRowId, planId, planYear) : NOTHING_MET,
    planId && planYear ? readMet(queryable, 'family', familyRowId, planId, planYear) : NOTHING_MET,
    coverage ? readProcedureTerms(queryable, question.payerOrgId, question.procedureCodes) : [],
    coverage ? readAuthorizations(queryable, memberRowId, question) : [],
  ]);
  return {
    memberRowId,
    notFound: null,
    coverage,
    planYear,
    accumulators,
    familyAccumulators,
    procedures,
    authorizations,
  };
}
