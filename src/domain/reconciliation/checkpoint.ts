// Where a clean reconciliation run left off, so the next incremental run checks only what came
// after it: the ledger seq and chain block covered, the ledger's replayed balances, each
// account's postings total and the counts of journal entries and batches at that point.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { AccountKey } from '../accounts/index.js';
import type { ChainPoint } from '../../ledger/verify.js';

export interface Checkpoint {
  throughSeq: string;
  chain: ChainPoint;
  ledgerBalances: { key: AccountKey; amount: Decimal }[];
  /** Account id to the sum of its postings whose ledger event is at or before throughSeq. */
  postingsTotals: Map<string, Decimal>;
  journalEntryCount: number;
  batchCount: number;
}

interface CheckpointRow {
  through_seq: string;
  chain_height: number;
  chain_hash: string;
  chain_last_seq: string;
  ledger_balances: { key: AccountKey; amount: string }[];
  postings_totals: Record<string, string>;
  journal_entry_count: string;
  batch_count: string;
}

/** The latest checkpoint, or undefined when no run has come out clean yet. */
export async function latestCheckpoint(client: pg.PoolClient): Promise<Checkpoint | undefined> {
  const { rows } = await client.query<CheckpointRow>(
    `SELECT through_seq::text, chain_height, chain_hash, chain_last_seq::text, ledger_balances,
            postings_totals, journal_entry_count::text, batch_count::text
       FROM reconciliation_checkpoints ORDER BY through_seq DESC, created_at DESC LIMIT 1`,
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    throughSeq: row.through_seq,
    chain: {
      height: row.chain_height,
      hash: row.chain_hash,
      lastSeq: BigInt(row.chain_last_seq),
    },
    ledgerBalances: row.ledger_balances.map(({ key, amount }) => ({
      key,
      amount: new Decimal(amount),
    })),
    postingsTotals: new Map(
      Object.entries(row.postings_totals).map(([id, amount]) => [id, new Decimal(amount)]),
    ),
    journalEntryCount: Number(row.journal_entry_count),
    batchCount: Number(row.batch_count),
  };
}

export async function saveCheckpoint(
  client: pg.PoolClient,
  runId: string,
  checkpoint: Checkpoint,
): Promise<void> {
  await client.query(
    `INSERT INTO reconciliation_checkpoints (run_id, through_seq, chain_height, chain_hash,
       chain_last_seq, ledger_balances, postings_totals, journal_entry_count, batch_count,
       created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
    [
      runId,
      checkpoint.throughSeq,
      checkpoint.chain.height,
      checkpoint.chain.hash,
      checkpoint.chain.lastSeq.toString(),
      JSON.stringify(
        checkpoint.ledgerBalances.map(({ key, amount }) => ({ key, amount: amount.toFixed(2) })),
      ),
      JSON.stringify(
        Object.fromEntries(
          [...checkpoint.postingsTotals].map(([id, amount]) => [id, amount.toFixed(2)]),
        ),
      ),
      checkpoint.journalEntryCount,
      checkpoint.batchCount,
    ],
  );
}
