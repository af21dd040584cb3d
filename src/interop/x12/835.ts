// The 835 Health Care Claim Payment/Advice (ASC X12 005010X221A1) of one payment: a pure writer
// from a typed Remittance to the interchange text. It refuses to write a remittance that does not
// balance: per service line charge − adjustments = paid, per claim likewise (claim and line
// adjustments together), CLP05 = the claim's PR adjustments, and BPR02 = Σ CLP04 − Σ PLB.
//
// Reversals: a recoupment of a claim paid in an earlier 835 is written as the guide's claim
// reversal, a CLP with status 22 repeating the original claim with every amount negated (CLP03,
// CLP04, CLP05, SVC02, SVC03 and each CAS amount). It balances on its own, its negative CLP04
// lowers BPR02 through Σ CLP04, and the provider's posting system can reverse the original
// posting claim by claim, which a provider-level PLB WO would leave to a person. PLB stays
// available for adjustments that belong to no claim (its amounts positive when they reduce the
// payment, as the guide defines them).
import { Decimal } from 'decimal.js';
import { writeInterchange } from './envelope-out.js';
import {
  controlNumber,
  dateElement,
  decimalElement,
  moneyElement,
  segment,
  X12WriteError,
  x12NameOf,
  x12TextOf,
} from './segments.js';

export const IMPLEMENTATION_GUIDE = '005010X221A1';

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

/** ISA05/ISA07 codes of 005010 (X12 element I05). */
export const INTERCHANGE_QUALIFIERS = [
  '01',
  '14',
  '20',
  '27',
  '28',
  '29',
  '30',
  '33',
  'ZZ',
] as const;
export type InterchangeQualifier = (typeof INTERCHANGE_QUALIFIERS)[number];

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
export class RemittanceBalanceError extends X12WriteError {
  constructor(message: string) {
    super(`835 does not balance: ${message}`);
    this.name = 'RemittanceBalanceError';
  }
}

const CLAIM_STATUS_CODES: Record<RemittanceClaimStatus, string> = {
  processed: '1',
  processed_as_secondary: '2',
  processed_as_tertiary: '3',
  denied: '4',
  reversal: '22',
};

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

// ---------------------------------------------------------------------------------------
// Segments

const CAS_ADJUSTMENTS_PER_SEGMENT_MAX = 6;
const PLB_ADJUSTMENTS_PER_SEGMENT_MAX = 6;
const IDENTIFIER = /^[A-Za-z0-9./_-]{1,15}$/;

const truncated = (text: string, lengthMax: number) => text.slice(0, lengthMax).trimEnd();

/**
 * An organization's free text (a name, an address line, a contact) in the X12 character set.
 * Profiles are checked as X12 text when set; organization names are not, so one with nothing
 * writable stops the 835 of every batch of that organization (until it is renamed), named by
 * `element` alone.
 */
function text(value: string, lengthMax: number, element: string): string {
  const written = truncated(x12TextOf(value), lengthMax);
  if (written === '') throw new X12WriteError(`${element} has nothing writable in X12`);
  return written;
}

/**
 * A patient's name (NM103, NM104) in the X12 character set, upper case as payers write names
 * and providers' posting systems match them (José Peña: PENA*JOSE), or undefined to leave the
 * element out. Intake refuses a name with nothing writable (x12NameOf), but a claim stored before it did
 * must not stop its batch's 835: the guide makes NM103 and NM104 situational, CLP01 and NM109
 * (the member id) still identify the patient, and an empty element is never mistaken for a name
 * the way a placeholder such as "UNKNOWN" would be in the provider's posting system.
 */
function patientName(value: string | null, lengthMax: number): string | undefined {
  const written = value === null ? null : x12NameOf(value);
  return written === null ? undefined : truncated(written.toUpperCase(), lengthMax);
}

/**
 * Our interchange ids are letters, digits and . / _ - only, so any translator takes them, with
 * an ISA05 code as qualifier.
 */
