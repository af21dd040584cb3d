// Reconciliation: one run checks, on one consistent snapshot of the database,
//  1. every journal entry sums to zero and belongs to a ledger event;
//  2. every account's kept balance equals the sum of its postings, and equals the balance
//     the ledger's money events give when replayed (LedgerReplay);
//  3. every settlement batch's amount and claim count equal its lines (and the balance it
//     carries forward or recovers), each claim line pays what the claim's decision paid
//     when the batch was built, and the batch equals its ledger event;
//  4. every confirmation matches its batch (an amount that did not is an open exception);
//  5. the chain verifies (hashes, Merkle roots, links, no event left out).
// The run is stored with every difference found, naming the organizations concerned, so
// each side's finance reads its own. Nothing here writes anything but the run.
//
// A full run checks the whole history. An incremental run starts from the checkpoint the last
// clean run left (checkpoint.ts) and checks what came after its ledger seq: journal entries
// and postings through their ledger events, the replay from the checkpoint's balances, the
// batches and confirmations whose events came after, the chain from the checkpoint's block,
// and counts that catch a journal entry or batch added without an event. A change to history
// before the checkpoint is a full run's to find.
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import { Conflict, NotFound } from '../../infra/errors.js';
import { verifyChain } from '../../ledger/verify.js';
import { cursorCodec, cursorKeyPart, cursorParameter } from '../cursor.js';
import { accountKeyText, type AccountPurpose } from '../accounts/index.js';
import type { Principal } from '../organizations.js';
import { pageLimit, parseOrThrow } from '../validation.js';
import { latestCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { LedgerReplay, MONEY_EVENT_TYPES, ReplayError, type MoneyEvent } from './replay.js';

/** One run at a time: a session lock, so a process that dies lets go of it with its connection. */
export const RECONCILIATION_LOCK_ID = 0x7265636f; // "reco"
/** More than this many differences means something systematic; the first ones tell what. */
const EXCEPTIONS_STORED_MAX = 10_000;
const EVENTS_PER_PAGE = 5_000;

export type ReconciliationCheck =
  | 'journal_entry_unbalanced'
  | 'journal_entry_without_event'
  | 'account_balance_vs_postings'
  | 'account_balance_vs_ledger'
  | 'ledger_event_unreadable'
  | 'batch_total_mismatch'
  | 'batch_claim_amount_mismatch'
  | 'batch_event_mismatch'
  | 'confirmation_amount_mismatch'
  | 'confirmation_event_mismatch'
  | 'chain_verification_failed';

export interface ReconciliationException {
  check: ReconciliationCheck;
  subjectType: 'journal_entry' | 'account' | 'ledger_event' | 'settlement_batch' | 'chain';
  subjectId: string;
  /** null: concerns everyone (the chain). */
  partyOrgIds: string[] | null;
  expected: string | null;
  actual: string | null;
  message: string;
}

export type ReconciliationMode = 'full' | 'incremental';

export interface ReconciliationSummary {
  mode: ReconciliationMode;
  /** An incremental run checked what came after this ledger seq; null for a full run. */
  sinceSeq: string | null;
  journalEntriesChecked: number;
  accountsChecked: number;
  ledgerEventsReplayed: number;
  batchesChecked: number;
  confirmationsChecked: number;
  chain: {
    ok: boolean;
    blocksChecked: number;
    eventsChecked: number;
    unsealedEvents: number;
  };
  exceptionsFound: number;
}

export interface ReconciliationRun {
  id: string;
  trigger: 'schedule' | 'request';
  status: 'running' | 'completed' | 'failed' | 'abandoned';
  startedAt: string;
  finishedAt: string | null;
  throughSeq: string | null;
  summary: ReconciliationSummary | null;
  /** Exceptions the caller's organization may see (all of them for an operator). */
  exceptionCount: number;
  failure: string | null;
}

export interface ReconciliationRunDetail extends ReconciliationRun {
  exceptions: ReconciliationException[];
}

export interface RunRequest {
  trigger: 'schedule' | 'request';
  /** Incremental (the default) falls back to full when no run has come out clean yet. */
  mode?: ReconciliationMode;
  requestedByKeyId?: string;
  /** Money events read per query (tests page through small ledgers with a small one). */
  eventsPerPage?: number;
}

/**
 * Runs every check and stores the run; a failure is stored too, then rethrown. While a run is
 * in progress another is refused (409): the checks read everything, and a second run at the
 * same time would find the same and double the load.
 */
export async function runReconciliation(
  database: Database,
  request: RunRequest,
): Promise<{ id: string; status: 'completed'; summary: ReconciliationSummary }> {
  const lock = await database.pool.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [RECONCILIATION_LOCK_ID],
    );
    if (!rows[0]!.locked) {
      throw new Conflict('a reconciliation run is in progress; see GET /v1/reconciliation/runs');
    }
    try {
      return await runLocked(database, request);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [RECONCILIATION_LOCK_ID]);
    }
  } finally {
    lock.release();
  }
}

