// The 835 Health Care Claim Payment/Advice (ASC X12 005010X221A1) of one payment: a pure writer
// from the settlement area's remittance document (domain/settlement/remittance-document.ts) to
// the interchange text. It writes nothing of a document that does not balance.
//
// Reversals: a recoupment is written as the guide's claim reversal, a CLP with status 22 repeating
// the original claim with every amount negated (CLP03, CLP04, CLP05, SVC02, SVC03 and each CAS
// amount). It balances on its own, its negative CLP04 lowers BPR02 through Σ CLP04, and the
// provider's posting system can reverse the original posting claim by claim, which a
// provider-level PLB WO would leave to a person. PLB stays available for adjustments that belong
// to no claim (its amounts positive when they reduce the payment, as the guide defines them).
import { Decimal } from 'decimal.js';
import {
  assertRemittanceBalances,
  type Remittance,
  type AdjustmentGroupCode,
  type RemittanceAddress,
  type RemittanceAdjustment,
  type RemittanceClaim,
  type RemittanceClaimStatus,
  type RemittanceContact,
  type RemittanceLine,
  type RemittancePayee,
  type RemittancePayer,
  type RemittanceInterchange,
} from '../../domain/settlement/remittance-document.js';
import { INTERCHANGE_QUALIFIERS, writeInterchange } from './envelope-out.js';
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

const CLAIM_STATUS_CODES: Record<RemittanceClaimStatus, string> = {
  processed: '1',
  processed_as_secondary: '2',
  processed_as_tertiary: '3',
  denied: '4',
  reversal: '22',
};

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