function checkedInterchangeIds(interchange: RemittanceInterchange): void {
  for (const id of [interchange.senderId, interchange.receiverId]) {
    if (!IDENTIFIER.test(id))
      throw new X12WriteError(`interchange id ${id} is not 1-15 letters, digits or . / _ -`);
  }
  for (const qualifier of [interchange.senderQualifier, interchange.receiverQualifier]) {
    if (!INTERCHANGE_QUALIFIERS.includes(qualifier))
      throw new X12WriteError(`interchange id qualifier ${qualifier} is not an ISA05 code`);
  }
}

function paymentSegments(remittance: Remittance): string[] {
  const { payment } = remittance;
  const paysMoney = !new Decimal(payment.amount).isZero();
  const notUsed = Array<undefined>(11).fill(undefined); // BPR05-BPR15: no bank accounts on file
  if (!/^[19]\d{9}$/.test(payment.originatingCompanyId)) {
    throw new X12WriteError(`TRN03 ${payment.originatingCompanyId} is not "1" or "9" and 9 digits`);
  }
  if (payment.traceNumber.length < 1 || payment.traceNumber.length > 50) {
    throw new X12WriteError(`TRN02 ${payment.traceNumber} is not 1-50 characters`);
  }
  return [
    segment(
      'BPR',
      paysMoney ? 'I' : 'H',
      moneyElement(payment.amount),
      'C',
      paysMoney ? payment.method : 'NON',
      ...notUsed,
      dateElement(payment.effectiveDate),
    ),
    segment('TRN', '1', payment.traceNumber, payment.originatingCompanyId),
    segment('DTM', '405', dateElement(remittance.productionDate)),
  ];
}

function addressSegments(address: RemittanceAddress | null): string[] {
  if (address === null) return [];
  if (!/^[A-Z]{2}$/.test(address.stateCode) || !/^\d{5}(\d{4})?$/.test(address.postalCode)) {
    throw new X12WriteError(
      `N4 ${address.stateCode} ${address.postalCode} is not a US state and ZIP`,
    );
  }
  return [
    segment(
      'N3',
      text(address.line1, 55, 'N301'),
      address.line2 === null ? undefined : text(address.line2, 55, 'N302'),
    ),
    segment(
      'N4',
      text(address.city, 30, 'N401'),
      address.stateCode,
      address.postalCode,
      address.countryCode === 'US' ? undefined : address.countryCode,
    ),
  ];
}

function contactSegment(functionCode: 'CX' | 'BL', contact: RemittanceContact): string {
  if (contact.phone !== null && !/^\d{10}$/.test(contact.phone)) {
    throw new X12WriteError(`PER*${functionCode} phone ${contact.phone} is not 10 digits`);
  }
  const numbers = [
    ...(contact.phone === null ? [] : ['TE', contact.phone]),
    ...(contact.email === null ? [] : ['EM', contact.email]),
  ];
  if (numbers.length === 0) {
    throw new X12WriteError(`PER*${functionCode} has no phone or email`);
  }
  return segment('PER', functionCode, text(contact.name, 60, 'PER02'), ...numbers);
}

/**
 * Loop 1000A: N1, N3, N4, REF*2U, then PER*CX and PER*BL in the guide's order. N103/N104 take
 * only the CMS plan id (XV), which we do not hold; the payer id goes in REF*2U, which the guide
 * requires when N104 is not the payer id.
 */
function payerSegments(payer: RemittancePayer): string[] {
  const payerId = payer.payerIdentifier;
  if (payerId !== null && (payerId.length > 50 || x12TextOf(payerId) !== payerId)) {
    throw new X12WriteError(`REF*2U payer id ${payerId} is not 1-50 characters of X12 text`);
  }
  return [
    segment('N1', 'PR', text(payer.name, 60, 'N102 (payer name)')),
    ...addressSegments(payer.address),
    ...(payerId === null || payerId === '' ? [] : [segment('REF', '2U', payerId)]),
    ...(payer.businessContact === null ? [] : [contactSegment('CX', payer.businessContact)]),
    ...(payer.technicalContact === null ? [] : [contactSegment('BL', payer.technicalContact)]),
  ];
}

