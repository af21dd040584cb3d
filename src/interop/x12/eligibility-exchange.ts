// From a 270 as read to the questions the eligibility service answers, and from its answers to
// the 271's content: the same walk over sources, receivers, subscribers and dependents both
// ways, so each answer lands on the inquiry that asked it. Pure.
import type { EligibilityAnswer } from '../../domain/inquiries/eligibility.js';
import type { EligibilityQuestion } from '../../domain/inquiries/eligibility-service.js';
import type { PersonInquiry270, SubscriberInquiry270, Transaction270 } from './270-in.js';
import type { PersonAnswer271, Rejection271, Transaction271 } from './271.js';

/** Subscribers with a usable member id and date: the ones a question is asked for, in order. */
function asked(subscriber: SubscriberInquiry270): boolean {
  return subscriber.defect === null;
}

export function questionsOf270(
  transactions: readonly Transaction270[],
  today: string,
): EligibilityQuestion[] {
  return transactions.flatMap((transaction) =>
    transaction.sources.flatMap((source) =>
      source.receivers.flatMap((receiver) =>
        receiver.subscribers.filter(asked).map((subscriber) => ({
          payerId: source.payerId,
          memberId: subscriber.memberId,
          date: subscriber.date ?? today,
          procedureCodes: subscriber.procedureCodes,
        })),
      ),
    ),
  );
}

function rejectionOf(subscriber: SubscriberInquiry270, answer: EligibilityAnswer | undefined) {
  if (subscriber.defect === 'invalid_member_id') return 'invalid_member_id';
  if (subscriber.defect === 'invalid_date') return 'invalid_date';
  if (answer?.notCovered?.reason === 'member_not_found') return 'subscriber_not_found';
  return undefined;
}

function personAnswer(person: PersonInquiry270, rejection: Rejection271): PersonAnswer271 {
  return {
    traces: person.traces,
    name: person.name,
    outcome: { kind: 'rejected', reason: rejection },
  };
}

/**
 * The 271 content, given the answers to questionsOf270's questions in the same order. A payer is
 * unknown when every question of its source came back payer_not_found (or none was asked).
 */
export function answersOf270(
  transactions: readonly Transaction270[],
  answers: readonly EligibilityAnswer[],
): Transaction271[] {
  let next = 0;
  return transactions.map((transaction) => ({
    reference: transaction.reference,
    sources: transaction.sources.map((source) => {
      const receivers = source.receivers.map((receiver) => ({
        name: receiver.name,
        subscribers: receiver.subscribers.map((subscriber) => {
          const answer = asked(subscriber) ? answers[next++] : undefined;
          const rejection = rejectionOf(subscriber, answer);
          const outcome: PersonAnswer271['outcome'] =
            rejection === undefined
              ? { kind: 'answered', answer: answer! }
              : { kind: 'rejected', reason: rejection };
          return {
            traces: subscriber.traces,
            name: subscriber.name,
            outcome,
            // Dependents are not enrolled apart from their subscriber yet (issue 10, parties).
            dependents: subscriber.dependents.map((dependent) =>
              personAnswer(dependent, 'patient_not_found'),
            ),
          };
        }),
      }));
      const payerUnknown = receivers.some((receiver) =>
        receiver.subscribers.some(
          (subscriber) =>
            subscriber.outcome.kind === 'answered' &&
            subscriber.outcome.answer.notCovered?.reason === 'payer_not_found',
        ),
      );
      return { name: source.name, payerKnown: !payerUnknown, receivers };
    }),
  }));
}
