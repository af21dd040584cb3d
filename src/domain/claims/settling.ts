// What settlement asks of the claims: which providers have claims to settle, a batch's payable
// claims locked, the reversed claims whose recoupment a batch may owe, and the move to settled.
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';

/**
 * The payer's providers with decided claims in no batch, or with a reversed claim (its
 * recoupment may be owed), in id order: both read from partial indexes
 * (claims_payable_queue_idx, claims_reversed_idx), so a payer's settled history is not scanned.
 */
export async function providersWithClaimsToSettle(
  db: Queryable,
  payerOrgId: string,
): Promise<string[]> {
  const { rows } = await db.query<{ provider_org_id: string }>(
    `SELECT provider_org_id FROM claims
      WHERE payer_org_id = $1 AND status IN ('paid', 'partially_paid', 'denied')
     UNION
     SELECT provider_org_id FROM claims
      WHERE payer_org_id = $1 AND status IN ('voided', 'replaced')
     ORDER BY provider_org_id`,
    [payerOrgId],
  );
  return rows.map((row) => row.provider_org_id);
}

/**
 * The pair's payable claims (status paid, partially_paid or denied: a final decision; a denial
 * pays 0.00), at most `limit`, locked in id order for the caller's transaction. The statuses are
 * literals so the planner uses the partial index on them. A claim voided meanwhile no longer
 * matches once its lock is free. A claim in a batch is 'settled' (markClaimsSettled, in the
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

/**
 * The pair's reversed claims (voided or replaced), whose recoupment a batch may owe: read from
 * the partial index claims_reversed_idx, a few in a hundred of the pair's claims.
 */
export async function reversedClaimsOf(
  db: Queryable,
  payerOrgId: string,
  providerOrgId: string,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM claims
      WHERE payer_org_id = $1 AND provider_org_id = $2 AND status IN ('voided', 'replaced')`,
    [payerOrgId, providerOrgId],
  );
  return rows.map((row) => row.id);
}

/** The claims a batch pays leave the payable queue, in the batch's transaction. */
export async function markClaimsSettled(
  client: pg.PoolClient,
  claimIds: readonly string[],
): Promise<void> {
  await client.query("UPDATE claims SET status = 'settled' WHERE id = ANY($1::uuid[])", [claimIds]);
}
