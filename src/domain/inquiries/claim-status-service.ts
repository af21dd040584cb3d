// Answering a claim status inquiry: a provider finds its claims to a payer by its own patient
// control number (and, if it likes, a date of service), and learns each one's status, 277
// category, amounts and, once settled, its payment. Recorded as a ClaimStatusInquired event.
import type { Database } from '../../infra/db.js';
import { Forbidden, InvalidInput } from '../../infra/errors.js';
import {
  categoryOf,
  findClaimsByControlNumber,
  statusCategoryOf,
  type StatusCategory,
} from '../claims/status.js';
import type { Principal } from '../organizations.js';
import { paymentsOfClaims, type ClaimPayment } from '../settlement/payments.js';
import { inquirerOf, recordInquiries, resolvePayers } from './access.js';
import { NOT_COVERED_MESSAGES } from './eligibility.js';

export interface ClaimStatusQuestion {
  payerId: string;
  patientControlNumber: string;
  serviceDate: string | null;
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

export async function answerClaimStatus(
  database: Database,
  principal: Principal,
  question: ClaimStatusQuestion,
): Promise<ClaimStatusAnswer> {
  const inquirer = inquirerOf(principal);
  if (inquirer.providerOrgId === null) {
    throw new Forbidden('claim status is asked by the claim’s provider; a payer lists its claims');
  }
  const payerOrgId = (await resolvePayers(database, [question.payerId])).get(question.payerId);
  if (payerOrgId === undefined) {
    throw new InvalidInput('invalid inquiry', [
      { field: 'payerId', message: NOT_COVERED_MESSAGES.payer_not_found },
    ]);
  }
  const rows = await findClaimsByControlNumber(database.pool, {
    providerOrgId: inquirer.providerOrgId,
    payerOrgId,
    patientControlNumber: question.patientControlNumber,
    serviceDate: question.serviceDate,
  });
  const payments = await paymentsOfClaims(
    database.pool,
    rows.map((row) => row.claimId),
  );
  const [ledgerEventId] = await recordInquiries(database, [
    {
      kind: 'claim_status',
      channel: 'json',
      inquirer,
      payerOrgId,
      memberRowId: null,
      date: question.serviceDate,
      result: rows.length > 0 ? 'found' : 'not_found',
    },
  ]);
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
    ledgerEventId: ledgerEventId!,
  };
}
