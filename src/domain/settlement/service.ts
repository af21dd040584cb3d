// Settlement: per payer and provider, the adjudicated claims not yet in a batch (and the
// recoupments of reversed claims that were paid in an earlier batch) become one payment
// batch. Building a pair's batch happens in one transaction under an advisory lock on the
// pair, so two runs never build the same batch; settlement_batch_claims.claim_id is unique
// besides, so a claim can never be paid twice. Finance then confirms the batch with the
// payment's trace number and amount; an amount that differs is an exception, never accepted.
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, type Database } from '../../infra/db.js';
import { Conflict, Forbidden, isUniqueViolation, NotFound } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import { postJournalEntry, settlementPostings } from '../accounts/index.js';
import { latestPaidAmountsOf } from '../adjudication/index.js';
import {
  lockPayableClaims,
  providersWithPayableClaims,
  setClaimStatuses,
} from '../claims/index.js';
import { moneyText } from '../claims/schema.js';
import { duePayers, recordSettlementRun } from './schedule.js';
import {
  markRecoupmentsNetted,
  providersOwingRecoupments,
  recoupmentsOwed,
} from './recoupments.js';
import { remittanceProfileGaps } from '../organization-profile.js';
import { findOrganization, type Principal } from '../organizations.js';
import { cursorCodec, cursorKeyPart, cursorParameter } from '../cursor.js';
import { isoDate, pageLimit, parseOrThrow } from '../validation.js';

const BATCHES_PAGE_MAX = 200;
/**
 * One 835 transaction carries a batch, so a batch holds at most this many lines (claims and
 * recoupments); a provider with more to settle gets several batches in one run.
 */
export const BATCH_LINES_MAX = 10_000;

export interface BatchLine {
  claimId: string;
  amount: string;
}

export interface SettlementBatch {
  id: string;
  payerId: string;
  providerId: string;
  status: 'issued' | 'confirmed' | 'exception';
  amount: string;
  claimCount: number;
  createdAt: string;
  ledgerEventId: string;
  traceNumber: string | null;
  confirmedAmount: string | null;
  confirmedDate: string | null;
  /** ISA13, GS06 and ST02 of the batch's 835 remittance: assigned once, never reused. */
  remittanceControlNumber: number;
  /**
   * What the provider owes, carried into this batch (positive: recoupments exceeded new
   * payments) or recovered by it (negative). amount = claim lines + recoupments + this.
   */
  balanceForwardAmount: string;
}

export interface SettlementBatchDetail extends SettlementBatch {
  claims: BatchLine[];
  /** Recoupments of reversed claims paid in an earlier batch (negative amounts). */
  adjustments: BatchLine[];
}

/**
 * Builds one batch per provider of the payer that has something to settle, and records the
 * run (its start) for the payer's settlement cadence.
 */
export async function settlePayer(
  database: Database,
  payerOrgId: string,
  linesMax = BATCH_LINES_MAX,
): Promise<SettlementBatchDetail[]> {
  await requireRemittableProfile(database, payerOrgId);
  const startedAt = new Date();
  const [payable, owing] = await Promise.all([
    providersWithPayableClaims(database.pool, payerOrgId),
    providersOwingRecoupments(database.pool, payerOrgId),
  ]);
  const providerOrgIds = [...new Set([...payable, ...owing])].sort();
  const batches: SettlementBatchDetail[] = [];
  for (const providerOrgId of providerOrgIds) {
    for (;;) {
      const batch = await settlePair(database, payerOrgId, providerOrgId, linesMax);
      if (batch) batches.push(batch);
      if (!batch || batch.claims.length + batch.adjustments.length < linesMax) break;
    }
  }
  await recordSettlementRun(database.pool, payerOrgId, startedAt);
  return batches;
}

/**
 * A batch is paid with an 835 that every provider's system must accept, so a payer settles
 * only once its remittance profile has what the guide requires; until then its claims wait.
 */
async function requireRemittableProfile(database: Database, payerOrgId: string): Promise<void> {
  const payer = await findOrganization(database, payerOrgId);
  if (!payer) throw new NotFound('payer');
  const gaps = remittanceProfileGaps(payer.profile);
  if (gaps.length > 0) {
    throw new Conflict(
      `the payer cannot settle until its remittance profile has: ${gaps.join(', ')}; ` +
        'set it with PUT /v1/organizations/me/profile',
    );
  }
}

