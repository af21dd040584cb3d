// The remittance document of one payment: what the payer pays the provider and why, claim by
// claim and line by line, with the reversal of a claim paid before. The 835 (interop/x12/835.ts)
// and FHIR PaymentReconciliation are written from it; settlement builds it (remittance.ts) and
// owns its rules: per service line charge − adjustments = paid, per claim likewise (claim and
// line adjustments together), the patient's share = the claim's PR adjustments, and the payment
// = Σ claim payments − Σ provider-level adjustments. A document that breaks one is never written.
//
// A recoupment of a claim paid in an earlier remittance is that claim's reversal: the claim
// repeated with every amount negated, so it balances on its own and lowers the payment through
// the sum of claim payments.
import { Decimal } from 'decimal.js';
import type { InterchangeQualifier } from '../../interop/x12/envelope-out.js';

/** A decimal string of whole cents ("92.00", "-92.00"); never a JS number. */
export type MoneyText = string;
/** A calendar date 'YYYY-MM-DD'. */
export type DateText = string;

/** CAS01 claim adjustment group: contractual, other, payer initiated, patient responsibility. */
export type AdjustmentGroupCode = 'CO' | 'OA' | 'PI' | 'PR';

export interface RemittanceAdjustment {
  group: AdjustmentGroupCode;
  /** Claim adjustment reason code (CARC), e.g. "45". */
  reasonCode: string;
  amount: MoneyText;
}

export interface RemittanceInterchange {
  /** ISA05: the sender id's qualifier, e.g. "ZZ" (mutually defined) or "30" (EIN). */
  senderQualifier: InterchangeQualifier;
  /** ISA06 and GS02: 1-15 letters, digits or . / _ -. */
  senderId: string;
  /** ISA07: the receiver id's qualifier. */
  receiverQualifier: InterchangeQualifier;
  /** ISA08 and GS03: 1-15 letters, digits or . / _ -. */
  receiverId: string;
  /** ISA13, GS06 and ST02: unique per interchange sent, 1 to 999999999. */
  controlNumber: number;
  /** ISA15: P production data, T test data. */
  usageIndicator: 'P' | 'T';
  /** ISA09/ISA10 and GS04/GS05 (UTC). */
  preparedAt: Date;
}

export interface RemittancePayment {
  /** BPR02: what is paid to the payee; zero makes the BPR a notification (H, NON). */
  amount: MoneyText;
  /** BPR04 when money moves. */
  method: 'ACH' | 'CHK';
  /** BPR16: the day the money is (or was) sent. */
  effectiveDate: DateText;
  /** TRN02: the check or EFT trace number that ties the money to this 835 (1-50 characters). */
  traceNumber: string;
  /** TRN03: "1" + the payer's EIN, or "9" + a number the payer assigned (10 characters). */
  originatingCompanyId: string;
}

/** N3/N4 of loop 1000A or 1000B: a US address (N404 only for another country). */
export interface RemittanceAddress {
  line1: string;
  line2: string | null;
  city: string;
  /** N402, e.g. "CT". */
  stateCode: string;
  /** N403: 5 or 9 digits, no hyphen. */
  postalCode: string;
  /** ISO 3166 alpha-2; N404 is written only when it is not "US". */
  countryCode: string;
}

/** A PER segment: a name and at least one of a 10-digit phone (TE) and an email (EM). */
export interface RemittanceContact {
  name: string;
  phone: string | null;
  email: string | null;
}

export interface RemittancePayer {
  name: string;
  /** REF*2U in loop 1000A: the payer id partners address the payer by (AN 1-50). */
  payerIdentifier: string | null;
  address: RemittanceAddress | null;
  /** PER*CX, the payer's business contact (situational in the guide). */
  businessContact: RemittanceContact | null;
  /** PER*BL, the payer's technical contact (required by the guide when known to us). */
  technicalContact: RemittanceContact | null;
}

export interface RemittancePayee {
  name: string;
  /** N104 with N103 = XX. */
  npi: string | null;
  /** REF*PQ in loop 1000B when there is no NPI; the payee's id in PLB01 as well. */
  payerAssignedId: string;
  address: RemittanceAddress | null;
  /** EIN, 9 digits: REF*TJ after an NPI, else N103/N104 = FI. */
  taxId: string | null;
}

