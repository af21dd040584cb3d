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
import {
  accountKeyText,
  journalEntryCount,
  journalEntryTotals,
  keptAccountBalances,
  postingsTotalsByAccount,
} from '../accounts/index.js';
import { paidAmountsAsOf } from '../adjudication/index.js';
import {
  batchClaimLinesPage,
  type BatchClaimLineKey,
  type BatchTotals,
  batchTotalsIssuedSince,
  confirmationsSince,
  recoupmentAccountsOf,
  recoupmentsWithoutReversal,
  settlementBatchCount,
} from '../settlement/index.js';
import type { Principal } from '../organizations.js';
import { pageLimit, parseOrThrow } from '../validation.js';
import { latestCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  LedgerReplay,
  MONEY_EVENT_TYPES,
  type RecoupmentClaimed,
  ReplayError,
  type MoneyEvent,
} from './replay.js';

/** One run at a time: a session lock, so a process that dies lets go of it with its connection. */
export const RECONCILIATION_LOCK_ID = 0x7265636f; // "reco"
/** More than this many differences means something systematic; the first ones tell what. */
const EXCEPTIONS_STORED_MAX = 10_000;
const EVENTS_PER_PAGE = 5_000;
/** Settlement's claim lines read, and their decisions looked up, per query. */
const BATCH_CLAIM_LINES_PER_PAGE = 10_000;

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
  | 'recoupment_mismatch'
  | 'chain_verification_failed';