/**
 * Settles every payer whose cadence says it is due; one payer's failure is reported and does
 * not stop the others (it is due again at the next tick, since its run was not recorded).
 */
export async function settleAllPayers(
  database: Database,
  onFailure: (payerOrgId: string, error: unknown) => void,
  now = new Date(),
): Promise<{ batches: number; failed: number }> {
  const result = { batches: 0, failed: 0 };
  for (const payerOrgId of await duePayers(database, now)) {
    try {
      result.batches += (await settlePayer(database, payerOrgId)).length;
    } catch (error) {
      result.failed += 1;
      onFailure(payerOrgId, error);
    }
  }
  return result;
}

/** What settlement made between `from` and `to`: its batches, their claims, the first and last made. */
export async function batchesMadeBetween(
  database: Database,
  from: Date,
  to: Date,
): Promise<{ batches: number; claims: number; firstAt: Date | null; lastAt: Date | null }> {
  const { rows } = await database.pool.query<{
    batches: number;
    claims: number;
    first_at: Date | null;
    last_at: Date | null;
  }>(
    `SELECT count(*)::int AS batches, coalesce(sum(claim_count), 0)::int AS claims,
            min(created_at) AS first_at, max(created_at) AS last_at
       FROM settlement_batches WHERE created_at BETWEEN $1 AND $2`,
    [from, to],
  );
  const { batches, claims, first_at: firstAt, last_at: lastAt } = rows[0]!;
  return { batches, claims, firstAt, lastAt };
}

/** One batch of the pair's claims and recoupments, at most `linesMax` lines, recoupments first. */
export async function settlePair(
  database: Database,
  payerOrgId: string,
  providerOrgId: string,
  linesMax = BATCH_LINES_MAX,
): Promise<SettlementBatchDetail | undefined> {
  return inTransaction(database.pool, async (client) => {
    // Taken first: every statement after it sees what an earlier run of this pair committed.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `settlement|${payerOrgId}|${providerOrgId}`,
    ]);
    const adjustments = await recoupmentsOwed(client, payerOrgId, providerOrgId, linesMax);
    const claims = await lockPayableLines(
      client,
      payerOrgId,
      providerOrgId,
      linesMax - adjustments.length,
    );
    if (claims.length === 0 && adjustments.length === 0) return undefined;
    const net = [...claims, ...adjustments].reduce(
      (sum, line) => sum.plus(line.amount),
      new Decimal(0),
    );
    // What the provider owes from earlier batches is recovered first. A negative total
    // (recoupments larger than new payments) pays 0.00 and carries what is left forward as
    // a provider-level adjustment (835 PLB "FB"), recovered by a later batch.
    const owedBefore = await balanceOwedByProvider(client, payerOrgId, providerOrgId);
    const total = net.minus(owedBefore);
    const owedAfter = total.isNegative() ? total.negated() : new Decimal(0);
    const balanceForward = owedAfter.minus(owedBefore).toFixed(2);
    const batchId = randomUUID();
    const eventId = randomUUID();
    const createdAt = new Date();
    const amount = Decimal.max(total, 0).toFixed(2);
    // The control number comes from the column's sequence: taken in this transaction, it is
    // the batch's for good, so its 835 carries the same ISA13 however often it is fetched.
    const inserted = await client.query<{ remittance_control_number: number }>(
      `INSERT INTO settlement_batches (id, payer_org_id, provider_org_id, status, amount,
         claim_count, created_at, ledger_event_id, balance_forward_amount)
       VALUES ($1, $2, $3, 'issued', $4, $5, $6, $7, $8)
       RETURNING remittance_control_number`,
      [
        batchId,
        payerOrgId,
        providerOrgId,
        amount,
        claims.length,
        createdAt,
        eventId,
        balanceForward,
      ],
    );
    await client.query(
      `INSERT INTO settlement_batch_claims (batch_id, claim_id, amount)
       SELECT $1, claim_id, amount FROM unnest($2::uuid[], $3::numeric[]) AS l(claim_id, amount)`,
      [batchId, claims.map((line) => line.claimId), claims.map((line) => line.amount)],
    );
    await client.query(
      `INSERT INTO settlement_batch_adjustments (batch_id, claim_id, reversal_event_id, amount)
       SELECT $1, claim_id, event_id, amount
         FROM unnest($2::uuid[], $3::uuid[], $4::numeric[]) AS l(claim_id, event_id, amount)`,
      [
        batchId,
        adjustments.map((line) => line.claimId),
        adjustments.map((line) => line.reversalEventId),
        adjustments.map((line) => line.amount),
      ],
    );
    await markRecoupmentsNetted(
      client,
      adjustments.map((line) => line.claimId),
    );
    // The claims it pays leave the payable queue.
    await setClaimStatuses(client, new Map(claims.map((line) => [line.claimId, 'settled'])));
    await postJournalEntry(client, {
      kind: 'settlement_batch',
      claimId: null,
      ledgerEventId: eventId,
      createdAt,
      postings: settlementPostings('issued', payerOrgId, providerOrgId, amount),
    });
    const claimLines = claims.map(({ claimId, amount: lineAmount }) => ({
      claimId,
      amount: lineAmount,
    }));
    const adjustmentLines = adjustments.map(({ claimId, amount: lineAmount }) => ({
      claimId,
      amount: lineAmount,
    }));
    await appendEvents(
      client,
      [
        {
          id: eventId,
          type: 'SettlementBatchIssued',
          aggregateId: batchId,
          actorOrgId: payerOrgId,
          payload: {
            batchId,
            payerOrgId,
            providerOrgId,
            amount,
            claimCount: claims.length,
            claims: claimLines,
            adjustments: adjustmentLines,
            balanceForward,
          },
          partyOrgIds: [providerOrgId, payerOrgId],
        },
      ],
      createdAt,
    );
    return {
      id: batchId,
      payerId: payerOrgId,
      providerId: providerOrgId,
      status: 'issued',
      amount,
      claimCount: claims.length,
      createdAt: createdAt.toISOString(),
      ledgerEventId: eventId,
      traceNumber: null,
      confirmedAmount: null,
      confirmedDate: null,
      remittanceControlNumber: inserted.rows[0]!.remittance_control_number,
      balanceForwardAmount: balanceForward,
      claims: claimLines,
      adjustments: adjustmentLines,
    };
  });
}