/** When the last full run that completed started, if any: the worker runs one at least daily. */
export async function lastFullRunAt(database: Database): Promise<Date | undefined> {
  const { rows } = await database.pool.query<{ started_at: Date }>(
    `SELECT started_at FROM reconciliation_runs
      WHERE status = 'completed' AND mode = 'full' ORDER BY started_at DESC LIMIT 1`,
  );
  return rows[0]?.started_at;
}

/** The exceptions the latest completed run found (full or incremental), if any run completed. */
export async function latestCompletedRunExceptionCount(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ exception_count: number }>(
    `SELECT exception_count FROM reconciliation_runs WHERE status = 'completed'
      ORDER BY started_at DESC LIMIT 1`,
  );
  return rows[0]?.exception_count;
}

async function runLocked(
  database: Database,
  request: RunRequest,
): Promise<{ id: string; status: 'completed'; summary: ReconciliationSummary }> {
  // The lock is ours, so a run still marked running died with its process.
  await database.pool.query(
    `UPDATE reconciliation_runs SET status = 'abandoned', finished_at = now()
      WHERE status = 'running'`,
  );
  const id = randomUUID();
  await database.pool.query(
    `INSERT INTO reconciliation_runs (id, trigger, requested_by_key_id, status, started_at)
     VALUES ($1, $2, $3, 'running', now())`,
    [id, request.trigger, request.requestedByKeyId ?? null],
  );
  try {
    const { summary, exceptions, throughSeq, checkpoint } = await checkSnapshot(
      database,
      request.eventsPerPage ?? EVENTS_PER_PAGE,
      request.mode ?? 'incremental',
    );
    await storeFindings(database, id, { summary, exceptions, throughSeq, checkpoint });
    return { id, status: 'completed', summary };
  } catch (error) {
    await database.pool.query(
      `UPDATE reconciliation_runs SET status = 'failed', finished_at = now(), failure = $2
        WHERE id = $1`,
      [id, error instanceof Error ? error.message.slice(0, 500) : 'unknown failure'],
    );
    throw error;
  }
}

/** What a run checks: everything, or what came after a checkpoint. */
type Scope = { mode: 'full' } | { mode: 'incremental'; checkpoint: Checkpoint };

function sinceSeqOf(scope: Scope): string {
  return scope.mode === 'full' ? '0' : scope.checkpoint.throughSeq;
}

