// Reading claims. A provider sees the claims it submitted, a payer those addressed to it;
// anyone else's claim answers exactly like a missing one.
import { cursorCodec, cursorKeyPart } from '../cursor.js';
import { z } from 'zod';
import type { Database } from '../../infra/db.js';
import { isoMillisecondsOf } from '../../ledger/read.js';
import { formatAdjustments } from '../adjudication/engine.js';
import { latestDecisionOf } from '../adjudication/index.js';
import type { AdjudicatedLine, AdjudicationTotals, DecisionRecord } from '../adjudication/types.js';
import { Forbidden, NotFound } from '../../infra/errors.js';
import { decryptPhi, type PhiKeys } from '../../infra/phi.js';
import type { Principal } from '../organizations.js';
import {
  type ClaimSummary,
  type ClaimSummaryRow,
  claimSummaryColumns,
  claimSummaryOf,
} from './intake.js';

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

/** The column naming the organization that may read a claim: its provider's or its payer's. */
type ViewerColumn = 'provider_org_id' | 'payer_org_id';

/** The claims this principal may read: its own as provider, or those addressed to it as payer. */
function viewerColumnOf(principal: Principal): ViewerColumn {
  if (principal.orgKind === 'provider') return 'provider_org_id';
  if (principal.orgKind === 'payer') return 'payer_org_id';
  throw new Forbidden('claims are visible to their provider and payer only');
}

/** A claim as getClaim reads it: the row, its lines in order and its ledger events in seq order. */
interface ClaimDetailRow extends ClaimSummaryRow {
  place_of_service_code: string | null;
  member_ciphertext: string;
  patient_ciphertext: string | null;
  phi_key_version: number;
  payer_responsibility_code: string;
  prior_payers: unknown;
  diagnosis_codes: string[];
  commitment_salt: string;
  lines: ClaimDetail['serviceLines'];
  /** Null when the claim has none (it always has its ClaimSubmitted). */
  events: ClaimDetail['events'] | null;
}

/**
 * The claim, its lines and its events in one statement (a claim status poll is the API's most
 * frequent read). Lines and events come as JSON in the answer's own spelling: units without
 * trailing zeros ("1", "1.5"), money with two decimals, dates as YYYY-MM-DD, seqs as decimal
 * text, times as toISOString writes them.
 */
function claimDetailQuery(viewerColumn: ViewerColumn): string {
  return `SELECT ${claimSummaryColumns('c')}, c.place_of_service_code, c.member_ciphertext,
                 c.patient_ciphertext, c.phi_key_version, c.payer_responsibility_code,
                 c.prior_payers, COALESCE(c.diagnosis_codes, '{}') AS diagnosis_codes,
                 c.commitment_salt,
                 (SELECT json_agg(json_build_object(
                           'lineNumber', l.line_number, 'procedureCode', l.procedure_code,
                           'modifiers', COALESCE(l.modifiers, '{}'),
                           'units', trim_scale(l.units)::text,
                           'chargeAmount', l.charge_amount::text,
                           'serviceDate', to_char(l.service_date, 'YYYY-MM-DD'),
                           'serviceDateTo', to_char(l.service_date_to, 'YYYY-MM-DD'),
                           'placeOfServiceCode', l.place_of_service_code,
                           'lineControlNumber', l.line_control_number, 'unitType', l.unit_type,
                           'diagnosisPointers', COALESCE(l.diagnosis_pointers, '{}'))
                         ORDER BY l.line_number)
                    FROM claim_lines l WHERE l.claim_id = c.id) AS lines,
                 (SELECT json_agg(json_build_object(
                           'id', e.id, 'seq', e.seq::text, 'type', e.type,
                           'createdAt', ${isoMillisecondsOf('e.created_at')})
                         ORDER BY e.seq)
                    FROM (SELECT id, seq, type, created_at FROM ledger_events
                           WHERE aggregate_id = c.id::text
                           ORDER BY seq LIMIT ${CLAIM_EVENTS_MAX}) e) AS events
            FROM claims c
           WHERE c.id = $1 AND c.${viewerColumn} = $2`;
}

/** Events a claim's read lists at most (a claim has a handful: submitted, decided, settled). */
const CLAIM_EVENTS_MAX = 1000;

export async function getClaim(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  id: string,
): Promise<ClaimDetail> {
  return (await getClaimAndDecision(database, phiKeys, principal, id)).claim;
}

/** The claim as getClaim gives it, with its latest decision's record (what FHIR maps). */
export async function getClaimAndDecision(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  id: string,
): Promise<{ claim: ClaimDetail; decision: DecisionRecord | null }> {
  const { rows } = await database.pool.query<ClaimDetailRow>(
    claimDetailQuery(viewerColumnOf(principal)),
    [id, principal.orgId],
  );
  const claim = rows[0];
  if (!claim) throw new NotFound('claim');
  const decision = await latestDecisionOf(database.pool, id);
  const detail: ClaimDetail = {
    ...claimSummaryOf(claim),
    placeOfServiceCode: claim.place_of_service_code,
    member: JSON.parse(
      decryptPhi(phiKeys, { version: claim.phi_key_version, ciphertext: claim.member_ciphertext }),
    ) as unknown,
    ...(claim.patient_ciphertext === null
      ? {}
      : {
          patient: JSON.parse(
            decryptPhi(phiKeys, {
              version: claim.phi_key_version,
              ciphertext: claim.patient_ciphertext,
            }),
          ) as unknown,
        }),
    payerResponsibilityCode: claim.payer_responsibility_code,
    ...(claim.prior_payers === null ? {} : { priorPayers: claim.prior_payers }),
    diagnosisCodes: claim.diagnosis_codes,
    serviceLines: claim.lines,
    commitment: { salt: claim.commitment_salt },
    decision: decision && decisionViewOf(decision),
    events: claim.events ?? [],
  };
  return { claim: detail, decision };
}

function decisionViewOf(decision: DecisionRecord): ClaimDecisionView {
  const { result } = decision;
  const decided = result.outcome === 'decided' ? result : undefined;
  return {
    status: decision.status,
    decidedAt: decision.decidedAt,
    decidedBy: decision.decidedBy,
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
  const values: unknown[] = [principal.orgId];
  /** The next parameter's placeholder, for `value`. */
  const parameter = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions = [`c.${viewerColumnOf(principal)} = $1`];
  if (filter.status) conditions.push(`c.status = ${parameter(filter.status)}`);
  if (filter.patientControlNumber) {
    conditions.push(`c.patient_control_number = ${parameter(filter.patientControlNumber)}`);
  }
  if (filter.submittedFrom) conditions.push(`c.submitted_at >= ${parameter(filter.submittedFrom)}`);
  if (filter.submittedTo) conditions.push(`c.submitted_at < ${parameter(filter.submittedTo)}`);
  if (after) {
    const submittedAt = parameter(new Date(after.submittedAt));
    conditions.push(`(c.submitted_at, c.id) < (${submittedAt}, ${parameter(after.id)}::uuid)`);
  }
  const { rows } = await database.pool.query<ClaimSummaryRow>(
    `SELECT ${claimSummaryColumns('c')} FROM claims c
      WHERE ${conditions.join(' AND ')}
      ORDER BY c.submitted_at DESC, c.id DESC LIMIT ${parameter(filter.limit + 1)}`,
    values,
  );
  const page = pageCursor.page(rows, filter.limit, (row) => ({
    submittedAt: row.submitted_at.toISOString(),
    id: row.id,
  }));
  return { claims: page.rows.map(claimSummaryOf), nextCursor: page.nextCursor };
}
