// Automatic adjudication of one claim (issue 3): a pure function from the claim, the member's plan,
// coverages and accumulators and the payer's rules to an 835-shaped decision. No I/O, no clock, no
// randomness, so replaying a claim's inputs gives the same decision to the cent.
import { Decimal } from 'decimal.js';
import { InvalidInput, type FieldProblem } from '../../infra/errors.js';
import { SERVICE_LINES_MAX } from '../claims/schema.js';
import type {
  Accumulators,
  AdjudicatedLine,
  AdjudicationInput,
  AdjudicationResult,
  AdjudicationTotals,
  Adjustment,
  Coordination,
  Coverage,
  DecidedAdjudication,
  FeeScheduleEntry,
  Plan,
  PriorAuthorization,
  ServiceLineToAdjudicate,
} from './types.js';

export type * from './types.js';

// Inputs are at most 14 significant digits of money times 8 of units or 7 of percent, so 40 digits
// keep every product exact: the only rounding is the explicit one to cents, half up.
const Exact = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
const zero = new Exact(0);

// The same texts come back claim after claim (a plan's amounts, a fee schedule's prices, "0.00",
// "1"), and parsing one into a Decimal cost more than the arithmetic done with it (two fifths
// of the engine's time in the adjudication bench's profile). A Decimal is immutable, so one parsed
// value serves every claim. The cache is emptied when full: texts come from claims too.
const parsedTexts = new Map<string, Decimal>();
const parsedTextsMax = 10_000;

/** `text` as a Decimal of this engine's precision, parsed once. */
function exact(text: string): Decimal {
  let value = parsedTexts.get(text);
  if (value === undefined) {
    value = new Exact(text);
    if (parsedTexts.size >= parsedTextsMax) parsedTexts.clear();
    parsedTexts.set(text, value);
  }
  return value;
}

// Limits on what one call reads; a caller past them is passing far more than one member's data.
export const coveragesMax = 1_000;
export const feeScheduleEntriesMax = 100_000;
export const priorAuthorizationsMax = 10_000;

// 835 claim adjustment reason codes (CARC) and remark codes (RARC) this engine uses.
const reason = {
  deductible: '1', // PR-1 deductible amount
  coinsurance: '2', // PR-2 coinsurance amount
  copay: '3', // PR-3 co-payment amount
  duplicate: '18', // CO-18 exact duplicate claim/service
  beforeCoverage: '26', // CO-26 expenses incurred prior to coverage
  afterCoverage: '27', // CO-27 expenses incurred after coverage terminated
  timelyFiling: '29', // CO-29 the time limit for filing has expired
  notInsured: '31', // CO-31 patient cannot be identified as our insured
  feeSchedule: '45', // CO-45 charge exceeds fee schedule/maximum allowable
  nonCovered: '96', // CO-96 non-covered charge(s)
  noAuthorization: '197', // CO-197 precertification/authorization absent
  priorPayer: '23', // OA-23 the impact of prior payer(s) adjudication including payments
} as const;
const remark = {
  notCoveredByPlan: 'N130', // consult plan benefit documents for covered services
  authorizationMismatch: 'N54', // claim inconsistent with pre-certified/authorized services
} as const;

/** The duplicate-detection key of a line: `${procedureCode}|${modifiers}|${serviceDate}`. */
export function lineKeyOf(
  line: Pick<ServiceLineToAdjudicate, 'procedureCode' | 'modifiers' | 'serviceDate'>,
): string {
  return `${line.procedureCode}|${line.modifiers.join(',')}|${line.serviceDate}`;
}

/** The plan year of a date: the calendar year in which the plan year containing it starts. */
export function planYearOf(date: string, planYearStartMonth: number): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  return String(month >= planYearStartMonth ? year : year - 1);
}

/** The billing office's one-line reading of a line's adjustments: "CO-45 20.00, PR-1 15.00". */
export function formatAdjustments(line: Pick<AdjudicatedLine, 'adjustments'>): string {
  return line.adjustments
    .map((adjustment) => `${adjustment.group}-${adjustment.reasonCode} ${adjustment.amount}`)
    .join(', ');
}

/** A broken money invariant: a bug in this engine, never a property of the input. */
export class AdjudicationInvariantError extends Error {
  constructor(message: string) {
    super(`adjudication invariant broken: ${message}`);
    this.name = 'AdjudicationInvariantError';
  }
}

/**
 * Decides a claim, or pends it for a person. Throws InvalidInput when the input is malformed
 * (naming each field) and AdjudicationInvariantError if the decision would not balance.
 */
export function adjudicate(input: AdjudicationInput): AdjudicationResult {
  checkInput(input);
  const context = contextOf(input);
  const pendReasons: string[] = [];
  // Before any line rule: large claims always get a person's eyes.
  const totalCharge = sumOf(input.claim.lines.map((line) => line.chargeAmount));
  const limit = exact(input.payerRules.autoAdjudicationLimitAmount);
  if (totalCharge.gt(limit)) {
    pendReasons.push(
      `total charge ${totalCharge.toFixed(2)} exceeds the auto-adjudication limit ${limit.toFixed(2)}`,
    );
  }
  const family = input.familyAccumulators;
  const state: ClaimState = {
    deductibleMet: exact(input.accumulators.deductibleMetAmount),
    outOfPocketMet: exact(input.accumulators.outOfPocketMetAmount),
    familyDeductibleMet: family ? exact(family.deductibleMetAmount) : undefined,
    familyOutOfPocketMet: family ? exact(family.outOfPocketMetAmount) : undefined,
    priorPaidByLine: priorPaidByLine(input.claim.lines, input.claim.coordination),
    authorizationUnitsUsed: new Map(),
    lineKeysSeen: new Set(),
  };
  const lines: AdjudicatedLine[] = [];
  // Every line is screened even once the claim pends, so the person sees every reason at once.
  for (const line of input.claim.lines) {
    const screening = screenLine(line, context, state);
    state.lineKeysSeen.add(lineKeyOf(line));
    if (screening.verdict === 'pend') pendReasons.push(screening.reason);
    else if (screening.verdict === 'deny') lines.push(deniedLine(line, screening));
    else lines.push(pricedLine(line, screening, input.plan, state, input.payerRules));
    assertAccumulatorsWithinMaximums(state, input.plan);
  }
  if (pendReasons.length > 0) return { outcome: 'pend', pendReasons };
  return decision(input, lines, state);
}

