// Incremental reconciliation on real PostgreSQL: a clean run leaves a checkpoint, the next
// incremental run checks only what came after it (journal, balances, replay, batches,
// confirmations, chain) and agrees with a full run; what it cannot see is a full run's.
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { sealPending } from '../../src/ledger/seal.js';
import { bearer } from '../support/api.js';
import { createTestEnvironment, testApp, type TestEnvironment } from '../support/environment.js';
import { tamper as tamperAsAttacker } from '../support/ledger.js';
import { createParties, paidClaim, type Parties } from '../support/settlement.js';

let environment: TestEnvironment;
let app: Express;
let parties: Parties;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
});

afterAll(async () => {
  await environment.close();
});

interface RunBody {
  status: string;
  exceptions: { check: string; subjectId: string }[];
  summary: {
    mode: string;
    sinceSeq: string | null;
    journalEntriesChecked: number;
    ledgerEventsReplayed: number;
    batchesChecked: number;
    confirmationsChecked: number;
    exceptionsFound: number;
    chain: { ok: boolean; blocksChecked: number };
  };
  throughSeq: string;
}

async function run(mode?: 'full' | 'incremental'): Promise<RunBody> {
  const response = await request(app)
    .post('/v1/reconciliation/runs')
    .set(bearer(parties.payerFinance))
    .send(mode ? { mode } : {});
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as RunBody;
}

const tamper = (sql: string, values: unknown[] = []) =>
  tamperAsAttacker(environment.databaseUrl, sql, values);

async function confirm(batchId: string): Promise<void> {
  const response = await request(app)
    .post(`/v1/settlement/batches/${batchId}/confirmation`)
    .set(bearer(parties.payerFinance))
    .send({ traceNumber: `TRN-${batchId.slice(0, 8)}`, amount: '92.00', paidDate: '2026-11-20' });
  expect(response.body.outcome).toBe('confirmed');
}

describe('incremental reconciliation', () => {
  let firstClaimId: string;
  let issuedBatchId: string;
  let checkpointSeq: string;

  it('starts as a full run when no run has come out clean, and leaves a checkpoint', async () => {
    firstClaimId = (await paidClaim(environment, app, parties)).id;
    issuedBatchId = (await settlePayer(environment.database, parties.payerId))[0]!.id;
    await sealPending(environment.database.pool, 1000);
    const first = await run();
    expect(first.summary).toMatchObject({ mode: 'full', sinceSeq: null, exceptionsFound: 0 });
    checkpointSeq = first.throughSeq;
  });

  it('then checks only what came after, including a void and a confirmation of older work', async () => {
    // After the checkpoint: a confirmation of the batch issued before it, a void of the claim
    // decided before it (the replay must look back at both), and a new paid claim.
    await confirm(issuedBatchId);
    await paidClaim(environment, app, parties, 'M-PAID', {
      frequencyCode: '8',
      originalClaimId: firstClaimId,
    });
    await paidClaim(environment, app, parties);
    await sealPending(environment.database.pool, 1000);

    const incremental = await run();
    expect(incremental.exceptions).toEqual([]);
    // Confirmation, reversal, new decision: 3 money events and 3 journal entries; the void's
    // own claim posts nothing. The batch issued before the checkpoint is not checked again.
    expect(incremental.summary).toMatchObject({
      mode: 'incremental',
      sinceSeq: checkpointSeq,
      ledgerEventsReplayed: 3,
      journalEntriesChecked: 3,
      batchesChecked: 0,
      confirmationsChecked: 1,
      exceptionsFound: 0,
    });
    const full = await run('full');
    expect(full.exceptions).toEqual([]);
    expect(full.summary.ledgerEventsReplayed).toBeGreaterThan(3);
    expect(full.summary.chain.blocksChecked).toBeGreaterThan(
      incremental.summary.chain.blocksChecked,
    );
  });

  it('finds a balance changed after the checkpoint, as a full run does', async () => {
    await tamper(
      `UPDATE accounts SET balance_amount = balance_amount + 10
        WHERE owner_org_id = $1 AND purpose = 'claims_expense'`,
      [parties.payerId],
    );
    try {
      const incremental = await run();
      expect(incremental.summary.mode).toBe('incremental');
      expect(incremental.exceptions.map((found) => found.check)).toEqual([
        'account_balance_vs_postings',
      ]);
      expect((await run('full')).exceptions.map((found) => found.check)).toEqual([
        'account_balance_vs_postings',
      ]);
    } finally {
      await tamper(
        `UPDATE accounts SET balance_amount = balance_amount - 10
          WHERE owner_org_id = $1 AND purpose = 'claims_expense'`,
        [parties.payerId],
      );
    }
  });

  it('counts a journal entry added without a ledger event', async () => {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id FROM accounts WHERE owner_org_id = $1 LIMIT 2',
      [parties.payerId],
    );
    // Balanced postings on a made-up event id: no ledger event leads to this entry.
    await tamper(
      `WITH entry AS (
         INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
         VALUES (gen_random_uuid(), 'claim_decision', NULL, gen_random_uuid(), now()) RETURNING id
       )
       INSERT INTO journal_postings (entry_id, account_id, amount)
       SELECT entry.id, a.id, a.amount FROM entry,
              (VALUES ($1::uuid, 5.00), ($2::uuid, -5.00)) AS a(id, amount)`,
      [rows[0]!.id, rows[1]!.id],
    );
    const incremental = await run();
    expect(incremental.exceptions).toContainEqual(
      expect.objectContaining({
        check: 'journal_entry_without_event',
        subjectId: 'journal_entries',
      }),
    );
    const full = await run('full');
    expect(full.exceptions).toContainEqual(
      expect.objectContaining({ check: 'journal_entry_without_event' }),
    );
  });
});
