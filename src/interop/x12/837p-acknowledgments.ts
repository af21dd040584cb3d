// What the acknowledgments of an 837P say, from the reading of the file and what intake made of
// each claim: the TA1 note code of an envelope refused; the 999, whose errors are what the reader
// found in the file (each problem at its segment and element becomes an IK3 and IK4); and the
// 277CA, claim by claim, which adds what intake found against our data (an unknown payer, a
// duplicate). Pure: no I/O.
import { Decimal } from 'decimal.js';
import type {
  AcknowledgedClaim,
  AcknowledgedProvider,
  ClaimAcknowledgment,
  ClaimStatus,
} from './277ca.js';
import type {
  ElementError,
  FunctionalGroupAcknowledgment,
  SegmentError,
  SetVerdict,
} from './999.js';
import type { ClaimLoop, HierarchyLevel } from './837p-loops.js';
import {
  billingLevelOf,
  subscriberLevelOf,
  type ProfessionalClaimsReading,
  type X12ClaimReading,
} from './837p-in.js';
import { elementOf, type X12Problem, type X12Segment } from './envelope-in.js';
import { x12NameOf, x12TextOf } from './segments.js';

type FileReading = Extract<ProfessionalClaimsReading, { status: 'read' }>;

/** What became of one claim of the file. */
export type ClaimDisposition =
  | { status: 'accepted'; claimId: string | undefined } // no id in test mode: nothing stored
  | { status: 'duplicate'; claimId: string }
  | { status: 'rejected'; fields: readonly string[] };

// ---------------------------------------------------------------------------------------
// TA1

/**
 * TA105 for the first problem of a refused file (X12 interchange note codes, element I18). The
 * envelope's own faults have their codes; a fault inside it (a GS, ST or claim structure the
 * reader cannot go past) is 024, invalid interchange content.
 */
export function interchangeNoteCodeOf(problem: X12Problem): string {
  const byElement: Record<string, string> = {
    ISA05: '005',
    ISA06: '006',
    ISA11: '022',
    ISA12: '017',
    ISA13: '018',
    ISA15: '020',
    ISA16: '027',
    IEA01: '021',
    IEA02: '001',
  };
  const code = problem.element === undefined ? undefined : byElement[problem.element];
  if (code !== undefined) return code;
  if (/ends inside a segment|ends before/.test(problem.message)) return '023';
  if (/segment terminator/.test(problem.message)) return '004';
  if (/element separator/.test(problem.message)) return '026';
  if (problem.segment === 'IEA' || problem.message.includes('follows IEA')) return '022';
  return '024';
}

// ---------------------------------------------------------------------------------------
// 999

/** Data element reference numbers (IK402) of the 837P elements the reader names. */
const REFERENCE_NUMBERS: Readonly<Record<string, string>> = {
  CLM01: '1028',
  CLM02: '782',
  'CLM05-1': '1331',
  'CLM05-2': '1332',
  'CLM05-3': '1325',
  CLM06: '1073',
  CLM07: '1359',
  CLM08: '1073',
  CLM09: '1363',
  'SV101-1': '235',
  'SV101-2': '234',
  'SV101-3': '1339',
  'SV101-4': '1339',
  'SV101-5': '1339',
  'SV101-6': '1339',
  SV102: '782',
  SV103: '355',
  SV104: '380',
  'SV107-1': '1328',
  'SV107-2': '1328',
  'SV107-3': '1328',
  'SV107-4': '1328',
  DTP01: '374',
  DTP02: '1250',
  DTP03: '1251',
  DMG01: '1250',
  DMG02: '1251',
  DMG03: '1068',
  NM101: '98',
  NM102: '1065',
  NM103: '1035',
  NM104: '1036',
  NM108: '66',
  NM109: '67',
  SBR01: '1138',
  SBR02: '1069',
  LX01: '554',
  HL01: '628',
  HL02: '734',
  HL03: '735',
  HL04: '736',
  REF01: '128',
  REF02: '127',
};

/** Elements whose bad value may be echoed in IK404: codes and amounts, never names or ids. */
const ECHOABLE = new Set([
  'CLM02',
  'CLM05-1',
  'CLM05-2',
  'CLM05-3',
  'CLM06',
  'CLM07',
  'CLM08',
  'CLM09',
  'SV101-1',
  'SV102',
  'SV103',
  'SV104',
  'DTP01',
  'DTP02',
  'DMG01',
  'NM101',
  'NM102',
  'NM108',
  'SBR01',
  'SBR02',
  'HL03',
  'REF01',
  'LX01',
]);
/** Elements of type ID (a code from a list): a wrong value is IK403 "7", invalid code value. */
const CODE_ELEMENTS = new Set([
  'CLM05-1',
  'CLM05-2',
  'CLM05-3',
  'CLM06',
  'CLM07',
  'CLM08',
  'CLM09',
  'SV101-1',
  'SV103',
  'DTP01',
  'DTP02',
  'DMG01',
  'DMG03',
  'NM101',
  'NM102',
  'NM108',
  'SBR01',
  'SBR02',
  'HL03',
  'REF01',
]);
const DATE_ELEMENTS = new Set(['DTP03', 'DMG02']);

