// Recoupments owed: what a provider must pay back when a claim a batch paid is reversed (voided
// or replaced). The reversal records it here in its own transaction; the pair's next batch nets
// it (a negative line, 835 CLP with status 22) and removes it, its settlement_batch_adjustments
// row being the record kept. A batch reads only what is owed, not the pair's history.
import type pg from 'pg';
import type { Queryable } from '../../infra/db.js';

export interface ReversalOfClaim {
  claimId: string;
  payerOrgId: string;
  providerOrgId: string;
  /** The ClaimReversed event, which the batch's adjustment line cites. */
  reversalEventId: string;
  /** What the reversed decision paid, e.g. "92.00"; positive to be owed. */
  amount: string;
}

/**
 * Called by a reversal, in its transaction, holding the claim's lock: the provider owes the
 * amount back when a batch paid the claim. A claim reversed before any batch took it was never
 * paid (the reversal took it off the payable queue), and 0.00 is never owed, so neither records
 * anything. A batch that took the claim committed before the reversal got its lock, so this
 * statement sees it.
 */
export async function recordReversal(
  client: pg.PoolClient,
  reversal: ReversalOfClaim,
): Promise<void> {
  await client.query(
    `INSERT INTO settlement_recoupments_due
       (claim_id, payer_org_id, provider_org_id, reversal_event_id, amount)
     SELECT $1, $2, $3, $4, $5
      WHERE $5::numeric > 0
        AND EXISTS (SELECT 1 FROM settlement_batch_claims WHERE claim_id = $1)`,
    [
      reversal.claimId,
      reversal.payerOrgId,
      reversal.providerOrgId,
      reversal.reversalEventId,
      reversal.amount,
    ],
  );
}

/** The payer's providers that owe a recoupment, in id order. */
export async function providersOwingRecoupments(
  db: Queryable,
  payerOrgId: string,
): Promise<string[]> {
  const { rows } = await db.query<{ provider_org_id: string }>(
    `SELECT DISTINCT provider_org_id FROM settlement_recoupments_due WHERE payer_org_id = $1
      ORDER BY provider_org_id`,
    [payerOrgId],
  );
  return rows.map((row) => row.provider_org_id);
}

export interface RecoupmentLine {
  claimId: string;
  reversalEventId: string;
  /** Negative: what the batch takes back, e.g. "-92.00". */
  amount: string;
}

/** At most `limit` of the pair's recoupments owed, in claim id order, as batch lines. */
export async function recoupmentsOwed(
  client: pg.PoolClient,
  payerOrgId: string,
  providerOrgId: string,
  limit: number,
): Promise<RecoupmentLine[]> {
  const { rows } = await client.query<{
    claim_id: string;
    reversal_event_id: string;
    amount: string;
  }>(
    `SELECT claim_id, reversal_event_id, (-amount)::text AS amount FROM settlement_recoupments_due
      WHERE payer_org_id = $1 AND provider_org_id = $2
      ORDER BY claim_id
      LIMIT $3`,
    [payerOrgId, providerOrgId, limit],
  );
  return rows.map((row) => ({
    claimId: row.claim_id,
    reversalEventId: row.reversal_event_id,
    amount: row.amount,
  }));
}

/** The recoupments a batch netted are no longer owed: its adjustment lines record them. */
export async function markRecoupmentsNetted(
  client: pg.PoolClient,
  claimIds: readonly string[],
): Promise<void> {
  if (claimIds.length === 0) return;
  await client.query('DELETE FROM settlement_recoupments_due WHERE claim_id = ANY($1::uuid[])', [
    claimIds,
  ]);
}
