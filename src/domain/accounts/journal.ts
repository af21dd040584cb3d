// The double-entry journal: every financial event posts one entry whose postings sum to
// zero (checked here and again by the database's balance trigger), and account balances move
// with the postings in the same transaction.
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type pg from 'pg';

export type AccountPurpose =
  | 'claims_expense'
  | 'payable_to_provider'
  | 'receivable_from_payer'
  | 'receivable_from_patients'
  | 'patient_service_revenue'
  | 'payments_in_transit'
  | 'settled_payments';

export interface Posting {
  ownerOrgId: string;
  counterpartyOrgId: string;
  purpose: AccountPurpose;
  /** Debit positive, credit negative. */
  amount: Decimal;
}

export interface JournalEntryInput {
  kind: string;
  claimId: string | null;
  ledgerEventId: string;
  createdAt: Date;
  postings: Posting[];
}

export class UnbalancedEntry extends Error {}

/** An account: its owner's books, the other party, what it is for. */
export type AccountKey = Pick<Posting, 'ownerOrgId' | 'counterpartyOrgId' | 'purpose'>;

/** One account as text, for maps keyed by account. */
export const accountKeyText = (key: AccountKey) =>
  `${key.ownerOrgId}|${key.counterpartyOrgId}|${key.purpose}`;

/** Posts the entry inside the caller's transaction; zero postings are left out. */
export async function postJournalEntry(
  client: pg.PoolClient,
  entry: JournalEntryInput,
): Promise<string | undefined> {
  return (await postJournalEntries(client, [entry]))[0];
}

/** One posting per account (merged), zero ones left out, in account key order; must sum to zero. */
function balancedPostings(entry: JournalEntryInput): Posting[] {
  const merged = new Map<string, Posting>();
  for (const posting of entry.postings) {
    const key = accountKeyText(posting);
    const earlier = merged.get(key);
    merged.set(
      key,
      earlier ? { ...earlier, amount: earlier.amount.plus(posting.amount) } : posting,
    );
  }
  const postings = [...merged.entries()]
    .filter(([, posting]) => !posting.amount.isZero())
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, posting]) => posting);
  const total = postings.reduce((sum, posting) => sum.plus(posting.amount), new Decimal(0));
  if (!total.isZero())
    throw new UnbalancedEntry(`journal entry ${entry.kind} sums to ${total.toFixed(2)}`);
  return postings;
}

/**
 * Posts the entries inside the caller's transaction: the entries and their postings (accounts
 * created on first use), checked by the database's balance trigger at the end of the statement,
 * and last each account's balance moved once, by the sum of its postings. Returns each entry's
 * id, undefined for an entry whose postings are all zero.
 *
 * Concurrent posters (adjudication's parallel batches, settlement) queue on the account rows
 * from the balance update until they commit, and the ledger append that follows holds its own
 * lock to commit too: so everything that need not hold them comes first, and none of it waits
 * on another poster. Accounts are found by a plain read; only a missing one is inserted (an
 * INSERT … ON CONFLICT DO NOTHING of an account another poster's balance update has locked
 * waits for that poster's commit, which serialized the parallel batches). Postings take a KEY
 * SHARE lock on their account, which a balance update (NO KEY UPDATE) does not conflict with.
 */
export async function postJournalEntries(
  client: pg.PoolClient,
  entries: readonly JournalEntryInput[],
): Promise<(string | undefined)[]> {
  const posted = entries.map((entry) => ({ entry, postings: balancedPostings(entry) }));
  const ids = posted.map(({ postings }) => (postings.length > 0 ? randomUUID() : undefined));
  const written = posted.flatMap(({ entry, postings }, index) =>
    postings.length > 0 ? [{ entry, postings, id: ids[index]! }] : [],
  );
  if (written.length === 0) return ids;
  // Each account once, in key order, so concurrent transactions lock accounts alike.
  const moves = new Map<string, Posting>();
  for (const posting of written.flatMap(({ postings }) => postings)) {
    const key = accountKeyText(posting);
    const earlier = moves.get(key);
    moves.set(key, earlier ? { ...earlier, amount: earlier.amount.plus(posting.amount) } : posting);
  }
  const accounts = [...moves.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, move]) => move);
  const accountIds = await accountIdsOf(client, accounts);
  const postings = written.flatMap(({ id, postings }) =>
    postings.map((posting) => ({ id, posting })),
  );
  await client.query(
    `WITH entry AS (
       INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::timestamptz[])
     )
     INSERT INTO journal_postings (entry_id, account_id, amount)
     SELECT * FROM unnest($6::uuid[], $7::uuid[], $8::numeric[])`,
    [
      written.map(({ id }) => id),
      written.map(({ entry }) => entry.kind),
      written.map(({ entry }) => entry.claimId),
      written.map(({ entry }) => entry.ledgerEventId),
      written.map(({ entry }) => entry.createdAt),
      postings.map(({ id }) => id),
      postings.map(({ posting }) => accountIds.get(accountKeyText(posting))!),
      postings.map(({ posting }) => posting.amount.toFixed(2)),
    ],
  );
  // The account rows stay locked until commit, so this comes last.
  await client.query(
    `UPDATE accounts a SET balance_amount = a.balance_amount + m.amount
       FROM (SELECT a.id, m.amount
               FROM unnest($1::uuid[], $2::numeric[]) WITH ORDINALITY AS m(id, amount, position)
               JOIN accounts a ON a.id = m.id
              ORDER BY m.position
                FOR NO KEY UPDATE OF a) m
      WHERE a.id = m.id`,
    [
      accounts.map((account) => accountIds.get(accountKeyText(account))!),
      accounts.map((account) => account.amount.toFixed(2)),
    ],
  );
  return ids;
}