async function checkSnapshot(database: Database, eventsPerPage: number, mode: ReconciliationMode) {
  // One snapshot for every check: postings, balances, events and batches committed while
  // the run reads must not show up as differences between them.
  return inTransaction(
    database.pool,
    async (client) => {
      const { rows } = await client.query<{ through_seq: string }>(
        'SELECT next_seq - 1 AS through_seq FROM ledger_sequence WHERE id = 1',
      );
      const throughSeq = rows[0]!.through_seq;
      const checkpoint = mode === 'incremental' ? await latestCheckpoint(client) : undefined;
      const scope: Scope = checkpoint ? { mode: 'incremental', checkpoint } : { mode: 'full' };
      const exceptions: ReconciliationException[] = [];
      const journal = await checkJournalEntries(client, exceptions, scope);
      const replay = await replayLedger(client, exceptions, eventsPerPage, scope);
      const accounts = await checkAccounts(client, replay, exceptions, scope);
      const batches = await checkBatches(client, exceptions, scope);
      const confirmationsChecked = await checkConfirmations(client, exceptions, scope);
      const chain = await verifyChain(client, undefined, checkpoint?.chain);
      if (!chain.ok && chain.failure) {
        exceptions.push({
          check: 'chain_verification_failed',
          subjectType: 'chain',
          subjectId: String(chain.failure.height),
          partyOrgIds: null,
          expected: null,
          actual: chain.failure.eventSeq ?? null,
          message: `block ${chain.failure.height}: ${chain.failure.reason}`,
        });
      }
      const summary: ReconciliationSummary = {
        mode: scope.mode,
        sinceSeq: checkpoint?.throughSeq ?? null,
        journalEntriesChecked: journal.checked,
        accountsChecked: accounts.checked,
        ledgerEventsReplayed: replay.eventsReplayed,
        batchesChecked: batches.checked,
        confirmationsChecked,
        chain: {
          ok: chain.ok,
          blocksChecked: chain.blocksChecked,
          eventsChecked: chain.eventsChecked,
          unsealedEvents: chain.unsealedEvents,
        },
        exceptionsFound: exceptions.length,
      };
      // Only a clean run is a place to resume from: after a difference, the next incremental
      // run starts again from the last clean one and meets it again.
      const clean = exceptions.length === 0 && chain.ok;
      const next: Checkpoint | undefined = clean
        ? {
            throughSeq,
            chain: chain.head,
            ledgerBalances: replay.accounts(),
            postingsTotals: accounts.postingsTotals,
            journalEntryCount: journal.count,
            batchCount: batches.count,
          }
        : undefined;
      return { summary, exceptions, throughSeq, checkpoint: next };
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

const ENTRY_OWNERS = `coalesce(array_agg(DISTINCT a.owner_org_id) FILTER (WHERE a.id IS NOT NULL),
  '{}') AS owners`;

/** Every entry sums to zero and has its event; returns how many were checked and exist. */
async function checkJournalEntries(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<{ checked: number; count: number }> {
  const { rows } = await client.query<{
    id: string;
    kind: string;
    total: string;
    has_event: boolean;
    owners: string[];
  }>(
    scope.mode === 'full'
      ? `SELECT e.id, e.kind, coalesce(sum(p.amount), 0)::text AS total,
                EXISTS (SELECT 1 FROM ledger_events le WHERE le.id = e.ledger_event_id) AS has_event,
                ${ENTRY_OWNERS}
           FROM journal_entries e
           LEFT JOIN journal_postings p ON p.entry_id = e.id
           LEFT JOIN accounts a ON a.id = p.account_id
          GROUP BY e.id`
      : // The entries after the checkpoint, found through their events (entry and event commit
        // together, and seq order is commit order, so none is missed); one without an event
        // shows in the count below.
        `SELECT e.id, e.kind, coalesce(sum(p.amount), 0)::text AS total, true AS has_event,
                ${ENTRY_OWNERS}
           FROM ledger_events le
           JOIN journal_entries e ON e.ledger_event_id = le.id
           LEFT JOIN journal_postings p ON p.entry_id = e.id
           LEFT JOIN accounts a ON a.id = p.account_id
          WHERE le.seq > $1
          GROUP BY e.id`,
    scope.mode === 'full' ? [] : [sinceSeqOf(scope)],
  );
  for (const entry of rows) {
    if (!new Decimal(entry.total).isZero()) {
      exceptions.push({
        check: 'journal_entry_unbalanced',
        subjectType: 'journal_entry',
        subjectId: entry.id,
        partyOrgIds: entry.owners,
        expected: '0.00',
        actual: entry.total,
        message: `the ${entry.kind} entry's postings sum to ${entry.total}, not zero`,
      });
    }
    if (!entry.has_event) {
      exceptions.push({
        check: 'journal_entry_without_event',
        subjectType: 'journal_entry',
        subjectId: entry.id,
        partyOrgIds: entry.owners,
        expected: null,
        actual: null,
        message: `the ${entry.kind} entry names a ledger event that does not exist`,
      });
    }
  }
  if (scope.mode === 'full') return { checked: rows.length, count: rows.length };
  const count = await checkCountSince(client, exceptions, {
    table: 'journal_entries',
    expected: scope.checkpoint.journalEntryCount + rows.length,
    check: 'journal_entry_without_event',
    subjectType: 'journal_entry',
    what: 'journal entries',
  });
  return { checked: rows.length, count };
}

/**
 * The rows of a table now, against the checkpoint's count plus those found through events since:
 * a row added or removed without its ledger event shows here (a full run names it).
 */
async function checkCountSince(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  count: {
    table: 'journal_entries' | 'settlement_batches';
    expected: number;
    check: ReconciliationCheck;
    subjectType: ReconciliationException['subjectType'];
    what: string;
  },
): Promise<number> {
  const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM ${count.table}`);
  const actual = Number(rows[0]!.count);
  if (actual !== count.expected) {
    exceptions.push({
      check: count.check,
      subjectType: count.subjectType,
      subjectId: count.table,
      partyOrgIds: null, // whose books is unknown: like the chain, it concerns everyone
      expected: String(count.expected),
      actual: String(actual),
      message:
        `${count.what} were added or removed without a ledger event since the last clean run; ` +
        'a full run names them',
    });
  }
  return actual;
}

async function replayLedger(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  eventsPerPage: number,
  scope: Scope,
): Promise<LedgerReplay> {
  const replay = new LedgerReplay(scope.mode === 'full' ? [] : scope.checkpoint.ledgerBalances);
  const sinceSeq = sinceSeqOf(scope);
  let afterSeq = sinceSeq;
  for (;;) {
    const { rows } = await client.query<{
      seq: string;
      id: string;
      type: string;
      party_org_ids: string[] | null;
      payload: unknown;
    }>(
      // seq stays a bigint in SQL (pg hands it over as a string): ordered as text, page two
      // would not follow page one, and a reversal could come before what it reverses.
      `SELECT seq, id, type, party_org_ids, payload FROM ledger_events
        WHERE seq > $1 AND type = ANY($2::text[]) ORDER BY seq LIMIT $3`,
      [afterSeq, MONEY_EVENT_TYPES, eventsPerPage],
    );
    const events = rows.map((row) => ({
      id: row.id,
      type: row.type,
      partyOrgIds: row.party_org_ids,
      payload: row.payload,
    }));
    for (const earlier of await referencedBefore(
      client,
      replay.unknownReferences(events),
      sinceSeq,
    )) {
      replay.remember(earlier);
    }
    for (const row of rows) {
      try {
        replay.apply({
          id: row.id,
          type: row.type,
          partyOrgIds: row.party_org_ids,
          payload: row.payload,
        });
      } catch (error) {
        if (!(error instanceof ReplayError)) throw error;
        exceptions.push({
          check: 'ledger_event_unreadable',
          subjectType: 'ledger_event',
          subjectId: row.id,
          partyOrgIds: row.party_org_ids,
          expected: null,
          actual: null,
          message: error.message,
        });
      }
    }
    if (rows.length < eventsPerPage) return replay;
    afterSeq = rows[rows.length - 1]!.seq;
  }
}

/**
 * The events before `beforeSeq` that later events refer to: each reversed claim's latest
 * decision and each confirmed batch's issue. None when replaying from the start.
 */
async function referencedBefore(
  client: pg.PoolClient,
  { claimIds, batchIds }: { claimIds: string[]; batchIds: string[] },
  beforeSeq: string,
): Promise<MoneyEvent[]> {
  if (beforeSeq === '0' || claimIds.length + batchIds.length === 0) return [];
  const { rows } = await client.query<{
    id: string;
    type: string;
    party_org_ids: string[] | null;
    payload: unknown;
  }>(
    `SELECT DISTINCT ON (aggregate_id) id, type, party_org_ids, payload
       FROM ledger_events
      WHERE seq <= $1
        AND ((aggregate_id = ANY($2::text[]) AND type IN ('ClaimAdjudicated', 'ClaimPended'))
          OR (aggregate_id = ANY($3::text[]) AND type = 'SettlementBatchIssued'))
      ORDER BY aggregate_id, seq DESC`,
    [beforeSeq, claimIds, batchIds],
  );
  return rows.map((row) => ({
    id: row.id,
    type: row.type,
    partyOrgIds: row.party_org_ids,
    payload: row.payload,
  }));
}

/** Each account's postings total: all of them, or the checkpoint's plus those since. */
async function postingsTotalsOf(
  client: pg.PoolClient,
  scope: Scope,
): Promise<Map<string, Decimal>> {
  const { rows } = await client.query<{ account_id: string; total: string }>(
    scope.mode === 'full'
      ? `SELECT account_id, sum(amount)::text AS total FROM journal_postings GROUP BY account_id`
      : `SELECT p.account_id, sum(p.amount)::text AS total
           FROM ledger_events le
           JOIN journal_entries e ON e.ledger_event_id = le.id
           JOIN journal_postings p ON p.entry_id = e.id
          WHERE le.seq > $1
          GROUP BY p.account_id`,
    scope.mode === 'full' ? [] : [sinceSeqOf(scope)],
  );
  const totals = new Map(scope.mode === 'full' ? [] : scope.checkpoint.postingsTotals);
  for (const row of rows) {
    totals.set(row.account_id, (totals.get(row.account_id) ?? new Decimal(0)).plus(row.total));
  }
  return totals;
}

async function checkAccounts(
  client: pg.PoolClient,
  replay: LedgerReplay,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<{ checked: number; postingsTotals: Map<string, Decimal> }> {
  const postingsTotals = await postingsTotalsOf(client, scope);
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
  const fromLedger = new Map(
    replay.accounts().map(({ key, amount }) => [accountKeyText(key), { key, amount }]),
  );
  for (const account of rows) {
    const key = {
      ownerOrgId: account.owner_org_id,
      counterpartyOrgId: account.counterparty_org_id,
      purpose: account.purpose as AccountPurpose,
    };
    // An organization's books are its own: the counterparty does not see their exceptions.
    const parties = [account.owner_org_id];
    const postings = postingsTotals.get(account.id) ?? new Decimal(0);
    if (!postings.equals(account.balance)) {
      exceptions.push({
        check: 'account_balance_vs_postings',
        subjectType: 'account',
        subjectId: account.id,
        partyOrgIds: parties,
        expected: postings.toFixed(2),
        actual: new Decimal(account.balance).toFixed(2),
        message: `the ${account.purpose} balance is not the sum of its postings`,
      });
    }
    const textKey = accountKeyText(key);
    const ledger = fromLedger.get(textKey)?.amount ?? new Decimal(0);
    fromLedger.delete(textKey);
    if (!ledger.equals(postings)) {
      exceptions.push({
        check: 'account_balance_vs_ledger',
        subjectType: 'account',
        subjectId: account.id,
        partyOrgIds: parties,
        expected: ledger.toFixed(2),
        actual: postings.toFixed(2),
        message: `the ${account.purpose} postings differ from what the ledger's events post`,
      });
    }
  }
  // Accounts the ledger moves but the journal never opened.
  for (const { key, amount } of fromLedger.values()) {
    if (amount.isZero()) continue;
    exceptions.push({
      check: 'account_balance_vs_ledger',
      subjectType: 'account',
      subjectId: accountKeyText(key),
      partyOrgIds: [key.ownerOrgId],
      expected: amount.toFixed(2),
      actual: '0.00',
      message: `the ledger's events post to a ${key.purpose} account the journal does not have`,
    });
  }
  return { checked: rows.length, postingsTotals };
}

