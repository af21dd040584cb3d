// Settlement batches as reconciliation checks them, set-based and inside the caller's snapshot
// transaction: each batch's amount against its lines and its ledger events, its claim lines,
// and its confirmation. Given a ledger seq, only the batches with events after it are read.
import type pg from 'pg';

export interface BatchTotals {
  batchId: string;
  payerOrgId: string;
  providerOrgId: string;
  amount: string;
  claimCount: number;
  /** Claim lines, recoupments and the balance carried forward or recovered. */
  linesTotal: string;
  claimLineCount: number;
  /** What the batch's SettlementBatchIssued event says; nulls without one. */
  issuedEvent: {
    amount: string | null;
    claimCount: number | null;
    /** Its claim lines, adjustments and balance forward. */
    linesTotal: string | null;
  };
}

/**
 * Every batch (`sinceSeq` '0') or those whose SettlementBatchIssued event came after `sinceSeq`,
 * each with its lines' total and count and what its event says.
 */
export async function batchTotalsIssuedSince(
  client: pg.PoolClient,
  sinceSeq: string,
): Promise<BatchTotals[]> {
  const { rows } = await client.query<{
    id: string;
    payer_org_id: string;
    provider_org_id: string;
    amount: string;
    claim_count: number;
    lines_total: string;
    lines_count: number;
    event_amount: string | null;
    event_claim_count: number | null;
    event_lines_total: string | null;
  }>(
    `SELECT b.id, b.payer_org_id, b.provider_org_id, b.amount::text AS amount, b.claim_count,
            (coalesce((SELECT sum(amount) FROM settlement_batch_claims WHERE batch_id = b.id), 0)
             + coalesce((SELECT sum(amount) FROM settlement_batch_adjustments
                          WHERE batch_id = b.id), 0)
             + b.balance_forward_amount)::text AS lines_total,
            (SELECT count(*) FROM settlement_batch_claims WHERE batch_id = b.id)::int AS lines_count,
            e.payload->>'amount' AS event_amount,
            (e.payload->>'claimCount')::int AS event_claim_count,
            ((SELECT coalesce(sum((line->>'amount')::numeric), 0)
                FROM jsonb_array_elements(coalesce(e.payload->'claims', '[]'::jsonb)
                                          || coalesce(e.payload->'adjustments', '[]'::jsonb)) line)
             + coalesce((e.payload->>'balanceForward')::numeric, 0))::text AS event_lines_total
       FROM settlement_batches b
       LEFT JOIN ledger_events e ON e.id = b.ledger_event_id AND e.type = 'SettlementBatchIssued'
      WHERE $1::bigint = 0 OR e.seq > $1::bigint`,
    [sinceSeq],
  );
  return rows.map((row) => ({
    batchId: row.id,
    payerOrgId: row.payer_org_id,
    providerOrgId: row.provider_org_id,
    amount: row.amount,
    claimCount: row.claim_count,
    linesTotal: row.lines_total,
    claimLineCount: row.lines_count,
    issuedEvent: {
      amount: row.event_amount,
      claimCount: row.event_claim_count,
      linesTotal: row.event_lines_total,
    },
  }));
}

/** How many settlement batches there are. */
export async function settlementBatchCount(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM settlement_batches`);
  return Number(rows[0]!.count);
}

export interface BatchClaimLine {
  batchId: string;
  claimId: string;
  payerOrgId: string;
  providerOrgId: string;
  /** What the batch pays for the claim. */
  amount: string;
  /** When the batch was made: the claim's decision then is what the line should pay. */
  batchCreatedAt: Date;
}

/** Where a page of claim lines ends: the next page starts after it. */
export type BatchClaimLineKey = Pick<BatchClaimLine, 'batchId' | 'claimId'>;

/**
 * A page of claim lines in (batch id, claim id) order, the primary key's, after `after`: of every
 * batch, or of the batches given.
 */
export async function batchClaimLinesPage(
  client: pg.PoolClient,
  page: { batchIds: string[] | undefined; after: BatchClaimLineKey | undefined; limit: number },
): Promise<BatchClaimLine[]> {
  const { rows } = await client.query<{
    batch_id: string;
    claim_id: string;
    payer_org_id: string;
    provider_org_id: string;
    amount: string;
    created_at: Date;
  }>(
    `SELECT bc.batch_id, bc.claim_id, b.payer_org_id, b.provider_org_id,
            bc.amount::text AS amount, b.created_at
       FROM settlement_batch_claims bc
       JOIN settlement_batches b ON b.id = bc.batch_id
      WHERE ($1::uuid[] IS NULL OR bc.batch_id = ANY($1::uuid[]))
        AND ($2::uuid IS NULL OR (bc.batch_id, bc.claim_id) > ($2::uuid, $3::uuid))
      ORDER BY bc.batch_id, bc.claim_id
      LIMIT $4`,
    [page.batchIds ?? null, page.after?.batchId ?? null, page.after?.claimId ?? null, page.limit],
  );
  return rows.map((row) => ({
    batchId: row.batch_id,
    claimId: row.claim_id,
    payerOrgId: row.payer_org_id,
    providerOrgId: row.provider_org_id,
    amount: row.amount,
    batchCreatedAt: row.created_at,
  }));
}

export interface BatchConfirmation {
  batchId: string;
  payerOrgId: string;
  providerOrgId: string;
  /** confirmed, or exception: confirmed for another amount. */
  status: string;
  amount: string;
  traceNumber: string | null;
  confirmedAmount: string | null;
  /** What the batch's latest SettlementBatchConfirmed or SettlementException event says. */
  confirmationEvent: { traceNumber: string | null; confirmedAmount: string | null };
}

/**
 * The confirmed batches (and those confirmed for another amount): every one (`sinceSeq` '0'),
 * or those with a ledger event after `sinceSeq`.
 */
export async function confirmationsSince(
  client: pg.PoolClient,
  sinceSeq: string,
): Promise<BatchConfirmation[]> {
  const { rows } = await client.query<{
    id: string;
    payer_org_id: string;
    provider_org_id: string;
    status: string;
    amount: string;
    trace_number: string | null;
    confirmed_amount: string | null;
    event_trace: string | null;
    event_amount: string | null;
  }>(
    `SELECT b.id, b.payer_org_id, b.provider_org_id, b.status, b.amount::text AS amount,
            b.trace_number, b.confirmed_amount::text AS confirmed_amount,
            e.payload->>'traceNumber' AS event_trace, e.payload->>'confirmedAmount' AS event_amount
       FROM settlement_batches b
       LEFT JOIN LATERAL (SELECT payload FROM ledger_events
                           WHERE aggregate_id = b.id::text
                             AND type IN ('SettlementBatchConfirmed', 'SettlementException')
                           ORDER BY seq DESC LIMIT 1) e ON true
      WHERE b.status <> 'issued'
        AND ($1::bigint = 0 OR EXISTS (SELECT 1 FROM ledger_events x
                                        WHERE x.aggregate_id = b.id::text AND x.seq > $1::bigint))`,
    [sinceSeq],
  );
  return rows.map((row) => ({
    batchId: row.id,
    payerOrgId: row.payer_org_id,
    providerOrgId: row.provider_org_id,
    status: row.status,
    amount: row.amount,
    traceNumber: row.trace_number,
    confirmedAmount: row.confirmed_amount,
    confirmationEvent: { traceNumber: row.event_trace, confirmedAmount: row.event_amount },
  }));
}
