// Reconciliation on real PostgreSQL: a clean book reconciles with no exception; every kind
// of difference (a balance changed, a posting added behind the ledger's back, a batch line
// changed, a payment confirmed for another amount, a ledger event rewritten) is found and
// named, each side sees only its own, and the scheduled worker stores its runs too.
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECONCILIATION_LOCK_ID,
  runReconciliation,
} from '../../src/domain/reconciliation/service.js';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { sealPending } from '../../src/ledger/seal.js';
import { createLogger } from '../../src/infra/logger.js';
import { openRedis } from '../../src/infra/redis.js';
import { startWorkers } from '../../workers/index.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, keyOf, paidClaim, type Parties } from '../support/settlement.js';
import { tamper as tamperAsAttacker } from '../support/ledger.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;
let batchIds: string[];

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
  // Two batches of 92.00: the first confirmed, the second left issued.
  batchIds = [];
  for (let batch = 0; batch < 2; batch += 1) {
    await paidClaim(environment, app, parties);
    await paidClaim(environment, app, parties, 'M-UNKNOWN');
    batchIds.push((await settlePayer(environment.database, parties.payerId))[0]!.id);
  }
  const confirmed = await request(app)
    .post(`/v1/settlement/batches/${batchIds[0]}/confirmation`)
    .set(bearer(parties.payerFinance))
    .send({
      traceNumber: `TRN-${batchIds[0]!.slice(0, 8)}`,
      amount: '92.00',
      paidDate: '2026-11-20',
    });
  expect(confirmed.body.outcome).toBe('confirmed');
  await sealPending(environment.database.pool, 1000);
});

afterAll(async () => {
  await environment.close();
});

// These tests change history the runs before them covered: only a full run looks there.
const startRun = (key: string) =>
  request(app).post('/v1/reconciliation/runs').set(bearer(key)).send({ mode: 'full' });

/** Changes the books as an attacker with database access would, around every trigger. */
const tamper = (sql: string, values: unknown[] = []) =>
  tamperAsAttacker(environment.databaseUrl, sql, values);

