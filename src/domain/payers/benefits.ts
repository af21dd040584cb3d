// What a member's coverage gives on one date, read for eligibility inquiries: the coverage in
// force and its plan, the plan year's accumulators, the fee schedule's terms for the codes
// asked and the asking provider's prior authorizations. Four indexed reads, no locks and no
// decryption: an inquiry is the call billing offices make most and it changes nothing.
import type { Queryable } from '../../infra/db.js';
import { planYearOf } from '../adjudication/engine.js';

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
  coverage: { effectiveFrom: string; effectiveTo: string | null; plan: CoveredPlan } | undefined;
  planYear: string | undefined;
  accumulators: { deductibleMetAmount: string; outOfPocketMetAmount: string };
  /** The any-modifier fee schedule entry of each code asked that has one. */
  procedures: ProcedureTerms[];
  /** The provider's authorizations valid on the date for the codes asked. */
  authorizations: AuthorizationOnDate[];
}

export interface BenefitsQuestion {
  payerOrgId: string;
  /** The blind index of the member id asked about (phi.ts blindIndex). */
  memberIdIndex: string;
  date: string;
  procedureCodes: readonly string[];
  /** The asking provider, whose prior authorizations count; null when a payer asks. */
  providerOrgId: string | null;
}

const NOTHING_MET = { deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' };

interface CoverageRow {
  member_row_id: string;
  effective_from: string | null;
  effective_to: string | null;
  plan_id: string | null;
  code: string;
  name: string;
  deductible_amount: string;
  out_of_pocket_max_amount: string;
  copay_amount: string;
  coinsurance_percent: string;
  plan_year_start_month: number;
}

/** The member (by blind index, as adjudication finds it) and its coverage in force on the date. */
async function readCoverageOn(queryable: Queryable, question: BenefitsQuestion) {
  const { rows } = await queryable.query<CoverageRow>(
    `SELECT m.id AS member_row_id, c.effective_from::text AS effective_from,
            c.effective_to::text AS effective_to, p.id AS plan_id, p.code, p.name,
            p.deductible_amount::text AS deductible_amount,
            p.out_of_pocket_max_amount::text AS out_of_pocket_max_amount,
            p.copay_amount::text AS copay_amount, p.coinsurance_percent::text AS coinsurance_percent,
            p.plan_year_start_month
       FROM members m
       LEFT JOIN coverages c ON c.member_id = m.id AND c.effective_from <= $3::date
                            AND (c.effective_to IS NULL OR c.effective_to >= $3::date)
       LEFT JOIN plans p ON p.id = c.plan_id
      WHERE m.payer_org_id = $1 AND m.member_id_index = $2
      ORDER BY c.effective_from DESC NULLS LAST
      LIMIT 1`,
    [question.payerOrgId, question.memberIdIndex, question.date],
  );
  const row = rows[0];
  if (!row) return { memberRowId: undefined, coverage: undefined };
  if (row.plan_id === null || row.effective_from === null) {
    return { memberRowId: row.member_row_id, coverage: undefined };
  }
  const plan: CoveredPlan = {
    planId: row.plan_id,
    code: row.code,
    name: row.name,
    deductibleAmount: row.deductible_amount,
    outOfPocketMaxAmount: row.out_of_pocket_max_amount,
    copayAmount: row.copay_amount,
    coinsurancePercent: row.coinsurance_percent.replace(/\.?0+$/, '') || '0',
    planYearStartMonth: row.plan_year_start_month,
  };
  return {
    memberRowId: row.member_row_id,
    coverage: { effectiveFrom: row.effective_from, effectiveTo: row.effective_to, plan },
  };
}

async function readAccumulators(
  queryable: Queryable,
  memberRowId: string,
  planId: string,
  planYear: string,
) {
  const { rows } = await queryable.query<{ deductible: string; out_of_pocket: string }>(
    `SELECT deductible_met_amount::text AS deductible, out_of_pocket_met_amount::text AS out_of_pocket
       FROM accumulators WHERE member_id = $1 AND plan_id = $2 AND plan_year = $3`,
    [memberRowId, planId, planYear],
  );
  const row = rows[0];
  // No row yet: nothing of this plan year has been adjudicated for the member.
  if (!row) return NOTHING_MET;
  return { deductibleMetAmount: row.deductible, outOfPocketMetAmount: row.out_of_pocket };
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
  const { memberRowId, coverage } = await readCoverageOn(queryable, question);
  const planYear = coverage
    ? planYearOf(question.date, coverage.plan.planYearStartMonth)
    : undefined;
  const [accumulators, procedures, authorizations] = await Promise.all([
    memberRowId && coverage && planYear
      ? readAccumulators(queryable, memberRowId, coverage.plan.planId, planYear)
      : NOTHING_MET,
    coverage ? readProcedureTerms(queryable, question.payerOrgId, question.procedureCodes) : [],
    memberRowId && coverage ? readAuthorizations(queryable, memberRowId, question) : [],
  ]);
  return { memberRowId, coverage, planYear, accumulators, procedures, authorizations };
}