// ---- The claim being decided -------------------------------------------------------------------

interface ClaimContext {
  input: AdjudicationInput;
  /** Coverages by effectiveFrom. */
  coverages: readonly Coverage[];
  /** By `${procedureCode}|${modifier ?? ''}`. */
  feeSchedule: ReadonlyMap<string, FeeScheduleEntry>;
  /** The ones that run out first come first, so a longer authorization is kept for later. */
  priorAuthorizations: readonly PriorAuthorization[];
}

/** What earlier lines of this claim have used; later lines see it. */
interface ClaimState {
  deductibleMet: Decimal;
  outOfPocketMet: Decimal;
  /** The family's, when family accumulators were given. */
  familyDeductibleMet: Decimal | undefined;
  familyOutOfPocketMet: Decimal | undefined;
  /** What earlier payers paid per line number; undefined on a primary claim. */
  priorPaidByLine: ReadonlyMap<number, Decimal> | undefined;
  /** Whole units per authorization id, in the order first used. */
  authorizationUnitsUsed: Map<string, number>;
  lineKeysSeen: Set<string>;
}

function contextOf(input: AdjudicationInput): ClaimContext {
  const feeSchedule = new Map<string, FeeScheduleEntry>();
  for (const entry of input.feeSchedule) feeSchedule.set(feeKeyOf(entry), entry);
  return {
    input,
    coverages: [...input.coverages].sort((a, b) => compareText(a.effectiveFrom, b.effectiveFrom)),
    feeSchedule,
    priorAuthorizations: [...input.priorAuthorizations].sort(
      (a, b) =>
        compareText(a.validTo, b.validTo) || compareText(a.authorizationId, b.authorizationId),
    ),
  };
}

