// What a claim's decision paid as of a moment (the latest decided then), set-based: reconciliation
// holds each settlement batch's claim line to what the claim's decision paid when the batch was made.
import type pg from 'pg';

export interface ClaimAsOf {
  claimId: string;
  asOf: Date;
}

/**
 * For each claim and moment given, in their order: the paid amount of the claim's latest
 * decision at or before that moment, or null when it had none. Runs in the caller's transaction.
 */
export async function paidAmountsAsOf(
  client: pg.PoolClient,
  claims: readonly ClaimAsOf[],
): Promise<(string | null)[]> {
  if (claims.length === 0) return [];
  const { rows } = await client.query<{ ordinal: string; paid_amount: string | null }>(
    `SELECT x.ordinal, d.paid_amount::text AS paid_amount
       FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS x(claim_id, as_of, ordinal)
       LEFT JOIN LATERAL (SELECT paid_amount FROM claim_decisions
                           WHERE claim_id = x.claim_id AND decided_at <= x.as_of
                           ORDER BY decided_at DESC LIMIT 1) d ON true`,
    [claims.map((claim) => claim.claimId), claims.map((claim) => claim.asOf)],
  );
  const paidAmounts: (string | null)[] = new Array<string | null>(claims.length).fill(null);
  for (const row of rows) paidAmounts[Number(row.ordinal) - 1] = row.paid_amount;
  return paidAmounts;
}