/**
 * CLP02: 1 processed as primary, 2 as secondary, 3 as tertiary, 4 denied, 22 reversal of a
 * previous payment.
 */
export type RemittanceClaimStatus =
  'processed' | 'processed_as_secondary' | 'processed_as_tertiary' | 'denied' | 'reversal';

export interface RemittanceLine {
  procedureCode: string;
  modifiers: readonly string[];
  chargeAmount: MoneyText;
  paidAmount: MoneyText;
  /** SVC05, e.g. "1" or "2.5". */
  units: string;
  serviceDate: DateText;
  /** The last day of a service period: then DTM*150/151 instead of DTM*472. */
  serviceDateTo?: DateText | null | undefined;
  /** REF*6R: the line item control number the 837P sent (the guide requires it back). */
  lineControlNumber?: string | null | undefined;
  adjustments: readonly RemittanceAdjustment[];
  /** Remittance advice remark codes (RARC), each an LQ*HE segment. */
  remarkCodes: readonly string[];
}

export interface RemittanceClaim {
  /** CLP01: the provider's patient control number (837P CLM01). */
  patientControlNumber: string;
  status: RemittanceClaimStatus;
  chargeAmount: MoneyText;
  paidAmount: MoneyText;
  patientResponsibilityAmount: MoneyText;
  /** CLP06, e.g. "12" (PPO). */
  claimFilingIndicator: string;
  /** CLP07: the payer's own number for the claim. */
  payerClaimControlNumber: string;
  /**
   * NM1*QC: the patient as the provider billed them (names as stored; see patientName). A
   * dependent's member id is null: the claim named the subscriber's (NM1*IL).
   */
  patient: { lastName: string; firstName: string | null; memberId: string | null };
  /** NM1*IL: the subscriber, when not the patient (a dependent's claim). */
  subscriber?: { lastName: string; firstName: string | null; memberId: string };
  /** Adjustments of the claim as a whole (CAS in loop 2100); usually none. */
  claimAdjustments: readonly RemittanceAdjustment[];
  lines: readonly RemittanceLine[];
}

/** A provider-level adjustment (PLB): positive reduces the payment, negative adds to it. */
export interface ProviderAdjustment {
  /** PLB03-1, e.g. "WO" overpayment recovery, "FB" forwarding balance, "L6" interest. */
  reasonCode: string;
  /** PLB03-2, e.g. the payer claim control number an overpayment recovery is for. */
  reference: string | null;
  amount: MoneyText;
}

export interface Remittance {
  interchange: RemittanceInterchange;
  payment: RemittancePayment;
  payer: RemittancePayer;
  payee: RemittancePayee;
  /** DTM*405: the day the payer produced this remittance. */
  productionDate: DateText;
  claims: readonly RemittanceClaim[];
  providerAdjustments: readonly ProviderAdjustment[];
}

/** A remittance that does not balance, or a claim whose amounts contradict its status. */
export class RemittanceBalanceError extends Error {
  constructor(message: string) {
    super(`835 does not balance: ${message}`);
    this.name = 'RemittanceBalanceError';
  }
}

// ---------------------------------------------------------------------------------------
// Balancing: asserted before anything is written

const sumOf = (amounts: readonly MoneyText[]) =>
  amounts.reduce((sum, amount) => sum.plus(amount), new Decimal(0));

const adjustmentTotal = (adjustments: readonly RemittanceAdjustment[]) =>
  sumOf(adjustments.map((adjustment) => adjustment.amount));

function assertLineBalances(claim: RemittanceClaim, line: RemittanceLine, index: number): void {
  const expectedPaid = new Decimal(line.chargeAmount).minus(adjustmentTotal(line.adjustments));
  if (!expectedPaid.equals(line.paidAmount)) {
    throw new RemittanceBalanceError(
      `claim ${claim.payerClaimControlNumber} line ${index + 1}: charge ${line.chargeAmount} − ` +
        `adjustments ${adjustmentTotal(line.adjustments).toFixed(2)} ≠ paid ${line.paidAmount}`,
    );
  }
}

