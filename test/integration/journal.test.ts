// The journal on real PostgreSQL: balances move by the sum of their postings, every entry's
// balance check runs when the entries are posted (not at commit, where it would hold the
// account and ledger locks of the transaction longer), and the database still refuses an
// entry that does not balance, even one written around the application.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDecisionPostings, postJournalEntries } from '../../src/domain/accounts/index.js';
import { inTransaction } from '../../src/infra/db.js';
import {
  createActor,
  createTestEnvironment,
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

  it("checks an entry's balance when it is posted, before the transaction's later work", async () => {
    let postError: unknown;
    const commit = inTransaction(environment.database.pool, async (client) => {
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
      await client.query(
        'INSERT INTO journal_postings (entry_id, account_id, amount) VALUES ($1, $2, 5.00)',
        [entryId, rows[0]!.id],
      );
      // The database's check runs at the next post, not at commit.
      try {
        await postJournalEntries(client, [decision('1.00', '0.00')]);
      } catch (caught) {
        postError = caught;
        throw caught;
      }
    });
    await expect(commit).rejects.toThrow();
    expect(String(postError)).toMatch(/does not balance: 1 postings summing to 5\.00/);
    expect((await balances()).claims_expense).toBe('135.50');
  });

  it('still refuses at commit an entry that does not balance, written in SQL alone', async () => {
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
});