/**
 * Loop 1000B: the payee by NPI (N103 XX) with its EIN as REF*TJ; without an NPI, by EIN
 * (N103 FI) when known, and always with REF*PQ, the id PLB01 names it by.
 */
function payeeSegments(payee: RemittancePayee): string[] {
  if (payee.taxId !== null && !/^\d{9}$/.test(payee.taxId)) {
    throw new X12WriteError(`payee tax id ${payee.taxId} is not 9 digits`);
  }
  const name = text(payee.name, 60, 'N102 (payee name)');
  if (payee.npi !== null) {
    return [
      segment('N1', 'PE', name, 'XX', payee.npi),
      ...addressSegments(payee.address),
      ...(payee.taxId === null ? [] : [segment('REF', 'TJ', payee.taxId)]),
    ];
  }
  return [
    payee.taxId === null ? segment('N1', 'PE', name) : segment('N1', 'PE', name, 'FI', payee.taxId),
    ...addressSegments(payee.address),
    segment('REF', 'PQ', payee.payerAssignedId),
  ];
}

/** CAS segments: one group each, its reasons merged and in first-seen order, 6 per segment. */
function adjustmentSegments(adjustments: readonly RemittanceAdjustment[]): string[] {
  const byGroup = new Map<AdjustmentGroupCode, Map<string, Decimal>>();
  for (const adjustment of adjustments) {
    const reasons = byGroup.get(adjustment.group) ?? new Map<string, Decimal>();
    byGroup.set(adjustment.group, reasons);
    const sum = reasons.get(adjustment.reasonCode) ?? new Decimal(0);
    reasons.set(adjustment.reasonCode, sum.plus(adjustment.amount));
  }
  const segments: string[] = [];
  for (const [group, reasons] of byGroup) {
    const entries = [...reasons];
    for (let start = 0; start < entries.length; start += CAS_ADJUSTMENTS_PER_SEGMENT_MAX) {
      const triplets = entries
        .slice(start, start + CAS_ADJUSTMENTS_PER_SEGMENT_MAX)
        .flatMap(([reason, amount]) => [reason, moneyElement(amount), undefined]);
      segments.push(segment('CAS', group, ...triplets));
    }
  }
  return segments;
}

function lineSegments(line: RemittanceLine): string[] {
  return [
    segment(
      'SVC',
      ['HC', line.procedureCode, ...line.modifiers],
      moneyElement(line.chargeAmount),
      moneyElement(line.paidAmount),
      undefined,
      decimalElement(line.units),
    ),
    ...lineDateSegments(line),
    ...adjustmentSegments(line.adjustments),
    ...(line.lineControlNumber ? [segment('REF', '6R', line.lineControlNumber)] : []),
    ...line.remarkCodes.map((code) => segment('LQ', 'HE', code)),
  ];
}

/** 005010X221A1 loop 2110: DTM*472 for one day; a period as DTM*150 (start) and DTM*151 (end). */
function lineDateSegments(line: RemittanceLine): string[] {
  if (!line.serviceDateTo || line.serviceDateTo === line.serviceDate) {
    return [segment('DTM', '472', dateElement(line.serviceDate))];
  }
  return [
    segment('DTM', '150', dateElement(line.serviceDate)),
    segment('DTM', '151', dateElement(line.serviceDateTo)),
  ];
}