/** An element's value: "SV101-2" is the second component of SV101. */
function valueOf(
  segment: X12Segment,
  position: number,
  component: number | undefined,
  componentSeparator: string,
) {
  const element = elementOf(segment, position);
  return component === undefined
    ? element
    : (element.split(componentSeparator)[component - 1] ?? '');
}

function elementErrorOf(
  problem: X12Problem & { element: string },
  segment: X12Segment,
  componentSeparator: string,
): ElementError | undefined {
  const name = problem.element;
  const match = /^(\d{2})(?:-(\d+))?$/.exec(name.slice(problem.segment.length));
  if (!match) return undefined;
  const position = Number(match[1]);
  const component = match[2] === undefined ? undefined : Number(match[2]);
  const value = valueOf(segment, position, component, componentSeparator);
  const errorCode =
    value === '' ? '1' : DATE_ELEMENTS.has(name) ? '8' : CODE_ELEMENTS.has(name) ? '7' : 'I12';
  // Echoed only when it is writable as it came: a value rewritten would mislead.
  const echoable = ECHOABLE.has(name) && value !== '' && x12TextOf(value) === value;
  return {
    position,
    component,
    referenceNumber: REFERENCE_NUMBERS[name],
    errorCode,
    badValue: echoable ? value.slice(0, 99) : undefined,
  };
}

/** One problem as an IK3 (with its IK4): "3" missing, "2" unexpected, "8" element errors. */
function segmentErrorOf(
  problem: X12Problem,
  segments: readonly X12Segment[],
  claim: X12ClaimReading,
  componentSeparator: string,
): SegmentError | undefined {
  if (problem.segmentPosition === undefined) return undefined;
  const segment = segments[problem.segmentPosition - 1];
  const present = segment?.id === problem.segment;
  const element =
    present && problem.element !== undefined
      ? elementErrorOf({ ...problem, element: problem.element }, segment, componentSeparator)
      : undefined;
  // CTX names the claim when the segment is the claim's own (at or after its CLM).
  const inClaim = problem.segmentPosition >= claim.segmentPosition;
  const writable = x12TextOf(claim.patientControlNumber) === claim.patientControlNumber;
  return {
    segmentId: problem.segment,
    position: problem.segmentPosition,
    // IK303 is the standard's loop id (AN 1-4): the guide's loop 2010AA is loop 2010.
    loop: problem.loop?.slice(0, 4),
    syntaxErrorCode: !present ? '3' : element ? '8' : '2',
    patientControlNumber:
      inClaim && writable && claim.patientControlNumber !== ''
        ? claim.patientControlNumber
        : undefined,
    elements: element ? [element] : [],
  };
}

const fileProblemsOf = (claim: X12ClaimReading): readonly X12Problem[] =>
  'problems' in claim.entry ? claim.entry.problems : [];

/** Every IK3 of one set, each segment once (a level's problem is carried by all its claims). */
function setErrorsOf(
  segments: readonly X12Segment[],
  claims: readonly X12ClaimReading[],
  componentSeparator: string,
): SegmentError[] {
  const errors = new Map<string, SegmentError>();
  for (const claim of claims) {
    for (const problem of fileProblemsOf(claim)) {
      const error = segmentErrorOf(problem, segments, claim, componentSeparator);
      if (!error) continue;
      const key = `${error.position}\u0000${error.segmentId}\u0000${error.syntaxErrorCode}`;
      const earlier = errors.get(key);
      if (!earlier) {
        errors.set(key, error);
        continue;
      }
      const known = (element: ElementError) =>
        earlier.elements.some(
          (other) => other.position === element.position && other.component === element.component,
        );
      errors.set(key, {
        ...earlier,
        elements: [...earlier.elements, ...error.elements.filter((element) => !known(element))],
      });
    }
  }
  return [...errors.values()].sort((left, right) => left.position - right.position);
}

/**
 * The 999 of each functional group: a set is accepted (A) when the reader found nothing in it,
 * accepted with errors (E) when some of its claims were refused for what the reader found and
 * others went on, and rejected (R) when none of its claims could go on.
 */