/** What the provider owes the payer, carried forward by the pair's earlier batches. */
async function balanceOwedByProvider(
  client: pg.PoolClient,
  payerOrgId: string,
  providerOrgId: string,
): Promise<Decimal> {
  const { rows } = await client.query<{ owed: string }>(
    `SELECT coalesce(sum(balance_forward_amount), 0)::text AS owed FROM settlement_batches
      WHERE payer_org_id = $1 AND provider_org_id = $2`,
    [payerOrgId, providerOrgId],
  );
  return new Decimal(rows[0]!.owed);
}

/**
 * The pair's payable claims, locked in id order (the claims area's lockPayableClaims), each with
 * the paid amount of its latest decision, read after the lock. A claim is payable once decided,
 * so each has one; one without would be left out, not paid.
 */
async function lockPayableLines(
  client: pg.PoolClient,
  payerOrgId: string,
  providerOrgId: string,
  limit: number,
): Promise<BatchLine[]> {
  const claimIds = await lockPayableClaims(client, payerOrgId, providerOrgId, limit);
  const paidAmounts = await latestPaidAmountsOf(client, claimIds);
  return claimIds.flatMap((claimId) => {
    const amount = paidAmounts.get(claimId);
    return amount === undefined ? [] : [{ claimId, amount }];
  });
}

// ---------------------------------------------------------------------------------------
// Reading and confirming batches

interface BatchRow {
  id: string;
  payer_org_id: string;
  provider_org_id: string;
  status: SettlementBatch['status'];
  amount: string;
  claim_count: number;
  created_at: Date;
  ledger_event_id: string;
  trace_number: string | null;
  confirmed_amount: string | null;
  confirmed_date: string | null;
  remittance_control_number: number;
  balance_forward_amount: string;
}

const BATCH_COLUMNS = `id, payer_org_id, provider_org_id, status, amount::text AS amount,
  claim_count, created_at, ledger_event_id, trace_number,
  confirmed_amount::text AS confirmed_amount, confirmed_date::text AS confirmed_date,
  remittance_control_number, balance_forward_amount::text AS balance_forward_amount`;