async function checkBatches(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<{ checked: number; count: number }> {
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
    [sinceSeqOf(scope)],
  );
  for (const batch of rows) {
    const parties = [batch.payer_org_id, batch.provider_org_id];
    const fail = (
      check: ReconciliationCheck,
      expected: string | null,
      actual: string | null,
      message: string,
    ) =>
      exceptions.push({
        check,
        subjectType: 'settlement_batch',
        subjectId: batch.id,
        partyOrgIds: parties,
        expected,
        actual,
        message,
      });
    if (!new Decimal(batch.lines_total).equals(batch.amount)) {
      fail(
        'batch_total_mismatch',
        new Decimal(batch.lines_total).toFixed(2),
        batch.amount,
        'the batch amount is not the sum of its claim lines, recoupments and balance forward',
      );
    }
    if (batch.lines_count !== batch.claim_count) {
      fail(
        'batch_total_mismatch',
        String(batch.lines_count),
        String(batch.claim_count),
        'the batch claim count is not the number of its claim lines',
      );
    }
    if (batch.event_amount === null) {
      fail(
        'batch_event_mismatch',
        null,
        batch.amount,
        'the batch has no SettlementBatchIssued event',
      );
    } else if (!new Decimal(batch.event_amount).equals(batch.amount)) {
      fail(
        'batch_event_mismatch',
        batch.event_amount,
        batch.amount,
        'the batch amount differs from its SettlementBatchIssued event',
      );
    } else if (batch.event_claim_count !== batch.claim_count) {
      fail(
        'batch_event_mismatch',
        String(batch.event_claim_count),
        String(batch.claim_count),
        'the batch claim count differs from its SettlementBatchIssued event',
      );
    } else if (!new Decimal(batch.event_lines_total ?? '0').equals(batch.lines_total)) {
      fail(
        'batch_event_mismatch',
        new Decimal(batch.event_lines_total ?? '0').toFixed(2),
        new Decimal(batch.lines_total).toFixed(2),
        "the batch's lines differ from its SettlementBatchIssued event",
      );
    }
  }
  await checkBatchClaimLines(
    client,
    exceptions,
    scope.mode === 'full' ? undefined : rows.map((batch) => batch.id),
  );
  if (scope.mode === 'full') return { checked: rows.length, count: rows.length };
  const count = await checkCountSince(client, exceptions, {
    table: 'settlement_batches',
    expected: scope.checkpoint.batchCount + rows.length,
    check: 'batch_event_mismatch',
    subjectType: 'settlement_batch',
    what: 'settlement batches',
  });
  return { checked: rows.length, count };
}