describe('a reconciliation run', () => {
  it('finds nothing wrong with books that balance, and says what it checked', async () => {
    const response = await startRun(parties.payerFinance);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.headers.location).toBe(`/v1/reconciliation/runs/${response.body.id}`);
    expect(response.body).toMatchObject({
      trigger: 'request',
      status: 'completed',
      exceptionCount: 0,
      exceptions: [],
      failure: null,
    });
    const { summary } = response.body;
    // 4 claim decisions and 2 batches and 1 confirmation; the denials post nothing.
    expect(summary).toMatchObject({
      batchesChecked: 2,
      confirmationsChecked: 1,
      ledgerEventsReplayed: 7,
      exceptionsFound: 0,
      chain: { ok: true, unsealedEvents: 0 },
    });
    expect(summary.journalEntriesChecked).toBe(2 + 2 + 1);
    expect(summary.accountsChecked).toBeGreaterThanOrEqual(9);
    expect(summary.chain.eventsChecked).toBeGreaterThan(7);
  });

  it('names a balance that is not the sum of its postings', async () => {
    await tamper(
      `UPDATE accounts SET balance_amount = balance_amount + 10
        WHERE owner_org_id = $1 AND purpose = 'payments_in_transit'`,
      [parties.providerId],
    );
    const run = (await startRun(parties.providerFinance)).body;
    expect(run.exceptions).toEqual([
      expect.objectContaining({
        check: 'account_balance_vs_postings',
        subjectType: 'account',
        expected: '92.00',
        actual: '102.00',
        partyOrgIds: [parties.providerId],
      }),
    ]);
    await tamper(
      `UPDATE accounts SET balance_amount = balance_amount - 10
        WHERE owner_org_id = $1 AND purpose = 'payments_in_transit'`,
      [parties.providerId],
    );
  });

  it('names postings that no ledger event accounts for', async () => {
    // A balanced entry slipped into the journal, pointing at a real event of another kind,
    // with the account balances moved to match: only the ledger replay can tell.
    const { rows } = await environment.database.pool.query<{ id: string }>(
      "SELECT id FROM ledger_events WHERE type = 'ClaimSubmitted' LIMIT 1",
    );
    await tamper(
      `WITH entry AS (
         INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
         VALUES (gen_random_uuid(), 'claim_decision', NULL, $1, now()) RETURNING id
       ), moved AS (
         UPDATE accounts SET balance_amount = balance_amount
           + CASE purpose WHEN 'claims_expense' THEN 50 ELSE -50 END
          WHERE owner_org_id = $2 AND purpose IN ('claims_expense', 'payable_to_provider')
         RETURNING id, purpose
       )
       INSERT INTO journal_postings (entry_id, account_id, amount)
       SELECT entry.id, moved.id, CASE moved.purpose WHEN 'claims_expense' THEN 50 ELSE -50 END
         FROM entry, moved`,
      [rows[0]!.id, parties.payerId],
    );
    const run = (await startRun(parties.payerFinance)).body;
    const checks = run.exceptions.map((exception: { check: string; expected: string }) => [
      exception.check,
      exception.expected,
    ]);
    expect(checks).toEqual([
      ['account_balance_vs_ledger', expect.any(String)],
      ['account_balance_vs_ledger', expect.any(String)],
    ]);
    const amounts = run.exceptions.map((exception: { expected: string; actual: string }) =>
      (Number(exception.actual) - Number(exception.expected)).toFixed(2),
    );
    expect(amounts.sort()).toEqual(['-50.00', '50.00']);
    // The provider's finance sees none of the payer's books.
    const asProvider = await request(app)
      .get(`/v1/reconciliation/runs/${run.id}`)
      .set(bearer(parties.providerFinance));
    expect(asProvider.body).toMatchObject({ exceptionCount: 0, exceptions: [] });
  });

  it('names a batch line that does not pay what its claim was decided, and a wrong confirmation', async () => {
    await tamper(
      `UPDATE settlement_batch_claims SET amount = amount + 1
        WHERE batch_id = $1 AND amount > 0`,
      [batchIds[1]],
    );
    const exception = await request(app)
      .post(`/v1/settlement/batches/${batchIds[1]}/confirmation`)
      .set(bearer(parties.payerFinance))
      .send({
        traceNumber: `TRN-${batchIds[1]!.slice(0, 8)}`,
        amount: '90.00',
        paidDate: '2026-11-21',
      });
    expect(exception.body.outcome).toBe('exception');

    const run = (await startRun(parties.payerFinance)).body;
    const ofBatch = run.exceptions
      .filter((found: { subjectId: string }) => found.subjectId === batchIds[1])
      .map((found: { check: string; expected: string; actual: string }) => ({
        check: found.check,
        expected: found.expected,
        actual: found.actual,
      }));
    expect(ofBatch).toEqual([
      { check: 'batch_total_mismatch', expected: '93.00', actual: '92.00' },
      { check: 'batch_event_mismatch', expected: '92.00', actual: '93.00' },
      { check: 'batch_claim_amount_mismatch', expected: '92.00', actual: '93.00' },
      { check: 'confirmation_amount_mismatch', expected: '92.00', actual: '90.00' },
    ]);
  });

  it('names a rewritten ledger event, in the chain and in the balances it posts', async () => {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      "SELECT id FROM ledger_events WHERE type = 'SettlementBatchConfirmed'",
    );
    // The hashed text itself (the JSON queries read is generated from it, so it says 9.00 too).
    await tamper(
      `UPDATE ledger_events
          SET payload_canonical = regexp_replace(payload_canonical, '"batchAmount":"[0-9.]+"',
                                                 '"batchAmount":"9.00"')
        WHERE id = $1`,
      [rows[0]!.id],
    );
    const run = (await startRun(parties.payerFinance)).body;
    const checks = new Set(run.exceptions.map((found: { check: string }) => found.check));
    expect(checks).toContain('chain_verification_failed');
    expect(checks).toContain('account_balance_vs_ledger');
    const chain = run.exceptions.find(
      (found: { check: string }) => found.check === 'chain_verification_failed',
    );
    expect(chain).toMatchObject({
      partyOrgIds: null,
      message: expect.stringContaining('payload does not match its payloadHash'),
    });
    // An organization with no part in any of it still sees the chain failure.
    const stranger = await createActor(environment, 'provider', 'finance');
    const asStranger = await request(app)
      .get(`/v1/reconciliation/runs/${run.id}`)
      .set(bearer(stranger.key));
    expect(asStranger.body.exceptions.map((found: { check: string }) => found.check)).toEqual([
      'chain_verification_failed',
    ]);
  });
});

