// Answering eligibility inquiries for every channel (JSON, X12 270, FHIR): access, the payer's
// configuration read once per question, the pure answer, and one ledger event per question.
import type { Database } from '../../infra/db.js';
import { blindIndex, type PhiKeys } from '../../infra/phi.js';
import { patientIndexOf, readMemberBenefits } from '../payers/index.js';
import type { Principal } from '../organizations.js';
import { InvalidInput } from '../../infra/errors.js';
import {
  assertMayAskPayer,
  inquirerOf,
  recordInquiries,
  resolvePayers,
  type InquiryChannel,
} from './access.js';
import {
  eligibilityAnswerOf,
  NOT_COVERED_MESSAGES,
  notCoveredAnswer,
  type EligibilityAnswer,
} from './eligibility.js';

/** Questions per request: a 270 batch of more subscribers is split by the sender. */
export const ELIGIBILITY_QUESTIONS_MAX = 1_000;

export interface EligibilityQuestion {
  /** The payer as the inquiry names it (its ClaimChain id today). */
  payerId: string;
  memberId: string;
  /**
   * A dependent asked about under its subscriber's member id (a 270's loop 2000D), matched to
   * the subscriber's dependents by patient index as a claim's patient is; never logged or kept.
   * Absent: the member id's own member (a dependent with a member id of its own is asked so).
   */
  dependent?: { firstName: string; lastName: string; birthDate: string };
  date: string;
  procedureCodes: readonly string[];
}

export interface EligibilityOutcome {
  answer: EligibilityAnswer;
  /** The EligibilityInquired event that records the inquiry. */
  ledgerEventId: string;
}

export interface EligibilityOptions {
  channel: InquiryChannel;
  /**
   * Where the payer was named in the request (e.g. "payerId"): an unknown payer is then a 422
   * naming it. Without it (an X12 270), the answer says the payer is unknown, as a 271 does.
   */
  payerField?: string;
}

async function answerOne(
  database: Database,
  phiKeys: PhiKeys,
  question: EligibilityQuestion,
  payerOrgId: string | undefined,
  providerOrgId: string | null,
) {
  if (payerOrgId === undefined) {
    return {
      answer: notCoveredAnswer(question.payerId, question.date, 'payer_not_found'),
      memberRowId: null,
    };
  }
  const benefits = await readMemberBenefits(database.pool, {
    payerOrgId,
    memberIdIndex: blindIndex(phiKeys, question.memberId),
    patientIndex: question.dependent ? patientIndexOf(phiKeys, question.dependent) : null,
    date: question.date,
    procedureCodes: question.procedureCodes,
    providerOrgId,
  });
  return {
    answer: eligibilityAnswerOf(question, benefits, providerOrgId !== null),
    memberRowId: benefits.memberRowId ?? null,
  };
}

/**
 * Answers each question in order and records every one. Refused whole, with nothing written,
 * when the caller may not ask one of the payers (a payer asking about another's members).
 */
export async function answerEligibility(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  questions: readonly EligibilityQuestion[],
  options: EligibilityOptions,
): Promise<EligibilityOutcome[]> {
  const inquirer = inquirerOf(principal);
  if (questions.length > ELIGIBILITY_QUESTIONS_MAX) {
    throw new RangeError(`at most ${ELIGIBILITY_QUESTIONS_MAX} eligibility questions at once`);
  }
  const payers = await resolvePayers(
    database,
    questions.map((question) => question.payerId),
  );
  for (const question of questions) {
    const payerOrgId = payers.get(question.payerId);
    if (payerOrgId === undefined && options.payerField !== undefined) {
      throw new InvalidInput('invalid inquiry', [
        { field: options.payerField, message: NOT_COVERED_MESSAGES.payer_not_found },
      ]);
    }
    if (payerOrgId !== undefined) assertMayAskPayer(inquirer, payerOrgId);
  }
  const answered: { answer: EligibilityAnswer; memberRowId: string | null }[] = [];
  for (const question of questions) {
    const payerOrgId = payers.get(question.payerId);
    answered.push(await answerOne(database, phiKeys, question, payerOrgId, inquirer.providerOrgId));
  }
  const eventIds = await recordInquiries(
    database,
    questions.map((question, index) => {
      const { answer, memberRowId } = answered[index]!;
      return {
        kind: 'eligibility',
        channel: options.channel,
        inquirer,
        payerOrgId: payers.get(question.payerId) ?? null,
        memberRowId,
        date: question.date,
        result: answer.notCovered?.reason ?? 'covered',
      };
    }),
  );
  return answered.map(({ answer }, index) => ({ answer, ledgerEventId: eventIds[index]! }));
}