/** Each claim line pays what the claim's decision at batching time paid (of these batches). */
async function checkBatchClaimLines(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  batchIds: string[] | undefined,
): Promise<void> {
  const { rows } = await client.query<{
    batch_id: string;
    claim_id: string;
    payer_org_id: string;
    provider_org_id: string;
    amount: string;
    decided: string | null;
  }>(
    `SELECT bc.batch_id, bc.claim_id, b.payer_org_id, b.provider_org_id,
            bc.amount::text AS amount, d.paid_amount::text AS decided
       FROM settlement_batch_claims bc
       JOIN settlement_batches b ON b.id = bc.batch_id
       LEFT JOIN LATERAL (SELECT paid_amount FROM claim_decisions
                           WHERE claim_id = bc.claim_id AND decided_at <= b.created_at
                           ORDER BY decided_at DESC LIMIT 1) d ON true
      WHERE d.paid_amount IS DISTINCT FROM bc.amount
        AND ($1::uuid[] IS NULL OR bc.batch_id = ANY($1::uuid[]))`,
    [batchIds ?? null],
  );
  for (const line of rows) {
    exceptions.push({
      check: 'batch_claim_amount_mismatch',
      subjectType: 'settlement_batch',
      subjectId: line.batch_id,
      partyOrgIds: [line.payer_org_id, line.provider_org_id],
      expected: line.decided,
      actual: line.amount,
      message: `claim ${line.claim_id} is paid a different amount than its decision`,
    });
  }
}