function toBatch(row: BatchRow): SettlementBatch {
  return {
    id: row.id,
    payerId: row.payer_org_id,
    providerId: row.provider_org_id,
    status: row.status,
    amount: row.amount,
    claimCount: row.claim_count,
    createdAt: row.created_at.toISOString(),
    ledgerEventId: row.ledger_event_id,
    traceNumber: row.trace_number,
    confirmedAmount: row.confirmed_amount,
    confirmedDate: row.confirmed_date,
    remittanceControlNumber: row.remittance_control_number,
    balanceForwardAmount: row.balance_forward_amount,
  };
}

function requireParty(principal: Principal): void {
  if (principal.orgKind !== 'payer' && principal.orgKind !== 'provider') {
    throw new Forbidden('settlement batches belong to payers and providers');
  }
}

const partyColumn = (principal: Principal) =>
  principal.orgKind === 'payer' ? 'payer_org_id' : 'provider_org_id';

const batchCursor = cursorCodec(
  z.strictObject({ createdAt: cursorKeyPart.timestamp, id: cursorKeyPart.id }),
);

export const batchListQuery = z.strictObject({
  status: z
    .enum(['issued', 'confirmed', 'exception'], {
      error: 'must be "issued", "confirmed" or "exception"',
    })
    .optional(),
  limit: pageLimit(BATCHES_PAGE_MAX, 50),
  cursor: cursorParameter,
});

