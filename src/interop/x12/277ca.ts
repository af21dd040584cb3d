// The 277CA Health Care Claim Acknowledgment (ASC X12 005010X214): which claims of an 837 entered
// adjudication and which were refused, claim by claim. The hierarchy is the guide's: 2000A the
// information source (ClaimChain), 2000B the information receiver (the submitter, with the file's
// totals), 2000C each billing provider (with its totals), 2000D each patient with one claim (TRN
// the patient control number, STC the status, REF*1K our claim id, DTP*472 the service dates).
// Pure. The patient's name is in NM1*QC because the guide requires it; the document goes only to
// the submitter that sent the claim.
import { Decimal } from 'decimal.js';
import { writeAnswer, type AnswerEnvelope } from './envelope-out.js';
import { dateElement, moneyElement, segment, utcDateAndTime, X12WriteError } from './segments.js';

export const CLAIM_ACKNOWLEDGMENT_GUIDE = '005010X214';

/** STC01-1 and STC01-2: claim status category code and claim status code. */
export interface ClaimStatus {
  category: string;
  code: string;
  /** STC03: WQ accepted, U rejected. */
  accepted: boolean;
}

export interface AcknowledgedClaim {
  /** CLM01 as sent: TRN02 of 2200D. */
  patientControlNumber: string;
  /** NM1*QC: NM103, NM104 and (NM108 MI) NM109. */
  patient: { lastName: string; firstName: string | undefined; memberId: string };
  status: ClaimStatus;
  /** CLM02 as sent (whole cents): STC04. */
  chargeAmount: string;
  /** REF*1K: our claim id, once the claim was stored. */
  payerClaimControlNumber: string | undefined;
  /** DTP*472: the first and last service dates ('YYYY-MM-DD'). */
  serviceDates: { from: string; to: string };
}

export interface AcknowledgedProvider {
  /** NM1*85 NM102 ("1" a person, "2" an organization), NM103, NM104, (NM108 XX) NM109. */
  entityType: '1' | '2';
  lastOrOrganizationName: string;
  firstName: string | undefined;
  npi: string;
  claims: readonly AcknowledgedClaim[];
}

export interface ClaimAcknowledgment {
  /** BHT03 and TRN02 of 2200A: our reference for this acknowledgment (1-50 characters). */
  reference: string;
  /** NM1*AY (2100A): us, by the id the submitter addressed us with (NM108 46). */
  informationSource: { name: string; id: string };
  /** NM1*41 (2100B): the submitter as its 837 named itself (NM108 46). */
  receiver: { name: string; id: string };
  /** TRN02 of 2200B: the 837's BHT03, the submitter's batch reference. */
  submitterBatchReference: string;
  /** DTP*050 and DTP*009: when the 837 was received and processed; STC02 of each status. */
  receivedAt: Date;
  providers: readonly AcknowledgedProvider[];
}

/** Accepted and rejected counts and amounts of some claims (QTY and AMT of 2200B and 2200C). */
function totalsOf(claims: readonly AcknowledgedClaim[]) {
  const accepted = claims.filter((claim) => claim.status.accepted);
  const rejected = claims.filter((claim) => !claim.status.accepted);
  const sum = (some: readonly AcknowledgedClaim[]) =>
    some.reduce((total, claim) => total.plus(claim.chargeAmount), new Decimal(0));
  return {
    accepted,
    rejected,
    total: sum(claims),
    acceptedAmount: sum(accepted),
    rejectedAmount: sum(rejected),
  };
}

function totalSegments(
  claims: readonly AcknowledgedClaim[],
  qualifiers: { acceptedCount: string; rejectedCount: string },
): string[] {
  const totals = totalsOf(claims);
  return [
    ...(totals.accepted.length > 0
      ? [segment('QTY', qualifiers.acceptedCount, String(totals.accepted.length))]
      : []),
    ...(totals.rejected.length > 0
      ? [segment('QTY', qualifiers.rejectedCount, String(totals.rejected.length))]
      : []),
    ...(totals.accepted.length > 0
      ? [segment('AMT', 'YU', moneyElement(totals.acceptedAmount))]
      : []),
    ...(totals.rejected.length > 0
      ? [segment('AMT', 'YY', moneyElement(totals.rejectedAmount))]
      : []),
  ];
}