function feeKeyOf(entry: Pick<FeeScheduleEntry, 'procedureCode' | 'modifier'>): string {
  return `${entry.procedureCode}|${entry.modifier ?? ''}`;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

// ---- Steps 1-5: may the line be paid at all? ----------------------------------------------------

type Refusal =
  | { verdict: 'deny'; rule: string; reasonCode: string; remarkCodes: string[] }
  | { verdict: 'pend'; rule: string; reason: string };
type StepOutcome = { verdict: 'pass'; rule: string } | Refusal;
type PricingOutcome = { verdict: 'pass'; rule: string; entry: FeeScheduleEntry } | Refusal;

type Screening =
  | { verdict: 'pass'; rulesFired: string[]; entry: FeeScheduleEntry }
  | { verdict: 'deny'; rulesFired: string[]; reasonCode: string; remarkCodes: string[] }
  | { verdict: 'pend'; rulesFired: string[]; reason: string };

const pass = (rule: string): StepOutcome => ({ verdict: 'pass', rule });
const deny = (rule: string, reasonCode: string, remarkCodes: string[] = []): Refusal => ({
  verdict: 'deny',
  rule,
  reasonCode,
  remarkCodes,
});
const pend = (rule: string, pendReason: string): Refusal => ({
  verdict: 'pend',
  rule,
  reason: pendReason,
});

/** Runs the rules of steps 1-5 in their fixed order; the first that does not pass decides. */
function screenLine(
  line: ServiceLineToAdjudicate,
  context: ClaimContext,
  state: ClaimState,
): Screening {
  const rulesFired: string[] = [];
  const eligibilitySteps = [
    () => coverageStep(line, context),
    () => timelyFilingStep(line, context),
    () => duplicateStep(line, context, state),
  ];
  for (const step of eligibilitySteps) {
    const outcome = step();
    rulesFired.push(outcome.rule);
    if (outcome.verdict !== 'pass') return { ...outcome, rulesFired };
  }
  const priced = feeScheduleStep(line, context);
  rulesFired.push(priced.rule);
  if (priced.verdict !== 'pass') return { ...priced, rulesFired };
  const authorized = priorAuthorizationStep(line, priced.entry, context, state);
  rulesFired.push(authorized.rule);
  if (authorized.verdict !== 'pass') return { ...authorized, rulesFired };
  return { verdict: 'pass', rulesFired, entry: priced.entry };
}

/**
 * Step 1, coverage on the service date. No coverage at all: CO-31. Before the first coverage
 * starts: CO-26. After a coverage ended, including a gap before the next one starts: CO-27. A
 * service period must lie within the one coverage period its first day is in: a period running
 * past that coverage's end is CO-27 too (a coverage that continues, even with the same plan,
 * starts a new period; the provider bills the days of each on their own lines).
 * A date covered by another plan, or in another plan year than the accumulators given, pends:
 * this plan's prices, limits and accumulators would be the wrong ones to apply.
 */
function coverageStep(line: ServiceLineToAdjudicate, context: ClaimContext): StepOutcome {
  const date = line.serviceDate;
  const coverages = context.coverages;
  const first = coverages[0];
  if (!first) return deny('coverage.none', reason.notInsured);
  if (date < first.effectiveFrom) return deny('coverage.not-yet-effective', reason.beforeCoverage);
  const coverage = coverages.find(
    (candidate) =>
      candidate.effectiveFrom <= date && (candidate.effectiveTo ?? '9999-12-31') >= date,
  );
  if (!coverage) return deny('coverage.terminated', reason.afterCoverage);
  if (
    line.serviceDateTo !== undefined &&
    line.serviceDateTo > (coverage.effectiveTo ?? '9999-12-31')
  ) {
    return deny('coverage.terminated-during-period', reason.afterCoverage);
  }
  const { plan, accumulators } = context.input;
  if (coverage.planId !== plan.planId) {
    return pend(
      'coverage.other-plan',
      `line ${line.lineNumber}: service date ${date} is covered by plan ${coverage.planId}, not by plan ${plan.planId}`,
    );
  }
  const planYear = planYearOf(date, plan.planYearStartMonth);
  if (planYear !== accumulators.planYear) {
    return pend(
      'coverage.other-plan-year',
      `line ${line.lineNumber}: service date ${date} is in plan year ${planYear}, the accumulators are for plan year ${accumulators.planYear}`,
    );
  }
  return pass('coverage.active');
}

/**
 * Step 2, timely filing: received more than timelyFilingDays after the service date is CO-29. For
 * a service period the days count from its last day, as Medicare counts from a span's "through"
 * date (the claim cannot be billed before the service ends).
 */
function timelyFilingStep(line: ServiceLineToAdjudicate, context: ClaimContext): StepOutcome {
  const lastDay = line.serviceDateTo ?? line.serviceDate;
  const days = daysBetween(lastDay, context.input.claim.receivedDate);
  return days > context.input.payerRules.timelyFilingDays
    ? deny('timely-filing.late', reason.timelyFiling)
    : pass('timely-filing.on-time');
}

function daysBetween(from: string, to: string): number {
  const dayMs = 86_400_000;
  return (Date.parse(`${to}T00:00:00.000Z`) - Date.parse(`${from}T00:00:00.000Z`)) / dayMs;
}

/**
 * Step 3, duplicates (CO-18): the same code, modifiers and service date already paid to this
 * provider, or on any earlier line of this claim (whatever became of that line).
 */
function duplicateStep(
  line: ServiceLineToAdjudicate,
  context: ClaimContext,
  state: ClaimState,
): StepOutcome {
  const key = lineKeyOf(line);
  if (context.input.previouslyAdjudicatedLineKeys.has(key)) {
    return deny('duplicate.history', reason.duplicate);
  }
  if (state.lineKeysSeen.has(key)) return deny('duplicate.same-claim', reason.duplicate);
  return pass('duplicate.none');
}

/**
 * Step 4, fee schedule: the entry for the line's first modifier wins over the any-modifier entry.
 * No entry: the claim pends (pendUnknownCodes) or the line is CO-96. Not covered: CO-96 N130.
 */
function feeScheduleStep(line: ServiceLineToAdjudicate, context: ClaimContext): PricingOutcome {
  const { procedureCode, modifiers } = line;
  const firstModifier = modifiers[0];
  const entry =
    (firstModifier === undefined
      ? undefined
      : context.feeSchedule.get(feeKeyOf({ procedureCode, modifier: firstModifier }))) ??
    context.feeSchedule.get(feeKeyOf({ procedureCode, modifier: null }));
  if (!entry) {
    return context.input.payerRules.pendUnknownCodes
      ? pend(
          'fee-schedule.unknown-code',
          `line ${line.lineNumber}: procedure code ${procedureCode} is not on the fee schedule`,
        )
      : deny('fee-schedule.unknown-code', reason.nonCovered);
  }
  if (!entry.covered) {
    return deny('fee-schedule.not-covered', reason.nonCovered, [remark.notCoveredByPlan]);
  }
  const conversionFactor = context.input.payerRules.anesthesiaConversionFactor;
  if (
    line.unitType === 'minutes' &&
    (entry.anesthesiaBaseUnits == null || conversionFactor == null)
  ) {
    return pend(
      'fee-schedule.anesthesia-unpriced',
      `line ${line.lineNumber}: procedure code ${procedureCode} is billed in minutes, but the payer has no ${entry.anesthesiaBaseUnits == null ? 'anesthesia base units for it' : 'anesthesia conversion factor'}`,
    );
  }
  return { verdict: 'pass', rule: 'fee-schedule.priced', entry };
}

/**
 * Step 5, prior authorization, where the fee schedule requires it: an authorization for the
 * procedure, valid on the service date, with enough units left after the earlier lines of this
 * claim. None valid on the date, or none with units left: CO-197 N54. A started unit uses a whole
 * authorized unit (2.5 billed units use 3). On success the units are recorded as used.
 */
function priorAuthorizationStep(
  line: ServiceLineToAdjudicate,
  entry: FeeScheduleEntry,
  context: ClaimContext,
  state: ClaimState,
): StepOutcome {
  if (!entry.priorAuthRequired) return pass('prior-auth.not-required');
  const date = line.serviceDate;
  const valid = context.priorAuthorizations.filter(
    (authorization) =>
      authorization.procedureCode === line.procedureCode &&
      authorization.validFrom <= date &&
      date <= authorization.validTo,
  );
  if (valid.length === 0) {
    return deny('prior-auth.missing', reason.noAuthorization, [remark.authorizationMismatch]);
  }
  // Minutes of anesthesia are one service: they use one authorized unit.
  const unitsNeeded = line.unitType === 'minutes' ? 1 : exact(line.units).ceil().toNumber();
  const usable = valid.find((authorization) => {
    const usedHere = state.authorizationUnitsUsed.get(authorization.authorizationId) ?? 0;
    return authorization.unitsAuthorized - authorization.unitsUsed - usedHere >= unitsNeeded;
  });
  if (!usable) {
    return deny('prior-auth.exhausted', reason.noAuthorization, [remark.authorizationMismatch]);
  }
  const usedBefore = state.authorizationUnitsUsed.get(usable.authorizationId) ?? 0;
  state.authorizationUnitsUsed.set(usable.authorizationId, usedBefore + unitsNeeded);
  return pass('prior-auth.applied');
}

/** A line denied in steps 1-5: nothing paid, one CO adjustment of the whole charge. */
function deniedLine(
  line: ServiceLineToAdjudicate,
  denial: { rulesFired: string[]; reasonCode: string; remarkCodes: string[] },
): AdjudicatedLine {
  const charge = exact(line.chargeAmount);
  const result: AdjudicatedLine = {
    lineNumber: line.lineNumber,
    chargeAmount: moneyText(charge),
    allowedAmount: moneyText(zero),
    paidAmount: moneyText(zero),
    patientResponsibilityAmount: moneyText(zero),
    adjustments: [{ group: 'CO', reasonCode: denial.reasonCode, amount: moneyText(charge) }],
    remarkCodes: denial.remarkCodes,
    rulesFired: denial.rulesFired,
    denied: true,
  };
  assertLineBalances(result);
  return result;
}

// ---- Steps 6-8: how much? -----------------------------------------------------------------------

interface PatientShares {
  copay: Decimal;
  deductible: Decimal;
  coinsurance: Decimal;
}

/** Prices a line that passed steps 1-5 and moves the claim's accumulators on. */
function pricedLine(
  line: ServiceLineToAdjudicate,
  screening: { rulesFired: string[]; entry: FeeScheduleEntry },
  plan: Plan,
  state: ClaimState,
  payerRules: AdjudicationInput['payerRules'],
): AdjudicatedLine {
  const rulesFired = [...screening.rulesFired];
  const adjustments: Adjustment[] = [];
  const charge = exact(line.chargeAmount);
  // Step 6: the fee schedule's price for the units, to the cent; never more than was billed.
  let allowed = feeSchedulePriceOf(line, screening.entry, payerRules);
  if (line.unitType === 'minutes') rulesFired.push('fee-schedule.anesthesia-time');
  if (charge.gt(allowed)) {
    adjustments.push(adjustment('CO', reason.feeSchedule, charge.minus(allowed)));
    rulesFired.push('fee-schedule.reduction');
  } else if (charge.lt(allowed)) {
    allowed = charge;
    rulesFired.push('allowed.limited-to-charge');
  }
  // Step 7: what the member owes, within the out-of-pocket maximum; on a secondary or tertiary
  // claim, after what earlier payers paid (OA-23).
  const priorPaid = state.priorPaidByLine?.get(line.lineNumber);
  const { shares, capped, priorImpact, method } =
    priorPaid === undefined
      ? {
          ...patientSharesOf(allowed, screening.entry.copayApplies, plan, state),
          priorImpact: zero,
          method: undefined,
        }
      : coordinatedShares(allowed, priorPaid, screening.entry.copayApplies, plan, state);
  if (method) rulesFired.push(`cob.${method.replace('_', '-')}`);
  if (priorImpact.gt(0)) adjustments.push(adjustment('OA', reason.priorPayer, priorImpact));
  const patientParts: [string, string, Decimal][] = [
    ['copay', reason.copay, shares.copay],
    ['deductible', reason.deductible, shares.deductible],
    ['coinsurance', reason.coinsurance, shares.coinsurance],
  ];
  for (const [rule, reasonCode, amount] of patientParts) {
    if (amount.isZero()) continue;
    adjustments.push(adjustment('PR', reasonCode, amount));
    rulesFired.push(rule);
  }
  if (capped) rulesFired.push('oop.cap');
  const patientTotal = shares.copay.plus(shares.deductible).plus(shares.coinsurance);
  state.deductibleMet = state.deductibleMet.plus(shares.deductible);
  state.outOfPocketMet = state.outOfPocketMet.plus(patientTotal);
  state.familyDeductibleMet = state.familyDeductibleMet?.plus(shares.deductible);
  state.familyOutOfPocketMet = state.familyOutOfPocketMet?.plus(patientTotal);
  // Step 8: the payer pays the rest of the allowed amount.
  const result: AdjudicatedLine = {
    lineNumber: line.lineNumber,
    chargeAmount: moneyText(charge),
    allowedAmount: moneyText(allowed),
    paidAmount: moneyText(allowed.minus(patientTotal).minus(priorImpact)),
    patientResponsibilityAmount: moneyText(patientTotal),
    adjustments,
    remarkCodes: [],
    rulesFired,
    denied: false,
  };
  assertLineBalances(result);
  return result;
}

/** Minutes in one anesthesia time unit (CMS Claims Processing Manual, ch. 12, 50.G). */
const ANESTHESIA_MINUTES_PER_TIME_UNIT = 15;

/**
 * The fee schedule's price of a line, to the cent (half up). Units: the allowed amount per unit
 * times the units. Minutes of anesthesia: (base units of the code + time units) times the payer's
 * conversion factor, the time units being minutes / 15 rounded to one decimal place (half up), as
 * Medicare computes them: 60 minutes of 00400 (3 base units) at 22.00 is (3 + 4.0) × 22.00 = 154.00.
 */
export function feeSchedulePriceOf(
  line: Pick<ServiceLineToAdjudicate, 'units' | 'unitType'>,
  entry: FeeScheduleEntry,
  payerRules: Pick<AdjudicationInput['payerRules'], 'anesthesiaConversionFactor'>,
): Decimal {
  if (line.unitType !== 'minutes') {
    return exact(entry.allowedAmount)
      .times(exact(line.units))
      .toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  }
  const baseUnits = entry.anesthesiaBaseUnits;
  const conversionFactor = payerRules.anesthesiaConversionFactor;
  if (baseUnits == null || conversionFactor == null) {
    throw new AdjudicationInvariantError(
      'a line in minutes was priced without base units or factor',
    );
  }
  const timeUnits = exact(line.units)
    .dividedBy(ANESTHESIA_MINUTES_PER_TIME_UNIT)
    .toDecimalPlaces(1, Decimal.ROUND_HALF_UP);
  return timeUnits
    .plus(baseUnits)
    .times(conversionFactor)
    .toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

function adjustment(group: Adjustment['group'], reasonCode: string, amount: Decimal): Adjustment {
  return { group, reasonCode, amount: moneyText(amount) };
}

/**
 * Step 7. In order on the allowed amount: copay PR-3 (where the fee schedule says it applies),
 * deductible PR-1 on what the copay left, coinsurance PR-2 on what both left (to the cent, half
 * up). All three count towards the out-of-pocket maximum; when the line would pass it, coinsurance
 * gives way first, then deductible, then copay.
 */
function patientSharesOf(
  allowed: Decimal,
  copayApplies: boolean,
  plan: Plan,
  state: ClaimState,
): { shares: PatientShares; capped: boolean } {
  const copay = copayApplies ? Exact.min(exact(plan.copayAmount), allowed) : zero;
  const deductibleRemaining = remainingOf(
    [plan.deductibleAmount, state.deductibleMet],
    [plan.familyDeductibleAmount, state.familyDeductibleMet],
  );
  const deductible = Exact.min(deductibleRemaining, allowed.minus(copay));
  const coinsurance = allowed
    .minus(copay)
    .minus(deductible)
    .times(exact(plan.coinsurancePercent))
    .dividedBy(100)
    .toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const outOfPocketRemaining = remainingOf(
    [plan.outOfPocketMaxAmount, state.outOfPocketMet],
    [plan.familyOutOfPocketMaxAmount, state.familyOutOfPocketMet],
  );
  return capToOutOfPocket({ copay, deductible, coinsurance }, outOfPocketRemaining);
}

/**
 * What is left of a limit: the member's own, or the family's when the plan has a family limit and
 * the family's accumulators were given, whichever is less (an embedded family deductible: a
 * member stops paying a deductible once either is met).
 */
function remainingOf(
  individual: [limit: string, met: Decimal],
  family: [limit: string | null | undefined, met: Decimal | undefined],
): Decimal {
  const own = exact(individual[0]).minus(individual[1]);
  const [familyLimit, familyMet] = family;
  if (familyLimit === null || familyLimit === undefined || familyMet === undefined) return own;
  return Exact.min(own, exact(familyLimit).minus(familyMet));
}

/**
 * Step 7 of a secondary or tertiary line (coordination of benefits). The earlier payers' impact
 * is what they paid, at most the allowed amount (OA-23); the plan never pays more than is left.
 * non_duplication: the normal benefit (allowed less the member's normal shares) less what the
 * earlier payers paid, never below zero; the member owes the rest, their shares giving way as at
 * the out-of-pocket maximum. carve_out: the member's shares are figured on what the earlier payers
 * left, as if it were the allowed amount, and the plan pays the rest of it.
 */
function coordinatedShares(
  allowed: Decimal,
  priorPaid: Decimal,
  copayApplies: boolean,
  plan: Plan,
  state: ClaimState,
): { shares: PatientShares; capped: boolean; priorImpact: Decimal; method: string } {
  const method = plan.cobMethod ?? 'non_duplication';
  const priorImpact = Exact.min(priorPaid, allowed);
  const balance = allowed.minus(priorImpact);
  if (method === 'carve_out') {
    return { ...patientSharesOf(balance, copayApplies, plan, state), priorImpact, method };
  }
  const normal = patientSharesOf(allowed, copayApplies, plan, state);
  const normalPatient = normal.shares.copay
    .plus(normal.shares.deductible)
    .plus(normal.shares.coinsurance);
  const paid = Exact.min(Exact.max(allowed.minus(normalPatient).minus(priorPaid), zero), balance);
  const owed = balance.minus(paid);
  const { shares } = capToOutOfPocket(normal.shares, owed);
  return { shares, capped: normal.capped, priorImpact, method };
}

/**
 * What the earlier payers paid per line. A payer's line payments (SVD02) are taken as sent; when
 * they do not add up to what it paid on the claim (AMT*D), the difference is its claim-level
 * adjustments (2320 CAS, such as a deductible taken from the claim as a whole): a shortfall is
 * taken off the lines in line order, an excess added to them in line order up to each charge.
 */
export function priorPaidByLine(
  lines: readonly ServiceLineToAdjudicate[],
  coordination: Coordination | undefined,
): Map<number, Decimal> | undefined {
  if (!coordination) return undefined;
  const total = new Map<number, Decimal>(lines.map((line) => [line.lineNumber, zero]));
  for (const payment of coordination.priorPayments) {
    const paid = new Map<number, Decimal>(lines.map((line) => [line.lineNumber, zero]));
    for (const line of payment.lines) {
      if (paid.has(line.lineNumber)) paid.set(line.lineNumber, exact(line.paidAmount));
    }
    const linesPaid = [...paid.values()].reduce((sum, amount) => sum.plus(amount), zero);
    let difference = exact(payment.paidAmount).minus(linesPaid);
    for (const line of lines) {
      if (difference.isZero()) break;
      const current = paid.get(line.lineNumber)!;
      const room = difference.gt(0) ? exact(line.chargeAmount).minus(current) : current;
      const step = Exact.min(difference.abs(), Exact.max(room, zero));
      paid.set(line.lineNumber, difference.gt(0) ? current.plus(step) : current.minus(step));
      difference = difference.gt(0) ? difference.minus(step) : difference.plus(step);
    }
    if (!difference.isZero()) {
      throw new InvalidInput('invalid adjudication input', [
        { field: 'claim.coordination.priorPayments', message: 'paid more than the claim charged' },
      ]);
    }
    for (const [lineNumber, amount] of paid)
      total.set(lineNumber, total.get(lineNumber)!.plus(amount));
  }
  return total;
}

function capToOutOfPocket(
  shares: PatientShares,
  outOfPocketRemaining: Decimal,
): { shares: PatientShares; capped: boolean } {
  let excess = shares.copay
    .plus(shares.deductible)
    .plus(shares.coinsurance)
    .minus(outOfPocketRemaining);
  if (excess.lte(0)) return { shares, capped: false };
  const giveWay = (amount: Decimal): Decimal => {
    const cut = Exact.min(excess, amount);
    excess = excess.minus(cut);
    return amount.minus(cut);
  };
  const coinsurance = giveWay(shares.coinsurance);
  const deductible = giveWay(shares.deductible);
  const copay = giveWay(shares.copay);
  return { shares: { copay, deductible, coinsurance }, capped: true };
}

// ---- The decision --------------------------------------------------------------------------------

function decision(
  input: AdjudicationInput,
  lines: AdjudicatedLine[],
  state: ClaimState,
): DecidedAdjudication {
  const deniedCount = lines.filter((line) => line.denied).length;
  const status =
    deniedCount === lines.length ? 'denied' : deniedCount > 0 ? 'partially_paid' : 'paid';
  const accumulatorsAfter: Accumulators = {
    planYear: input.accumulators.planYear,
    deductibleMetAmount: moneyText(state.deductibleMet),
    outOfPocketMetAmount: moneyText(state.outOfPocketMet),
  };
  const family = input.familyAccumulators;
  const familyAccumulatorsAfter: Accumulators | undefined = family && {
    planYear: family.planYear,
    deductibleMetAmount: moneyText(state.familyDeductibleMet!),
    outOfPocketMetAmount: moneyText(state.familyOutOfPocketMet!),
  };
  const result: DecidedAdjudication = {
    outcome: 'decided',
    status,
    lines,
    totals: totalsOf(lines),
    accumulatorsAfter,
    ...(familyAccumulatorsAfter ? { familyAccumulatorsAfter } : {}),
    priorAuthorizationUnitsUsed: [...state.authorizationUnitsUsed].map(
      ([authorizationId, units]) => ({ authorizationId, units }),
    ),
    planId: input.plan.planId,
    planYear: input.accumulators.planYear,
  };
  assertTotalsBalance(result.totals);
  return result;
}

/** Claim totals are sums of the already rounded lines, so the remittance balances to the cent. */
function totalsOf(lines: readonly AdjudicatedLine[]): AdjudicationTotals {
  const total = (amountOf: (line: AdjudicatedLine) => string[]) =>
    moneyText(sumOf(lines.flatMap(amountOf)));
  return {
    chargeAmount: total((line) => [line.chargeAmount]),
    allowedAmount: total((line) => [line.allowedAmount]),
    paidAmount: total((line) => [line.paidAmount]),
    patientResponsibilityAmount: total((line) => [line.patientResponsibilityAmount]),
    adjustmentAmount: total((line) => line.adjustments.map((each) => each.amount)),
  };
}

function sumOf(amounts: readonly string[]): Decimal {
  return amounts.reduce((sum, amount) => sum.plus(exact(amount)), zero);
}

function moneyText(amount: Decimal): string {
  return amount.toFixed(2);
}

// ---- Invariants: a failure here is a bug, and the claim must not be decided ---------------------

const moneyOutPattern = /^\d+\.\d{2}$/;

function assertLineBalances(line: AdjudicatedLine): void {
  const where = `line ${line.lineNumber}`;
  const amounts = [
    line.chargeAmount,
    line.allowedAmount,
    line.paidAmount,
    line.patientResponsibilityAmount,
    ...line.adjustments.map((each) => each.amount),
  ];
  for (const amount of amounts) {
    if (!moneyOutPattern.test(amount)) {
      throw new AdjudicationInvariantError(`${where}: amount ${amount} is not cents >= 0`);
    }
  }
  const adjusted = sumOf(line.adjustments.map((each) => each.amount));
  if (!exact(line.paidAmount).plus(adjusted).eq(exact(line.chargeAmount))) {
    throw new AdjudicationInvariantError(
      `${where}: charge ${line.chargeAmount} != paid ${line.paidAmount} + adjustments ${adjusted.toFixed(2)}`,
    );
  }
  const patient = sumOf(
    line.adjustments.filter((each) => each.group === 'PR').map((each) => each.amount),
  );
  if (!patient.eq(exact(line.patientResponsibilityAmount))) {
    throw new AdjudicationInvariantError(`${where}: patient responsibility != PR adjustments`);
  }
  // OA-23 is what earlier payers paid of the allowed amount (a secondary or tertiary claim).
  const priorPayers = sumOf(
    line.adjustments.filter((each) => each.group === 'OA').map((each) => each.amount),
  );
  if (!exact(line.paidAmount).plus(patient).plus(priorPayers).eq(exact(line.allowedAmount))) {
    throw new AdjudicationInvariantError(
      `${where}: allowed != paid + patient responsibility + earlier payers`,
    );
  }
}

function assertAccumulatorsWithinMaximums(state: ClaimState, plan: Plan): void {
  const familyLimits = [
    ['family deductible', state.familyDeductibleMet, plan.familyDeductibleAmount],
    ['family out-of-pocket', state.familyOutOfPocketMet, plan.familyOutOfPocketMaxAmount],
  ] as const;
  for (const [what, met, limit] of familyLimits) {
    if (met !== undefined && limit !== null && limit !== undefined && met.gt(exact(limit))) {
      throw new AdjudicationInvariantError(`${what} met ${met.toFixed(2)} exceeds ${limit}`);
    }
  }
  if (state.deductibleMet.gt(exact(plan.deductibleAmount))) {
    throw new AdjudicationInvariantError(
      `deductible met ${state.deductibleMet.toFixed(2)} exceeds ${plan.deductibleAmount}`,
    );
  }
  if (state.outOfPocketMet.gt(exact(plan.outOfPocketMaxAmount))) {
    throw new AdjudicationInvariantError(
      `out-of-pocket met ${state.outOfPocketMet.toFixed(2)} exceeds ${plan.outOfPocketMaxAmount}`,
    );
  }
}

function assertTotalsBalance(totals: AdjudicationTotals): void {
  if (
    !exact(totals.paidAmount).plus(exact(totals.adjustmentAmount)).eq(exact(totals.chargeAmount))
  ) {
    throw new AdjudicationInvariantError(
      `claim charge ${totals.chargeAmount} != paid ${totals.paidAmount} + adjustments ${totals.adjustmentAmount}`,
    );
  }
}

// ---- Input checks: malformed input is refused whole, naming each field --------------------------

const moneyInPattern = /^\d{1,12}(\.\d{1,2})?$/;
const unitsPattern = /^\d{1,5}(\.\d{1,3})?$/;
const percentPattern = /^\d{1,3}(\.\d{1,4})?$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

type Problems = FieldProblem[];

function checkInput(input: AdjudicationInput): void {
  const problems: Problems = [];
  checkPlan(input.plan, problems);
  checkCoverages(input.coverages, problems);
  checkFeeSchedule(input.feeSchedule, problems);
  checkPriorAuthorizations(input.priorAuthorizations, problems);
  checkAccumulators(input.accumulators, input.plan, problems);
  checkFamily(input, problems);
  checkPayerRules(input, problems);
  checkClaim(input, problems);
  if (problems.length > 0) throw new InvalidInput('invalid adjudication input', problems);
}

function checkMoney(value: string, field: string, problems: Problems): void {
  if (typeof value !== 'string' || !moneyInPattern.test(value)) {
    problems.push({ field, message: 'must be a decimal string >= 0 with at most 2 decimals' });
  }
}

function checkDate(value: string, field: string, problems: Problems): void {
  const time =
    typeof value === 'string' && datePattern.test(value)
      ? Date.parse(`${value}T00:00:00.000Z`)
      : NaN;
  const valid = !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
  if (!valid) problems.push({ field, message: 'must be a calendar date YYYY-MM-DD' });
}

function checkWholeNumber(value: number, field: string, problems: Problems): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    problems.push({ field, message: 'must be a whole number >= 0' });
  }
}