/** A reversal carries only amounts at or below zero, anything else only amounts at or above. */
function assertSigns(claim: RemittanceClaim): void {
  const amounts = [
    claim.chargeAmount,
    claim.paidAmount,
    ...claim.lines.flatMap((line) => [line.chargeAmount, line.paidAmount]),
  ].map((amount) => new Decimal(amount));
  const wrongSign =
    claim.status === 'reversal'
      ? amounts.some((amount) => amount.isPositive() && !amount.isZero())
      : amounts.some((amount) => amount.isNegative() && !amount.isZero());
  if (wrongSign) {
    throw new RemittanceBalanceError(
      `claim ${claim.payerClaimControlNumber}: a ${claim.status} claim with amounts of the wrong sign`,
    );
  }
  if (claim.status === 'denied' && !new Decimal(claim.paidAmount).isZero()) {
    throw new RemittanceBalanceError(
      `claim ${claim.payerClaimControlNumber}: denied, yet paid ${claim.paidAmount}`,
    );
  }
}

function assertClaimBalances(claim: RemittanceClaim): void {
  if (claim.lines.length === 0) {
    throw new RemittanceBalanceError(`claim ${claim.payerClaimControlNumber} has no lines`);
  }
  assertSigns(claim);
  claim.lines.forEach((line, index) => assertLineBalances(claim, line, index));
  const id = claim.payerClaimControlNumber;
  const lineCharges = sumOf(claim.lines.map((line) => line.chargeAmount));
  if (!lineCharges.equals(claim.chargeAmount)) {
    throw new RemittanceBalanceError(
      `claim ${id}: CLP03 ${claim.chargeAmount} ≠ Σ SVC02 ${lineCharges.toFixed(2)}`,
    );
  }
  const adjustments = [...claim.claimAdjustments, ...claim.lines.flatMap((l) => l.adjustments)];
  const expectedPaid = new Decimal(claim.chargeAmount).minus(adjustmentTotal(adjustments));
  if (!expectedPaid.equals(claim.paidAmount)) {
    throw new RemittanceBalanceError(
      `claim ${id}: CLP03 ${claim.chargeAmount} − adjustments ` +
        `${adjustmentTotal(adjustments).toFixed(2)} ≠ CLP04 ${claim.paidAmount}`,
    );
  }
  const patientShare = adjustmentTotal(adjustments.filter((a) => a.group === 'PR'));
  if (!patientShare.equals(claim.patientResponsibilityAmount)) {
    throw new RemittanceBalanceError(
      `claim ${id}: CLP05 ${claim.patientResponsibilityAmount} ≠ Σ PR adjustments ` +
        patientShare.toFixed(2),
    );
  }
}

/** Throws RemittanceBalanceError naming the first rule the remittance breaks. */
export function assertRemittanceBalances(remittance: Remittance): void {
  remittance.claims.forEach(assertClaimBalances);
  const claimPayments = sumOf(remittance.claims.map((claim) => claim.paidAmount));
  const providerAdjustments = sumOf(remittance.providerAdjustments.map((plb) => plb.amount));
  const expected = claimPayments.minus(providerAdjustments);
  if (!expected.equals(remittance.payment.amount)) {
    throw new RemittanceBalanceError(
      `BPR02 ${remittance.payment.amount} ≠ Σ CLP04 ${claimPayments.toFixed(2)} − Σ PLB ` +
        providerAdjustments.toFixed(2),
    );
  }
  if (expected.isNegative() && !expected.isZero()) {
    throw new RemittanceBalanceError(`BPR02 ${expected.toFixed(2)} is negative`);
  }
}

/** The claim reversal (CLP02 = 22) of a claim as it was paid: every amount negated. */
export function reversalOf(claim: RemittanceClaim): RemittanceClaim {
  const negated = (amount: MoneyText) => new Decimal(amount).negated().toFixed(2);
  const negatedAdjustments = (adjustments: readonly RemittanceAdjustment[]) =>
    adjustments.map((adjustment) => ({ ...adjustment, amount: negated(adjustment.amount) }));
  return {
    ...claim,
    status: 'reversal',
    chargeAmount: negated(claim.chargeAmount),
    paidAmount: negated(claim.paidAmount),
    patientResponsibilityAmount: negated(claim.patientResponsibilityAmount),
    claimAdjustments: negatedAdjustments(claim.claimAdjustments),
    lines: claim.lines.map((line) => ({
      ...line,
      chargeAmount: negated(line.chargeAmount),
      paidAmount: negated(line.paidAmount),
      adjustments: negatedAdjustments(line.adjustments),
    })),
  };
}
