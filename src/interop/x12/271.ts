// Writing the 271 Health Care Eligibility Benefit Response (005010X279A1) that answers a 270:
// the same hierarchy (payer 2000A, provider 2000B, subscriber 2000C, dependent 2000D) with the
// trace numbers echoed (TRN01 "2"), and per patient either the benefits (loop 2110C or 2110D EB
// segments) or an AAA segment saying why none can be given. When the 270 asks about dependents
// (2000D), the subscriber is not the patient: 2100C names it (or says why it is unknown) and
// each dependent is answered in its own 2000D, as the guide's dependent example does. Pure.
//
// EB segments written (EB02 IND: the member's own figures; FAM: its family's, when the plan has
// family limits):
//   EB*1**30**<plan name>, REF*18*<plan code>   active coverage, then the plan's number
//   EB*C*IND*30***23*500 / ***29*300             deductible for the plan year / remaining
//   EB*C*FAM*30***23*1000 / ***29*100            family deductible / remaining
//   EB*G*IND*30***23*3000 / ***29*2550           out-of-pocket maximum / remaining
//   EB*G*FAM*30***23*2500 / ***29*1580           family out-of-pocket maximum / remaining
//   EB*B*IND*30***27*25                          copay per visit
//   EB*A*IND*30*****0.2                          coinsurance, EB08 a fraction (20 % is 0.2)
//   EB*1 or EB*I ... EB11 Y/N, EB13 HC:<code>    a procedure asked: covered or not, prior
//                                                authorization required or not
//   EB*6**30                                     inactive: no coverage on the date
// EB06 is 23 (calendar year) for a plan year starting in January, else 22 (service year).
// AAA*N**<code>*C: 72 invalid member id, 75 subscriber not found, 57 invalid date (2100C);
// 67 patient not found (no such dependent of the subscriber, or the subscriber is unknown),
// 57 invalid date, 58 invalid or missing birth date, 65 missing name (2100D); 79 invalid
// participant (2100A: no such payer).
import { Decimal } from 'decimal.js';
import type { AccumulatedAmount, EligibilityAnswer } from '../../domain/inquiries/eligibility.js';
import {
  dateElement,
  decimalElement,
  moneyElement,
  segment,
  utcDateAndTime,
  x12TextOf,
} from './segments.js';
import { writeAnswer, type AnswerEnvelope } from './envelope-out.js';
import { IMPLEMENTATION_GUIDE_270 } from './270-in.js';

export type Rejection271 =
  | 'invalid_member_id'
  | 'subscriber_not_found'
  | 'invalid_date'
  | 'patient_not_found'
  | 'invalid_birth_date'
  | 'invalid_patient_name';

const REJECT_REASON_CODES: Record<Rejection271, string> = {
  invalid_member_id: '72',
  subscriber_not_found: '75',
  invalid_date: '57',
  patient_not_found: '67',
  invalid_birth_date: '58',
  invalid_patient_name: '65',
};

export interface PersonAnswer271 {
  traces: readonly (readonly string[])[];
  /** NM1 elements as the 270 sent them (NM101 onwards). */
  name: readonly string[];
  /** named: a subscriber whose dependents are the patients asked about (2100C names it only). */
  outcome:
    | { kind: 'answered'; answer: EligibilityAnswer }
    | { kind: 'rejected'; reason: Rejection271 }
    | { kind: 'named' };
}

export interface SubscriberAnswer271 extends PersonAnswer271 {
  dependents: readonly PersonAnswer271[];
}

export interface SourceAnswer271 {
  /** NM1*PR elements to write (NM101 onwards). */
  name: readonly string[];
  /** false: AAA*N**79 in 2100A and nothing below it. */
  payerKnown: boolean;
  receivers: readonly { name: readonly string[]; subscribers: readonly SubscriberAnswer271[] }[];
}

export interface Transaction271 {
  /** BHT03 of the 270, echoed. */
  reference: string;
  sources: readonly SourceAnswer271[];
}

const EB_TEXT_MAX = 50;
const notUsed = (count: number) => Array<undefined>(count).fill(undefined);

function nameSegment(elements: readonly string[]): string {
  return segment('NM1', ...elements);
}

function traceSegments(traces: readonly (readonly string[])[]): string[] {
  return traces.map((trace) => segment('TRN', '2', ...trace.slice(1)));
}

