// Balances of an organization's accounts, as of now (kept with the postings) or as of a
// sealed block (recomputed from the postings of the events that block and those before it
// cover), so a balance can be tied to a point of the tamper-evident chain.
import type { Database } from '../../infra/db.js';
import { Forbidden, NotFound } from '../../infra/errors.js';
import type { Principal } from '../organizations.js';

export interface AccountBalance {
  counterpartyId: string;
  purpose: string;
  balanceAmount: string;
}

export interface Balances {
  organizationId: string;
  /** null: now, including events not sealed yet. */
  asOfHeight: number | null;
  accounts: AccountBalance[];
}

const ACCOUNTS_MAX = 10_000;

export async function balancesOf(
  database: Database,
  principal: Principal,
  asOfHeight: number | undefined,
): Promise<Balances> {
  if (principal.orgKind === 'operator') {
    throw new Forbidden('balances belong to providers and payers');
  }
  const accounts =
    asOfHeight === undefined
      ? await currentBalances(database, principal.orgId)
      : await balancesAtHeight(database, principal.orgId, asOfHeight);
  return { organizationId: principal.orgId, asOfHeight: asOfHeight ?? null, accounts };
}

async function currentBalances(database: Database, orgId: string): Promise<AccountBalance[]> {
  const { rows } = await database.pool.query<{
    counterparty_org_id: string;
    purpose: string;
    balance: string;
  }>(
    `SELECT counterparty_org_id, purpose, balance_amount::text AS balance FROM accounts
      WHERE owner_org_id = $1 ORDER BY counterparty_org_id, purpose LIMIT $2`,
    [orgId, ACCOUNTS_MAX],
  );
  return rows.map(toBalance);
}

async function balancesAtHeight(
  database: Database,
  orgId: string,
  height: number,
): Promise<AccountBalance[]> {
  const block = await database.pool.query<{ last_seq: string }>(
    'SELECT last_seq FROM ledger_blocks WHERE height = $1',
    [height],
  );
  if (!block.rows[0]) throw new NotFound('block');
  const { rows } = await database.pool.query<{
    counterparty_org_id: string;
    purpose: string;
    balance: string;
  }>(
    `SELECT a.counterparty_org_id, a.purpose, sum(p.amount)::text AS balance
       FROM accounts a
       JOIN journal_postings p ON p.account_id = a.id
       JOIN journal_entries e ON e.id = p.entry_id
       JOIN ledger_events le ON le.id = e.ledger_event_id
      WHERE a.owner_org_id = $1 AND le.seq <= $2
      GROUP BY a.counterparty_org_id, a.purpose
      ORDER BY a.counterparty_org_id, a.purpose LIMIT $3`,
    [orgId, block.rows[0].last_seq, ACCOUNTS_MAX],
  );
  return rows.map(toBalance);
}

function toBalance(row: { counterparty_org_id: string; purpose: string; balance: string }) {
  return {
    counterpartyId: row.counterparty_org_id,
    purpose: row.purpose,
    balanceAmount: row.balance,
  };
}
