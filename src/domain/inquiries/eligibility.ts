// The answer to an eligibility inquiry, from what the payer's configuration holds for the member
// on one date: a pure function, so the JSON, the 271 and the FHIR answers say the same thing.
// It says no more than a 271 would: covered or not (and why, in the 271's terms), the plan, the
// coverage dates, the plan year's deductible and out-of-pocket figures of the member and, when
// the plan has family limits, of its family, cost sharing, and per procedure code asked its
// terms and the asking provider's authorization.
import { Decimal } from 'decimal.js';
import type { MemberBenefits } from '../payers/index.js';

/** At most this many procedure codes per inquiry (a 270's EQ01 repeats at most 99 times). */
export const PROCEDURE_CODES_PER_INQUIRY_MAX = 20;

/**
 * Why a patient is not covered, as a 271 says it: an unknown member is AAA*N**75 (subscriber
 * not found); a dependent named under a known subscriber whom the payer does not find among the
 * subscriber's dependents is AAA*N**67 (patient not found); a member without coverage on the
 * date is EB*6 (inactive).
 */
export type NotCoveredReason =
  'member_not_found' | 'patient_not_found' | 'no_coverage_on_date' | 'payer_not_found';

export const NOT_COVERED_MESSAGES: Record<NotCoveredReason, string> = {
  member_not_found: 'the payer has no member with this member id',
  patient_not_found: 'the subscriber has no dependent with these names and birth date',
  no_coverage_on_date: 'the member has no coverage in force on this date',
  payer_not_found: 'no payer organization has this id',
};

/** A plan amount with how much of it the member has met this plan year and what is left. */
export interface AccumulatedAmount {
  amount: string;
  metAmount: string;
  remainingAmount: string;
}

/** The member's own figures (the 271's coverage level IND). */
export interface CoverageLevelBenefits {
  deductible: AccumulatedAmount;
  outOfPocketMaximum: AccumulatedAmount;
}

/**
 * The family's figures (coverage level FAM): what the subscriber and all its dependents have met
 * together. Each is null when the plan has no family limit of that kind.
 */
export interface FamilyBenefits {
  deductible: AccumulatedAmount | null;
  outOfPocketMaximum: AccumulatedAmount | null;
}

/**
 * What the member can still be charged towards each limit: the lesser of its own remaining and
 * its family's, as adjudication takes it (an embedded family deductible). What to collect against.
 */
export interface EffectiveRemaining {
  deductibleAmount: string;
  outOfPocketAmount: string;
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
  benefits: {
    individual: CoverageLevelBenefits;
    /** null: the plan has individual limits only. */
    family: FamilyBenefits | null;
    effectiveRemaining: EffectiveRemaining;
  } | null;
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

/** The family's figures, or null for a plan with individual limits only. */
export function familyBenefitsOf(
  plan: { familyDeductibleAmount: string | null; familyOutOfPocketMaxAmount: string | null },
  familyMet: { deductibleMetAmount: string; outOfPocketMetAmount: string },
): FamilyBenefits | null {
  const { familyDeductibleAmount, familyOutOfPocketMaxAmount } = plan;
  if (familyDeductibleAmount === null && familyOutOfPocketMaxAmount === null) return null;
  return {
    deductible:
      familyDeductibleAmount === null
        ? null
        : accumulatedOf(familyDeductibleAmount, familyMet.deductibleMetAmount),
    outOfPocketMaximum:
      familyOutOfPocketMaxAmount === null
        ? null
        : accumulatedOf(familyOutOfPocketMaxAmount, familyMet.outOfPocketMetAmount),
  };
}

/** The lesser of the member's remaining and the family's, limit by limit. */
export function effectiveRemainingOf(
  individual: CoverageLevelBenefits,
  family: FamilyBenefits | null,
): EffectiveRemaining {
  const lesser = (own: AccumulatedAmount, ofFamily: AccumulatedAmount | null | undefined) =>
    money(Decimal.min(own.remainingAmount, ofFamily?.remainingAmount ?? own.remainingAmount));
  return {
    deductibleAmount: lesser(individual.deductible, family?.deductible),
    outOfPocketAmount: lesser(individual.outOfPocketMaximum, family?.outOfPocketMaximum),
  };
}

/** The answer for a member the payer knows (`benefits.memberRowId` set) or does not. */
export function eligibilityAnswerOf(
  question: { payerId: string; date: string; procedureCodes: readonly string[] },
  benefits: MemberBenefits,
  providerAsks: boolean,
): EligibilityAnswer {
  const { payerId, date } = question;
  if (benefits.memberRowId === undefined) {
    const reason =
      benefits.notFound === 'dependent_not_found' ? 'patient_not_found' : 'member_not_found';
    return notCoveredAnswer(payerId, date, reason);
  }
  const { coverage, planYear } = benefits;
  if (!coverage || planYear === undefined) {
    return notCoveredAnswer(payerId, date, 'no_coverage_on_date');
  }
  const { plan } = coverage;
  const { accumulators } = benefits;
  const individual = {
    deductible: accumulatedOf(plan.deductibleAmount, accumulators.deductibleMetAmount),
    outOfPocketMaximum: accumulatedOf(plan.outOfPocketMaxAmount, accumulators.outOfPocketMetAmount),
  };
  const family = familyBenefitsOf(plan, benefits.familyAccumulators);
  return {
    payerId,
    date,
    covered: true,
    notCovered: null,
    plan: { code: plan.code, name: plan.name },
    coverage: { effectiveFrom: coverage.effectiveFrom, effectiveTo: coverage.effectiveTo },
    planYear: planYearRange(planYear, plan.planYearStartMonth),
    benefits: { individual, family, effectiveRemaining: effectiveRemainingOf(individual, family) },
    copayAmount: money(new Decimal(plan.copayAmount)),
    coinsurancePercent: plan.coinsurancePercent,
    procedures: question.procedureCodes.map((code) =>
      procedureAnswerOf(code, benefits, providerAsks),
    ),
  };
}
