// From a 276 as read to the questions the claim status service answers, and from its answers to
// the 277's content: the same walk over sources, receivers, providers, subscribers, dependents
// and tracking loops both ways, so each answer lands on the loop that asked it. Pure.
//
// Claim Status Codes (STC01-2, code source 508) written with our categories (status.ts):
//   A2 submitted, P2 pended            20  Accepted for processing
//   F1 paid, payment not confirmed      3  Claim has been adjudicated and is awaiting payment cycle
//   F1 paid, payment confirmed         65  Claim/line has been paid
//   F2 denied, F3 voided or replaced,   1  For more detailed information, see remittance advice
//   F4 nothing paid                        (each is on the payer's 835 once settled)
//   A4 no claim found                  35  Claim/encounter not found
import type {
  ClaimStatusAnswer,
  ClaimStatusQuestion,
} from '../../domain/inquiries/claim-status-service.js';
import type { ClaimTracking276, Patient276, Transaction276 } from './276-in.js';
import type { ClaimStatus277, Patient277, Transaction277 } from './277.js';

type FoundClaim = ClaimStatusAnswer['claims'][number];

const FINAL_STATUS_CODES: Record<string, string> = { F2: '1', F3: '1', F4: '1' };

/** A confirmed payment: the day the money went and its check or EFT trace. */
function confirmedPayment(claim: FoundClaim): { date: string; traceNumber: string } | null {
  const payment = claim.payment;
  if (payment?.paidDate == null || payment.traceNumber === null) return null;
  return { date: payment.paidDate, traceNumber: payment.traceNumber };
}

function statusCodeOf(claim: FoundClaim): string {
  const category = claim.category.code;
  if (category === 'F1') return confirmedPayment(claim) === null ? '3' : '65';
  return FINAL_STATUS_CODES[category] ?? '20';
}

function foundStatus(tracking: ClaimTracking276, claim: FoundClaim): ClaimStatus277 {
  const finalized = claim.category.code.startsWith('F');
  const payment = confirmedPayment(claim);
  const decidedOn = claim.decidedAt?.slice(0, 10) ?? null;
  return {
    trace: tracking.trace,
    categoryCode: claim.category.code,
    statusCode: statusCodeOf(claim),
    effectiveDate: payment?.date ?? decidedOn ?? claim.submittedAt.slice(0, 10),
    totalChargeAmount: claim.totalChargeAmount,
    paidAmount: finalized ? claim.paidAmount : null,
    adjudicatedDate: finalized ? decidedOn : null,
    payment,
    claimId: claim.claimId,
    patientControlNumber: tracking.patientControlNumber,
    serviceDates: claim.serviceDates,
  };
}

function notFoundStatus(tracking: ClaimTracking276, today: string): ClaimStatus277 {
  return {
    trace: tracking.trace,
    categoryCode: 'A4',
    statusCode: '35',
    effectiveDate: today,
    totalChargeAmount: null,
    paidAmount: null,
    adjudicatedDate: null,
    payment: null,
    claimId: null,
    patientControlNumber: tracking.patientControlNumber,
    serviceDates: tracking.serviceDates,
  };
}

/** Every tracking loop of a subscriber's loops, its own first, then its dependents'. */
function trackingsOf(subscriber: Patient276 & { dependents: Patient276[] }): ClaimTracking276[] {
  return [subscriber, ...subscriber.dependents].flatMap((patient) => patient.trackings);
}

export function questionsOf276(transactions: readonly Transaction276[]): ClaimStatusQuestion[] {
  return transactions.flatMap((transaction) =>
    transaction.sources.flatMap((source) =>
      source.receivers.flatMap((receiver) =>
        receiver.providers.flatMap((provider) =>
          provider.subscribers.flatMap(trackingsOf).map((tracking) => ({
            payerId: source.payerId,
            patientControlNumber: tracking.patientControlNumber,
            serviceDates: tracking.serviceDates,
            totalChargeAmount: tracking.totalChargeAmount,
          })),
        ),
      ),
    ),
  );
}

/** The NPIs the 276 names its service providers by (NM1*1P NM108 XX), each once. */
export function providerNpisOf276(transactions: readonly Transaction276[]): string[] {
  const npis = transactions.flatMap((transaction) =>
    transaction.sources.flatMap((source) =>
      source.receivers.flatMap((receiver) =>
        receiver.providers.flatMap((provider) => (provider.npi === null ? [] : [provider.npi])),
      ),
    ),
  );
  return [...new Set(npis)];
}

/**
 * The 277 content, given the answers to questionsOf276's questions in the same order: a tracking
 * loop answered by each claim found, or by one "not found". `today` dates a "not found".
 */
export function answersOf276(
  transactions: readonly Transaction276[],
  answers: readonly ClaimStatusAnswer[],
  today: string,
): Transaction277[] {
  let next = 0;
  const patientAnswer = (patient: Patient276): Patient277 => ({
    name: patient.name,
    claims: patient.trackings.flatMap((tracking) => {
      const answer = answers[next++]!;
      return answer.claims.length === 0
        ? [notFoundStatus(tracking, today)]
        : answer.claims.map((claim) => foundStatus(tracking, claim));
    }),
  });
  return transactions.map((transaction) => ({
    reference: transaction.reference,
    sources: transaction.sources.map((source) => ({
      name: source.name,
      receivers: source.receivers.map((receiver) => ({
        name: receiver.name,
        providers: receiver.providers.map((provider) => ({
          name: provider.name,
          subscribers: provider.subscribers.map((subscriber) => ({
            ...patientAnswer(subscriber),
            dependents: subscriber.dependents.map(patientAnswer),
          })),
        })),
      })),
    })),
  }));
}