async function checkConfirmations(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<number> {
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
    [sinceSeqOf(scope)],
  );
  for (const batch of rows) {
    const parties = [batch.payer_org_id, batch.provider_org_id];
    if (batch.status === 'exception') {
      exceptions.push({
        check: 'confirmation_amount_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.id,
        partyOrgIds: parties,
        expected: batch.amount,
        actual: batch.confirmed_amount,
        message: `payment ${batch.trace_number ?? ''} was confirmed for another amount than the batch`,
      });
    } else if (
      batch.confirmed_amount === null ||
      !new Decimal(batch.confirmed_amount).equals(batch.amount)
    ) {
      exceptions.push({
        check: 'confirmation_amount_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.id,
        partyOrgIds: parties,
        expected: batch.amount,
        actual: batch.confirmed_amount,
        message: 'the batch is confirmed for another amount than its own',
      });
    }
    if (
      batch.event_trace !== batch.trace_number ||
      batch.event_amount === null ||
      batch.confirmed_amount === null ||
      !new Decimal(batch.event_amount).equals(batch.confirmed_amount)
    ) {
      exceptions.push({
        check: 'confirmation_event_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.id,
        partyOrgIds: parties,
        expected: batch.event_amount,
        actual: batch.confirmed_amount,
        message: 'the confirmation differs from its ledger event',
      });
    }
  }
  return rows.length;
}

