// Reading claims. A provider sees the claims it submitted, a payer those addressed to it;
// anyone else's claim answers exactly like a missing one.
import { cursorCodec, cursorKeyPart } from '../cursor.js';
import { z } from 'zod';
import type { Claim } from '../../generated/prisma/client.js';
import type { Database } from '../../infra/db.js';
import { formatAdjustments } from '../adjudication/engine.js';
import type {
  AdjudicatedLine,
  AdjudicationResult,
  AdjudicationTotals,
} from '../adjudication/types.js';
import { Forbidden, NotFound } from '../../infra/errors.js';
import { decryptPhi, type PhiKeys } from '../../infra/phi.js';
import type { Principal } from '../organizations.js';
import type { ClaimSummary } from './intake.js';

export const CLAIM_STATUSES = [
  'submitted',
  'pended',
  'paid',
  'partially_paid',
  'denied',
  'voided',
  'replaced',
  'settled',
] as const;

export interface ClaimDetail extends Omit<ClaimSummary, 'ledgerEventId'> {
  /** CMS place of service of the claim (837P CLM05-1), or null when not given. */
  placeOfServiceCode: string | null;
  member: unknown;
  /** The patient when a dependent, absent when the member is the patient. */
  patient?: unknown;
  /** "P", "S" or "T": the payer responsibility the claim was sent with. */
  payerResponsibilityCode: string;
  /** The earlier payers' adjudication as accepted, on a secondary or tertiary claim only. */
  priorPayers?: unknown;
  diagnosisCodes: string[];
  serviceLines: {
    lineNumber: number;
    procedureCode: string;
    modifiers: string[];
    units: string;
    chargeAmount: string;
    serviceDate: string;
    /** The last day of a service period; null for one day. */
    serviceDateTo: string | null;
    /** The line's own place of service, or null (the claim's applies). */
    placeOfServiceCode: string | null;
    lineControlNumber: string | null;
    unitType: string;
    diagnosisPointers: number[];
  }[];
  /** Salt and value of the claimCommitment in the ClaimSubmitted event. */
  commitment: { salt: string };
  /** The latest decision, automatic or by a person; null while none was made. */
  decision: ClaimDecisionView | null;
  events: { id: string; seq: string; type: string; createdAt: string }[];
}

export interface ClaimDecisionView {
  status: string;
  decidedAt: string;
  /** "auto", or the API key id of the person who decided. */
  decidedBy: string;
  pendReasons: string[];
  totals: AdjudicationTotals | null;
  lines: (Pick<
    AdjudicatedLine,
    | 'lineNumber'
    | 'allowedAmount'
    | 'paidAmount'
    | 'patientResponsibilityAmount'
    | 'adjustments'
    | 'remarkCodes'
  > & {
    /** As a billing office reads them: "CO-45 25.00, PR-3 25.00". */
    adjustmentsText: string;
  })[];
}

export interface ClaimListFilter {
  status?: (typeof CLAIM_STATUSES)[number] | undefined;
  /** Exact match: the billing office's own number for the claim (CLM01). */
  patientControlNumber?: string | undefined;
  submittedFrom?: Date | undefined;
  submittedTo?: Date | undefined;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string | undefined;
}

/** The claims this principal may read: its own as provider, or those addressed to it as payer. */
function visibleTo(principal: Principal) {
  if (principal.orgKind === 'provider') return { providerOrgId: principal.orgId };
  if (principal.orgKind === 'payer') return { payerOrgId: principal.orgId };
  throw new Forbidden('claims are visible to their provider and payer only');
}

/** The claim as listed: no PHI, money as decimal strings. */
function summaryOf(claim: Claim): Omit<ClaimSummary, 'ledgerEventId'> {
  return {
    id: claim.id,
    status: claim.status,
    providerId: claim.providerOrgId,
    payerId: claim.payerOrgId,
    patientControlNumber: claim.patientControlNumber,
    frequencyCode: claim.frequencyCode,
    originalClaimId: claim.originalClaimId,
    totalChargeAmount: claim.totalChargeAmount.toFixed(2),
    lineCount: claim.lineCount,
    submittedAt: claim.submittedAt.toISOString(),
  };
}