describe('recoupments', () => {
  it('holds each recoupment a reversal claims to what is owed or was taken back, and names a debt lost or made up', async () => {
    const owing = await createParties(environment);
    const settled = await paidClaim(environment, app, owing);
    await settlePayer(environment.database, owing.payerId);
    await paidClaim(environment, app, owing, 'M-PAID', {
      frequencyCode: '8',
      originalClaimId: settled.id,
    });
    // Voided before any batch took it: its reversal recoups 92.00 that was never paid.
    const unsettled = await paidClaim(environment, app, owing);
    await paidClaim(environment, app, owing, 'M-PAID', {
      frequencyCode: '8',
      originalClaimId: unsettled.id,
    });
    const reversalOf = async (claimId: string) =>
      (
        await environment.database.pool.query<{ id: string }>(
          "SELECT id FROM ledger_events WHERE aggregate_id = $1 AND type = 'ClaimReversed'",
          [claimId],
        )
      ).rows[0]!.id;
    const owedReversal = await reversalOf(settled.id);
    const recoupmentFindings = async () => {
      const run = (await startRun(owing.payerFinance)).body;
      expect(run.summary.recoupmentsChecked).toBeGreaterThanOrEqual(2);
      const exceptions = run.exceptions as Record<string, unknown>[];
      return exceptions
        .filter((found) => found.check === 'recoupment_mismatch')
        .map((found) => ({
          subjectType: found.subjectType,
          subjectId: found.subjectId,
          expected: found.expected,
          actual: found.actual,
        }));
    };
    expect(await recoupmentFindings()).toEqual([]);

    // The debt lost: the provider would never pay it back.
    await tamper('DELETE FROM settlement_recoupments_due WHERE claim_id = $1', [settled.id]);
    expect(await recoupmentFindings()).toEqual([
      { subjectType: 'ledger_event', subjectId: owedReversal, expected: '92.00', actual: '0.00' },
    ]);
    // Restored for less than the reversal says: named from both sides.
    const owe = (claimId: string, reversalEventId: string, amount: string) =>
      tamper(
        `INSERT INTO settlement_recoupments_due
           (claim_id, payer_org_id, provider_org_id, reversal_event_id, amount)
         VALUES ($1, $2, $3, $4, $5)`,
        [claimId, owing.payerId, owing.providerId, reversalEventId, amount],
      );
    await owe(settled.id, owedReversal, '50.00');
    expect(await recoupmentFindings()).toEqual([
      { subjectType: 'ledger_event', subjectId: owedReversal, expected: '92.00', actual: '50.00' },
      { subjectType: 'claim', subjectId: settled.id, expected: null, actual: '50.00' },
    ]);
    await tamper('UPDATE settlement_recoupments_due SET amount = 92.00 WHERE claim_id = $1', [
      settled.id,
    ]);
    // A debt made up: the claim voided before settlement was never paid.
    const neverPaid = await reversalOf(unsettled.id);
    await owe(unsettled.id, neverPaid, '92.00');
    expect(await recoupmentFindings()).toEqual([
      { subjectType: 'ledger_event', subjectId: neverPaid, expected: '0.00', actual: '92.00' },
    ]);
    await tamper('DELETE FROM settlement_recoupments_due WHERE claim_id = $1', [unsettled.id]);

    // Taken back by a batch: accounted for by its line, no longer owed.
    const [netting] = await settlePayer(environment.database, owing.payerId);
    expect(netting!.adjustments).toEqual([{ claimId: settled.id, amount: '-92.00' }]);
    expect(await recoupmentFindings()).toEqual([]);
  });
});

