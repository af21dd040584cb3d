// What automatic adjudication (engine.ts) reads and decides. Money is a decimal string: at most
// 2 decimals in ("125", "125.5", "125.50"), exactly 2 out ("125.50"); never a JS number. Dates
// are calendar dates 'YYYY-MM-DD'.

/** A decimal amount of money such as "123.45". */
export type MoneyText = string;

/** A calendar date 'YYYY-MM-DD'. */
export type DateText = string;

export interface Plan {
  planId: string;
  deductibleAmount: MoneyText;
  outOfPocketMaxAmount: MoneyText;
  copayAmount: MoneyText;
  /** The member's share after copay and deductible, in percent: "20" is 20 %. */
  coinsurancePercent: string;
  /** Month (1-12) in which every plan year starts; 1 for a calendar-year plan. */
  planYearStartMonth: number;
  /**
   * What the family (a subscriber and its dependents) meets together; absent or null: individual
   * limits only. Embedded: each member's own limits still apply within the family's.
   */
  familyDeductibleAmount?: MoneyText | null;
  familyOutOfPocketMaxAmount?: MoneyText | null;
  /** How the plan pays when it is not the primary payer; absent: non_duplication. */
  cobMethod?: CobMethod;
}

/**
 * non_duplication: the plan's normal benefit less what earlier payers paid (never below zero).
 * carve_out: the plan's cost sharing applied to what earlier payers left of the allowed amount.
 */
export type CobMethod = 'non_duplication' | 'carve_out';

/** An earlier payer's adjudication of the claim (837P loops 2320 and 2430). */
export interface PriorPayment {
  /** What it paid on the whole claim (AMT*D). */
  paidAmount: MoneyText;
  /** What it paid per line (SVD02); lines not named were paid nothing line by line. */
  lines: readonly { lineNumber: number; paidAmount: MoneyText }[];
}

/** A secondary ("S") or tertiary ("T") claim and what the earlier payers paid. */
export interface Coordination {
  payerResponsibilityCode: 'S' | 'T';
  priorPayments: readonly PriorPayment[];
}

/** One period in which the member is covered by a plan; the member's periods do not overlap. */
export interface Coverage {
  planId: string;
  effectiveFrom: DateText;
  /** Last covered day (inclusive), or null while the coverage has not ended. */
  effectiveTo: DateText | null;
}

export interface FeeScheduleEntry {
  procedureCode: string;
  /** The line's first modifier this price is for; null prices the code with any modifier. */
  modifier: string | null;
  /** Allowed amount per unit. */
  allowedAmount: MoneyText;
  covered: boolean;
  priorAuthRequired: boolean;
  copayApplies: boolean;
  /** Anesthesia base units of the code, for lines in minutes; absent or null if not priced so. */
  anesthesiaBaseUnits?: number | null;
}

export interface PriorAuthorization {
  authorizationId: string;
  procedureCode: string;
  /** Whole units: a started unit (2.5 billed units) uses a whole authorized unit (3). */
  unitsAuthorized: number;
  unitsUsed: number;
  validFrom: DateText;
  /** Last valid day, inclusive. */
  validTo: DateText;
}

/** What the member has paid towards the plan's limits in one plan year. */
export interface Accumulators {
  /** The calendar year in which the plan year starts, e.g. "2026". */
  planYear: string;
  deductibleMetAmount: MoneyText;
  outOfPocketMetAmount: MoneyText;
}

export interface PayerRules {
  /** Days allowed from the service date to the day the claim is received. */
  timelyFilingDays: number;
  /** A claim whose total charge exceeds this pends for a person. */
  autoAdjudicationLimitAmount: MoneyText;
  /** A procedure code missing from the fee schedule pends the claim (true) or denies the line. */
  pendUnknownCodes: boolean;
  /** Dollars per anesthesia unit (base + time units); absent or null if no anesthesia is priced. */
  anesthesiaConversionFactor?: MoneyText | null;
}