async function storeFindings(
  database: Database,
  runId: string,
  {
    summary,
    exceptions,
    throughSeq,
    checkpoint,
  }: {
    summary: ReconciliationSummary;
    exceptions: ReconciliationException[];
    throughSeq: string;
    checkpoint: Checkpoint | undefined;
  },
): Promise<void> {
  const stored = exceptions.slice(0, EXCEPTIONS_STORED_MAX);
  await inTransaction(database.pool, async (client) => {
    await client.query(
      `INSERT INTO reconciliation_exceptions (run_id, ordinal, "check", subject_type, subject_id,
         party_org_ids, expected, actual, message)
       SELECT $1, ordinality, x."check", x.subject_type, x.subject_id,
              CASE WHEN x.parties IS NULL THEN NULL ELSE string_to_array(x.parties, ',')::uuid[] END,
              x.expected, x.actual, x.message
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[]) WITH ORDINALITY
           AS x("check", subject_type, subject_id, parties, expected, actual, message)`,
      [
        runId,
        stored.map((exception) => exception.check),
        stored.map((exception) => exception.subjectType),
        stored.map((exception) => exception.subjectId),
        stored.map((exception) => exception.partyOrgIds?.join(',') ?? null),
        stored.map((exception) => exception.expected),
        stored.map((exception) => exception.actual),
        stored.map((exception) => exception.message),
      ],
    );
    await client.query(
      `UPDATE reconciliation_runs
          SET status = 'completed', finished_at = now(), through_seq = $2, summary = $3,
              exception_count = $4, mode = $5
        WHERE id = $1`,
      [runId, throughSeq, JSON.stringify(summary), exceptions.length, summary.mode],
    );
    if (checkpoint) await saveCheckpoint(client, runId, checkpoint);
  });
}