function checkCount(items: readonly unknown[], max: number, field: string, problems: Problems) {
  if (items.length > max) problems.push({ field, message: `at most ${max} entries` });
}

function checkPlan(plan: Plan, problems: Problems): void {
  checkMoney(plan.deductibleAmount, 'plan.deductibleAmount', problems);
  checkMoney(plan.outOfPocketMaxAmount, 'plan.outOfPocketMaxAmount', problems);
  checkMoney(plan.copayAmount, 'plan.copayAmount', problems);
  const percent = plan.coinsurancePercent;
  if (typeof percent !== 'string' || !percentPattern.test(percent) || Number(percent) > 100) {
    problems.push({
      field: 'plan.coinsurancePercent',
      message: 'must be a decimal string from 0 to 100 with at most 4 decimals',
    });
  }
  const month = plan.planYearStartMonth;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    problems.push({ field: 'plan.planYearStartMonth', message: 'must be a month 1-12' });
  }
}

function checkCoverages(coverages: readonly Coverage[], problems: Problems): void {
  checkCount(coverages, coveragesMax, 'coverages', problems);
  coverages.forEach((coverage, index) => {
    checkDate(coverage.effectiveFrom, `coverages[${index}].effectiveFrom`, problems);
    if (coverage.effectiveTo !== null) {
      checkDate(coverage.effectiveTo, `coverages[${index}].effectiveTo`, problems);
      if (coverage.effectiveTo < coverage.effectiveFrom) {
        problems.push({
          field: `coverages[${index}].effectiveTo`,
          message: 'is before effectiveFrom',
        });
      }
    }
  });
  const byStart = coverages
    .map((coverage, index) => ({ coverage, index }))
    .sort((a, b) => compareText(a.coverage.effectiveFrom, b.coverage.effectiveFrom));
  for (let position = 1; position < byStart.length; position += 1) {
    const earlier = byStart[position - 1]!;
    const later = byStart[position]!;
    const earlierEnd = earlier.coverage.effectiveTo ?? '9999-12-31';
    if (earlierEnd >= later.coverage.effectiveFrom) {
      problems.push({
        field: `coverages[${later.index}]`,
        message: `overlaps coverages[${earlier.index}]`,
      });
    }
  }
}

