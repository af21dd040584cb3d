// What settlement asks of the claims: which providers have claims to pay, a batch's payable
// claims locked, and the claims of a batch as its remittance names them (the move to settled is
// setClaimStatuses, as every status change).
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';
import { decryptPhi, type PhiKeys } from '../../infra/phi.js';
import { type ClaimLineRow, readLinesOf } from './deciding.js';

/**
 * The payer's providers with decided claims in no batch, in id order, read from the partial
 * index claims_payable_queue_idx, so a payer's settled history is not scanned.
 */
export async function providersWithPayableClaims(
  db: Queryable,
  payerOrgId: string,
): Promise<string[]> {
  const { rows } = await db.query<{ provider_org_id: string }>(
    `SELECT DISTINCT provider_org_id FROM claims
      WHERE payer_org_id = $1 AND status IN ('paid', 'partially_paid', 'denied')
      ORDER BY provider_org_id`,
    [payerOrgId],
  );
  return rows.map((row) => row.provider_org_id);
}

/**
 * The pair's payable claims (status paid, partially_paid or denied: a final decision; a denial
 * pays 0.00), at most `limit`, locked in id order for the caller's transaction. The statuses are
 * literals so the planner uses the partial index on them. A claim voided meanwhile no longer
 * matches once its lock is free. A claim in a batch is 'settled' (setClaimStatuses, in the
 * batch's transaction), so none of these is in one; the unique claim_id of
 * settlement_batch_claims stops a second payment besides. A NOT EXISTS on that table here, with
 * statistics lagging a load, was planned as a scan of every batched claim per payable claim
 * (0.6-1.5 s a run).
 */
export async function lockPayableClaims(
  client: pg.PoolClient,
  payerOrgId: string,
  providerOrgId: string,
  limit: number,
): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM claims
      WHERE payer_org_id = $1 AND provider_org_id = $2
        AND status IN ('paid', 'partially_paid', 'denied')
      ORDER BY id
      LIMIT $3
      FOR UPDATE`,
    [payerOrgId, providerOrgId, limit],
  );
  return rows.map((row) => row.id);
}

/** A person a claim names, as the 835's NM1 segments need them. */
export interface BilledPerson {
  firstName: string;
  lastName: string;
  /** The member id; a dependent patient has none of its own. */
  memberId?: string;
}

export interface BilledLine {
  lineNumber: number;
  procedureCode: string;
  modifiers: string[];
  /** As stored, e.g. "1.000". */
  units: string;
  /** YYYY-MM-DD. */
  serviceDate: string;
  serviceDateTo: string | null;
  lineControlNumber: string | null;
}

/** A claim as its remittance names it: the numbers it was billed with, who for, its lines. */
export interface BilledClaim {
  id: string;
  patientControlNumber: string;
  payerResponsibilityCode: 'P' | 'S' | 'T';
  /** The subscriber, decrypted. */
  member: BilledPerson & { memberId: string };
  /** A dependent patient, decrypted; null when the member is the patient. */
  patient: BilledPerson | null;
  /** In line number order. */
  lines: BilledLine[];
}

/** The claims by id, decrypted, with their lines; an id without a claim is absent. */
export async function readBilledClaims(
  db: Queryable,
  phiKeys: PhiKeys,
  claimIds: readonly string[],
): Promise<Map<string, BilledClaim>> {
  const { rows } = await db.query<{
    id: string;
    patient_control_number: string;
    member_ciphertext: string;
    patient_ciphertext: string | null;
    phi_key_version: number;
    payer_responsibility_code: BilledClaim['payerResponsibilityCode'];
  }>(
    `SELECT id, patient_control_number, member_ciphertext, patient_ciphertext, phi_key_version,
            payer_responsibility_code
       FROM claims WHERE id = ANY($1::uuid[])`,
    [claimIds],
  );
  const linesByClaim = await readLinesOf(db, claimIds);
  const claims = new Map<string, BilledClaim>();
  for (const row of rows) {
    const decrypted = (ciphertext: string) =>
      JSON.parse(decryptPhi(phiKeys, { version: row.phi_key_version, ciphertext })) as BilledPerson;
    claims.set(row.id, {
      id: row.id,
      patientControlNumber: row.patient_control_number,
      payerResponsibilityCode: row.payer_responsibility_code,
      member: decrypted(row.member_ciphertext) as BilledClaim['member'],
      patient: row.patient_ciphertext === null ? null : decrypted(row.patient_ciphertext),
      lines: billedLinesOf(linesByClaim.get(row.id) ?? []),
    });
  }
  return claims;
}

/** A claim's lines as its remittance names them. */
function billedLinesOf(lines: readonly ClaimLineRow[]): BilledLine[] {
  return lines.map((line) => ({
    lineNumber: line.line_number,
    procedureCode: line.procedure_code,
    modifiers: line.modifiers ?? [],
    units: line.units,
    serviceDate: line.service_date,
    serviceDateTo: line.service_date_to,
    lineControlNumber: line.line_control_number,
  }));
}