// ---------------------------------------------------------------------------------------
// Reading runs: an operator sees every exception; a payer or provider those naming it, and
// those concerning everyone (the chain).

const RUNS_PAGE_MAX = 100;
const runCursor = cursorCodec(
  z.strictObject({ startedAt: cursorKeyPart.timestamp, id: cursorKeyPart.id }),
);

export const runListQuery = z.strictObject({
  limit: pageLimit(RUNS_PAGE_MAX, 20),
  cursor: cursorParameter,
});

interface RunRow {
  id: string;
  trigger: ReconciliationRun['trigger'];
  status: ReconciliationRun['status'];
  started_at: Date;
  finished_at: Date | null;
  through_seq: string | null;
  summary: ReconciliationSummary | null;
  visible_exceptions: number;
  failure: string | null;
}

/** SQL: the exceptions of run `r` the organization $1 may see ($2: sees all). */
const VISIBLE = `(x.party_org_ids IS NULL OR $2 OR $1::uuid = ANY(x.party_org_ids))`;

const RUN_COLUMNS = `r.id, r.trigger, r.status, r.started_at, r.finished_at,
  r.through_seq::text AS through_seq, r.summary, r.failure,
  (SELECT count(*) FROM reconciliation_exceptions x WHERE x.run_id = r.id AND ${VISIBLE})::int
    AS visible_exceptions`;

function toRun(row: RunRow): ReconciliationRun {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    throughSeq: row.through_seq,
    summary: row.summary,
    exceptionCount: row.visible_exceptions,
    failure: row.failure,
  };
}

const seesAll = (principal: Principal) => principal.orgKind === 'operator';

export async function listRuns(
  database: Database,
  principal: Principal,
  query: unknown,
): Promise<{ runs: ReconciliationRun[]; nextCursor: string | null }> {
  const { limit, cursor } = parseOrThrow(runListQuery, query, 'query');
  const after = runCursor.decode(cursor);
  const { rows } = await database.pool.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM reconciliation_runs r
      WHERE ($3::timestamptz IS NULL OR (r.started_at, r.id) < ($3::timestamptz, $4::uuid))
      ORDER BY r.started_at DESC, r.id DESC LIMIT $5`,
    [principal.orgId, seesAll(principal), after?.startedAt ?? null, after?.id ?? null, limit + 1],
  );
  const page = runCursor.page(rows, limit, (row) => ({
    startedAt: row.started_at.toISOString(),
    id: row.id,
  }));
  return { runs: page.rows.map(toRun), nextCursor: page.nextCursor };
}

export async function getRun(
  database: Database,
  principal: Principal,
  runId: string,
): Promise<ReconciliationRunDetail> {
  const { rows } = await database.pool.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM reconciliation_runs r WHERE r.id = $3`,
    [principal.orgId, seesAll(principal), runId],
  );
  if (!rows[0]) throw new NotFound('reconciliation run');
  const exceptions = await database.pool.query<{
    check: ReconciliationCheck;
    subject_type: ReconciliationException['subjectType'];
    subject_id: string;
    party_org_ids: string[] | null;
    expected: string | null;
    actual: string | null;
    message: string;
  }>(
    `SELECT x."check", x.subject_type, x.subject_id, x.party_org_ids, x.expected, x.actual,
            x.message
       FROM reconciliation_exceptions x
      WHERE x.run_id = $3 AND ${VISIBLE}
      ORDER BY x.ordinal LIMIT ${EXCEPTIONS_STORED_MAX}`,
    [principal.orgId, seesAll(principal), runId],
  );
  return {
    ...toRun(rows[0]),
    exceptions: exceptions.rows.map((row) => ({
      check: row.check,
      subjectType: row.subject_type,
      subjectId: row.subject_id,
      partyOrgIds: row.party_org_ids,
      expected: row.expected,
      actual: row.actual,
      message: row.message,
    })),
  };
}