function serviceDateSegment(dates: { from: string; to: string }): string {
  return dates.from === dates.to
    ? segment('DTP', '472', 'D8', dateElement(dates.from))
    : segment('DTP', '472', 'RD8', `${dateElement(dates.from)}-${dateElement(dates.to)}`);
}

function claimSegments(claim: AcknowledgedClaim, statusDate: string): string[] {
  const { status, patient } = claim;
  return [
    segment(
      'NM1',
      'QC',
      '1',
      patient.lastName,
      patient.firstName,
      undefined,
      undefined,
      undefined,
      'MI',
      patient.memberId,
    ),
    segment('TRN', '2', claim.patientControlNumber),
    segment(
      'STC',
      [status.category, status.code],
      statusDate,
      status.accepted ? 'WQ' : 'U',
      moneyElement(claim.chargeAmount),
    ),
    ...(claim.payerClaimControlNumber === undefined
      ? []
      : [segment('REF', '1K', claim.payerClaimControlNumber)]),
    serviceDateSegment(claim.serviceDates),
  ];
}

/** 2000C and its 2000D children; `next` hands out HL01 numbers in order. */
function providerSegments(
  provider: AcknowledgedProvider,
  parentId: string,
  statusDate: string,
  next: () => string,
): string[] {
  const providerId = next();
  const totals = totalsOf(provider.claims);
  return [
    segment('HL', providerId, parentId, '19', '1'),
    segment(
      'NM1',
      '85',
      provider.entityType,
      provider.lastOrOrganizationName,
      provider.firstName,
      undefined,
      undefined,
      undefined,
      'XX',
      provider.npi,
    ),
    // TRN02 "0": the guide's value when the provider's 837 carries no trace of its own.
    segment('TRN', '1', '0'),
    // STC02 is Not Used at the provider level (2200C); the receiver's and claims' carry the date.
    segment('STC', ['A1', '19', '85'], undefined, 'WQ', moneyElement(totals.total)),
    ...totalSegments(provider.claims, { acceptedCount: 'QA', rejectedCount: 'QC' }),
    ...provider.claims.flatMap((claim) => [
      segment('HL', next(), providerId, 'PT'),
      ...claimSegments(claim, statusDate),
    ]),
  ];
}

/** The 277CA interchange: ISA, GS*HN, one ST*277 … SE, GE, IEA; GS06 is the ISA13. */
export function write277ca(envelope: AnswerEnvelope, acknowledgment: ClaimAcknowledgment): string {
  const claims = acknowledgment.providers.flatMap((provider) => provider.claims);
  if (claims.length === 0) throw new X12WriteError('a 277CA acknowledges at least one claim');
  const { date, time } = utcDateAndTime(acknowledgment.receivedAt);
  const statusDate = dateElement(date);
  let hierarchicalId = 0;
  const next = () => String(++hierarchicalId);
  const sourceId = next();
  const receiverId = next();
  const segments = [
    segment('BHT', '0085', '08', acknowledgment.reference, statusDate, time, 'TH'),
    segment('HL', sourceId, undefined, '20', '1'),
    segment(
      'NM1',
      'AY',
      '2',
      acknowledgment.informationSource.name,
      undefined,
      undefined,
      undefined,
      undefined,
      '46',
      acknowledgment.informationSource.id,
    ),
    segment('TRN', '1', acknowledgment.reference),
    segment('DTP', '050', 'D8', statusDate),
    segment('DTP', '009', 'D8', statusDate),
    segment('HL', receiverId, sourceId, '21', '1'),
    segment(
      'NM1',
      '41',
      '2',
      acknowledgment.receiver.name,
      undefined,
      undefined,
      undefined,
      undefined,
      '46',
      acknowledgment.receiver.id,
    ),
    segment('TRN', '2', acknowledgment.submitterBatchReference),
    segment('STC', ['A1', '19', 'PR'], statusDate, 'WQ', moneyElement(totalsOf(claims).total)),
    ...totalSegments(claims, { acceptedCount: '90', rejectedCount: 'AA' }),
    ...acknowledgment.providers.flatMap((provider) =>
      providerSegments(provider, receiverId, statusDate, next),
    ),
  ];
  return writeAnswer(envelope, {
    functionalIdentifierCode: 'HN',
    version: CLAIM_ACKNOWLEDGMENT_GUIDE,
    transactionSets: [{ identifierCode: '277', version: CLAIM_ACKNOWLEDGMENT_GUIDE, segments }],
  });
}