describe('reading runs', () => {
  it('lists runs newest first, a page at a time', async () => {
    const first = await request(app)
      .get('/v1/reconciliation/runs?limit=2')
      .set(bearer(parties.payerFinance));
    expect(first.status).toBe(200);
    expect(first.body.runs).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await request(app)
      .get(`/v1/reconciliation/runs?limit=2&cursor=${first.body.nextCursor}`)
      .set(bearer(parties.payerFinance));
    const startedAt = [...first.body.runs, ...second.body.runs].map(
      (run: { startedAt: string }) => run.startedAt,
    );
    expect(startedAt).toEqual([...startedAt].sort().reverse());
    const ids = new Set(
      [...first.body.runs, ...second.body.runs].map((run: { id: string }) => run.id),
    );
    expect(ids.size).toBe(4);
  });

  it('answers 403 to a biller, 404 to an unknown run and 422 to a malformed id or cursor', async () => {
    expectProblem(await startRun(parties.biller), 403);
    expectProblem(
      await request(app).get('/v1/reconciliation/runs').set(bearer(parties.biller)),
      403,
    );
    const auditor = await keyOf(environment, parties.payerId, 'auditor');
    expectProblem(await startRun(auditor), 403);
    expectProblem(
      await request(app)
        .get('/v1/reconciliation/runs/2b1f9d3c-5a7e-4c1b-9f00-000000000000')
        .set(bearer(auditor)),
      404,
    );
    expectProblem(
      await request(app).get('/v1/reconciliation/runs/not-a-uuid').set(bearer(auditor)),
      422,
    );
    expectProblem(
      await request(app).get('/v1/reconciliation/runs?cursor=bogus').set(bearer(auditor)),
      422,
    );
  });

  it('refuses a second run while one is in progress (409), and runs again after it', async () => {
    // Another process's run holds the lock.
    const other = new pg.Client({ connectionString: environment.databaseUrl });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RECONCILIATION_LOCK_ID]);
      const refused = expectProblem(await startRun(parties.payerFinance), 409);
      expect(refused.detail).toMatch(/in progress/);
    } finally {
      await other.end(); // a process that dies lets go of the lock with its connection
    }
    expect((await startRun(parties.payerFinance)).status).toBe(201);
  });

  it('marks a run its process never finished as abandoned', async () => {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      `INSERT INTO reconciliation_runs (id, trigger, status, started_at)
       VALUES (gen_random_uuid(), 'schedule', 'running', now() - interval '1 minute') RETURNING id`,
    );
    await runReconciliation(environment.database, { trigger: 'request' });
    const { rows: after } = await environment.database.pool.query<{ status: string }>(
      'SELECT status FROM reconciliation_runs WHERE id = $1',
      [rows[0]!.id],
    );
    expect(after[0]!.status).toBe('abandoned');
  });
});

describe('the reconciliation worker', () => {
  it('runs on its schedule and stores the run', async () => {
    const scheduled = await createTestEnvironment({ RECONCILIATION_INTERVAL_MS: '1000' });
    const connection = openRedis(scheduled.config.redisUrl);
    const workers = await startWorkers({
      config: scheduled.config,
      database: scheduled.database,
      connection,
      logger: createLogger('silent'),
    });
    try {
      let runs: { trigger: string; status: string }[] = [];
      for (let attempt = 0; attempt < 100 && runs.length === 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ({ rows: runs } = await scheduled.database.pool.query(
          "SELECT trigger, status FROM reconciliation_runs WHERE status <> 'running'",
        ));
      }
      expect(runs[0]).toEqual({ trigger: 'schedule', status: 'completed' });
    } finally {
      await workers.close();
      await connection.quit();
      await scheduled.close();
    }
  });
});