function benefitSegments(answer: EligibilityAnswer, planYearStartsInJanuary: boolean): string[] {
  if (!answer.covered || !answer.plan || !answer.benefits)
    return [segment('EB', '6', undefined, '30')];
  const period = planYearStartsInJanuary ? '23' : '22';
  const { individual, family } = answer.benefits;
  const amount = (code: string, level: string, qualifier: string, value: string) =>
    segment('EB', code, level, '30', undefined, undefined, qualifier, moneyElement(value));
  const limit = (code: string, level: string, figures: AccumulatedAmount | null | undefined) =>
    figures
      ? [
          amount(code, level, period, figures.amount),
          amount(code, level, '29', figures.remainingAmount),
        ]
      : [];
  const planName = x12TextOf(answer.plan.name).slice(0, EB_TEXT_MAX) || undefined;
  const planCode = x12TextOf(answer.plan.code).slice(0, EB_TEXT_MAX);
  return [
    segment('EB', '1', undefined, '30', undefined, planName),
    ...(planCode ? [segment('REF', '18', planCode)] : []),
    ...limit('C', 'IND', individual.deductible),
    ...limit('C', 'FAM', family?.deductible),
    ...limit('G', 'IND', individual.outOfPocketMaximum),
    ...limit('G', 'FAM', family?.outOfPocketMaximum),
    amount('B', 'IND', '27', answer.copayAmount!),
    segment(
      'EB',
      'A',
      'IND',
      '30',
      ...notUsed(4), // EB04-EB07
      decimalElement(new Decimal(answer.coinsurancePercent!).dividedBy(100)),
    ),
    ...answer.procedures
      .filter((procedure) => procedure.onFeeSchedule)
      .map((procedure) =>
        segment(
          'EB',
          procedure.covered ? '1' : 'I',
          'IND',
          ...notUsed(8), // EB03-EB10
          procedure.priorAuthorizationRequired ? 'Y' : 'N',
          undefined,
          ['HC', procedure.procedureCode],
        ),
      ),
  ];
}

/**
 * 2100C/D and 2110C/D of one person: the name, then AAA or the eligibility dates and EBs (a
 * subscriber that is not the patient: the name only).
 */
function personSegments(person: PersonAnswer271): string[] {
  const { outcome } = person;
  if (outcome.kind === 'named') return [nameSegment(person.name)];
  if (outcome.kind === 'rejected') {
    return [
      nameSegment(person.name),
      segment('AAA', 'N', undefined, REJECT_REASON_CODES[outcome.reason], 'C'),
    ];
  }
  const { answer } = outcome;
  const dates = answer.coverage
    ? [
        segment('DTP', '356', 'D8', dateElement(answer.coverage.effectiveFrom)),
        ...(answer.coverage.effectiveTo
          ? [segment('DTP', '357', 'D8', dateElement(answer.coverage.effectiveTo))]
          : []),
      ]
    : [];
  const startsInJanuary = answer.planYear?.start.slice(5) === '01-01';
  return [nameSegment(person.name), ...dates, ...benefitSegments(answer, startsInJanuary)];
}

function transactionBody(transaction: Transaction271, preparedAt: Date): string[] {
  const { date, time } = utcDateAndTime(preparedAt);
  const body = [segment('BHT', '0022', '11', transaction.reference, dateElement(date), time)];
  let hl = 0;
  for (const source of transaction.sources) {
    const sourceHl = ++hl;
    const hasReceivers = source.payerKnown && source.receivers.length > 0;
    body.push(segment('HL', String(sourceHl), undefined, '20', hasReceivers ? '1' : '0'));
    body.push(nameSegment(source.name));
    if (!source.payerKnown) {
      body.push(segment('AAA', 'N', undefined, '79', 'C'));
      continue;
    }
    for (const receiver of source.receivers) {
      const receiverHl = ++hl;
      const children = receiver.subscribers.length > 0 ? '1' : '0';
      body.push(segment('HL', String(receiverHl), String(sourceHl), '21', children));
      body.push(nameSegment(receiver.name));
      for (const subscriber of receiver.subscribers) {
        const subscriberHl = ++hl;
        const hasDependents = subscriber.dependents.length > 0 ? '1' : '0';
        body.push(segment('HL', String(subscriberHl), String(receiverHl), '22', hasDependents));
        body.push(...traceSegments(subscriber.traces), ...personSegments(subscriber));
        for (const dependent of subscriber.dependents) {
          body.push(segment('HL', String(++hl), String(subscriberHl), '23', '0'));
          body.push(...traceSegments(dependent.traces), ...personSegments(dependent));
        }
      }
    }
  }
  return body;
}

/** The 271 interchange answering a 270's transaction sets, one 271 per 270, in order. */
export function write271(
  envelope: AnswerEnvelope,
  transactions: readonly Transaction271[],
): string {
  return writeAnswer(envelope, {
    functionalIdentifierCode: 'HB',
    version: IMPLEMENTATION_GUIDE_270,
    transactionSets: transactions.map((transaction) => ({
      identifierCode: '271',
      version: IMPLEMENTATION_GUIDE_270,
      segments: transactionBody(transaction, envelope.preparedAt),
    })),
  });
}
