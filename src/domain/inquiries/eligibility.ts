// The answer to an eligibility inquiry, from what the payer's configuration holds for the member
// on one date: a pure function, so the JSON, the 271 and the FHIR answers say the same thing.
// It says no more than a 271 would: covered or not (and why, in the 271's terms), the plan, the
// coverage dates, the plan year's deductible and out-of-pocket figures, cost sharing, and per
// procedure code asked its terms and the asking provider's authorization.
import { Decimal } from 'decimal.js';
import type { MemberBenefits } from '../payers/benefits.js';

/** At most this many procedure codes per inquiry (a 270's EQ01 repeats at most 99 times). */
export const PROCEDURE_CODES_PER_INQUIRY_MAX = 20;

/**
 * Why a patient is not covered, as a 271 says it: an unknown member is AAA*N**75 (subscriber
 * not found); a member without coverage on the date is EB*6 (inactive).
 */
export type NotCoveredReason = 'member_not_found' | 'no_coverage_on_date' | 'payer_not_found';

export const NOT_COVERED_MESSAGES: Record<NotCoveredReason, string> = {
  member_not_found: 'the payer has no member with this member id',
  no_coverage_on_date: 'the member has no coverage in force on this date',
  payer_not_found: 'no payer organization has this id',
};

/** A plan amount with how much of it the member has met this plan year and what is left. */
export interface AccumulatedAmount {
  amount: string;
  metAmount: string;
  remainingAmount: string;
}

/** One coverage level's figures; `family` is reported beside `individual` once families exist. */
export interface CoverageLevelBenefits {
  deductible: AccumulatedAmount;
  outOfPocketMaximum: AccumulatedAmount;
}

export interface ProcedureAnswer {
  procedureCode: string;
  /** false: the payer's fee schedule does not price the code; a claim for it pends or is denied. */
  onFeeSchedule: boolean;
  /** null when the code is not on the fee schedule. */
  covered: boolean | null;
  allowedAmount: string | null;
  priorAuthorizationRequired: boolean | null;
  /** The asking provider's authorizations valid on the date; null when a payer asks. */
  priorAuthorization: { active: boolean; unitsRemaining: number } | null;
}

export interface EligibilityAnswer {
  payerId: string;
  date: string;
  covered: boolean;
  notCovered: { reason: NotCoveredReason; message: string } | null;
  plan: { code: string; name: string } | null;
  coverage: { effectiveFrom: string; effectiveTo: string | null } | null;
  /** The plan year the date falls in: its first and last day. */
  planYear: { start: string; end: string } | null;
  benefits: { individual: CoverageLevelBenefits; family: CoverageLevelBenefits | null } | null;
  copayAmount: string | null;
  coinsurancePercent: string | null;
  procedures: ProcedureAnswer[];
}

const money = (value: Decimal) => value.toFixed(2);

export function accumulatedOf(amount: string, metAmount: string): AccumulatedAmount {
  const remaining = Decimal.max(new Decimal(amount).minus(metAmount), 0);
  return {
    amount: money(new Decimal(amount)),
    metAmount: money(new Decimal(metAmount)),
    remainingAmount: money(remaining),
  };
}

/** The first and last day of plan year `planYear` (a year starting in `startMonth`). */
export function planYearRange(planYear: string, startMonth: number) {
  const start = new Date(Date.UTC(Number(planYear), startMonth - 1, 1));
  const next = new Date(Date.UTC(Number(planYear) + 1, startMonth - 1, 1));
  const end = new Date(next.getTime() - 86_400_000);
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

export function notCoveredAnswer(
  payerId: string,
  date: string,
  reason: NotCoveredReason,
): EligibilityAnswer {
  return {
    payerId,
    date,
    covered: false,
    notCovered: { reason, message: NOT_COVERED_MESSAGES[reason] },
    plan: null,
    coverage: null,
    planYear: null,
    benefits: null,
    copayAmount: null,
    coinsurancePercent: null,
    procedures: [],
  };
}

function procedureAnswerOf(
  procedureCode: string,
  benefits: MemberBenefits,
  providerAsks: boolean,
): ProcedureAnswer {
  const terms = benefits.procedures.find((entry) => entry.procedureCode === procedureCode);
  const unitsRemaining = benefits.authorizations
    .filter((authorization) => authorization.procedureCode === procedureCode)
    .reduce(
      (sum, authorization) =>
        sum + Math.max(authorization.unitsAuthorized - authorization.unitsUsed, 0),
      0,
    );
  return {
    procedureCode,
    onFeeSchedule: terms !== undefined,
    covered: terms?.covered ?? null,
    allowedAmount: terms ? terms.allowedAmount : null,
    priorAuthorizationRequired: terms?.priorAuthRequired ?? null,
    priorAuthorization: providerAsks ? { active: unitsRemaining > 0, unitsRemaining } : null,
  };
}

/** The answer for a member the payer knows (`benefits.memberRowId` set) or does not. */
export function eligibilityAnswerOf(
  question: { payerId: string; date: string; procedureCodes: readonly string[] },
  benefits: MemberBenefits,
  providerAsks: boolean,
): EligibilityAnswer {
  const { payerId, date } = question;
  if (benefits.memberRowId === undefined)
    return notCoveredAnswer(payerId, date, 'member_not_found');
  const { coverage, planYear } = benefits;
  if (!coverage || planYear === undefined) {
    return notCoveredAnswer(payerId, date, 'no_coverage_on_date');
  }
  const { plan } = coverage;
  const { accumulators } = benefits;
  return {
    payerId,
    date,
    covered: true,
    notCovered: null,
    plan: { code: plan.code, name: plan.name },
    coverage: { effectiveFrom: coverage.effectiveFrom, effectiveTo: coverage.effectiveTo },
    planYear: planYearRange(planYear, plan.planYearStartMonth),
    benefits: {
      individual: {
        deductible: accumulatedOf(plan.deductibleAmount, accumulators.deductibleMetAmount),
        outOfPocketMaximum: accumulatedOf(
          plan.outOfPocketMaxAmount,
          accumulators.outOfPocketMetAmount,
        ),
      },
      family: null,
    },
    copayAmount: money(new Decimal(plan.copayAmount)),
    coinsurancePercent: plan.coinsurancePercent,
    procedures: question.procedureCodes.map((code) =>
      procedureAnswerOf(code, benefits, providerAsks),
    ),
  };
}
