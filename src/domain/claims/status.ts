// Claim status as a billing office asks for it: by its own patient control number (CLM01), not
// by our id, with each claim's status in the terms of the X12 277's Health Care Claim Status
// Category Codes (code source 507), so the JSON answer and a 277 say the same thing.
import type { Queryable } from '../../infra/db.js';
import { latestDecisionsOf } from '../adjudication/index.js';

/** At most this many claims answer one inquiry (replacements share their original's number). */
export const CLAIM_STATUS_CLAIMS_MAX = 20;

export interface StatusCategory {
  /** STC01-1, e.g. "F1". */
  code: string;
  description: string;
}

const CATEGORIES = {
  A2: 'Acknowledgement/Acceptance into adjudication system',
  P2: 'Pending/Payer Review',
  F1: 'Finalized/Payment: the claim has been paid',
  F2: 'Finalized/Denial: the claim has been denied',
  F3: 'Finalized/Revised: adjudication information has been changed',
  F4: 'Finalized/Adjudication Complete: no payment forthcoming',
  A4: 'Acknowledgement/Not Found: the claim cannot be found in the adjudication system',
} as const;

export type StatusCategoryCode = keyof typeof CATEGORIES;

export function categoryOf(code: StatusCategoryCode): StatusCategory {
  return { code, description: CATEGORIES[code] };
}

/**
 * Our status as a 277 category. submitted: accepted, waiting for the engine (A2); pended: waiting
 * for a person at the payer (P2); paid, partially_paid and settled: F1 when money is paid, F4 when
 * the whole allowed amount fell to the patient (deductible, copay); denied: F2; voided and
 * replaced: F3, the earlier adjudication reversed.
 */
export function statusCategoryOf(status: string, paidAmount: string | null): StatusCategory {
  switch (status) {
    case 'submitted':
      return categoryOf('A2');
    case 'pended':
      return categoryOf('P2');
    case 'denied':
      return categoryOf('F2');
    case 'voided':
    case 'replaced':
      return categoryOf('F3');
    case 'paid':
    case 'partially_paid':
    case 'settled':
      return categoryOf(paidAmount !== null && Number(paidAmount) === 0 ? 'F4' : 'F1');
    default:
      throw new Error(`claim status ${status} has no 277 category`);
  }
}

export interface ClaimStatusRow {
  claimId: string;
  patientControlNumber: string;
  status: string;
  frequencyCode: string;
  submittedAt: string;
  firstServiceDate: string;
  lastServiceDate: string;
  totalChargeAmount: string;
  /** From the latest decision; null before any. */
  decidedAt: string | null;
  paidAmount: string | null;
  patientResponsibilityAmount: string | null;
}

/**
 * The provider's claims to the payer with this patient control number, newest first; narrowed,
 * when given, to those with a service line within `serviceDates` (both days included) and to
 * those of exactly `totalChargeAmount`.
 */
export async function findClaimsByControlNumber(
  queryable: Queryable,
  question: {
    providerOrgId: string;
    payerOrgId: string;
    patientControlNumber: string;
    serviceDates: { from: string; to: string } | null;
    totalChargeAmount: string | null;
  },
): Promise<ClaimStatusRow[]> {
  const { rows } = await queryable.query<{
    id: string;
    patient_control_number: string;
    status: string;
    frequency_code: string;
    submitted_at: Date;
    first_service_date: string;
    last_service_date: string;
    total_charge_amount: string;
  }>(
    `SELECT c.id, c.patient_control_number, c.status, c.frequency_code, c.submitted_at,
            c.total_charge_amount::text AS total_charge_amount,
            lines.first_service_date, lines.last_service_date
       FROM claims c
       JOIN LATERAL (
         SELECT min(service_date)::text AS first_service_date,
                max(service_date)::text AS last_service_date,
                bool_or(service_date BETWEEN $4::date AND $5::date) AS on_date
           FROM claim_lines WHERE claim_id = c.id
       ) lines ON true
      WHERE c.provider_org_id = $1 AND c.payer_org_id = $2 AND c.patient_control_number = $3
        AND ($4::date IS NULL OR lines.on_date)
        AND ($6::numeric IS NULL OR c.total_charge_amount = $6::numeric)
      ORDER BY c.submitted_at DESC, c.id
      LIMIT ${CLAIM_STATUS_CLAIMS_MAX}`,
    [
      question.providerOrgId,
      question.payerOrgId,
      question.patientControlNumber,
      question.serviceDates?.from ?? null,
      question.serviceDates?.to ?? null,
      question.totalChargeAmount,
    ],
  );
  const decisions = await latestDecisionsOf(
    queryable,
    rows.map((row) => row.id),
  );
  return rows.map((row) => {
    const decision = decisions.get(row.id);
    return {
      claimId: row.id,
      patientControlNumber: row.patient_control_number,
      status: row.status,
      frequencyCode: row.frequency_code,
      submittedAt: row.submitted_at.toISOString(),
      firstServiceDate: row.first_service_date,
      lastServiceDate: row.last_service_date,
      totalChargeAmount: row.total_charge_amount,
      decidedAt: decision?.decidedAt ?? null,
      paidAmount: decision?.paidAmount ?? null,
      patientResponsibilityAmount: decision?.patientResponsibilityAmount ?? null,
    };
  });
}
