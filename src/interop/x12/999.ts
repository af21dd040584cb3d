// The 999 Implementation Acknowledgment (ASC X12 005010X231A1) of one functional group received:
// per transaction set an AK2, each segment in error as IK3 (with the claim it belongs to as
// CTX*CLM01) and each element in error as IK4, the set's verdict in IK5 and the group's in AK9.
// A pure writer from a typed acknowledgment to the interchange text.
import { writeAnswer, type AnswerEnvelope } from './envelope-out.js';
import { segment, X12WriteError } from './segments.js';

export const ACKNOWLEDGMENT_GUIDE = '005010X231A1';

/** IK501/AK901: accepted, accepted with errors noted, rejected; AK901 also P (partially accepted). */
export type SetVerdict = 'A' | 'E' | 'R';

export interface ElementError {
  /** IK401-1 and IK401-2: the element's place in its segment, the component's in the element. */
  position: number;
  component: number | undefined;
  /** IK402: the data element reference number, when known. */
  referenceNumber: string | undefined;
  /** IK403: e.g. "1" required element missing, "7" invalid code value, "8" invalid date. */
  errorCode: string;
  /** IK404: the bad value, only where it can hold no PHI (a code or an amount). */
  badValue: string | undefined;
}

export interface SegmentError {
  /** IK301 and IK302: the segment id and its place in the set (ST is 1). */
  segmentId: string;
  position: number;
  /** IK303: the standard's loop id (at most 4 characters), e.g. "2400", or "2010" for 2010AA. */
  loop: string | undefined;
  /** IK304: e.g. "3" required segment missing, "2" unexpected, "8" has element errors. */
  syntaxErrorCode: string;
  /** CTX*CLM01: the claim (its patient control number) the segment belongs to. */
  patientControlNumber: string | undefined;
  elements: readonly ElementError[];
}

export interface TransactionSetAcknowledgment {
  /** AK201, AK202, AK203: ST01, ST02 and ST03 received. */
  identifierCode: string;
  controlNumber: string;
  version: string | undefined;
  verdict: SetVerdict;
  errors: readonly SegmentError[];
}

export interface FunctionalGroupAcknowledgment {
  /** AK101, AK102, AK103: GS01, GS06 and GS08 received. */
  functionalIdentifierCode: string;
  controlNumber: string;
  version: string;
  /** AK902: GE01 received. */
  transactionSetCount: number;
  transactionSets: readonly TransactionSetAcknowledgment[];
}

/** IK3s past this many in one set are left out: the set is answered all the same. */
export const SEGMENT_ERRORS_PER_SET_MAX = 200;

/** AK901 from the sets' verdicts: all accepted, some with errors, some rejected, all rejected. */
export function groupVerdictOf(verdicts: readonly SetVerdict[]): 'A' | 'E' | 'P' | 'R' {
  const rejected = verdicts.filter((verdict) => verdict === 'R').length;
  if (verdicts.length > 0 && rejected === verdicts.length) return 'R';
  if (rejected > 0) return 'P';
  return verdicts.includes('E') ? 'E' : 'A';
}

function elementErrorSegment(error: ElementError): string {
  return segment(
    'IK4',
    error.component === undefined
      ? String(error.position)
      : [String(error.position), String(error.component)],
    error.referenceNumber,
    error.errorCode,
    error.badValue,
  );
}

function segmentErrorSegments(error: SegmentError): string[] {
  return [
    segment('IK3', error.segmentId, String(error.position), error.loop, error.syntaxErrorCode),
    ...(error.patientControlNumber === undefined
      ? []
      : [segment('CTX', ['CLM01', error.patientControlNumber])]),
    ...error.elements.map(elementErrorSegment),
  ];
}

function transactionSetSegments(set: TransactionSetAcknowledgment): string[] {
  if (set.verdict === 'A' && set.errors.length > 0) {
    throw new X12WriteError(`set ${set.controlNumber} is accepted yet has errors`);
  }
  return [
    segment('AK2', set.identifierCode, set.controlNumber, set.version),
    ...set.errors.slice(0, SEGMENT_ERRORS_PER_SET_MAX).flatMap(segmentErrorSegments),
    // IK502 "5": one or more segments in error, the only reason a set of ours is refused.
    segment('IK5', set.verdict, set.verdict === 'A' ? undefined : '5'),
  ];
}

function acknowledgmentSegments(group: FunctionalGroupAcknowledgment): string[] {
  const verdicts = group.transactionSets.map((set) => set.verdict);
  const accepted = verdicts.filter((verdict) => verdict !== 'R').length;
  return [
    segment('AK1', group.functionalIdentifierCode, group.controlNumber, group.version),
    ...group.transactionSets.flatMap(transactionSetSegments),
    segment(
      'AK9',
      groupVerdictOf(verdicts),
      String(group.transactionSetCount),
      String(group.transactionSets.length),
      String(accepted),
    ),
  ];
}

/**
 * The 999 interchange: ISA, GS*FA, one ST*999 … SE per functional group received (ST02 0001,
 * 0002, …), GE, IEA; GS06 is the ISA13.
 */
export function write999(
  envelope: AnswerEnvelope,
  groups: readonly FunctionalGroupAcknowledgment[],
): string {
  return writeAnswer(envelope, {
    functionalIdentifierCode: 'FA',
    version: ACKNOWLEDGMENT_GUIDE,
    transactionSets: groups.map((group) => ({
      identifierCode: '999',
      version: ACKNOWLEDGMENT_GUIDE,
      segments: acknowledgmentSegments(group),
    })),
  });
}
