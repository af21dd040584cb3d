// Reading a 270 Health Care Eligibility Benefit Inquiry (005010X279A1) into the questions it
// asks: per information source (2000A, the payer, NM1*PR NM109), per information receiver
// (2000B, the provider asking), per subscriber (2000C) and dependent (2000D): the trace numbers
// (TRN) to echo, the name segment as sent, the member id (NM109), a dependent's names (NM103,
// NM104) and birth date (DMG*D8), the date of service (DTP*291, D8 or the first day of RD8) and
// the procedure codes asked (EQ02 "HC:code"). Pure.
//
// What the 271 needs back is kept as read (segments' elements), so the answer echoes exactly
// what was asked. A value we cannot use (a member id of the wrong form, a date that is not one)
// is not a malformed file: the 271 answers that subscriber with an AAA segment, as the guide has
// it, and the others normally.
import { memberSchema, procedureCode } from '../../domain/claims/schema.js';
import {
  elementOf,
  problemAt,
  readInterchange,
  type X12Interchange,
  type X12Problem,
  type X12Segment,
} from './envelope-in.js';

export const IMPLEMENTATION_GUIDE_270 = '005010X279A1';

/** Why a subscriber's inquiry cannot be answered from what it holds (AAA03 of the 271). */
export type InquiryDefect = 'invalid_member_id' | 'invalid_date';

export interface PersonInquiry270 {
  /** TRN segments' elements (TRN01 "1" as sent; the 271 writes "2"). */
  traces: string[][];
  /** NM1 elements as sent (NM1*IL or NM1*03). */
  name: string[];
  /** DTP*291's date as YYYY-MM-DD; undefined: the date of processing. */
  date: string | undefined;
  /** DMG*D8's date as YYYY-MM-DD; undefined: absent or not a date. */
  birthDate: string | undefined;
  procedureCodes: string[];
  defect: InquiryDefect | null;
}

export interface SubscriberInquiry270 extends PersonInquiry270 {
  memberId: string;
  dependents: PersonInquiry270[];
}

export interface ReceiverInquiry270 {
  /** NM1*1P (or FA, GP…) elements as sent. */
  name: string[];
  subscribers: SubscriberInquiry270[];
}

export interface SourceInquiry270 {
  /** NM1*PR elements as sent. */
  name: string[];
  /** NM109: the payer asked. */
  payerId: string;
  receivers: ReceiverInquiry270[];
}

export interface Transaction270 {
  controlNumber: string;
  /** BHT03, echoed in the 271's BHT03. */
  reference: string;
  sources: SourceInquiry270[];
}

export type Reading270 =
  | { status: 'read'; interchange: X12Interchange; transactions: Transaction270[] }
  | { status: 'malformed'; problems: X12Problem[] };

/**
 * Elements kept to be echoed in the answer. A file with other delimiters than ours may carry
 * ours as data: each becomes a space, as x12TextOf does with free text. The 276 reader's too.
 */
export const values = (segment: X12Segment) =>
  segment.elements.slice(1).map((element) => element.replace(/[*:^~]|[^ -~]/g, ' '));