export interface ReconciliationException {
  check: ReconciliationCheck;
  subjectType:
    'journal_entry' | 'account' | 'ledger_event' | 'settlement_batch' | 'claim' | 'chain';
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
  /** Reversals with money to recoup, each held to the batch line or the debt that accounts for it. */
  recoupmentsChecked: number;
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
      await checkRecoupments(client, replay.recoupments, exceptions, batches.ids);
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
        recoupmentsChecked: replay.recoupments.length,
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

/** Every entry sums to zero and has its event; returns how many were checked and exist. */
async function checkJournalEntries(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<{ checked: number; count: number }> {
  const entries = await journalEntryTotals(
    client,
    scope.mode === 'full' ? undefined : sinceSeqOf(scope),
  );
  for (const entry of entries) {
    if (!new Decimal(entry.postingsTotal).isZero()) {
      exceptions.push({
        check: 'journal_entry_unbalanced',
        subjectType: 'journal_entry',
        subjectId: entry.entryId,
        partyOrgIds: entry.accountOwnerOrgIds,
        expected: '0.00',
        actual: entry.postingsTotal,
        message: `the ${entry.kind} entry's postings sum to ${entry.postingsTotal}, not zero`,
      });
    }
    if (!entry.hasLedgerEvent) {
      exceptions.push({
        check: 'journal_entry_without_event',
        subjectType: 'journal_entry',
        subjectId: entry.entryId,
        partyOrgIds: entry.accountOwnerOrgIds,
        expected: null,
        actual: null,
        message: `the ${entry.kind} entry names a ledger event that does not exist`,
      });
    }
  }
  if (scope.mode === 'full') return { checked: entries.length, count: entries.length };
  // An incremental run finds entries through their events: one added without an event shows
  // only in the count.
  const count = await journalEntryCount(client);
  checkCountSince(exceptions, {
    subjectId: 'journal_entries',
    expected: scope.checkpoint.journalEntryCount + entries.length,
    actual: count,
    check: 'journal_entry_without_event',
    subjectType: 'journal_entry',
    what: 'journal entries',
  });
  return { checked: entries.length, count };
}

/**
 * The rows of a table now, against the checkpoint's count plus those found through events since:
 * a row added or removed without its ledger event shows here (a full run names it).
 */
function checkCountSince(
  exceptions: ReconciliationException[],
  count: {
    /** The table counted, as the finding names it. */
    subjectId: 'journal_entries' | 'settlement_batches';
    expected: number;
    actual: number;
    check: ReconciliationCheck;
    subjectType: ReconciliationException['subjectType'];
    what: string;
  },
): void {
  if (count.actual === count.expected) return;
  exceptions.push({
    check: count.check,
    subjectType: count.subjectType,
    subjectId: count.subjectId,
    partyOrgIds: null, // whose books is unknown: like the chain, it concerns everyone
    expected: String(count.expected),
    actual: String(count.actual),
    message:
      `${count.what} were added or removed without a ledger event since the last clean run; ` +
      'a full run names them',
  });
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
  if (scope.mode === 'full') return postingsTotalsByAccount(client, undefined);
  const since = await postingsTotalsByAccount(client, sinceSeqOf(scope));
  const totals = new Map(scope.checkpoint.postingsTotals);
  for (const [accountId, total] of since) {
    totals.set(accountId, (totals.get(accountId) ?? new Decimal(0)).plus(total));
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
  const accounts = await keptAccountBalances(client);
  const fromLedger = new Map(
    replay.accounts().map(({ key, amount }) => [accountKeyText(key), { key, amount }]),
  );
  for (const account of accounts) {
    // An organization's books are its own: the counterparty does not see their exceptions.
    const parties = [account.key.ownerOrgId];
    const postings = postingsTotals.get(account.accountId) ?? new Decimal(0);
    if (!postings.equals(account.balanceAmount)) {
      exceptions.push({
        check: 'account_balance_vs_postings',
        subjectType: 'account',
        subjectId: account.accountId,
        partyOrgIds: parties,
        expected: postings.toFixed(2),
        actual: new Decimal(account.balanceAmount).toFixed(2),
        message: `the ${account.key.purpose} balance is not the sum of its postings`,
      });
    }
    const textKey = accountKeyText(account.key);
    const ledger = fromLedger.get(textKey)?.amount ?? new Decimal(0);
    fromLedger.delete(textKey);
    if (!ledger.equals(postings)) {
      exceptions.push({
        check: 'account_balance_vs_ledger',
        subjectType: 'account',
        subjectId: account.accountId,
        partyOrgIds: parties,
        expected: ledger.toFixed(2),
        actual: postings.toFixed(2),
        message: `the ${account.key.purpose} postings differ from what the ledger's events post`,
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
  return { checked: accounts.length, postingsTotals };
}

async function checkBatches(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<{ checked: number; count: number; ids: string[] | undefined }> {
  const batches = await batchTotalsIssuedSince(client, sinceSeqOf(scope));
  for (const batch of batches) compareBatchTotals(batch, exceptions);
  // Undefined in a full run: every batch.
  const ids = scope.mode === 'full' ? undefined : batches.map((batch) => batch.batchId);
  await checkBatchClaimLines(client, exceptions, ids);
  if (scope.mode === 'full') return { checked: batches.length, count: batches.length, ids };
  const count = await settlementBatchCount(client);
  checkCountSince(exceptions, {
    subjectId: 'settlement_batches',
    expected: scope.checkpoint.batchCount + batches.length,
    actual: count,
    check: 'batch_event_mismatch',
    subjectType: 'settlement_batch',
    what: 'settlement batches',
  });
  return { checked: batches.length, count, ids };
}

/**
 * Money a reversal claims back is owed or netted, once, as the ledger says: each reversal
 * replayed with a recoupment, of a claim a batch paid, is either still owed or taken back by one
 * batch line, citing that event for that amount (of a claim no batch paid, neither). And every
 * debt owed, and every line of the batches checked that took one back, cites a reversal of its
 * claim for its amount. A debt lost or made up would change what a provider is paid.
 */
async function checkRecoupments(
  client: pg.PoolClient,
  claimed: readonly RecoupmentClaimed[],
  exceptions: ReconciliationException[],
  batchIds: string[] | undefined,
): Promise<void> {
  for (let start = 0; start < claimed.length; start += BATCH_CLAIM_LINES_PER_PAGE) {
    const page = claimed.slice(start, start + BATCH_CLAIM_LINES_PER_PAGE);
    const accounts = await recoupmentAccountsOf(
      client,
      page.map((recoupment) => recoupment.claimId),
    );
    page.forEach((recoupment, index) => {
      const account = accounts[index]!;
      const records = [account.netted, account.owed].filter((record) => record !== null);
      const cites = (record: { reversalEventId: string; amount: string }) =>
        record.reversalEventId === recoupment.reversalEventId &&
        new Decimal(record.amount).equals(recoupment.amount);
      const accounted = account.paidInBatch
        ? records.length === 1 && cites(records[0]!)
        : records.length === 0;
      if (accounted) return;
      exceptions.push({
        check: 'recoupment_mismatch',
        subjectType: 'ledger_event',
        subjectId: recoupment.reversalEventId,
        partyOrgIds: recoupment.partyOrgIds,
        expected: account.paidInBatch ? recoupment.amount : '0.00',
        actual: records.length === 0 ? '0.00' : records.map((record) => record.amount).join(' + '),
        message: account.paidInBatch
          ? `the recoupment of claim ${recoupment.claimId} is not owed or taken back once, as its reversal says`
          : `claim ${recoupment.claimId} is recouped though no batch paid it`,
      });
    });
  }
  for (const debt of await recoupmentsWithoutReversal(client, batchIds)) {
    exceptions.push({
      check: 'recoupment_mismatch',
      subjectType: debt.batchId === null ? 'claim' : 'settlement_batch',
      subjectId: debt.batchId ?? debt.claimId,
      partyOrgIds: [debt.payerOrgId, debt.providerOrgId],
      expected: null,
      actual: debt.amount,
      message: `claim ${debt.claimId}'s recoupment cites no reversal of the claim for ${debt.amount}`,
    });
  }
}

/** The batch against its lines, and against its SettlementBatchIssued event. */
function compareBatchTotals(batch: BatchTotals, exceptions: ReconciliationException[]): void {
  const parties = [batch.payerOrgId, batch.providerOrgId];
  const fail = (
    check: ReconciliationCheck,
    expected: string | null,
    actual: string | null,
    message: string,
  ) =>
    exceptions.push({
      check,
      subjectType: 'settlement_batch',
      subjectId: batch.batchId,
      partyOrgIds: parties,
      expected,
      actual,
      message,
    });
  if (!new Decimal(batch.linesTotal).equals(batch.amount)) {
    fail(
      'batch_total_mismatch',
      new Decimal(batch.linesTotal).toFixed(2),
      batch.amount,
      'the batch amount is not the sum of its claim lines, recoupments and balance forward',
    );
  }
  if (batch.claimLineCount !== batch.claimCount) {
    fail(
      'batch_total_mismatch',
      String(batch.claimLineCount),
      String(batch.claimCount),
      'the batch claim count is not the number of its claim lines',
    );
  }
  const event = batch.issuedEvent;
  if (event.amount === null) {
    fail(
      'batch_event_mismatch',
      null,
      batch.amount,
      'the batch has no SettlementBatchIssued event',
    );
  } else if (!new Decimal(event.amount).equals(batch.amount)) {
    fail(
      'batch_event_mismatch',
      event.amount,
      batch.amount,
      'the batch amount differs from its SettlementBatchIssued event',
    );
  } else if (event.claimCount !== batch.claimCount) {
    fail(
      'batch_event_mismatch',
      String(event.claimCount),
      String(batch.claimCount),
      'the batch claim count differs from its SettlementBatchIssued event',
    );
  } else if (!new Decimal(event.linesTotal ?? '0').equals(batch.linesTotal)) {
    fail(
      'batch_event_mismatch',
      new Decimal(event.linesTotal ?? '0').toFixed(2),
      new Decimal(batch.linesTotal).toFixed(2),
      "the batch's lines differ from its SettlementBatchIssued event",
    );
  }
}

/**
 * Each claim line pays what the claim's decision at batching time paid (of these batches). The
 * lines are settlement's and the decisions adjudication's: a page of lines, then their decisions'
 * paid amounts, two set-based queries a page.
 */
async function checkBatchClaimLines(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  batchIds: string[] | undefined,
): Promise<void> {
  if (batchIds?.length === 0) return;
  let after: BatchClaimLineKey | undefined;
  for (;;) {
    const lines = await batchClaimLinesPage(client, {
      batchIds,
      after,
      limit: BATCH_CLAIM_LINES_PER_PAGE,
    });
    const decidedAmounts = await paidAmountsAsOf(
      client,
      lines.map((line) => ({ claimId: line.claimId, asOf: line.batchCreatedAt })),
    );
    lines.forEach((line, index) => {
      const decided = decidedAmounts[index] ?? null;
      if (decided !== null && new Decimal(decided).equals(line.amount)) return;
      exceptions.push({
        check: 'batch_claim_amount_mismatch',
        subjectType: 'settlement_batch',
        subjectId: line.batchId,
        partyOrgIds: [line.payerOrgId, line.providerOrgId],
        expected: decided,
        actual: line.amount,
        message: `claim ${line.claimId} is paid a different amount than its decision`,
      });
    });
    if (lines.length < BATCH_CLAIM_LINES_PER_PAGE) return;
    after = lines[lines.length - 1];
  }
}

async function checkConfirmations(
  client: pg.PoolClient,
  exceptions: ReconciliationException[],
  scope: Scope,
): Promise<number> {
  const batches = await confirmationsSince(client, sinceSeqOf(scope));
  for (const batch of batches) {
    const parties = [batch.payerOrgId, batch.providerOrgId];
    if (batch.status === 'exception') {
      exceptions.push({
        check: 'confirmation_amount_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.batchId,
        partyOrgIds: parties,
        expected: batch.amount,
        actual: batch.confirmedAmount,
        message: `payment ${batch.traceNumber ?? ''} was confirmed for another amount than the batch`,
      });
    } else if (
      batch.confirmedAmount === null ||
      !new Decimal(batch.confirmedAmount).equals(batch.amount)
    ) {
      exceptions.push({
        check: 'confirmation_amount_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.batchId,
        partyOrgIds: parties,
        expected: batch.amount,
        actual: batch.confirmedAmount,
        message: 'the batch is confirmed for another amount than its own',
      });
    }
    const event = batch.confirmationEvent;
    if (
      event.traceNumber !== batch.traceNumber ||
      event.confirmedAmount === null ||
      batch.confirmedAmount === null ||
      !new Decimal(event.confirmedAmount).equals(batch.confirmedAmount)
    ) {
      exceptions.push({
        check: 'confirmation_event_mismatch',
        subjectType: 'settlement_batch',
        subjectId: batch.batchId,
        partyOrgIds: parties,
        expected: event.confirmedAmount,
        actual: batch.confirmedAmount,
        message: 'the confirmation differs from its ledger event',
      });
    }
  }
  return batches.length;
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
