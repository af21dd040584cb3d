// Settlement on real PostgreSQL: batches per payer and provider, exactly once per claim even
// under concurrent runs, recoupments of reversed claims netted into the next batch (a
// negative net carried forward as a provider-level balance), confirmations, the journal, and
// who may see what.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { issueApiKey } from '../../src/domain/organizations.js';
import {
  batchesMadeBetween,
  settleAllPayers,
  settlePayer,
} from '../../src/domain/settlement/service.js';
import { createLogger } from '../../src/infra/logger.js';
import { execSettlementJob } from '../../workers/settlement.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, paidClaim as paidClaimOf, type Parties } from '../support/settlement.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
});

afterAll(async () => {
  await environment.close();
});

const paidClaim = (
  parties: Pick<Parties, 'payerId' | 'biller'>,
  memberId?: string,
  extra?: Record<string, unknown>,
) => paidClaimOf(environment, app, parties, memberId, extra);

async function paidAmountOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ paid: string }>(
    `SELECT paid_amount::text AS paid FROM claim_decisions WHERE claim_id = $1
      ORDER BY decided_at DESC LIMIT 1`,
    [claimId],
  );
  return rows[0]!.paid;
}

/** A balance on the payer's books, or with `side` 'provider' on the provider's. */
async function balance(
  parties: Parties,
  purpose: string,
  side: 'payer' | 'provider' = 'payer',
): Promise<string> {
  const [owner, counterparty] =
    side === 'payer'
      ? [parties.payerId, parties.providerId]
      : [parties.providerId, parties.payerId];
  const { rows } = await environment.database.pool.query<{ balance: string }>(
    `SELECT balance_amount::text AS balance FROM accounts
      WHERE owner_org_id = $1 AND counterparty_org_id = $2 AND purpose = $3`,
    [owner, counterparty, purpose],
  );
  return rows[0]?.balance ?? '0.00';
}

/** The recoupments the payer's providers owe, as stored, in claim id order. */
async function recoupmentsOwedTo(payerId: string) {
  const { rows } = await environment.database.pool.query<{
    claim_id: string;
    provider_org_id: string;
    reversal_event_id: string;
    amount: string;
  }>(
    `SELECT claim_id, provider_org_id, reversal_event_id, amount::text AS amount
       FROM settlement_recoupments_due WHERE payer_org_id = $1 ORDER BY claim_id`,
    [payerId],
  );
  return rows;
}

