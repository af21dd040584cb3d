// Reading a 276 Health Care Claim Status Request (005010X212) into the claims it asks about: per
// information source (2000A, the payer: NM1*PR NM109), information receiver (2000B), service
// provider (2000C: NM1*1P, its NPI when NM108 is XX), subscriber (2000D) and dependent (2000E),
// each claim status tracking loop (2200D/2200E): the trace (TRN) to echo, the patient control
// number (REF*EJ, which we find the claim by), the total charge (AMT*T3) and the dates of service
// (DTP*472, D8 or RD8) when sent. Pure.
//
// Names are kept as sent, to be echoed in the 277; the subscriber's member id is not matched
// against the claim (a provider asks after its own claim by its own number). Service lines
// (2210D/E SVC) are not read: the 277 answers the claim. A value we cannot look a claim up with
// (no REF*EJ, a date that is not one) makes the file malformed, with every such place named.
import { patientControlNumber } from '../../domain/claims/schema.js';
import { dateOf, values } from './270-in.js';
import {
  elementName,
  elementOf,
  problemAt,
  readInterchange,
  type X12Interchange,
  type X12Problem,
  type X12Segment,
} from './envelope-in.js';

export const IMPLEMENTATION_GUIDE_276 = '005010X212';

/** At most this many problems are reported for one file. */
const PROBLEMS_MAX = 100;

export interface ClaimTracking276 {
  /** TRN elements as sent (TRN01 "1"); the 277 writes "2". */
  trace: string[];
  /** REF*EJ REF02. */
  patientControlNumber: string;
  /** AMT*T3 AMT02 as a decimal string; null: not sent. */
  totalChargeAmount: string | null;
  /** DTP*472 as YYYY-MM-DD (a D8 is one day); null: not sent. */
  serviceDates: { from: string; to: string } | null;
}

export interface Patient276 {
  /** NM1 elements as sent (NM1*IL or NM1*QC). */
  name: string[];
  trackings: ClaimTracking276[];
}

export interface Subscriber276 extends Patient276 {
  dependents: Patient276[];
}

export interface Provider276 {
  /** NM1*1P elements as sent. */
  name: string[];
  /** NM109 when NM108 is XX; null: the provider is named otherwise. */
  npi: string | null;
  subscribers: Subscriber276[];
}

export interface Receiver276 {
  /** NM1*41 elements as sent. */
  name: string[];
  providers: Provider276[];
}

export interface Source276 {
  /** NM1*PR elements as sent. */
  name: string[];
  /** NM109: the payer asked (its ClaimChain id or its payer id). */
  payerId: string;
  receivers: Receiver276[];
}

export interface Transaction276 {
  controlNumber: string;
  /** BHT03, echoed in the 277's BHT03. */
  reference: string;
  sources: Source276[];
}

export type Reading276 =
  | { status: 'read'; interchange: X12Interchange; transactions: Transaction276[] }
  | { status: 'malformed'; problems: X12Problem[] };

/** HL03 of each level, in nesting order. */
const LEVELS = ['20', '21', '19', '22', '23'] as const;
const MONEY = /^\d{1,8}(\.\d{1,2})?$/;

function problem(segment: X12Segment, element: number, loop: string, message: string) {
  return problemAt(
    {
      segment: segment.id,
      element: elementName(segment.id, element),
      loop,
      segmentPosition: segment.position,
      line: segment.line,
    },
    message,
  );
}

/** D8 (one day) or RD8 (first and last day, in order) as YYYY-MM-DD, else null. */
function serviceDatesOf(format: string, value: string): { from: string; to: string } | null {
  if (format === 'D8') {
    const day = dateOf('D8', value);
    return day === null ? null : { from: day, to: day };
  }
  if (format !== 'RD8') return null;
  const [first, last, ...rest] = value.split('-');
  const from = dateOf('D8', first ?? '');
  const to = dateOf('D8', last ?? '');
  return from === null || to === null || rest.length > 0 || to < from ? null : { from, to };
}

/** What one transaction set's walk builds: the tree, and where each person and loop began. */
class Walk {
  readonly sources: Source276[] = [];
  readonly problems: X12Problem[] = [];
  private level = '';
  private patient: Patient276 | undefined;
  private readonly patientHls = new Map<Patient276, X12Segment>();
  private tracking: { value: ClaimTracking276; trn: X12Segment; inLines: boolean } | undefined;
  private readonly patientLoop = () => (this.level === '23' ? '2200E' : '2200D');

  fail(segment: X12Segment, element: number, loop: string, message: string) {
    if (this.problems.length < PROBLEMS_MAX) {
      this.problems.push(problem(segment, element, loop, message));
    }
  }

  hl(segment: X12Segment): boolean {
    this.finishTracking();
    this.patient = undefined;
    const level = elementOf(segment, 3);
    const source = this.sources.at(-1);
    const receiver = source?.receivers.at(-1);
    const provider = receiver?.providers.at(-1);
    const subscriber = provider?.subscribers.at(-1);
    const parentPresent = [true, source, receiver, provider, subscriber][
      LEVELS.indexOf(level as (typeof LEVELS)[number])
    ];
    if (!parentPresent) {
      this.fail(segment, 3, '', 'HL levels must nest 20, 21, 19, 22, 23');
      return false;
    }
    this.level = level;
    if (level === '20') this.sources.push({ name: [], payerId: '', receivers: [] });
    else if (level === '21') source!.receivers.push({ name: [], providers: [] });
    else if (level === '19') receiver!.providers.push({ name: [], npi: null, subscribers: [] });
    else {
      const patient = { name: [], trackings: [] };
      if (level === '22') provider!.subscribers.push({ ...patient, dependents: [] });
      else subscriber!.dependents.push(patient);
      this.patient = level === '22' ? provider!.subscribers.at(-1) : patient;
      this.patientHls.set(this.patient!, segment);
    }
    return true;
  }

