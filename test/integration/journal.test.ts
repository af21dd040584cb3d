// The journal on real PostgreSQL: balances move by the sum of their postings, the database checks
// every entry a statement's postings touch at the end of that statement (not at commit, where it
// would hold the account and ledger locks of the transaction longer), it refuses an entry that
// does not balance even one written around the application, and a poster waits for another
// only at the balance update.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDecisionPostings, postJournalEntries } from '../../src/domain/accounts/index.js';
import { inTransaction } from '../../src/infra/db.js';
import {
  createActor,
  createTestEnvironment,
  statementError,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let payerOrgId: string;
let providerOrgId: string;

beforeAll(async () => {
  environment = await createTestEnvironment();
  payerOrgId = (await createActor(environment, 'payer', 'payer_adjudicator')).organization.id;
  providerOrgId = (await createActor(environment, 'provider', 'provider_biller')).organization.id;
});

afterAll(async () => {
  await environment.close();
});

const decision = (paid: string, patient: string) => ({
  kind: 'claim_decision',
  claimId: null,
  ledgerEventId: randomUUID(),
  createdAt: new Date(),
  postings: claimDecisionPostings(providerOrgId, payerOrgId, paid, patient),
});

const balances = async () => {
  const { rows } = await environment.database.pool.query<{ purpose: string; balance: string }>(
    `SELECT purpose, balance_amount::text AS balance FROM accounts
      WHERE owner_org_id = ANY($1::uuid[]) ORDER BY owner_org_id = $2 DESC, purpose`,
    [[payerOrgId, providerOrgId], payerOrgId],
  );
  return Object.fromEntries(rows.map((row) => [row.purpose, row.balance]));
};

describe('the journal', () => {
  it('moves each account once by the sum of its postings, creating accounts on first use', async () => {
    await inTransaction(environment.database.pool, (client) =>
      postJournalEntries(client, [decision('80.00', '20.00'), decision('45.50', '4.50')]),
    );
    await inTransaction(environment.database.pool, (client) =>
      postJournalEntries(client, [decision('10.00', '0.00')]),
    );
    // Paid 80.00 + 45.50 + 10.00 = 135.50; patients owe 20.00 + 4.50 = 24.50.
    expect(await balances()).toEqual({
      claims_expense: '135.50',
      payable_to_provider: '-135.50',
      patient_service_revenue: '-160.00',
      receivable_from_patients: '24.50',
      receivable_from_payer: '135.50',
    });
  });

  it('refuses at once a statement that leaves an entry unbalanced', async () => {
    const client = await environment.database.pool.connect();
    try {
      await client.query('BEGIN');
      // An entry of one posting, written around the application: it cannot balance.
      const { rows } = await client.query<{ id: string }>(
        'SELECT id FROM accounts WHERE owner_org_id = $1 LIMIT 1',
        [payerOrgId],
      );
      const entryId = randomUUID();
      await client.query(
        `INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
         VALUES ($1, 'claim_decision', NULL, $2, now())`,
        [entryId, randomUUID()],
      );
      await expect(
        client.query(
          'INSERT INTO journal_postings (entry_id, account_id, amount) VALUES ($1, $2, 5.00)',
          [entryId, rows[0]!.id],
        ),
      ).rejects.toThrow(/does not balance: 1 postings summing to 5\.00/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    expect((await balances()).claims_expense).toBe('135.50');
  });

  it("checks an entry with the postings of earlier statements: a later posting can't unbalance it", async () => {
    const commit = inTransaction(environment.database.pool, async (client) => {
      // Paid 10.00, patient 0.00: four postings (the zero one to receivable_from_patients is
      // left out), summing to zero.
      const [entryId] = await postJournalEntries(client, [decision('10.00', '0.00')]);
      await client.query(
        `INSERT INTO journal_postings (entry_id, account_id, amount)
         SELECT $1, id, 0.01 FROM accounts
          WHERE owner_org_id = $2 AND purpose = 'receivable_from_patients'`,
        [entryId, providerOrgId],
      );
    });
    await expect(commit).rejects.toThrow(/does not balance: 5 postings summing to 0\.01/);
    expect((await balances()).claims_expense).toBe('135.50');
  });

  it('lets a second poster write its entries while the first holds the accounts, waiting only at the balance update', async () => {
    const first = await environment.database.pool.connect();
    const second = await environment.database.pool.connect();
    try {
      await first.query('BEGIN');
      await postJournalEntries(first, [decision('1.00', '1.00')]);
      const secondPid = (await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
        .rows[0]!.pid;
      await second.query('BEGIN');
      const secondPost = postJournalEntries(second, [decision('2.00', '0.00')]);
      // The second poster now waits on the account rows the first one updated: at which statement?
      let waitingAt: string | undefined;
      for (let attempt = 0; attempt < 200 && waitingAt === undefined; attempt++) {
        const { rows } = await environment.database.pool.query<{ query: string }>(
          // A wait for the other transaction's rows: not the moment's wait for the relation
          // extension lock that two inserters into one table can meet.
          `SELECT query FROM pg_stat_activity
            WHERE pid = $1 AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')`,
          [secondPid],
        );
        waitingAt = rows[0]?.query;
        if (waitingAt === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(waitingAt?.trim()).toMatch(/^UPDATE accounts a SET balance_amount/);
      await first.query('COMMIT');
      await secondPost;
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    // 135.50 + 1.00 + 2.00
    expect((await balances()).claims_expense).toBe('138.50');
  });

  it('refuses an entry that does not balance, written in SQL alone', async () => {
    const commit = inTransaction(environment.database.pool, async (client) => {
      const entryId = randomUUID();
      await client.query(
        `INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
         VALUES ($1, 'claim_decision', NULL, $2, now())`,
        [entryId, randomUUID()],
      );
      await client.query(
        `INSERT INTO journal_postings (entry_id, account_id, amount)
         SELECT $1, id, 7.00 FROM accounts WHERE owner_org_id = $2 LIMIT 1`,
        [entryId, payerOrgId],
      );
    });
    await expect(commit).rejects.toThrow(/does not balance/);
  });

  // journal_postings has no foreign keys (a check and a row lock per posting): the statement's
  // trigger checks its postings' entries and accounts, and neither can go away afterwards.
  describe('references, checked once per statement', () => {
    const refused = (sql: string, params: unknown[]) => statementError(environment, sql, params);

    it('refuses postings that name no entry, or no account, with a foreign-key error', async () => {
      const before = await balances();
      const missingEntry = randomUUID();
      const account = await accountIdOf('claims_expense');
      expect(
        await refused(
          `INSERT INTO journal_postings (entry_id, account_id, amount)
           VALUES ($1, $2, 5.00), ($1, $3, -5.00)`,
          [missingEntry, account, await accountIdOf('payable_to_provider')],
        ),
      ).toEqual({
        code: '23503',
        message: `journal_postings.entry_id names no row of journal_entries: ${missingEntry}`,
      });
      const missingAccount = randomUUID();
      expect(
        await refused(
          `WITH entry AS (
             INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
             VALUES ($1, 'claim_decision', NULL, $2, now()))
           INSERT INTO journal_postings (entry_id, account_id, amount)
           VALUES ($1, $3, 5.00), ($1, $4, -5.00)`,
          [randomUUID(), randomUUID(), account, missingAccount],
        ),
      ).toEqual({
        code: '23503',
        message: `journal_postings.account_id names no row of accounts: ${missingAccount}`,
      });
      expect(await balances()).toEqual(before);
    });

    it('keeps accounts: no DELETE, TRUNCATE or change but to the balance', async () => {
      const before = await balances();
      const account = await accountIdOf('claims_expense');
      for (const [sql, params] of [
        ['DELETE FROM accounts WHERE id = $1', [account]],
        ["UPDATE accounts SET purpose = 'claims_expense' WHERE id = $1", [account]],
        ['UPDATE accounts SET owner_org_id = owner_org_id WHERE id = $1', [account]],
        ['TRUNCATE accounts CASCADE', []],
        ['TRUNCATE journal_entries CASCADE', []],
        ['TRUNCATE journal_postings', []],
      ] as const) {
        const error = await refused(sql, [...params]);
        expect(error?.code, sql).toBe('42501');
      }
      // The balance moves as before (and back).
      await environment.database.pool.query(
        'UPDATE accounts SET balance_amount = balance_amount + 1 WHERE id = $1',
        [account],
      );
      await environment.database.pool.query(
        'UPDATE accounts SET balance_amount = balance_amount - 1 WHERE id = $1',
        [account],
      );
      expect(await balances()).toEqual(before);
    });
  });

  async function accountIdOf(purpose: string): Promise<string> {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id FROM accounts WHERE owner_org_id = $1 AND purpose = $2',
      [payerOrgId, purpose],
    );
    return rows[0]!.id;
  }
});
