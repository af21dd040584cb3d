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

/** How settlement accounts for a reversed claim's recoupment, as reconciliation checks it. */
export interface RecoupmentAccount {
  claimId: string;
  /** A batch paid the claim: its reversal is owed back. */
  paidInBatch: boolean;
  /** The batch line that took it back (its amount as owed, positive), if one did. */
  netted: { reversalEventId: string; amount: string } | null;
  /** Still owed, if no batch has taken it back. */
  owed: { reversalEventId: string; amount: string } | null;
}

/** The accounts of these reversed claims, in the order given: one probe of each table a claim. */
export async function recoupmentAccountsOf(
  client: pg.PoolClient,
  claimIds: readonly string[],
): Promise<RecoupmentAccount[]> {
  if (claimIds.length === 0) return [];
  const { rows } = await client.query<{
    claim_id: string;
    paid_in_batch: boolean;
    netted_event_id: string | null;
    netted_amount: string | null;
    owed_event_id: string | null;
    owed_amount: string | null;
  }>(
    `SELECT k.claim_id,
            EXISTS (SELECT 1 FROM settlement_batch_claims bc WHERE bc.claim_id = k.claim_id)
              AS paid_in_batch,
            a.reversal_event_id AS netted_event_id, (-a.amount)::text AS netted_amount,
            d.reversal_event_id AS owed_event_id, d.amount::text AS owed_amount
       FROM unnest($1::uuid[]) WITH ORDINALITY AS k(claim_id, position)
       LEFT JOIN settlement_batch_adjustments a ON a.claim_id = k.claim_id
       LEFT JOIN settlement_recoupments_due d ON d.claim_id = k.claim_id
      ORDER BY k.position`,
    [claimIds],
  );
  return rows.map((row) => ({
    claimId: row.claim_id,
    paidInBatch: row.paid_in_batch,
    netted:
      row.netted_event_id === null
        ? null
        : { reversalEventId: row.netted_event_id, amount: row.netted_amount! },
    owed:
      row.owed_event_id === null
        ? null
        : { reversalEventId: row.owed_event_id, amount: row.owed_amount! },
  }));
}

export interface RecoupmentWithoutReversal {
  claimId: string;
  payerOrgId: string;
  providerOrgId: string;
  /** The batch that netted it; null while it is owed. */
  batchId: string | null;
  reversalEventId: string;
  /** As owed, positive. */
  amount: string;
}

/**
 * Every recoupment owed, and those netted by the batches named (every batch's when undefined),
 * whose cited event is not a ClaimReversed of their claim recouping their amount: a debt the
 * ledger does not show.
 */
export async function recoupmentsWithoutReversal(
  client: pg.PoolClient,
  batchIds: readonly string[] | undefined,
): Promise<RecoupmentWithoutReversal[]> {
  const { rows } = await client.query<{
    claim_id: string;
    payer_org_id: string;
    provider_org_id: string;
    batch_id: string | null;
    reversal_event_id: string;
    amount: string;
  }>(
    `WITH recoupments AS (
       SELECT d.claim_id, d.payer_org_id, d.provider_org_id, NULL::uuid AS batch_id,
              d.reversal_event_id, d.amount
         FROM settlement_recoupments_due d
       UNION ALL
       SELECT a.claim_id, b.payer_org_id, b.provider_org_id, a.batch_id, a.reversal_event_id,
              -a.amount
         FROM settlement_batch_adjustments a
         JOIN settlement_batches b ON b.id = a.batch_id
        WHERE $1::uuid[] IS NULL OR a.batch_id = ANY($1::uuid[])
     )
     SELECT r.claim_id, r.payer_org_id, r.provider_org_id, r.batch_id, r.reversal_event_id,
            r.amount::text AS amount
       FROM recoupments r
      WHERE NOT EXISTS (
              SELECT 1 FROM ledger_events e
               WHERE e.aggregate_id = r.claim_id::text AND e.type = 'ClaimReversed'
                 AND e.id = r.reversal_event_id
                 AND (e.payload->>'recoupmentAmount')::numeric = r.amount)
      ORDER BY r.claim_id`,
    [batchIds ?? null],
  );
  return rows.map((row) => ({
    claimId: row.claim_id,
    payerOrgId: row.payer_org_id,
    providerOrgId: row.provider_org_id,
    batchId: row.batch_id,
    reversalEventId: row.reversal_event_id,
    amount: row.amount,
  }));
}