  party(segment: X12Segment): void {
    if (segment.id !== 'NM1') return;
    const source = this.sources.at(-1)!;
    const receiver = source.receivers.at(-1);
    const provider = receiver?.providers.at(-1);
    if (this.level === '20') {
      source.name = values(segment);
      source.payerId = elementOf(segment, 9);
      if (source.payerId === '') this.fail(segment, 9, '2100A', 'the payer’s id is required');
    } else if (this.level === '21') receiver!.name = values(segment);
    else if (this.level === '19') {
      provider!.name = values(segment);
      provider!.npi = elementOf(segment, 8) === 'XX' ? elementOf(segment, 9) : null;
    }
  }

  patientSegment(segment: X12Segment): void {
    const loop = this.patientLoop();
    if (segment.id === 'TRN') {
      this.finishTracking();
      const trace = values(segment);
      if (elementOf(segment, 2) === '') this.fail(segment, 2, loop, 'the trace number is required');
      this.tracking = {
        value: { trace, patientControlNumber: '', totalChargeAmount: null, serviceDates: null },
        trn: segment,
        inLines: false,
      };
      return;
    }
    if (segment.id === 'NM1' && this.tracking === undefined) {
      this.patient!.name = values(segment);
      return;
    }
    const tracking = this.tracking;
    if (tracking === undefined || tracking.inLines) return;
    if (segment.id === 'SVC') tracking.inLines = true;
    else if (segment.id === 'REF' && elementOf(segment, 1) === 'EJ') {
      const value = elementOf(segment, 2);
      if (!patientControlNumber.safeParse(value).success) {
        this.fail(segment, 2, loop, 'not a patient control number (1-38 characters, as CLM01)');
      }
      tracking.value.patientControlNumber = value;
    } else if (segment.id === 'AMT' && elementOf(segment, 1) === 'T3') {
      const amount = elementOf(segment, 2);
      if (!MONEY.test(amount)) this.fail(segment, 2, loop, 'not an amount of whole cents');
      else tracking.value.totalChargeAmount = amount;
    } else if (segment.id === 'DTP' && elementOf(segment, 1) === '472') {
      const dates = serviceDatesOf(elementOf(segment, 2), elementOf(segment, 3));
      if (dates === null) {
        this.fail(segment, 3, loop, 'not a date (D8 CCYYMMDD) or a range (RD8 CCYYMMDD-CCYYMMDD)');
      }
      tracking.value.serviceDates = dates;
    }
  }

  finishTracking(): void {
    if (this.tracking === undefined) return;
    const { value, trn } = this.tracking;
    if (value.patientControlNumber === '') {
      this.fail(trn, 2, this.patientLoop(), 'REF*EJ, the patient control number, is required');
    }
    this.patient!.trackings.push(value);
    this.tracking = undefined;
  }

  /** Every subscriber asks about a claim or has dependents; every dependent asks about one. */
  checkPatients(): void {
    for (const [patient, hl] of this.patientHls) {
      const dependents = (patient as Partial<Subscriber276>).dependents ?? [];
      if (patient.trackings.length === 0 && dependents.length === 0) {
        const loop = elementOf(hl, 3) === '23' ? '2000E' : '2000D';
        this.fail(hl, 3, loop, 'no claim status tracking (TRN) under this patient');
      }
    }
  }

  segment(segment: X12Segment): void {
    if (['20', '21', '19'].includes(this.level)) this.party(segment);
    else if (this.patient !== undefined) this.patientSegment(segment);
  }
}

/** Walks one 276 transaction set by its HL levels (20, 21, 19, 22, 23). */
function readTransaction(
  segments: readonly X12Segment[],
): { reference: string; sources: Source276[] } | { problems: X12Problem[] } {
  const bht = segments[1];
  if (bht?.id !== 'BHT') {
    return { problems: [problemAt({ segment: 'BHT' }, 'BHT must follow ST')] };
  }
  const walk = new Walk();
  if (elementOf(bht, 3) === '') walk.fail(bht, 3, '', 'BHT03, the reference to echo, is required');
  for (const segment of segments.slice(2, -1)) {
    if (segment.id === 'HL') {
      if (!walk.hl(segment)) break;
    } else walk.segment(segment);
  }
  walk.finishTracking();
  walk.checkPatients();
  if (walk.sources.length === 0) walk.fail(bht, 1, '', 'no information source (HL*…*20)');
  if (walk.problems.length > 0) return { problems: walk.problems };
  return { reference: values(bht)[2]!, sources: walk.sources };
}

export function read276(text: string): Reading276 {
  const reading = readInterchange(text, {
    functionalIdentifierCode: 'HR',
    version: IMPLEMENTATION_GUIDE_276,
    transactionSetIdentifierCode: '276',
  });
  if (reading.status === 'malformed') return reading;
  const { interchange } = reading;
  const transactions: Transaction276[] = [];
  for (const set of interchange.transactionSets) {
    const read = readTransaction(set.segments);
    if ('problems' in read) return { status: 'malformed', problems: read.problems };
    transactions.push({ controlNumber: set.controlNumber, ...read });
  }
  return { status: 'read', interchange, transactions };
}
