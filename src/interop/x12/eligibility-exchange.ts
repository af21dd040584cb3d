// From a 270 as read to the questions the eligibility service answers, and from its answers to
// the 271's content: the same walk over sources, receivers, subscribers and dependents both
// ways, so each answer lands on the inquiry that asked it. Pure.
//
// Who is the patient: a subscriber without 2000D loops is; when 2000D loops are sent, each
// dependent is (the subscriber's member id in 2100C, the dependent's names and birth date in
// 2100D), and the subscriber itself is not asked about.
import type { EligibilityAnswer } from '../../domain/inquiries/eligibility.js';
import type { EligibilityQuestion } from '../../domain/inquiries/eligibility-service.js';
import type { PersonInquiry270, SubscriberInquiry270, Transaction270 } from './270-in.js';
import type { PersonAnswer271, Rejection271, SubscriberAnswer271, Transaction271 } from './271.js';

/** Why a dependent cannot be looked for from what its 2100D holds; undefined: it can. */
function dependentDefectOf(dependent: PersonInquiry270): Rejection271 | undefined {
  if (dependent.defect === 'invalid_date') return 'invalid_date';
  if (dependent.birthDate === undefined) return 'invalid_birth_date';
  const [lastName, firstName] = [dependent.name[2]?.trim(), dependent.name[3]?.trim()];
  if (!lastName || !firstName) return 'invalid_patient_name';
  return undefined;
}

/** The questions of one subscriber's loops, in order: its own, or one per usable dependent. */
function questionsOfSubscriber(
  payerId: string,
  subscriber: SubscriberInquiry270,
  today: string,
): EligibilityQuestion[] {
  if (subscriber.defect !== null) return [];
  const { memberId } = subscriber;
  if (subscriber.dependents.length === 0) {
    const { procedureCodes } = subscriber;
    return [{ payerId, memberId, date: subscriber.date ?? today, procedureCodes }];
  }
  return subscriber.dependents
    .filter((dependent) => dependentDefectOf(dependent) === undefined)
    .map((dependent) => ({
      payerId,
      memberId,
      dependent: {
        lastName: dependent.name[2]!,
        firstName: dependent.name[3]!,
        birthDate: dependent.birthDate!,
      },
      date: dependent.date ?? subscriber.date ?? today,
      procedureCodes: dependent.procedureCodes,
    }));
}

export function questionsOf270(
  transactions: readonly Transaction270[],
  today: string,
): EligibilityQuestion[] {
  return transactions.flatMap((transaction) =>
    transaction.sources.flatMap((source) =>
      source.receivers.flatMap((receiver) =>
        receiver.subscribers.flatMap((subscriber) =>
          questionsOfSubscriber(source.payerId, subscriber, today),
        ),
      ),
    ),
  );
}

function rejected(person: PersonInquiry270, reason: Rejection271): PersonAnswer271 {
  return { traces: person.traces, name: person.name, outcome: { kind: 'rejected', reason } };
}

function answered(person: PersonInquiry270, answer: EligibilityAnswer): PersonAnswer271 {
  if (answer.notCovered?.reason === 'member_not_found') {
    return rejected(person, 'subscriber_not_found');
  }
  if (answer.notCovered?.reason === 'patient_not_found')
    return rejected(person, 'patient_not_found');
  return { traces: person.traces, name: person.name, outcome: { kind: 'answered', answer } };
}

/** One subscriber's 271 content, taking its answers (questionsOfSubscriber's) from `take`. */
function answerOfSubscriber(
  subscriber: SubscriberInquiry270,
  take: () => EligibilityAnswer,
): SubscriberAnswer271 {
  const { traces, name } = subscriber;
  const defect = subscriber.defect;
  if (subscriber.dependents.length === 0) {
    const person = defect === null ? answered(subscriber, take()) : rejected(subscriber, defect);
    return { ...person, dependents: [] };
  }
  const dependentAnswers = subscriber.dependents.map((dependent) => {
    const dependentDefect = dependentDefectOf(dependent);
    if (defect !== null) return rejected(dependent, 'patient_not_found');
    if (dependentDefect !== undefined) return rejected(dependent, dependentDefect);
    return answered(dependent, take());
  });
  // A dependent's question asks the subscriber first: an unknown subscriber is said in 2100C.
  const subscriberUnknown = dependentAnswers.some(
    (dependent) =>
      dependent.outcome.kind === 'rejected' && dependent.outcome.reason === 'subscriber_not_found',
  );
  const outcome: PersonAnswer271['outcome'] =
    defect !== null
      ? { kind: 'rejected', reason: defect }
      : subscriberUnknown
        ? { kind: 'rejected', reason: 'subscriber_not_found' }
        : { kind: 'named' };
  return {
    traces,
    name,
    outcome,
    dependents: dependentAnswers.map((dependent) =>
      dependent.outcome.kind === 'rejected' && dependent.outcome.reason === 'subscriber_not_found'
        ? { ...dependent, outcome: { kind: 'rejected', reason: 'patient_not_found' } }
        : dependent,
    ),
  };
}

/**
 * The 271 content, given the answers to questionsOf270's questions in the same order. A payer is
 * unknown when its source's questions came back payer_not_found (all of them do, sharing it).
 */
export function answersOf270(
  transactions: readonly Transaction270[],
  answers: readonly EligibilityAnswer[],
): Transaction271[] {
  let next = 0;
  return transactions.map((transaction) => ({
    reference: transaction.reference,
    sources: transaction.sources.map((source) => {
      let payerUnknown = false;
      const take = () => {
        const answer = answers[next++]!;
        if (answer.notCovered?.reason === 'payer_not_found') payerUnknown = true;
        return answer;
      };
      const receivers = source.receivers.map((receiver) => ({
        name: receiver.name,
        subscribers: receiver.subscribers.map((subscriber) => answerOfSubscriber(subscriber, take)),
      }));
      return { name: source.name, payerKnown: !payerUnknown, receivers };
    }),
  }));
}