function checkFeeSchedule(entries: readonly FeeScheduleEntry[], problems: Problems): void {
  checkCount(entries, feeScheduleEntriesMax, 'feeSchedule', problems);
  const firstIndexOfKey = new Map<string, number>();
  entries.forEach((entry, index) => {
    checkMoney(entry.allowedAmount, `feeSchedule[${index}].allowedAmount`, problems);
    const baseUnits = entry.anesthesiaBaseUnits;
    if (baseUnits != null && (!Number.isInteger(baseUnits) || baseUnits < 0 || baseUnits > 100)) {
      problems.push({
        field: `feeSchedule[${index}].anesthesiaBaseUnits`,
        message: 'must be a whole number 0 to 100',
      });
    }
    const key = feeKeyOf(entry);
    const earlier = firstIndexOfKey.get(key);
    if (earlier === undefined) firstIndexOfKey.set(key, index);
    else {
      problems.push({
        field: `feeSchedule[${index}]`,
        message: `prices the same code and modifier as feeSchedule[${earlier}]`,
      });
    }
  });
}

function checkPriorAuthorizations(
  authorizations: readonly PriorAuthorization[],
  problems: Problems,
): void {
  checkCount(authorizations, priorAuthorizationsMax, 'priorAuthorizations', problems);
  authorizations.forEach((authorization, index) => {
    const field = `priorAuthorizations[${index}]`;
    checkWholeNumber(authorization.unitsAuthorized, `${field}.unitsAuthorized`, problems);
    checkWholeNumber(authorization.unitsUsed, `${field}.unitsUsed`, problems);
    checkDate(authorization.validFrom, `${field}.validFrom`, problems);
    checkDate(authorization.validTo, `${field}.validTo`, problems);
  });
}

