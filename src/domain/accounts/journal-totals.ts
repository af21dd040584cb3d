// The journal's totals as reconciliation checks them, set-based and inside the caller's snapshot
// transaction: each entry's postings total, each account's postings total and kept balance.
// Given a ledger seq, only the entries whose ledger event came after it are read.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { AccountKey, AccountPurpose } from './journal.js';

export interface JournalEntryTotal {
  entryId: string;
  kind: string;
  /** The sum of the entry's postings (0 when it has none). */
  postingsTotal: string;
  /** Whether the ledger event the entry names exists. */
  hasLedgerEvent: boolean;
  /** The owners of the accounts the entry posts to. */
  accountOwnerOrgIds: string[];
}

const ENTRY_OWNERS = `coalesce(array_agg(DISTINCT a.owner_org_id) FILTER (WHERE a.id IS NOT NULL),
  '{}') AS owners`;

/**
 * Every journal entry's postings total, or (given `sinceSeq`) those of the entries whose ledger
 * event came after that seq.
 */
export async function journalEntryTotals(
  client: pg.PoolClient,
  sinceSeq: string | undefined,
): Promise<JournalEntryTotal[]> {
  const { rows } = await client.query<{
    id: string;
    kind: string;
    total: string;
    has_event: boolean;
    owners: string[];
  }>(
    sinceSeq === undefined
      ? `SELECT e.id, e.kind, coalesce(sum(p.amount), 0)::text AS total,
                EXISTS (SELECT 1 FROM ledger_events le WHERE le.id = e.ledger_event_id) AS has_event,
                ${ENTRY_OWNERS}
           FROM journal_entries e
           LEFT JOIN journal_postings p ON p.entry_id = e.id
           LEFT JOIN accounts a ON a.id = p.account_id
          GROUP BY e.id`
      : // The entries after the seq, found through their events (entry and event commit
        // together, and seq order is commit order, so none is missed); one without an event
        // is not among them: the caller counts the entries (journalEntryCount) to see it.
        `SELECT e.id, e.kind, coalesce(sum(p.amount), 0)::text AS total, true AS has_event,
                ${ENTRY_OWNERS}
           FROM ledger_events le
           JOIN journal_entries e ON e.ledger_event_id = le.id
           LEFT JOIN journal_postings p ON p.entry_id = e.id
           LEFT JOIN accounts a ON a.id = p.account_id
          WHERE le.seq > $1
          GROUP BY e.id`,
    sinceSeq === undefined ? [] : [sinceSeq],
  );
  return rows.map((row) => ({
    entryId: row.id,
    kind: row.kind,
    postingsTotal: row.total,
    hasLedgerEvent: row.has_event,
    accountOwnerOrgIds: row.owners,
  }));
}

/** How many journal entries there are. */
export async function journalEntryCount(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM journal_entries`);
  return Number(rows[0]!.count);
}

/**
 * Each account's postings total, by account id: of all postings, or (given `sinceSeq`) of
 * those whose entry's ledger event came after that seq.
 */
export async function postingsTotalsByAccount(
  client: pg.PoolClient,
  sinceSeq: string | undefined,
): Promise<Map<string, Decimal>> {
  const { rows } = await client.query<{ account_id: string; total: string }>(
    sinceSeq === undefined
      ? `SELECT account_id, sum(amount)::text AS total FROM journal_postings GROUP BY account_id`
      : `SELECT p.account_id, sum(p.amount)::text AS total
           FROM ledger_events le
           JOIN journal_entries e ON e.ledger_event_id = le.id
           JOIN journal_postings p ON p.entry_id = e.id
          WHERE le.seq > $1
          GROUP BY p.account_id`,
    sinceSeq === undefined ? [] : [sinceSeq],
  );
  return new Map(rows.map((row) => [row.account_id, new Decimal(row.total)]));
}

export interface KeptAccountBalance {
  accountId: string;
  key: AccountKey;
  /** The balance kept on the account, moved with each posting. */
  balanceAmount: string;
}

/** Every account with the balance kept on it. */
export async function keptAccountBalances(client: pg.PoolClient): Promise<KeptAccountBalance[]> {
  const { rows } = await client.query<{
    id: string;
    owner_org_id: string;
    counterparty_org_id: string;
    purpose: string;
    balance: string;
  }>(
    `SELECT id, owner_org_id, counterparty_org_id, purpose, balance_amount::text AS balance
       FROM accounts`,
  );
  return rows.map((row) => ({
    accountId: row.id,
    key: {
      ownerOrgId: row.owner_org_id,
      counterpartyOrgId: row.counterparty_org_id,
      purpose: row.purpose as AccountPurpose,
    },
    balanceAmount: row.balance,
  }));
}