function claimSegments(claim: RemittanceClaim): string[] {
  const serviceDates = claim.lines
    .flatMap((line) => [line.serviceDate, line.serviceDateTo ?? line.serviceDate])
    .sort();
  const { patient } = claim;
  return [
    segment(
      'CLP',
      claim.patientControlNumber,
      CLAIM_STATUS_CODES[claim.status],
      moneyElement(claim.chargeAmount),
      moneyElement(claim.paidAmount),
      moneyElement(claim.patientResponsibilityAmount),
      claim.claimFilingIndicator,
      claim.payerClaimControlNumber,
    ),
    ...adjustmentSegments(claim.claimAdjustments),
    personSegment('QC', patient),
    ...(claim.subscriber ? [personSegment('IL', claim.subscriber)] : []),
    segment('DTM', '232', dateElement(serviceDates[0]!)),
    segment('DTM', '233', dateElement(serviceDates[serviceDates.length - 1]!)),
    ...claim.lines.flatMap(lineSegments),
  ];
}

/** NM1*QC (patient) or NM1*IL (insured, when not the patient) of loop 2100. */
function personSegment(
  entity: 'QC' | 'IL',
  person: { lastName: string; firstName: string | null; memberId: string | null },
): string {
  const identified = person.memberId !== null;
  return segment(
    'NM1',
    entity,
    '1',
    patientName(person.lastName, 60),
    patientName(person.firstName, 35),
    undefined,
    undefined,
    undefined,
    identified ? 'MI' : undefined,
    person.memberId ?? undefined,
  );
}

/** PLB01 names the payee as loop 1000B does; PLB02 is the last day of the fiscal year. */
function providerAdjustmentSegments(remittance: Remittance): string[] {
  const adjustments = remittance.providerAdjustments;
  const payeeId = remittance.payee.npi ?? remittance.payee.payerAssignedId;
  const fiscalPeriodDate = `${remittance.productionDate.slice(0, 4)}1231`;
  const segments: string[] = [];
  for (let start = 0; start < adjustments.length; start += PLB_ADJUSTMENTS_PER_SEGMENT_MAX) {
    const pairs = adjustments
      .slice(start, start + PLB_ADJUSTMENTS_PER_SEGMENT_MAX)
      .flatMap((plb) => [
        plb.reference === null ? [plb.reasonCode] : [plb.reasonCode, plb.reference],
        moneyElement(plb.amount),
      ]);
    segments.push(segment('PLB', payeeId, fiscalPeriodDate, ...pairs));
  }
  return segments;
}

/**
 * The whole interchange: ISA, GS, one ST…SE 835 transaction, GE, IEA. Segments end with "~" and a
 * line break, which X12 translators skip, so the file reads one segment per line.
 */
export function write835(remittance: Remittance): string {
  assertRemittanceBalances(remittance);
  const { interchange } = remittance;
  checkedInterchangeIds(interchange);
  const segments = [
    ...paymentSegments(remittance),
    ...payerSegments(remittance.payer),
    ...payeeSegments(remittance.payee),
    ...(remittance.claims.length > 0 ? [segment('LX', '1')] : []),
    ...remittance.claims.flatMap(claimSegments),
    ...providerAdjustmentSegments(remittance),
  ];
  return writeInterchange(
    {
      senderQualifier: interchange.senderQualifier,
      senderId: interchange.senderId,
      receiverQualifier: interchange.receiverQualifier,
      receiverId: interchange.receiverId,
      controlNumber: interchange.controlNumber,
      usageIndicator: interchange.usageIndicator,
      preparedAt: interchange.preparedAt,
    },
    [
      {
        functionalIdentifierCode: 'HP',
        senderId: interchange.senderId,
        receiverId: interchange.receiverId,
        controlNumber: interchange.controlNumber,
        version: IMPLEMENTATION_GUIDE,
        // ST03 (the guide's version) is Not Used in 005010X221A1: GS08 alone names it.
        transactionSets: [
          {
            identifierCode: '835',
            controlNumber: controlNumber(interchange.controlNumber, 4),
            version: undefined,
            segments,
          },
        ],
      },
    ],
  );
}