/** CCYYMMDD (D8) or CCYYMMDD-CCYYMMDD (RD8, its first day) as YYYY-MM-DD, else null. */
export function dateOf(format: string, value: string): string | null {
  const match =
    format === 'D8'
      ? /^(\d{4})(\d{2})(\d{2})$/.exec(value)
      : format === 'RD8'
        ? /^(\d{4})(\d{2})(\d{2})-\d{8}$/.exec(value)
        : null;
  if (!match) return null;
  const text = `${match[1]}-${match[2]}-${match[3]}`;
  const parsed = new Date(`${text}T00:00:00.000Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text) return null;
  return text >= '1900-01-01' && text <= '2199-12-31' ? text : null;
}

function newPerson(): PersonInquiry270 {
  return {
    traces: [],
    name: [],
    date: undefined,
    birthDate: undefined,
    procedureCodes: [],
    defect: null,
  };
}

/** A segment of a subscriber's or dependent's loops (2000C/D, 2100C/D, 2110C/D). */
function readPersonSegment(person: PersonInquiry270, segment: X12Segment, component: string) {
  if (segment.id === 'TRN') person.traces.push(values(segment));
  else if (segment.id === 'NM1') person.name = values(segment);
  else if (segment.id === 'DTP' && elementOf(segment, 1) === '291') {
    const date = dateOf(elementOf(segment, 2), elementOf(segment, 3));
    if (date === null) person.defect ??= 'invalid_date';
    else person.date = date;
  } else if (segment.id === 'DMG' && elementOf(segment, 1) === 'D8') {
    person.birthDate = dateOf('D8', elementOf(segment, 2)) ?? undefined;
  } else if (segment.id === 'EQ') {
    const [qualifier, code] = elementOf(segment, 2).split(component);
    // Only codes we can price are asked of the fee schedule; others are left unanswered.
    if (qualifier === 'HC' && code !== undefined && procedureCode.safeParse(code).success) {
      if (!person.procedureCodes.includes(code)) person.procedureCodes.push(code);
    }
  }
}

function memberIdOf(subscriber: SubscriberInquiry270): SubscriberInquiry270 {
  const memberId = subscriber.name[8] ?? '';
  const valid =
    subscriber.name[7] === 'MI' && memberSchema.shape.memberId.safeParse(memberId).success;
  return valid
    ? { ...subscriber, memberId }
    : { ...subscriber, memberId, defect: 'invalid_member_id' };
}

/** Walks one 270 transaction set by its HL levels (20, 21, 22, 23). */
function readTransaction(
  segments: readonly X12Segment[],
  component: string,
): { reference: string; sources: SourceInquiry270[] } | { problem: X12Problem } {
  const bht = segments[1];
  if (bht?.id !== 'BHT') return { problem: problemAt({ segment: 'BHT' }, 'BHT must follow ST') };
  const sources: SourceInquiry270[] = [];
  let level = '';
  let person: PersonInquiry270 | undefined;
  const finishSubscriber = () => {
    const receiver = sources.at(-1)?.receivers.at(-1);
    const last = receiver?.subscribers.at(-1);
    if (receiver && last) receiver.subscribers[receiver.subscribers.length - 1] = memberIdOf(last);
  };
  for (const segment of segments.slice(2, -1)) {
    if (segment.id === 'HL') {
      if (level === '22') finishSubscriber();
      level = elementOf(segment, 3);
      const source = sources.at(-1);
      const receiver = source?.receivers.at(-1);
      const subscriber = receiver?.subscribers.at(-1);
      person = undefined;
      if (level === '20') sources.push({ name: [], payerId: '', receivers: [] });
      else if (level === '21' && source) source.receivers.push({ name: [], subscribers: [] });
      else if (level === '22' && receiver) {
        const newSubscriber: SubscriberInquiry270 = {
          ...newPerson(),
          memberId: '',
          dependents: [],
        };
        receiver.subscribers.push(newSubscriber);
        person = newSubscriber;
      } else if (level === '23' && subscriber) {
        person = newPerson();
        subscriber.dependents.push(person);
      } else {
        return {
          problem: problemAt(
            { segment: 'HL', element: 'HL03', line: segment.line },
            'HL levels must nest 20, 21, 22, 23',
          ),
        };
      }
      continue;
    }
    if (level === '20' && segment.id === 'NM1') {
      const source = sources.at(-1)!;
      source.name = values(segment);
      source.payerId = elementOf(segment, 9);
    } else if (level === '21' && segment.id === 'NM1') {
      sources.at(-1)!.receivers.at(-1)!.name = values(segment);
    } else if (person) readPersonSegment(person, segment, component);
  }
  if (level === '22') finishSubscriber();
  return { reference: values(bht)[2] ?? '', sources };
}

export function read270(text: string): Reading270 {
  const reading = readInterchange(text, {
    functionalIdentifierCode: 'HS',
    version: IMPLEMENTATION_GUIDE_270,
    transactionSetIdentifierCode: '270',
  });
  if (reading.status === 'malformed') return reading;
  const { interchange } = reading;
  const transactions: Transaction270[] = [];
  for (const set of interchange.transactionSets) {
    const read = readTransaction(set.segments, interchange.separators.component);
    if ('problem' in read) return { status: 'malformed', problems: [read.problem] };
    transactions.push({ controlNumber: set.controlNumber, ...read });
  }
  return { status: 'read', interchange, transactions };
}