export interface ServiceLineToAdjudicate {
  lineNumber: number;
  procedureCode: string;
  modifiers: readonly string[];
  /** Decimal units, e.g. "1" or "2.5" (at most 3 decimals). */
  units: string;
  chargeAmount: MoneyText;
  serviceDate: DateText;
  /** The last day of a service period (absent for one day): coverage must last to it. */
  serviceDateTo?: DateText | undefined;
  /** "minutes": units are minutes of anesthesia, priced by base and time units. */
  unitType?: 'units' | 'minutes' | undefined;
}

export interface ClaimToAdjudicate {
  receivedDate: DateText;
  lines: readonly ServiceLineToAdjudicate[];
  /** Absent on a primary claim. */
  coordination?: Coordination;
}

export interface AdjudicationInput {
  claim: ClaimToAdjudicate;
  /** lineKeyOf() of the member's earlier paid lines with the same provider. */
  previouslyAdjudicatedLineKeys: ReadonlySet<string>;
  /** The plan the claim is adjudicated under. */
  plan: Plan;
  /** Every coverage period of the member, of any plan. */
  coverages: readonly Coverage[];
  /** The payer's fee schedule for this plan (it may hold other codes too). */
  feeSchedule: readonly FeeScheduleEntry[];
  /** The member's prior authorizations (any procedure). */
  priorAuthorizations: readonly PriorAuthorization[];
  /** The member's accumulators for the plan year of the claim's service dates. */
  accumulators: Accumulators;
  /** The member's family's accumulators for that plan year; absent: no family limits apply. */
  familyAccumulators?: Accumulators;
  payerRules: PayerRules;
}

/** 835 claim adjustment group: contractual obligation, patient responsibility, other. */
export type AdjustmentGroup = 'CO' | 'PR' | 'OA';

export interface Adjustment {
  group: AdjustmentGroup;
  /** Claim adjustment reason code (CARC), e.g. "45". */
  reasonCode: string;
  amount: MoneyText;
}

export interface AdjudicatedLine {
  lineNumber: number;
  chargeAmount: MoneyText;
  allowedAmount: MoneyText;
  paidAmount: MoneyText;
  patientResponsibilityAmount: MoneyText;
  /** In the order applied; zero amounts are left out, except a denial of a zero charge. */
  adjustments: Adjustment[];
  /** Remittance advice remark codes (RARC), e.g. "N130". */
  remarkCodes: string[];
  /** Ids of the rules that decided the line, in the order they ran. */
  rulesFired: string[];
  /** Denied by coverage, timely filing, duplicate, fee schedule or prior authorization. */
  denied: boolean;
}

export interface AdjudicationTotals {
  chargeAmount: MoneyText;
  allowedAmount: MoneyText;
  paidAmount: MoneyText;
  patientResponsibilityAmount: MoneyText;
  /** Every adjustment of every line, CO and PR alike: charge = paid + adjustments. */
  adjustmentAmount: MoneyText;
}

export interface PriorAuthorizationUse {
  authorizationId: string;
  /** Whole units this claim used, to add to the authorization's unitsUsed. */
  units: number;
}

export interface PendedAdjudication {
  outcome: 'pend';
  pendReasons: string[];
}

export type DecidedStatus = 'paid' | 'partially_paid' | 'denied';

export interface DecidedAdjudication {
  outcome: 'decided';
  /** denied: every line denied; partially_paid: some; paid: none (even if the patient owes it all). */
  status: DecidedStatus;
  lines: AdjudicatedLine[];
  totals: AdjudicationTotals;
  accumulatorsAfter: Accumulators;
  /** The family's accumulators after the claim, when the input had them. */
  familyAccumulatorsAfter?: Accumulators;
  priorAuthorizationUnitsUsed: PriorAuthorizationUse[];
  planId: string;
  planYear: string;
}

export type AdjudicationResult = PendedAdjudication | DecidedAdjudication;

/** The latest row of claim_decisions for the claim. */
export interface DecisionRecord {
  id: string;
  /** ISO 8601 UTC. */
  decidedAt: string;
  /** "auto", or the API key id of the person who decided. */
  decidedBy: string;
  status: string;
  paidAmount: string;
  patientResponsibilityAmount: string;
  result: AdjudicationResult;
}

export type DecidedRecord = DecisionRecord & { result: DecidedAdjudication };

export function isDecided(decision: DecisionRecord | null): decision is DecidedRecord {
  return decision?.result.outcome === 'decided';
}