function checkAccumulators(accumulators: Accumulators, plan: Plan, problems: Problems): void {
  if (typeof accumulators.planYear !== 'string' || !/^\d{4}$/.test(accumulators.planYear)) {
    problems.push({ field: 'accumulators.planYear', message: 'must be a year such as "2026"' });
  }
  const pairs = [
    [
      'deductibleMetAmount',
      accumulators.deductibleMetAmount,
      'deductibleAmount',
      plan.deductibleAmount,
    ],
    [
      'outOfPocketMetAmount',
      accumulators.outOfPocketMetAmount,
      'outOfPocketMaxAmount',
      plan.outOfPocketMaxAmount,
    ],
  ] as const;
  for (const [name, met, maxName, max] of pairs) {
    const field = `accumulators.${name}`;
    checkMoney(met, field, problems);
    const comparable = moneyInPattern.test(met) && moneyInPattern.test(max);
    if (comparable && exact(met).gt(exact(max))) {
      problems.push({ field, message: `exceeds plan.${maxName} ${max}` });
    }
  }
}

function checkFamily(input: AdjudicationInput, problems: Problems): void {
  const { plan, familyAccumulators: family } = input;
  const limits = [
    ['familyDeductibleAmount', plan.familyDeductibleAmount, plan.deductibleAmount],
    ['familyOutOfPocketMaxAmount', plan.familyOutOfPocketMaxAmount, plan.outOfPocketMaxAmount],
  ] as const;
  for (const [name, limit, individual] of limits) {
    if (limit === null || limit === undefined) continue;
    checkMoney(limit, `plan.${name}`, problems);
    if (
      moneyInPattern.test(limit) &&
      moneyInPattern.test(individual) &&
      exact(limit).lt(exact(individual))
    ) {
      problems.push({ field: `plan.${name}`, message: 'is less than the individual limit' });
    }
  }
  if (family === undefined) return;
  if (family.planYear !== input.accumulators.planYear) {
    problems.push({
      field: 'familyAccumulators.planYear',
      message: "is not the claim's plan year",
    });
  }
  const pairs = [
    ['deductibleMetAmount', family.deductibleMetAmount, plan.familyDeductibleAmount],
    ['outOfPocketMetAmount', family.outOfPocketMetAmount, plan.familyOutOfPocketMaxAmount],
  ] as const;
  for (const [name, met, limit] of pairs) {
    const field = `familyAccumulators.${name}`;
    checkMoney(met, field, problems);
    const comparable =
      typeof limit === 'string' && moneyInPattern.test(met) && moneyInPattern.test(limit);
    if (comparable && exact(met).gt(exact(limit)))
      problems.push({ field, message: `exceeds ${limit}` });
  }
}

