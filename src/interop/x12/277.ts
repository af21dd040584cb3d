// Writing the 277 Health Care Claim Status Response (005010X212) that answers a 276: the same
// hierarchy (payer 2000A, receiver 2000B, provider 2000C, subscriber 2000D, dependent 2000E) with
// the names as the 276 sent them, and per claim a claim status tracking loop (2200D or 2200E):
//   TRN*2*<the 276's trace>                       the trace echoed (TRN01 2: referenced)
//   STC*<category>:<status>*<effective date>*     the status (STC01), as of STC02;
//       *<charge>*<paid>*<adjudicated>**<paid on>*<check or EFT trace>
//                                                 STC04 total charge, STC05 paid and STC06
//                                                 adjudication date once finalized, STC08 and
//                                                 STC09 once the payment is confirmed
//   REF*1K*<our claim id>                         the payer's claim control number
//   REF*EJ*<patient control number>               the provider's own number (CLM01)
//   DTP*472*D8 or RD8*<dates of service>
// A claim not found is STC*A4:35 (Claim/encounter not found) with the number and dates asked.
// Pure.
import { dateElement, moneyElement, segment, utcDateAndTime, X12WriteError } from './segments.js';
import { writeAnswer, type AnswerEnvelope } from './envelope-out.js';
import { IMPLEMENTATION_GUIDE_276 } from './276-in.js';

export interface ClaimStatus277 {
  /** TRN elements as the 276 sent them (TRN01 onwards); written with TRN01 "2". */
  trace: readonly string[];
  /** STC01-1 (Health Care Claim Status Category Code) and STC01-2 (Claim Status Code). */
  categoryCode: string;
  statusCode: string;
  /** STC02, YYYY-MM-DD. */
  effectiveDate: string;
  /** STC04, STC05, STC06 (YYYY-MM-DD): null when not known or not final. */
  totalChargeAmount: string | null;
  paidAmount: string | null;
  adjudicatedDate: string | null;
  /** STC08 (YYYY-MM-DD) and STC09, once the payment is confirmed. */
  payment: { date: string; traceNumber: string } | null;
  /** REF*1K: our claim id; null when no claim was found. */
  claimId: string | null;
  /** REF*EJ. */
  patientControlNumber: string;
  /** DTP*472: the claim's, or those asked when none was found; null: none. */
  serviceDates: { from: string; to: string } | null;
}

export interface Patient277 {
  /** NM1 elements as the 276 sent them (NM101 onwards). */
  name: readonly string[];
  claims: readonly ClaimStatus277[];
}

export interface Subscriber277 extends Patient277 {
  dependents: readonly Patient277[];
}

export interface Provider277 {
  name: readonly string[];
  subscribers: readonly Subscriber277[];
}

export interface Transaction277 {
  /** BHT03 of the 276, echoed. */
  reference: string;
  sources: readonly {
    name: readonly string[];
    receivers: readonly { name: readonly string[]; providers: readonly Provider277[] }[];
  }[];
}

function serviceDateSegment(dates: { from: string; to: string }): string {
  return dates.from === dates.to
    ? segment('DTP', '472', 'D8', dateElement(dates.from))
    : segment('DTP', '472', 'RD8', `${dateElement(dates.from)}-${dateElement(dates.to)}`);
}

/** One 2200D/2200E loop. */
function claimSegments(claim: ClaimStatus277): string[] {
  const optionalDate = (date: string | null) => (date === null ? undefined : dateElement(date));
  const optionalMoney = (amount: string | null) =>
    amount === null ? undefined : moneyElement(amount);
  if (claim.trace.length < 2) throw new X12WriteError('TRN02, the trace to echo, is required');
  return [
    segment('TRN', '2', ...claim.trace.slice(1)),
    segment(
      'STC',
      [claim.categoryCode, claim.statusCode],
      dateElement(claim.effectiveDate),
      undefined, // STC03: not used
      optionalMoney(claim.totalChargeAmount),
      optionalMoney(claim.paidAmount),
      optionalDate(claim.adjudicatedDate),
      undefined, // STC07: not used
      optionalDate(claim.payment?.date ?? null),
      claim.payment?.traceNumber,
    ),
    ...(claim.claimId === null ? [] : [segment('REF', '1K', claim.claimId)]),
    segment('REF', 'EJ', claim.patientControlNumber),
    ...(claim.serviceDates === null ? [] : [serviceDateSegment(claim.serviceDates)]),
  ];
}

function transactionBody(transaction: Transaction277, preparedAt: Date): string[] {
  const { date, time } = utcDateAndTime(preparedAt);
  const body = [segment('BHT', '0010', '08', transaction.reference, dateElement(date), time, 'DG')];
  let hl = 0;
  const level = (parent: number | undefined, code: string, children: boolean | undefined) => {
    const id = ++hl;
    const childCode = children === undefined ? undefined : children ? '1' : '0';
    body.push(
      segment('HL', String(id), parent === undefined ? undefined : String(parent), code, childCode),
    );
    return id;
  };
  for (const source of transaction.sources) {
    const sourceHl = level(undefined, '20', source.receivers.length > 0);
    body.push(segment('NM1', ...source.name));
    for (const receiver of source.receivers) {
      const receiverHl = level(sourceHl, '21', receiver.providers.length > 0);
      body.push(segment('NM1', ...receiver.name));
      for (const provider of receiver.providers) {
        const providerHl = level(receiverHl, '19', provider.subscribers.length > 0);
        body.push(segment('NM1', ...provider.name));
        for (const subscriber of provider.subscribers) {
          const subscriberHl = level(providerHl, '22', subscriber.dependents.length > 0);
          body.push(
            segment('NM1', ...subscriber.name),
            ...subscriber.claims.flatMap(claimSegments),
          );
          for (const dependent of subscriber.dependents) {
            level(subscriberHl, '23', undefined); // HL04 is not used at the dependent level
            body.push(
              segment('NM1', ...dependent.name),
              ...dependent.claims.flatMap(claimSegments),
            );
          }
        }
      }
    }
  }
  return body;
}

/** The 277 interchange answering a 276's transaction sets, one 277 per 276, in order. */
export function write277(
  envelope: AnswerEnvelope,
  transactions: readonly Transaction277[],
): string {
  return writeAnswer(envelope, {
    functionalIdentifierCode: 'HN',
    version: IMPLEMENTATION_GUIDE_276,
    transactionSets: transactions.map((transaction) => ({
      identifierCode: '277',
      version: IMPLEMENTATION_GUIDE_276,
      segments: transactionBody(transaction, envelope.preparedAt),
    })),
  });
}