export function implementationAcknowledgmentsOf(
  reading: FileReading,
): FunctionalGroupAcknowledgment[] {
  const { interchange } = reading;
  const componentSeparator = interchange.separators.component;
  return interchange.groups.map((group) => ({
    functionalIdentifierCode: group.functionalIdentifierCode,
    controlNumber: group.controlNumber,
    version: group.version,
    transactionSetCount: group.transactionSetCount,
    transactionSets: interchange.transactionSets
      .filter((set) => set.groupControlNumber === group.controlNumber)
      .map((set) => {
        const claims = reading.claims.filter(
          (claim) => claim.transactionSetControlNumber === set.controlNumber,
        );
        const refused = claims.filter((claim) => fileProblemsOf(claim).length > 0).length;
        const verdict: SetVerdict = refused === 0 ? 'A' : refused === claims.length ? 'R' : 'E';
        const st = set.segments[0]!;
        return {
          identifierCode: elementOf(st, 1),
          controlNumber: set.controlNumber,
          version: elementOf(st, 3) || undefined,
          verdict,
          errors: setErrorsOf(set.segments, claims, componentSeparator),
        };
      }),
  }));
}

// ---------------------------------------------------------------------------------------
// 277CA

/**
 * STC01 of a claim. Accepted: A2:20 (accepted into adjudication). A duplicate of a claim
 * received before: A3:78 (returned: duplicate), REF*1K naming the first. Refused for what the
 * reader found: A6:21 (rejected for missing information) when every fault is something missing,
 * else A7:21 (rejected for invalid information). Refused by intake: A3:116 (submitted to the
 * wrong payer) for an unknown payer, else A3:21 (returned as unprocessable: missing or invalid
 * information).
 */
export function claimStatusOf(
  disposition: ClaimDisposition,
  fileErrors: readonly SegmentError[],
): ClaimStatus {
  if (disposition.status === 'accepted') return { category: 'A2', code: '20', accepted: true };
  if (disposition.status === 'duplicate') return { category: 'A3', code: '78', accepted: false };
  if (fileErrors.length > 0) {
    const missing = fileErrors.every(
      (error) =>
        error.syntaxErrorCode === '3' ||
        (error.elements.length > 0 && error.elements.every((element) => element.errorCode === '1')),
    );
    return { category: missing ? 'A6' : 'A7', code: '21', accepted: false };
  }
  const wrongPayer = disposition.fields.includes('payerId');
  return { category: 'A3', code: wrongPayer ? '116' : '21', accepted: false };
}

/** Text as X12 writes it, or undefined when nothing of it is writable. */
function writable(value: string): string | undefined {
  return x12NameOf(value) ?? undefined;
}

