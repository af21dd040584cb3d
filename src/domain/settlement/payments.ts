// The payment of each claim that a settlement batch has paid (or recouped): what a claim status
// inquiry tells the provider once a claim is settled.
import type { Queryable } from '../../infra/db.js';

export interface ClaimPayment {
  batchId: string;
  /** What the batch pays for the claim (negative: recouped). */
  amount: string;
  /** issued, confirmed or exception. */
  batchStatus: string;
  /** The check or EFT trace number, once finance confirmed the payment. */
  traceNumber: string | null;
  /** The day the money was sent, once confirmed. */
  paidDate: string | null;
}

/** The payments of the claims given, by claim id; a claim in no batch is absent. */
export async function paymentsOfClaims(
  queryable: Queryable,
  claimIds: readonly string[],
): Promise<Map<string, ClaimPayment>> {
  if (claimIds.length === 0) return new Map();
  const { rows } = await queryable.query<{
    claim_id: string;
    batch_id: string;
    amount: string;
    status: string;
    trace_number: string | null;
    confirmed_date: string | null;
  }>(
    `SELECT c.claim_id, c.batch_id, c.amount::text AS amount, b.status, b.trace_number,
            b.confirmed_date::text AS confirmed_date
       FROM settlement_batch_claims c JOIN settlement_batches b ON b.id = c.batch_id
      WHERE c.claim_id = ANY($1::uuid[])`,
    [claimIds],
  );
  return new Map(
    rows.map((row) => [
      row.claim_id,
      {
        batchId: row.batch_id,
        amount: row.amount,
        batchStatus: row.status,
        traceNumber: row.trace_number,
        paidDate: row.confirmed_date,
      },
    ]),
  );
}