/** The ids of the accounts, by key text; the missing ones are created (balance zero). */
async function accountIdsOf(
  client: pg.PoolClient,
  accounts: readonly AccountKey[],
): Promise<Map<string, string>> {
  const columns = [
    accounts.map((account) => account.ownerOrgId),
    accounts.map((account) => account.counterpartyOrgId),
    accounts.map((account) => account.purpose),
  ];
  const read = async () => {
    const { rows } = await client.query<{
      id: string;
      owner_org_id: string;
      counterparty_org_id: string;
      purpose: AccountPurpose;
    }>(
      `SELECT a.id, a.owner_org_id, a.counterparty_org_id, a.purpose
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS m(owner, counterparty, purpose)
         JOIN accounts a ON a.owner_org_id = m.owner AND a.counterparty_org_id = m.counterparty
          AND a.purpose = m.purpose`,
      columns,
    );
    return new Map(
      rows.map((row) => [
        accountKeyText({
          ownerOrgId: row.owner_org_id,
          counterpartyOrgId: row.counterparty_org_id,
          purpose: row.purpose,
        }),
        row.id,
      ]),
    );
  };
  const found = await read();
  const missing = accounts.filter((account) => !found.has(accountKeyText(account)));
  if (missing.length === 0) return found;
  // First use of an account: create it (another poster may be creating it too: theirs or ours,
  // one row), then read them all again. Only the missing ones: see postJournalEntries.
  await client.query(
    `INSERT INTO accounts (id, owner_org_id, counterparty_org_id, purpose, balance_amount)
     SELECT gen_random_uuid(), owner, counterparty, purpose, 0
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY
         AS m(owner, counterparty, purpose, position)
      ORDER BY position
     ON CONFLICT (owner_org_id, counterparty_org_id, purpose) DO NOTHING`,
    [
      missing.map((account) => account.ownerOrgId),
      missing.map((account) => account.counterpartyOrgId),
      missing.map((account) => account.purpose),
    ],
  );
  return read();
}

/** Postings on the payer's books (counterparty the provider) and on the provider's. */
function booksOf(payerOrgId: string, providerOrgId: string) {
  const on =
    (ownerOrgId: string, counterpartyOrgId: string) =>
    (purpose: AccountPurpose, amount: Decimal): Posting => ({
      ownerOrgId,
      counterpartyOrgId,
      purpose,
      amount,
    });
  return { payer: on(payerOrgId, providerOrgId), provider: on(providerOrgId, payerOrgId) };
}

/**
 * What a claim decision owes: the payer's expense and payable to the provider for what it
 * pays, and on the provider's books the receivables from the payer and from patients
 * against revenue. `sign` -1 posts the reversal of the same amounts.
 */
export function claimDecisionPostings(
  providerOrgId: string,
  payerOrgId: string,
  paidAmount: string,
  patientAmount: string,
  sign: 1 | -1 = 1,
): Posting[] {
  const paid = new Decimal(paidAmount).times(sign);
  const patient = new Decimal(patientAmount).times(sign);
  const { payer, provider } = booksOf(payerOrgId, providerOrgId);
  return [
    payer('claims_expense', paid),
    payer('payable_to_provider', paid.negated()),
    provider('receivable_from_payer', paid),
    provider('receivable_from_patients', patient),
    provider('patient_service_revenue', paid.plus(patient).negated()),
  ];
}

/**
 * A settlement batch's money moving on both books. `issued`: the payer's payable and the
 * provider's receivable become payments in transit; `confirmed`: the payment arrived, so
 * in transit becomes settled payments (cash out of the payer, into the provider).
 */
export function settlementPostings(
  stage: 'issued' | 'confirmed',
  payerOrgId: string,
  providerOrgId: string,
  amount: string,
): Posting[] {
  const value = new Decimal(amount);
  const { payer, provider } = booksOf(payerOrgId, providerOrgId);
  return stage === 'issued'
    ? [
        payer('payable_to_provider', value),
        payer('payments_in_transit', value.negated()),
        provider('payments_in_transit', value),
        provider('receivable_from_payer', value.negated()),
      ]
    : [
        payer('payments_in_transit', value),
        payer('settled_payments', value.negated()),
        provider('settled_payments', value),
        provider('payments_in_transit', value.negated()),
      ];
}