export async function getClaim(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  id: string,
): Promise<ClaimDetail> {
  const claim = await database.prisma.claim.findFirst({
    where: { id, ...visibleTo(principal) },
    include: { lines: { orderBy: { lineNumber: 'asc' } } },
  });
  if (!claim) throw new NotFound('claim');
  const events = await database.prisma.ledgerEvent.findMany({
    where: { aggregateId: id },
    orderBy: { seq: 'asc' },
    take: 1000,
    select: { id: true, seq: true, type: true, createdAt: true },
  });
  return {
    ...summaryOf(claim),
    placeOfServiceCode: claim.placeOfServiceCode,
    member: JSON.parse(
      decryptPhi(phiKeys, { version: claim.phiKeyVersion, ciphertext: claim.memberCiphertext }),
    ) as unknown,
    ...(claim.patientCiphertext === null
      ? {}
      : {
          patient: JSON.parse(
            decryptPhi(phiKeys, {
              version: claim.phiKeyVersion,
              ciphertext: claim.patientCiphertext,
            }),
          ) as unknown,
        }),
    payerResponsibilityCode: claim.payerResponsibilityCode,
    ...(claim.priorPayers === null ? {} : { priorPayers: claim.priorPayers }),
    diagnosisCodes: claim.diagnosisCodes,
    serviceLines: claim.lines.map((line) => ({
      lineNumber: line.lineNumber,
      procedureCode: line.procedureCode,
      modifiers: line.modifiers,
      units: line.units.toString(),
      chargeAmount: line.chargeAmount.toFixed(2),
      serviceDate: line.serviceDate.toISOString().slice(0, 10),
      serviceDateTo: line.serviceDateTo?.toISOString().slice(0, 10) ?? null,
      placeOfServiceCode: line.placeOfServiceCode,
      lineControlNumber: line.lineControlNumber,
      unitType: line.unitType,
      diagnosisPointers: line.diagnosisPointers,
    })),
    commitment: { salt: claim.commitmentSalt },
    decision: await latestDecisionView(database, id),
    events: events.map((event) => ({
      id: event.id,
      seq: event.seq.toString(),
      type: event.type,
      createdAt: event.createdAt.toISOString(),
    })),
  };
}

async function latestDecisionView(
  database: Database,
  claimId: string,
): Promise<ClaimDecisionView | null> {
  const row = await database.prisma.claimDecision.findFirst({
    where: { claimId },
    orderBy: { decidedAt: 'desc' },
  });
  if (!row) return null;
  const result = row.result as unknown as AdjudicationResult;
  const decided = result.outcome === 'decided' ? result : undefined;
  return {
    status: row.status,
    decidedAt: row.decidedAt.toISOString(),
    decidedBy: row.decidedBy,
    pendReasons: result.outcome === 'pend' ? result.pendReasons : [],
    totals: decided?.totals ?? null,
    lines: (decided?.lines ?? []).map((line) => ({
      lineNumber: line.lineNumber,
      allowedAmount: line.allowedAmount,
      paidAmount: line.paidAmount,
      patientResponsibilityAmount: line.patientResponsibilityAmount,
      adjustments: line.adjustments,
      remarkCodes: line.remarkCodes,
      adjustmentsText: formatAdjustments(line),
    })),
  };
}

/** Pages continue after the last row's sort key. */
const pageCursor = cursorCodec(
  z.strictObject({ submittedAt: cursorKeyPart.timestamp, id: cursorKeyPart.id }),
);

/** Newest first, keyset-paginated on (submittedAt, id), so pages never skip or repeat. */
export async function listClaims(
  database: Database,
  principal: Principal,
  filter: ClaimListFilter,
): Promise<{ claims: Omit<ClaimSummary, 'ledgerEventId'>[]; nextCursor: string | null }> {
  const after = pageCursor.decode(filter.cursor);
  const rows = await database.prisma.claim.findMany({
    where: {
      ...visibleTo(principal),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.patientControlNumber ? { patientControlNumber: filter.patientControlNumber } : {}),
      submittedAt: {
        ...(filter.submittedFrom ? { gte: filter.submittedFrom } : {}),
        ...(filter.submittedTo ? { lt: filter.submittedTo } : {}),
      },
      ...(after
        ? {
            OR: [
              { submittedAt: { lt: new Date(after.submittedAt) } },
              { submittedAt: new Date(after.submittedAt), id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ submittedAt: 'desc' }, { id: 'desc' }],
    take: filter.limit + 1,
  });
  const page = pageCursor.page(rows, filter.limit, (row) => ({
    submittedAt: row.submittedAt.toISOString(),
    id: row.id,
  }));
  return { claims: page.rows.map(summaryOf), nextCursor: page.nextCursor };
}