/** The id of the ClaimReversed event of a claim. */
async function reversalEventOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ id: string }>(
    `SELECT id FROM ledger_events WHERE aggregate_id = $1 AND type = 'ClaimReversed'`,
    [claimId],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

/** Waits until at least `count` sessions of the test's database wait for a lock. */
async function waitersOnLocks(count: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { rows } = await environment.database.pool.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0]!.waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} sessions ever waited for a lock`);
}

async function batchCount(payerId: string): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    'SELECT count(*) FROM settlement_batches WHERE payer_org_id = $1',
    [payerId],
  );
  return Number(rows[0]!.count);
}

describe('a service paid and settled, billed again', () => {
  it('is denied CO-18 as already paid: settling a claim does not forget what it paid', async () => {
    const parties = await createParties(environment);
    const first = await paidClaim(parties);
    expect(first.status).toBe('paid');
    await settlePayer(environment.database, parties.payerId);
    const { rows } = await environment.database.pool.query<{ status: string }>(
      'SELECT status FROM claims WHERE id = $1',
      [first.id],
    );
    expect(rows[0]!.status).toBe('settled');
    // The same lines on the same day under another patient control number.
    const stored = await request(app).get(`/v1/claims/${first.id}`).set(bearer(parties.biller));
    const again = await request(app)
      .post('/v1/claims')
      .set(bearer(parties.biller))
      .send({
        ...validClaim(parties.payerId),
        member: stored.body.member,
        patientControlNumber: 'AGAIN-1',
        serviceLines: (
          stored.body.serviceLines as { procedureCode: string; serviceDate: string }[]
        ).map((line, index) => ({
          procedureCode: line.procedureCode,
          units: 1,
          chargeAmount: index === 0 ? '125.00' : '48.50',
          serviceDate: line.serviceDate,
        })),
      });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await adjudicateClaim(environment.database, again.body.id as string)).toMatchObject({
      status: 'denied',
    });
    expect(await paidAmountOf(again.body.id as string)).toBe('0.00');
    const decided = await request(app)
      .get(`/v1/claims/${again.body.id as string}`)
      .set(bearer(parties.biller));
    const lines = decided.body.decision.lines as {
      adjustments: { group: string; reasonCode: string }[];
    }[];
    expect(lines.map((line) => line.adjustments.map((a) => `${a.group}-${a.reasonCode}`))).toEqual([
      ['CO-18'],
      ['CO-18'],
    ]);
  });
});

describe('settlePayer', () => {
  it('batches every eligible claim exactly once, for the sum of the paid amounts', async () => {
    const parties = await createParties(environment);
    const claims = [
      await paidClaim(parties),
      await paidClaim(parties),
      await paidClaim(parties, 'M-UNKNOWN'),
    ];
    expect(claims.map((claim) => claim.status)).toEqual(['paid', 'paid', 'denied']);
    const paid = await Promise.all(claims.map((claim) => paidAmountOf(claim.id)));
    expect(paid).toEqual(['92.00', '92.00', '0.00']);

    const batches = await settlePayer(environment.database, parties.payerId);
    expect(batches).toHaveLength(1);
    const batch = batches[0]!;
    expect(batch).toMatchObject({
      payerId: parties.payerId,
      providerId: parties.providerId,
      status: 'issued',
      amount: '184.00',
      claimCount: 3,
      adjustments: [],
    });
    expect(new Set(batch.claims.map((line) => line.claimId))).toEqual(
      new Set(claims.map((claim) => claim.id)),
    );
    const { rows } = await environment.database.pool.query<{ status: string; batches: string }>(
      `SELECT c.status, (SELECT count(*) FROM settlement_batch_claims b WHERE b.claim_id = c.id)
              AS batches
         FROM claims c WHERE c.id = ANY($1::uuid[])`,
      [claims.map((claim) => claim.id)],
    );
    expect(rows.every((row) => row.status === 'settled' && row.batches === '1')).toBe(true);
    expect(await balance(parties, 'payable_to_provider')).toBe('0.00');
    expect(await balance(parties, 'payments_in_transit')).toBe('-184.00');
    expect(await balance(parties, 'receivable_from_payer', 'provider')).toBe('0.00');
    expect(await balance(parties, 'payments_in_transit', 'provider')).toBe('184.00');

    const { rows: events } = await environment.database.pool.query<{ payload: object }>(
      "SELECT payload FROM ledger_events WHERE type = 'SettlementBatchIssued' AND aggregate_id = $1",
      [batch.id],
    );
    expect(Object.keys(events[0]!.payload).sort()).toEqual([
      'adjustments',
      'amount',
      'balanceForward',
      'batchId',
      'claimCount',
      'claims',
      'payerOrgId',
      'providerOrgId',
    ]);
    expect(JSON.stringify(events[0]!.payload)).not.toMatch(/M-PAID|Jane|Doe|1980/);

    // Run again: nothing new to settle.
    expect(await settlePayer(environment.database, parties.payerId)).toEqual([]);
    expect(await batchCount(parties.payerId)).toBe(1);
  });

  it('leaves pended claims out and builds one batch per provider', async () => {
    const parties = await createParties(environment);
    const other = await createActor(environment, 'provider', 'provider_biller');
    await paidClaim(parties);
    await paidClaim({ ...parties, biller: other.key });
    const batches = await settlePayer(environment.database, parties.payerId);
    expect(batches.map((batch) => batch.amount)).toEqual(['92.00', '92.00']);
    expect(new Set(batches.map((batch) => batch.providerId))).toEqual(
      new Set([parties.providerId, other.organization.id]),
    );
  });

  it('tells what settlement made between two instants: batches, their claims, first and last', async () => {
    const parties = await createParties(environment);
    const other = await createActor(environment, 'provider', 'provider_biller');
    await paidClaim(parties);
    await paidClaim(parties);
    await paidClaim({ ...parties, biller: other.key });
    const from = new Date();
    const batches = await settlePayer(environment.database, parties.payerId);
    const to = new Date();
    const times = batches.map((batch) => new Date(batch.createdAt).getTime()).sort();
    expect(await batchesMadeBetween(environment.database, from, to)).toEqual({
      batches: 2,
      claims: 3,
      firstAt: new Date(times[0]!),
      lastAt: new Date(times[1]!),
    });
    expect(
      await batchesMadeBetween(environment.database, new Date(to.getTime() + 1), new Date()),
    ).toEqual({ batches: 0, claims: 0, firstAt: null, lastAt: null });
  });

  it('builds one batch when two runs race, each on its own connection', async () => {
    const parties = await createParties(environment);
    for (let i = 0; i < 5; i += 1) await paidClaim(parties);
    const results = await Promise.all([
      settlePayer(environment.database, parties.payerId),
      settlePayer(environment.database, parties.payerId),
      settlePayer(environment.database, parties.payerId),
    ]);
    expect(results.flat()).toHaveLength(1);
    expect(results.flat()[0]!.amount).toBe('460.00');
    expect(await batchCount(parties.payerId)).toBe(1);
  });

  it('recoups a voided settled claim in the next batch, carrying a negative net forward', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    const [first] = await settlePayer(environment.database, parties.payerId);
    expect(first!.amount).toBe('92.00');

    const voided = await paidClaim(parties, 'M-PAID', {
      frequencyCode: '8',
      originalClaimId: original.id,
    });
    expect(voided.status).toBe('voided');
    // Only a recoupment: the net is -92.00. The batch pays 0.00 and carries the 92.00 the
    // provider now owes forward, as a provider-level adjustment (835 PLB "FB").
    const [carrying] = await settlePayer(environment.database, parties.payerId);
    expect(carrying).toMatchObject({
      amount: '0.00',
      claimCount: 0,
      claims: [],
      adjustments: [{ claimId: original.id, amount: '-92.00' }],
      balanceForwardAmount: '92.00',
    });
    expect(await balance(parties, 'payable_to_provider')).toBe('92.00');
    // Its 835: the reversal's CLP04 is -92, PLB FB -92 brings the payment up to 0.
    const remittance = await request(app)
      .get(`/v1/settlement/batches/${carrying!.id}/835`)
      .set(bearer(parties.payerFinance));
    expect(remittance.text).toMatch(new RegExp(`^PLB\\*[^~]*\\*FB:${carrying!.id}\\*-92~$`, 'm'));
    expect(remittance.text).toMatch(/^BPR\*H\*0\*/m);
    // Nothing new: nothing to issue, and the balance stays owed.
    expect(await settlePayer(environment.database, parties.payerId)).toEqual([]);

    await paidClaim(parties);
    await paidClaim(parties);
    const [recovering] = await settlePayer(environment.database, parties.payerId);
    expect(recovering).toMatchObject({
      amount: '92.00',
      claimCount: 2,
      adjustments: [],
      balanceForwardAmount: '-92.00',
    });
    expect(recovering!.claims.map((line) => line.amount)).toEqual(['92.00', '92.00']);
    expect(await settlePayer(environment.database, parties.payerId)).toEqual([]);
    expect(await batchCount(parties.payerId)).toBe(3);
    expect(await balance(parties, 'payable_to_provider')).toBe('0.00');
    expect(await balance(parties, 'payments_in_transit')).toBe('-184.00');
    expect(await balance(parties, 'claims_expense')).toBe('184.00');
  });

  it('recovers a carried balance over several batches when new payments fall short', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    await settlePayer(environment.database, parties.payerId);
    await paidClaim(parties, 'M-PAID', { frequencyCode: '8', originalClaimId: original.id });
    await settlePayer(environment.database, parties.payerId); // carries 92.00
    // A denial pays 0.00: the provider still owes 92.00, nothing moves in the carry.
    await paidClaim(parties, 'M-UNKNOWN');
    const [denialOnly] = await settlePayer(environment.database, parties.payerId);
    expect(denialOnly).toMatchObject({ amount: '0.00', balanceForwardAmount: '0.00' });
    await paidClaim(parties);
    const [recovered] = await settlePayer(environment.database, parties.payerId);
    expect(recovered).toMatchObject({ amount: '0.00', balanceForwardAmount: '-92.00' });
    expect(await balance(parties, 'payable_to_provider')).toBe('0.00');
  });

  it('splits a provider with more lines than one 835 carries into several batches', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    await settlePayer(environment.database, parties.payerId);
    await paidClaim(parties, 'M-PAID', { frequencyCode: '8', originalClaimId: original.id });
    for (let i = 0; i < 4; i += 1) await paidClaim(parties);
    // At most 2 lines a batch: the recoupment and one claim, then 2 claims, then 1.
    const batches = await settlePayer(environment.database, parties.payerId, 2);
    expect(
      batches.map((batch) => [batch.adjustments.length, batch.claims.length, batch.amount]),
    ).toEqual([
      [1, 1, '0.00'],
      [0, 2, '184.00'],
      [0, 1, '92.00'],
    ]);
    expect(batches[0]!.balanceForwardAmount).toBe('0.00');
    expect(await settlePayer(environment.database, parties.payerId, 2)).toEqual([]);
    expect(await balance(parties, 'payable_to_provider')).toBe('0.00');
  });

  it('owes back a replaced settled claim from its reversal until a batch nets it, once', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    await settlePayer(environment.database, parties.payerId);
    expect(await recoupmentsOwedTo(parties.payerId)).toEqual([]);

    const replacement = await paidClaim(parties, 'M-PAID', {
      frequencyCode: '7',
      originalClaimId: original.id,
    });
    expect(replacement.status).toBe('paid');
    const reversal = await reversalEventOf(original.id);
    expect(await recoupmentsOwedTo(parties.payerId)).toEqual([
      {
        claim_id: original.id,
        provider_org_id: parties.providerId,
        reversal_event_id: reversal,
        amount: '92.00',
      },
    ]);
    // The replacement pays 92.00 and the original's 92.00 comes back: the batch pays 0.00.
    const [netting] = await settlePayer(environment.database, parties.payerId);
    expect(netting).toMatchObject({
      amount: '0.00',
      claims: [{ claimId: replacement.id, amount: '92.00' }],
      adjustments: [{ claimId: original.id, amount: '-92.00' }],
      balanceForwardAmount: '0.00',
    });
    const { rows } = await environment.database.pool.query<{ reversal_event_id: string }>(
      'SELECT reversal_event_id FROM settlement_batch_adjustments WHERE claim_id = $1',
      [original.id],
    );
    expect(rows).toEqual([{ reversal_event_id: reversal }]);
    expect(await recoupmentsOwedTo(parties.payerId)).toEqual([]);
    expect(await settlePayer(environment.database, parties.payerId)).toEqual([]);
  });

  it("derives, in its migration's backfill, the recoupments owed that the reversals recorded", async () => {
    // A history of each kind: owed (voided, replaced), netted, voided before any batch, and a
    // denial (0.00 paid) voided after its batch.
    const parties = await createParties(environment);
    const netted = await paidClaim(parties);
    const denied = await paidClaim(parties, 'M-UNKNOWN');
    await settlePayer(environment.database, parties.payerId);
    await paidClaim(parties, 'M-PAID', { frequencyCode: '8', originalClaimId: netted.id });
    await settlePayer(environment.database, parties.payerId);
    const voided = await paidClaim(parties);
    const replaced = await paidClaim(parties);
    await settlePayer(environment.database, parties.payerId);
    for (const original of [voided, replaced, denied]) {
      await paidClaim(parties, original === denied ? 'M-UNKNOWN' : 'M-PAID', {
        frequencyCode: original === replaced ? '7' : '8',
        originalClaimId: original.id,
      });
    }
    const unsettled = await paidClaim(parties);
    await paidClaim(parties, 'M-PAID', { frequencyCode: '8', originalClaimId: unsettled.id });

    const recorded = await recoupmentsOwedTo(parties.payerId);
    expect(recorded.map((row) => row.claim_id).sort()).toEqual([voided.id, replaced.id].sort());
    const allRows = 'SELECT * FROM settlement_recoupments_due ORDER BY claim_id';
    const everyPayers = (await environment.database.pool.query(allRows)).rows;
    const migration = await readFile(
      new URL(
        '../../prisma/migrations/202612091000_settlement_recoupments_due/migration.sql',
        import.meta.url,
      ),
      'utf8',
    );
    const backfill = /-- backfill[^\n]*\n(?:--[^\n]*\n)*([\s\S]*?)-- end of backfill/.exec(
      migration,
    )![1]!;
    await environment.database.pool.query('DELETE FROM settlement_recoupments_due');
    await environment.database.pool.query(backfill);
    expect((await environment.database.pool.query(allRows)).rows).toEqual(everyPayers);
  });

  it('owes back a claim whose void waited for the batch that was paying it', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    // Another session holds settlement_batches, so the batch stops after it has locked the claim
    // and before it writes; the void then waits for the claim's lock; then both go on.
    const holder = new pg.Client({ connectionString: environment.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE settlement_batches IN EXCLUSIVE MODE');
      const settling = settlePayer(environment.database, parties.payerId);
      await waitersOnLocks(1);
      const voiding = paidClaim(parties, 'M-PAID', {
        frequencyCode: '8',
        originalClaimId: original.id,
      });
      await waitersOnLocks(2);
      await holder.query('COMMIT');
      const [paying] = await settling;
      expect(paying!.claims).toEqual([{ claimId: original.id, amount: '92.00' }]);
      expect((await voiding).status).toBe('voided');
    } finally {
      await holder.end();
    }
    expect(await recoupmentsOwedTo(parties.payerId)).toEqual([
      expect.objectContaining({ claim_id: original.id, amount: '92.00' }),
    ]);
    const [recouping] = await settlePayer(environment.database, parties.payerId);
    expect(recouping!.adjustments).toEqual([{ claimId: original.id, amount: '-92.00' }]);
  });

  it('does not recoup a claim voided before it was ever settled', async () => {
    const parties = await createParties(environment);
    const original = await paidClaim(parties);
    await paidClaim(parties, 'M-PAID', { frequencyCode: '8', originalClaimId: original.id });
    expect(await settlePayer(environment.database, parties.payerId)).toEqual([]);
  });
});

describe('the settlement worker', () => {
  it('settles every payer in one run', async () => {
    const first = await createParties(environment);
    const second = await createParties(environment);
    await paidClaim(first);
    await paidClaim(second);
    const result = await execSettlementJob({
      config: environment.config,
      database: environment.database,
      logger: createLogger('silent'),
    });
    expect(result.failed).toBe(0);
    expect(await batchCount(first.payerId)).toBe(1);
    expect(await batchCount(second.payerId)).toBe(1);
  });

  it('settles a payer with a cadence of its own only when its interval has passed', async () => {
    const weekly = await createParties(environment);
    const schedule = await request(app)
      .put('/v1/settlement/schedule')
      .set(bearer(weekly.payerFinance))
      .send({ intervalMinutes: 10_080 });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(200);
    expect(schedule.body).toMatchObject({ intervalMinutes: 10_080, lastRunAt: null });
    const tick = () =>
      settleAllPayers(environment.database, (_payerId, error) => {
        throw error;
      });

    await paidClaim(weekly);
    await tick(); // never ran: due at once
    expect(await batchCount(weekly.payerId)).toBe(1);
    const afterRun = await request(app)
      .get('/v1/settlement/schedule')
      .set(bearer(weekly.payerFinance));
    const lastRunAt = Date.parse(afterRun.body.lastRunAt as string);
    expect(Date.parse(afterRun.body.nextRunDueAt as string) - lastRunAt).toBe(10_080 * 60_000);

    await paidClaim(weekly);
    await tick(); // a week has not passed: the claim waits
    expect(await batchCount(weekly.payerId)).toBe(1);
    // A week and a minute later (the last run moved back by hand), the next tick settles it.
    await environment.database.pool.query(
      `UPDATE payer_settlement_schedules SET last_run_at = now() - interval '7 days 1 minute'
        WHERE payer_org_id = $1`,
      [weekly.payerId],
    );
    await tick();
    expect(await batchCount(weekly.payerId)).toBe(2);
  });

  it('takes a schedule from payer finance only, with a valid interval', async () => {
    const parties = await createParties(environment);
    const put = (key: string, body: unknown) =>
      request(app)
        .put('/v1/settlement/schedule')
        .set(bearer(key))
        .send(body as object);
    expectProblem(await put(parties.providerFinance, { intervalMinutes: 60 }), 403);
    expectProblem(await put(parties.payerAdjudicator, { intervalMinutes: 60 }), 403);
    for (const bad of [
      { intervalMinutes: 0 },
      { intervalMinutes: 1.5 },
      { intervalMinutes: '60' },
      {},
    ]) {
      expectProblem(await put(parties.payerFinance, bad), 422);
    }
    const every = await put(parties.payerAdmin, { intervalMinutes: null });
    expect(every.body).toMatchObject({ intervalMinutes: null, nextRunDueAt: null });
    const { rows } = await environment.database.pool.query<{ count: string }>(
      `SELECT count(*) FROM ledger_events WHERE type = 'SettlementScheduleSet' AND aggregate_id = $1`,
      [`settlement-schedule:${parties.payerId}`],
    );
    expect(rows[0]!.count).toBe('1');
  });
});

describe('the API', () => {
  let parties: Parties;
  let batchIds: string[];

  beforeAll(async () => {
    parties = await createParties(environment);
    batchIds = [];
    for (let i = 0; i < 3; i += 1) {
      await paidClaim(parties);
      const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
      expect(run.status, JSON.stringify(run.body)).toBe(200);
      expect(run.body.batches).toHaveLength(1);
      batchIds.push(run.body.batches[0].id as string);
    }
  });

  it('lets payer finance and admin run settlement, and no one else', async () => {
    const admin = await request(app).post('/v1/settlement/run').set(bearer(parties.payerAdmin));
    expect(admin.status).toBe(200);
    expect(admin.body.batches).toEqual([]);
    expectProblem(
      await request(app).post('/v1/settlement/run').set(bearer(parties.payerAdjudicator)),
      403,
    );
    expectProblem(await request(app).post('/v1/settlement/run').set(bearer(parties.biller)), 403);
    expectProblem(
      await request(app).post('/v1/settlement/run').set(bearer(parties.providerFinance)),
      403,
    );
  });

  it('shows each party its own batches only', async () => {
    const list = await request(app).get('/v1/settlement/batches').set(bearer(parties.payerFinance));
    expect(list.status).toBe(200);
    expect(new Set(list.body.batches.map((batch: { id: string }) => batch.id))).toEqual(
      new Set(batchIds),
    );
    expect(list.body.nextCursor).toBeNull();
    // A page at a time, newest first, each batch once.
    const firstPage = await request(app)
      .get(`/v1/settlement/batches?limit=${batchIds.length - 1}`)
      .set(bearer(parties.payerFinance));
    const secondPage = await request(app)
      .get(
        `/v1/settlement/batches?limit=${batchIds.length - 1}&cursor=${firstPage.body.nextCursor}`,
      )
      .set(bearer(parties.payerFinance));
    expect(
      [...firstPage.body.batches, ...secondPage.body.batches].map(
        (batch: { id: string }) => batch.id,
      ),
    ).toEqual(list.body.batches.map((batch: { id: string }) => batch.id));
    expect(secondPage.body.nextCursor).toBeNull();
    const confirmed = await request(app)
      .get('/v1/settlement/batches?status=confirmed')
      .set(bearer(parties.payerFinance));
    expect(confirmed.body.batches).toEqual([]);
    expectProblem(
      await request(app)
        .get('/v1/settlement/batches?status=paid')
        .set(bearer(parties.payerFinance)),
      422,
    );
    const asProvider = await request(app)
      .get(`/v1/settlement/batches/${batchIds[0]}`)
      .set(bearer(parties.providerFinance));
    expect(asProvider.status).toBe(200);
    expect(asProvider.body).toMatchObject({ id: batchIds[0], amount: '92.00', claimCount: 1 });
    expect(asProvider.body.claims).toHaveLength(1);

    const stranger = await createParties(environment);
    const theirs = await request(app)
      .get('/v1/settlement/batches')
      .set(bearer(stranger.payerFinance));
    expect(theirs.body.batches).toEqual([]);
    expectProblem(
      await request(app)
        .get(`/v1/settlement/batches/${batchIds[0]}`)
        .set(bearer(stranger.payerFinance)),
      404,
    );
    expectProblem(
      await request(app)
        .get(`/v1/settlement/batches/${batchIds[0]}`)
        .set(bearer(stranger.providerFinance)),
      404,
    );
    expectProblem(
      await request(app).get('/v1/settlement/batches').set(bearer(parties.biller)),
      403,
    );
  });

  const confirm = (key: string, id: string, body: object) =>
    request(app).post(`/v1/settlement/batches/${id}/confirmation`).set(bearer(key)).send(body);

  it('confirms a payment of the batch amount, once', async () => {
    const body = {
      traceNumber: `TRN-${parties.payerId.slice(0, 8)}-1`,
      amount: '92.00',
      paidDate: '2026-11-20',
    };
    expectProblem(await confirm(parties.providerFinance, batchIds[0]!, body), 403);
    expectProblem(await confirm(parties.payerAdmin, batchIds[0]!, body), 403);
    expectProblem(await confirm(parties.payerFinance, batchIds[0]!, { ...body, amount: 92 }), 422);

    const confirmed = await confirm(parties.payerFinance, batchIds[0]!, body);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body).toMatchObject({
      outcome: 'confirmed',
      batch: {
        status: 'confirmed',
        traceNumber: body.traceNumber,
        confirmedAmount: '92.00',
        confirmedDate: '2026-11-20',
      },
    });
    expect(await balance(parties, 'settled_payments')).toBe('-92.00');
    expect(await balance(parties, 'payments_in_transit')).toBe('-184.00');
    // The provider's books mirror it: cash in, and the rest still in transit.
    expect(await balance(parties, 'settled_payments', 'provider')).toBe('92.00');
    expect(await balance(parties, 'payments_in_transit', 'provider')).toBe('184.00');
    expectProblem(
      await confirm(parties.payerFinance, batchIds[0]!, { ...body, traceNumber: 'TRN-OTHER-1' }),
      409,
    );
  });

  it('marks a payment of another amount an exception, with both amounts on the ledger', async () => {
    const body = {
      traceNumber: `TRN-${parties.payerId.slice(0, 8)}-2`,
      amount: '90.00',
      paidDate: '2026-11-20',
    };
    const answer = await confirm(parties.payerFinance, batchIds[1]!, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      outcome: 'exception',
      batch: { status: 'exception', amount: '92.00', confirmedAmount: '90.00' },
    });
    const { rows } = await environment.database.pool.query<{ payload: object }>(
      "SELECT payload FROM ledger_events WHERE type = 'SettlementException' AND aggregate_id = $1",
      [batchIds[1]],
    );
    expect(rows[0]!.payload).toMatchObject({ batchAmount: '92.00', confirmedAmount: '90.00' });
    // Nothing moved to settled payments.
    expect(await balance(parties, 'settled_payments')).toBe('-92.00');
    expectProblem(
      await confirm(parties.payerFinance, batchIds[1]!, { ...body, amount: '92.00' }),
      409,
    );
  });

  it('reopens a batch in exception, which then takes a matching confirmation', async () => {
    const reopen = (key: string, id: string, body: object) =>
      request(app).post(`/v1/settlement/batches/${id}/reopen`).set(bearer(key)).send(body);
    expectProblem(
      await reopen(parties.providerFinance, batchIds[1]!, { reason: 'payment_returned' }),
      403,
    );
    expectProblem(await reopen(parties.payerFinance, batchIds[1]!, { reason: 'because' }), 422);
    // A confirmed batch has nothing to resolve.
    expectProblem(
      await reopen(parties.payerFinance, batchIds[0]!, { reason: 'payment_returned' }),
      409,
    );

    const reopened = await reopen(parties.payerFinance, batchIds[1]!, {
      reason: 'payment_returned',
    });
    expect(reopened.status, JSON.stringify(reopened.body)).toBe(200);
    expect(reopened.body).toMatchObject({
      status: 'issued',
      traceNumber: null,
      confirmedAmount: null,
      confirmedDate: null,
    });
    const { rows } = await environment.database.pool.query<{ payload: object }>(
      "SELECT payload FROM ledger_events WHERE type = 'SettlementBatchReopened' AND aggregate_id = $1",
      [batchIds[1]],
    );
    expect(rows[0]!.payload).toMatchObject({
      reason: 'payment_returned',
      exceptionAmount: '90.00',
    });
    expectProblem(
      await reopen(parties.payerFinance, batchIds[1]!, { reason: 'payment_returned' }),
      409,
    );

    // The same trace number, now that the wrong confirmation is undone, with the right amount.
    const confirmed = await confirm(parties.payerFinance, batchIds[1]!, {
      traceNumber: `TRN-${parties.payerId.slice(0, 8)}-2`,
      amount: '92.00',
      paidDate: '2026-11-22',
    });
    expect(confirmed.body).toMatchObject({ outcome: 'confirmed', batch: { status: 'confirmed' } });
    expect(await balance(parties, 'settled_payments')).toBe('-184.00');
  });

  it('refuses a trace number another batch already used', async () => {
    const used = `TRN-${parties.payerId.slice(0, 8)}-1`;
    const answer = await confirm(parties.payerFinance, batchIds[2]!, {
      traceNumber: used,
      amount: '92.00',
      paidDate: '2026-11-21',
    });
    expectProblem(answer, 409);
    const batch = await request(app)
      .get(`/v1/settlement/batches/${batchIds[2]}`)
      .set(bearer(parties.payerFinance));
    expect(batch.body.status).toBe('issued');
  });
});

describe('the journal after settlement', () => {
  it('still has every entry summing to zero and balances equal to their postings', async () => {
    const pool = environment.database.pool;
    const unbalanced = await pool.query(
      'SELECT entry_id FROM journal_postings GROUP BY entry_id HAVING sum(amount) <> 0',
    );
    expect(unbalanced.rows).toEqual([]);
    const { rows } = await pool.query<{ mismatched: string; entries: string }>(
      `SELECT (SELECT count(*) FROM accounts a WHERE a.balance_amount <> coalesce(
                 (SELECT sum(amount) FROM journal_postings p WHERE p.account_id = a.id), 0))
                AS mismatched,
              (SELECT count(*) FROM journal_entries WHERE kind LIKE 'settlement%') AS entries`,
    );
    expect(rows[0]!.mismatched).toBe('0');
    expect(Number(rows[0]!.entries)).toBeGreaterThan(5);
  });
});

describe('a settlement run killed mid-way', () => {
  it('and run again pays every claim once and loses none', async () => {
    const parties = await createParties(environment);
    const providers = [parties.providerId];
    for (let index = 0; index < 5; index++) {
      const other = await createActor(environment, 'provider', 'provider_biller');
      providers.push(other.organization.id);
    }
    const claimIds: string[] = [];
    for (const providerId of providers) {
      const biller = (
        await issueApiKey(environment.database, { orgId: providerId, role: 'provider_biller' })
      ).key;
      for (let index = 0; index < 4; index++) {
        claimIds.push((await paidClaim({ ...parties, biller })).id);
      }
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/settle-child.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: environment.databaseUrl,
        PAYER_ID: parties.payerId,
        PROVIDER_IDS: providers.join(','),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // SIGKILL (no cleanup) right after its first batch, while it builds the next one.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('settled')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(await batchCount(parties.payerId)).toBeLessThan(providers.length);

    await settlePayer(environment.database, parties.payerId);
    await settlePayer(environment.database, parties.payerId);
    const { rows } = await environment.database.pool.query<{
      claims: string;
      batches: string;
      pairs: string;
      mismatched: string;
    }>(
      `SELECT (SELECT count(*) FROM settlement_batch_claims WHERE claim_id = ANY($1::uuid[])) AS claims,
              (SELECT count(*) FROM settlement_batches WHERE payer_org_id = $2) AS batches,
              (SELECT count(DISTINCT provider_org_id) FROM settlement_batches WHERE payer_org_id = $2) AS pairs,
              (SELECT count(*) FROM settlement_batches b WHERE b.payer_org_id = $2 AND b.amount <>
                 (SELECT sum(amount) FROM settlement_batch_claims WHERE batch_id = b.id)) AS mismatched`,
      [claimIds, parties.payerId],
    );
    // Every claim in exactly one batch (claim_id is unique), one batch per provider, and
    // every batch's amount the sum of its claims: no duplicate payment, no lost claim.
    expect(rows[0]).toEqual({
      claims: String(claimIds.length),
      batches: String(providers.length),
      pairs: String(providers.length),
      mismatched: '0',
    });
  });
});