function checkPayerRules(input: AdjudicationInput, problems: Problems): void {
  const rules = input.payerRules;
  checkWholeNumber(rules.timelyFilingDays, 'payerRules.timelyFilingDays', problems);
  checkMoney(rules.autoAdjudicationLimitAmount, 'payerRules.autoAdjudicationLimitAmount', problems);
  if (rules.anesthesiaConversionFactor != null) {
    checkMoney(rules.anesthesiaConversionFactor, 'payerRules.anesthesiaConversionFactor', problems);
  }
}

function checkCoordination(coordination: Coordination, problems: Problems): void {
  const field = 'claim.coordination.priorPayments';
  const count = coordination.payerResponsibilityCode === 'S' ? 1 : 2;
  if (coordination.priorPayments.length !== count) {
    problems.push({
      field,
      message: `a ${coordination.payerResponsibilityCode} claim has ${count}`,
    });
  }
  coordination.priorPayments.forEach((payment, index) => {
    checkMoney(payment.paidAmount, `${field}[${index}].paidAmount`, problems);
    payment.lines.forEach((line, lineIndex) =>
      checkMoney(line.paidAmount, `${field}[${index}].lines[${lineIndex}].paidAmount`, problems),
    );
  });
}

function checkClaim(input: AdjudicationInput, problems: Problems): void {
  const { claim } = input;
  if (claim.coordination) checkCoordination(claim.coordination, problems);
  checkDate(claim.receivedDate, 'claim.receivedDate', problems);
  if (claim.lines.length === 0 || claim.lines.length > SERVICE_LINES_MAX) {
    problems.push({ field: 'claim.lines', message: `must hold 1 to ${SERVICE_LINES_MAX} lines` });
    return;
  }
  const lineNumbers = new Set<number>();
  claim.lines.forEach((line, index) => {
    const field = `claim.lines[${index}]`;
    if (!Number.isSafeInteger(line.lineNumber) || line.lineNumber < 1) {
      problems.push({ field: `${field}.lineNumber`, message: 'must be a whole number >= 1' });
    } else if (lineNumbers.has(line.lineNumber)) {
      problems.push({ field: `${field}.lineNumber`, message: 'repeats an earlier line number' });
    }
    lineNumbers.add(line.lineNumber);
    checkMoney(line.chargeAmount, `${field}.chargeAmount`, problems);
    checkDate(line.serviceDate, `${field}.serviceDate`, problems);
    checkServicePeriodAndUnitType(line, field, problems);
    if (
      typeof line.units !== 'string' ||
      !unitsPattern.test(line.units) ||
      Number(line.units) <= 0
    ) {
      problems.push({
        field: `${field}.units`,
        message: 'must be a decimal string > 0 with at most 3 decimals',
      });
    }
  });
}

function checkServicePeriodAndUnitType(
  line: ServiceLineToAdjudicate,
  field: string,
  problems: Problems,
): void {
  if (line.serviceDateTo !== undefined) {
    checkDate(line.serviceDateTo, `${field}.serviceDateTo`, problems);
    if (line.serviceDateTo < line.serviceDate) {
      problems.push({ field: `${field}.serviceDateTo`, message: 'must not be before serviceDate' });
    }
  }
  if (line.unitType !== undefined && line.unitType !== 'units' && line.unitType !== 'minutes') {
    problems.push({ field: `${field}.unitType`, message: 'must be "units" or "minutes"' });
  }
  if (line.unitType === 'minutes' && !/^\d{1,5}$/.test(line.units)) {
    problems.push({ field: `${field}.units`, message: 'must be whole minutes' });
  }
}