/** The caller's batches, newest first, a page at a time (keyset on created_at, id). */
export async function listBatches(
  database: Database,
  principal: Principal,
  query: unknown,
): Promise<{ batches: SettlementBatch[]; nextCursor: string | null }> {
  requireParty(principal);
  const { status, limit, cursor } = parseOrThrow(batchListQuery, query, 'query');
  const after = batchCursor.decode(cursor);
  const { rows } = await database.pool.query<BatchRow>(
    `SELECT ${BATCH_COLUMNS} FROM settlement_batches
      WHERE ${partyColumn(principal)} = $1 AND ($2::text IS NULL OR status = $2)
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $5`,
    [principal.orgId, status ?? null, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  );
  const page = batchCursor.page(rows, limit, (row) => ({
    createdAt: row.created_at.toISOString(),
    id: row.id,
  }));
  return { batches: page.rows.map(toBatch), nextCursor: page.nextCursor };
}

/** A batch of the caller's organization (as payer or provider); any other is not found. */
export async function getBatch(
  database: Database,
  principal: Principal,
  batchId: string,
): Promise<SettlementBatchDetail> {
  requireParty(principal);
  const { rows } = await database.pool.query<BatchRow>(
    `SELECT ${BATCH_COLUMNS} FROM settlement_batches WHERE id = $1 AND ${partyColumn(principal)} = $2`,
    [batchId, principal.orgId],
  );
  if (!rows[0]) throw new NotFound('settlement batch');
  const lines = await database.pool.query<{ claim_id: string; amount: string; kind: string }>(
    `SELECT claim_id, amount::text AS amount, 'claim' AS kind FROM settlement_batch_claims
      WHERE batch_id = $1
     UNION ALL
     SELECT claim_id, amount::text, 'adjustment' FROM settlement_batch_adjustments
      WHERE batch_id = $1
     ORDER BY kind, claim_id`,
    [batchId],
  );
  const of = (kind: string) =>
    lines.rows
      .filter((line) => line.kind === kind)
      .map((line) => ({ claimId: line.claim_id, amount: line.amount }));
  return { ...toBatch(rows[0]), claims: of('claim'), adjustments: of('adjustment') };
}

/** The payer's batch, locked for the rest of the transaction; any other batch is not found. */
async function lockPayerBatch(
  client: pg.PoolClient,
  principal: Principal,
  batchId: string,
): Promise<BatchRow> {
  const { rows } = await client.query<BatchRow>(
    `SELECT ${BATCH_COLUMNS} FROM settlement_batches
      WHERE id = $1 AND payer_org_id = $2 FOR UPDATE`,
    [batchId, principal.orgId],
  );
  if (!rows[0]) throw new NotFound('settlement batch');
  return rows[0];
}

export const confirmationSchema = z.strictObject({
  traceNumber: z.string().regex(/^[A-Za-z0-9-]{1,50}$/, 'must be 1-50 letters, digits or hyphens'),
  amount: moneyText,
  paidDate: isoDate(),
});

export interface ConfirmationOutcome {
  outcome: 'confirmed' | 'exception';
  batch: SettlementBatch;
}

/**
 * Finance confirms a payment. The same amount confirms the batch (the journal moves it
 * from payments in transit to settled payments); a different amount marks it an exception
 * with both amounts on the ledger, and nothing moves. A used trace number, or a batch no
 * longer issued, is a conflict.
 */
export async function confirmBatch(
  database: Database,
  principal: Principal,
  batchId: string,
  body: unknown,
): Promise<ConfirmationOutcome> {
  if (principal.orgKind !== 'payer') throw new Forbidden('only the payer confirms a payment');
  const input = parseOrThrow(confirmationSchema, body, 'body');
  try {
    return await inTransaction(database.pool, async (client) => {
      const batch = await lockPayerBatch(client, principal, batchId);
      if (batch.status !== 'issued') throw new Conflict(`the batch is already ${batch.status}`);
      const matches = new Decimal(input.amount).equals(batch.amount);
      const status = matches ? 'confirmed' : 'exception';
      const eventId = randomUUID();
      const now = new Date();
      const updated = await client.query<BatchRow>(
        `UPDATE settlement_batches
            SET status = $2, trace_number = $3, confirmed_amount = $4, confirmed_date = $5
          WHERE id = $1 RETURNING ${BATCH_COLUMNS}`,
        [batchId, status, input.traceNumber, input.amount, input.paidDate],
      );
      if (matches) {
        await postJournalEntry(client, {
          kind: 'settlement_confirmation',
          claimId: null,
          ledgerEventId: eventId,
          createdAt: now,
          postings: settlementPostings(
            'confirmed',
            batch.payer_org_id,
            batch.provider_org_id,
            batch.amount,
          ),
        });
      }
      await appendEvents(
        client,
        [
          {
            id: eventId,
            type: matches ? 'SettlementBatchConfirmed' : 'SettlementException',
            aggregateId: batchId,
            actorOrgId: principal.orgId,
            payload: {
              batchId,
              traceNumber: input.traceNumber,
              paidDate: input.paidDate,
              batchAmount: batch.amount,
              confirmedAmount: new Decimal(input.amount).toFixed(2),
              confirmedByKeyId: principal.keyId,
            },
            partyOrgIds: [batch.provider_org_id, batch.payer_org_id],
          },
        ],
        now,
      );
      return { outcome: status, batch: toBatch(updated.rows[0]!) };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'settlement_batches_trace_number_key')) {
      throw new Conflict(`trace number ${input.traceNumber} is already used by another batch`);
    }
    throw error;
  }
}

export const reopeningSchema = z.strictObject({
  reason: z.enum(['payment_returned', 'amount_corrected', 'entered_in_error'], {
    error: 'must be "payment_returned", "amount_corrected" or "entered_in_error"',
  }),
});

/**
 * Finance resolves a batch in exception by reopening it: after the payment was returned,
 * the amount put right with the bank, or the confirmation found entered in error, the
 * batch is issued again and waits for a confirmation that matches. Nothing had moved in the
 * journal, so nothing moves now; the ledger keeps the exception and this resolution.
 */
export async function reopenBatch(
  database: Database,
  principal: Principal,
  batchId: string,
  body: unknown,
): Promise<SettlementBatch> {
  if (principal.orgKind !== 'payer') throw new Forbidden('only the payer reopens a batch');
  const input = parseOrThrow(reopeningSchema, body, 'body');
  return inTransaction(database.pool, async (client) => {
    const batch = await lockPayerBatch(client, principal, batchId);
    if (batch.status !== 'exception') {
      throw new Conflict(`only a batch in exception is reopened; this one is ${batch.status}`);
    }
    const updated = await client.query<BatchRow>(
      `UPDATE settlement_batches
          SET status = 'issued', trace_number = NULL, confirmed_amount = NULL,
              confirmed_date = NULL
        WHERE id = $1 RETURNING ${BATCH_COLUMNS}`,
      [batchId],
    );
    await appendEvents(client, [
      {
        type: 'SettlementBatchReopened',
        aggregateId: batchId,
        actorOrgId: principal.orgId,
        payload: {
          batchId,
          reason: input.reason,
          exceptionTraceNumber: batch.trace_number,
          exceptionAmount: batch.confirmed_amount,
          reopenedByKeyId: principal.keyId,
        },
        partyOrgIds: [batch.provider_org_id, batch.payer_org_id],
      },
    ]);
    return toBatch(updated.rows[0]!);
  });
}