/** The first and last DTP*472 dates of the claim's lines (D8, or RD8 as sent). */
function serviceDatesOf(loop: ClaimLoop): { from: string; to: string } | undefined {
  const dates = loop.lines.flatMap((line) =>
    line.serviceDate ? elementOf(line.serviceDate, 3).split('-') : [],
  );
  const valid = dates.filter((date) => /^\d{8}$/.test(date)).sort();
  if (valid.length === 0) return undefined;
  const iso = (date: string) => `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
  return { from: iso(valid[0]!), to: iso(valid[valid.length - 1]!) };
}

/** CLM02 as whole cents, or undefined when it is not an amount. */
function chargeOf(loop: ClaimLoop): string | undefined {
  const value = elementOf(loop.clm, 2);
  if (!/^\d{1,10}(\.\d{0,2})?$/.test(value)) return undefined;
  return new Decimal(value).toFixed(2);
}

/** The patient as NM1*QC writes it: the patient loop's name when there is one, the subscriber's id. */
function patientOf(loop: ClaimLoop): AcknowledgedClaim['patient'] | undefined {
  const subscriber = subscriberLevelOf(loop.level)?.names.get('2010BA');
  const patientLevel = loop.level?.levelCode === '23' ? loop.level : undefined;
  const patient = patientLevel?.names.get('2010CA') ?? subscriber;
  const lastName = patient && writable(elementOf(patient, 3));
  const memberId = subscriber && writable(elementOf(subscriber, 9));
  if (!patient || !lastName || !memberId || memberId !== elementOf(subscriber, 9)) return undefined;
  return { lastName, firstName: writable(elementOf(patient, 4)), memberId };
}

/**
 * One 2000D of a claim, or undefined for a claim the 277CA cannot name (no patient, no service
 * date or charge that can be read): the 999 already names what is wrong with it.
 */
function acknowledgedClaimOf(
  claim: X12ClaimReading,
  disposition: ClaimDisposition,
  fileErrors: readonly SegmentError[],
): AcknowledgedClaim | undefined {
  const patient = patientOf(claim.loop);
  const serviceDates = serviceDatesOf(claim.loop);
  const chargeAmount = chargeOf(claim.loop);
  const patientControlNumber = claim.patientControlNumber;
  if (!patient || !serviceDates || chargeAmount === undefined) return undefined;
  if (patientControlNumber === '' || x12TextOf(patientControlNumber) !== patientControlNumber) {
    return undefined;
  }
  return {
    patientControlNumber,
    patient,
    status: claimStatusOf(disposition, fileErrors),
    chargeAmount,
    payerClaimControlNumber:
      disposition.status === 'accepted'
        ? disposition.claimId
        : disposition.status === 'duplicate'
          ? disposition.claimId
          : undefined,
    serviceDates,
  };
}

function providerOf(
  level: HierarchyLevel | undefined,
): Omit<AcknowledgedProvider, 'claims'> | undefined {
  const name = billingLevelOf(level)?.names.get('2010AA');
  const organizationName = name && writable(elementOf(name, 3));
  if (!name || !organizationName || !/^\d{10}$/.test(elementOf(name, 9))) return undefined;
  return {
    entityType: elementOf(name, 2) === '1' ? '1' : '2',
    lastOrOrganizationName: organizationName,
    firstName: elementOf(name, 2) === '1' ? writable(elementOf(name, 4)) : undefined,
    npi: elementOf(name, 9),
  };
}

/**
 * The submitter (NM1*41), its batch reference (BHT03) and the id it addressed us by (NM1*40
 * NM109) from the first set's header.
 */
function submitterOf(
  reading: FileReading,
): { name: string; id: string; batch: string; receiverId: string | undefined } | undefined {
  const header = reading.interchange.transactionSets[0]?.segments ?? [];
  const headerEnd = header.findIndex((segment) => segment.id === 'HL');
  const headerSegments = header.slice(0, headerEnd < 0 ? header.length : headerEnd);
  const submitter = headerSegments.find(
    (segment) => segment.id === 'NM1' && elementOf(segment, 1) === '41',
  );
  const bht = headerSegments.find((segment) => segment.id === 'BHT');
  const receiver = headerSegments.find(
    (segment) => segment.id === 'NM1' && elementOf(segment, 1) === '40',
  );
  const name = submitter && writable(elementOf(submitter, 3));
  const id = submitter && writable(elementOf(submitter, 9));
  const batch = bht && writable(elementOf(bht, 3));
  if (!name || !id || !batch) return undefined;
  return { name, id, batch, receiverId: receiver && writable(elementOf(receiver, 9)) };
}

export interface ClaimAcknowledgmentContext {
  reference: string;
  informationSourceName: string;
  receivedAt: Date;
}

/**
 * The 277CA of the claims of sets the 999 did not reject, grouped by billing provider; undefined
 * when no claim is left to acknowledge (every set rejected) or the submitter is not named.
 */
export function claimAcknowledgmentOf(
  reading: FileReading,
  dispositions: readonly ClaimDisposition[],
  groups: readonly FunctionalGroupAcknowledgment[],
  context: ClaimAcknowledgmentContext,
): ClaimAcknowledgment | undefined {
  const submitter = submitterOf(reading);
  if (!submitter) return undefined;
  const sets = groups.flatMap((group) => group.transactionSets);
  const providers = new Map<
    HierarchyLevel,
    AcknowledgedProvider & { claims: AcknowledgedClaim[] }
  >();
  for (const [index, claim] of reading.claims.entries()) {
    const set = sets.find((each) => each.controlNumber === claim.transactionSetControlNumber);
    if (!set || set.verdict === 'R') continue;
    const fileErrors = set.errors.filter((error) =>
      fileProblemsOf(claim).some(
        (problem) =>
          problem.segmentPosition === error.position && problem.segment === error.segmentId,
      ),
    );
    const acknowledged = acknowledgedClaimOf(claim, dispositions[index]!, fileErrors);
    const level = billingLevelOf(claim.loop.level);
    const provider = providerOf(claim.loop.level);
    if (!acknowledged || !level || !provider) continue;
    const entry = providers.get(level) ?? { ...provider, claims: [] };
    entry.claims.push(acknowledged);
    providers.set(level, entry);
  }
  if (providers.size === 0) return undefined;
  const sourceId = submitter.receiverId ?? writable(reading.interchange.header.receiverId);
  return {
    reference: context.reference,
    informationSource: { name: context.informationSourceName, id: sourceId ?? 'CLAIMCHAIN' },
    receiver: { name: submitter.name, id: submitter.id },
    submitterBatchReference: submitter.batch,
    receivedAt: context.receivedAt,
    providers: [...providers.values()],
  };
}
