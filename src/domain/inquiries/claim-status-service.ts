// Answering a claim status inquiry: a provider finds its claims to a payer by its own patient
// control number (and, if it likes, a date of service), and learns each one's status, 277
// category, amounts and, once settled, its payment. Recorded as a ClaimStatusInquired event.
// The JSON route asks one question, a 276 one per claim status tracking loop: the same answer.
import type { Database } from '../../infra/db.js';
import { Forbidden, InvalidInput } from '../../infra/errors.js';
import {
  categoryOf,
  type ClaimStatusRow,
  findClaimsByControlNumber,
  type StatusCategory,
  statusCategoryOf,
} from '../claims/index.js';
import { findOrganization, type Principal } from '../organizations.js';
import { type ClaimPayment, paymentsOfClaims } from '../settlement/index.js';
import { inquirerOf, recordInquiries, resolvePayers, type InquiryChannel } from './access.js';
import { NOT_COVERED_MESSAGES } from './eligibility.js';

/** At most this many claim status questions are answered at once (a 276's tracking loops). */
export const CLAIM_STATUS_QUESTIONS_MAX = 100;

export interface ClaimStatusQuestion {
  payerId: string;
  patientControlNumber: string;
  /** Claims with a service line within these days (both included); null: any day. */
  serviceDates: { from: string; to: string } | null;
  /** The claim's total charge as the asker has it (a 276's AMT*T3); null: any. */
  totalChargeAmount: string | null;
}

export interface ClaimStatusOptions {
  channel: InquiryChannel;
  /** The field an unknown payer is refused on: "payerId", or the X12 element that named it. */
  payerField: string;
}

export interface ClaimStatusAnswer {
  payerId: string;
  patientControlNumber: string;
  found: boolean;
  /** A4 (not found) when no claim matches. */
  category: StatusCategory | null;
  claims: {
    claimId: string;
    status: string;
    category: StatusCategory;
    frequencyCode: string;
    submittedAt: string;
    serviceDates: { from: string; to: string };
    totalChargeAmount: string;
    decidedAt: string | null;
    paidAmount: string | null;
    patientResponsibilityAmount: string | null;
    payment: ClaimPayment | null;
  }[];
  ledgerEventId: string;
}

/**
 * Answers each question in order with the caller's own claims, and records every one (one
 * ClaimStatusInquired event each). Refused whole, with nothing written, when a payer is unknown.
 */
export async function answerClaimStatus(
  database: Database,
  principal: Principal,
  questions: readonly ClaimStatusQuestion[],
  options: ClaimStatusOptions,
): Promise<ClaimStatusAnswer[]> {
  const inquirer = inquirerOf(principal);
  const providerOrgId = inquirer.providerOrgId;
  if (providerOrgId === null) {
    throw new Forbidden('claim status is asked by the claim’s provider; a payer lists its claims');
  }
  if (questions.length > CLAIM_STATUS_QUESTIONS_MAX) {
    throw new RangeError(`at most ${CLAIM_STATUS_QUESTIONS_MAX} claim status questions at once`);
  }
  const payers = await resolvePayers(
    database,
    questions.map((question) => question.payerId),
  );
  const payerOrgIds = questions.map((question) => {
    const payerOrgId = payers.get(question.payerId);
    if (payerOrgId === undefined) {
      throw new InvalidInput('invalid inquiry', [
        { field: options.payerField, message: NOT_COVERED_MESSAGES.payer_not_found },
      ]);
    }
    return payerOrgId;
  });
  const found: ClaimStatusRow[][] = [];
  for (const [index, question] of questions.entries()) {
    found.push(
      await findClaimsByControlNumber(database.pool, {
        providerOrgId,
        payerOrgId: payerOrgIds[index]!,
        patientControlNumber: question.patientControlNumber,
        serviceDates: question.serviceDates,
        totalChargeAmount: question.totalChargeAmount,
      }),
    );
  }
  const payments = await paymentsOfClaims(
    database.pool,
    found.flat().map((row) => row.claimId),
  );
  const ledgerEventIds = await recordInquiries(
    database,
    questions.map((question, index) => ({
      kind: 'claim_status',
      channel: options.channel,
      inquirer,
      payerOrgId: payerOrgIds[index]!,
      memberRowId: null,
      date: question.serviceDates?.from ?? null,
      result: found[index]!.length > 0 ? 'found' : 'not_found',
    })),
  );
  return questions.map((question, index) =>
    answerOf(question, found[index]!, payments, ledgerEventIds[index]!),
  );
}

/**
 * A provider asks after its own claims only: refused (403, nothing recorded) unless every
 * service provider NPI the inquiry names (a 276's 2100C) is the asking organization's.
 */
export async function assertOwnProviderNpis(
  database: Database,
  principal: Principal,
  npis: readonly string[],
): Promise<void> {
  if (npis.length === 0) return;
  const organization = await findOrganization(database, principal.orgId);
  if (npis.some((npi) => npi !== organization?.npi)) {
    throw new Forbidden(
      'a provider asks after its own claims: the service provider’s NPI (2100C NM109) is not ' +
        'the NPI of the organization asking',
    );
  }
}

function answerOf(
  question: ClaimStatusQuestion,
  rows: readonly ClaimStatusRow[],
  payments: ReadonlyMap<string, ClaimPayment>,
  ledgerEventId: string,
): ClaimStatusAnswer {
  return {
    payerId: question.payerId,
    patientControlNumber: question.patientControlNumber,
    found: rows.length > 0,
    category: rows.length > 0 ? null : categoryOf('A4'),
    claims: rows.map((row) => ({
      claimId: row.claimId,
      status: row.status,
      category: statusCategoryOf(row.status, row.paidAmount),
      frequencyCode: row.frequencyCode,
      submittedAt: row.submittedAt,
      serviceDates: { from: row.firstServiceDate, to: row.lastServiceDate },
      totalChargeAmount: row.totalChargeAmount,
      decidedAt: row.decidedAt,
      paidAmount: row.paidAmount,
      patientResponsibilityAmount: row.patientResponsibilityAmount,
      payment: payments.get(row.claimId) ?? null,
    })),
    ledgerEventId,
  };
}
