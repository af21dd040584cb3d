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
 * created on first use), the balance check of every entry, and last each account's balance
 * moved once, by the sum of its postings. Returns each entry's id, undefined for an entry whose
 * postings are all zero.
 *
 * Concurrent posters (adjudication's parallel batches, settlement) queue on the account rows
 * from the balance update until they commit, and the ledger append that follows holds its own
 * lock to commit too: so everything that need not hold them comes first. Creating an account
 * that exists (DO NOTHING) and inserting postings (whose foreign key takes a KEY SHARE lock,
 * which a balance update does not conflict with) lock nothing another poster waits on, and the
 * balance trigger's checks, deferred to commit by default, are run here, before the locks.
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
  const accountColumns = [
    accounts.map((account) => account.ownerOrgId),
    accounts.map((account) => account.counterpartyOrgId),
    accounts.map((account) => account.purpose),
  ];
  await client.query(
    `INSERT INTO accounts (id, owner_org_id, counterparty_org_id, purpose, balance_amount)
     SELECT gen_random_uuid(), owner, counterparty, purpose, 0
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY
         AS m(owner, counterparty, purpose, position)
      ORDER BY position
     ON CONFLICT (owner_org_id, counterparty_org_id, purpose) DO NOTHING`,
    accountColumns,
  );
  const postings = written.flatMap(({ id, postings }) =>
    postings.map((posting) => ({ id, posting })),
  );
  await client.query(
    `WITH entry AS (
       INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::timestamptz[])
     )
     INSERT INTO journal_postings (entry_id, account_id, amount)
     SELECT p.entry_id, a.id, p.amount
       FROM unnest($6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::numeric[])
              AS p(entry_id, owner, counterparty, purpose, amount)
       JOIN accounts a ON a.owner_org_id = p.owner AND a.counterparty_org_id = p.counterparty
        AND a.purpose = p.purpose`,
    [
      written.map(({ id }) => id),
      written.map(({ entry }) => entry.kind),
      written.map(({ entry }) => entry.claimId),
      written.map(({ entry }) => entry.ledgerEventId),
      written.map(({ entry }) => entry.createdAt),
      postings.map(({ id }) => id),
      postings.map(({ posting }) => posting.ownerOrgId),
      postings.map(({ posting }) => posting.counterpartyOrgId),
      postings.map(({ posting }) => posting.purpose),
      postings.map(({ posting }) => posting.amount.toFixed(2)),
    ],
  );
  // Runs the entries' deferred balance checks now; later postings of the transaction are
  // deferred again.
  await client.query('SET CONSTRAINTS journal_postings_balance IMMEDIATE');
  await client.query('SET CONSTRAINTS journal_postings_balance DEFERRED');
  // The account rows stay locked until commit, so this comes last.
  await client.query(
    `UPDATE accounts a SET balance_amount = a.balance_amount + m.amount
       FROM (SELECT a.id, m.amount
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[]) WITH ORDINALITY
                      AS m(owner, counterparty, purpose, amount, position)
               JOIN accounts a ON a.owner_org_id = m.owner
                AND a.counterparty_org_id = m.counterparty AND a.purpose = m.purpose
              ORDER BY m.position
                FOR NO KEY UPDATE OF a) m
      WHERE a.id = m.id`,
    [...accountColumns, accounts.map((account) => account.amount.toFixed(2))],
  );
  return ids;
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
