// The money property, on real PostgreSQL: after any random sequence of submissions,
// adjudications, voids, replacements, settlements and confirmations (right amount or not),
//  - every journal entry sums to zero;
//  - every balance equals its recomputation (reconciliation finds nothing but the
//    confirmations made for a wrong amount) and the balances a plain model expects;
//  - each settlement batch pays what the model expects, and the money paid to each provider
//    equals adjudicated paid minus recouped (plus what the provider owes, carried forward);
//  - each batch's 835, read back by node-x12, balances and pays the batch amount.
// Each run gets its own payer and two providers, so runs share the database but not books.
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { getRun, runReconciliation } from '../../src/domain/reconciliation/service.js';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, type Parties } from '../support/settlement.js';
import { parse835, remittanceProblems } from '../support/x12.js';

const RUNS = 60;
const SEED = 20261125;

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
});

afterAll(async () => {
  await environment.close();
});

type Command =
  | { kind: 'submit'; provider: 0 | 1; denied: boolean; chargeDollars: number }
  | { kind: 'void' | 'replace'; pick: number; chargeDollars: number }
  | { kind: 'settle'; linesMax: number }
  | { kind: 'confirm'; pick: number; exact: boolean };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      provider: fc.constantFrom(0 as const, 1 as const),
      denied: fc.constantFrom(false, false, false, true),
      chargeDollars: fc.integer({ min: 30, max: 160 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('void' as const, 'replace' as const),
      pick: fc.nat(),
      chargeDollars: fc.integer({ min: 30, max: 160 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      // Mostly one batch a provider; sometimes batches of a few lines, as a large provider's.
      linesMax: fc.constantFrom(10_000, 10_000, 1, 2, 3),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('confirm' as const),
      pick: fc.nat(),
      exact: fc.boolean(),
    }),
  },
);

interface ModelClaim {
  id: string;
  provider: number;
  /** The paid amount of its decision (0 for a denial). */
  paid: Decimal;
  batched: boolean;
  reversed: boolean;
  recouped: boolean;
}

interface ModelBatch {
  id: string;
  provider: number;
  amount: Decimal;
  status: 'issued' | 'confirmed' | 'exception';
}

/** One run's world: the system under test through its API and services, and the model. */
class World {
  readonly claims: ModelClaim[] = [];
  readonly batches: ModelBatch[] = [];
  /** What each provider owes, carried forward by batches whose recoupments exceeded payments. */
  readonly owed: Decimal[];
  private serviceDay = 0;

  constructor(
    readonly parties: Parties,
    readonly providers: { id: string; biller: string }[],
  ) {
    this.owed = providers.map(() => new Decimal(0));
  }

  async run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'submit':
        await this.submit(command.provider, command.denied, command.chargeDollars);
        return;
      case 'void':
      case 'replace':
        return this.reverse(command.kind, command.pick, command.chargeDollars);
      case 'settle':
        return this.settle(command.linesMax);
      case 'confirm':
        return this.confirm(command.pick, command.exact);
    }
  }

  private async submit(
    provider: number,
    denied: boolean,
    chargeDollars: number,
    extra: Record<string, unknown> = {},
  ): Promise<ModelClaim> {
    const claim = validClaim(this.parties.payerId);
    // Each claim its own service date, so that none is denied as a duplicate (CO-18).
    this.serviceDay += 1;
    const serviceDate = new Date(Date.UTC(2026, 0, this.serviceDay)).toISOString().slice(0, 10);
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(this.providers[provider]!.biller))
      .send({
        ...claim,
        member: { ...claim.member, memberId: denied ? 'M-UNKNOWN' : 'M-PAID' },
        serviceLines: [
          { procedureCode: '99213', units: 1, chargeAmount: `${chargeDollars}.00`, serviceDate },
          { procedureCode: '80053', units: 1, chargeAmount: '48.50', serviceDate },
        ],
        ...extra,
      });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const id = response.body.id as string;
    const outcome = await adjudicateClaim(environment.database, id);
    expect(outcome.status).toMatch(/^(paid|partially_paid|denied|voided)$/);
    const modelClaim: ModelClaim = {
      id,
      provider,
      paid: new Decimal(outcome.status === 'voided' ? 0 : await paidAmountOf(id)),
      batched: outcome.status === 'voided',
      reversed: outcome.status === 'voided',
      recouped: false,
    };
    if (outcome.status !== 'voided') this.claims.push(modelClaim);
    return modelClaim;
  }

  private async reverse(kind: 'void' | 'replace', pick: number, chargeDollars: number) {
    const open = this.claims.filter((claim) => !claim.reversed);
    if (open.length === 0) return;
    const original = open[pick % open.length]!;
    await this.submit(original.provider, false, chargeDollars, {
      frequencyCode: kind === 'void' ? '8' : '7',
      originalClaimId: original.id,
    });
    original.reversed = true;
  }

  /**
   * Settles with at most `linesMax` lines a batch: the model splits each provider's lines as
   * settlement does, recoupments first, each kind in claim id order (PostgreSQL orders uuids
   * as their lower-case text), and carries what the provider owes from batch to batch.
   */
  private async settle(linesMax: number): Promise<void> {
    const byId = (a: ModelClaim, b: ModelClaim) => (a.id < b.id ? -1 : 1);
    const expected = this.providers.map((_, provider) => {
      const payable = this.claims
        .filter((claim) => claim.provider === provider && !claim.batched && !claim.reversed)
        .sort(byId);
      const recoupments = this.claims
        .filter(
          (claim) =>
            claim.provider === provider &&
            claim.batched &&
            claim.reversed &&
            !claim.recouped &&
            claim.paid.gt(0),
        )
        .sort(byId);
      const chunks = [];
      let owed = this.owed[provider]!;
      for (;;) {
        const chunkRecoupments = recoupments.splice(0, linesMax);
        const chunkPayable = payable.splice(0, linesMax - chunkRecoupments.length);
        if (chunkRecoupments.length + chunkPayable.length === 0) break;
        const net = sum(chunkPayable.map((claim) => claim.paid)).minus(
          sum(chunkRecoupments.map((claim) => claim.paid)),
        );
        const total = net.minus(owed);
        const owedAfter = total.isNegative() ? total.negated() : new Decimal(0);
        chunks.push({
          payable: chunkPayable,
          recoupments: chunkRecoupments,
          amount: Decimal.max(total, 0),
          balanceForward: owedAfter.minus(owed),
        });
        owed = owedAfter;
        if (chunkRecoupments.length + chunkPayable.length < linesMax) break;
      }
      return { chunks, owedAfter: owed };
    });
    const batches = await settlePayer(environment.database, this.parties.payerId, linesMax);
    for (const [provider, expectation] of expected.entries()) {
      const made = batches.filter((batch) => batch.providerId === this.providers[provider]!.id);
      expect(made).toHaveLength(expectation.chunks.length);
      for (const [index, chunk] of expectation.chunks.entries()) {
        const batch = made[index]!;
        expect(batch.amount).toBe(chunk.amount.toFixed(2));
        expect(batch.balanceForwardAmount).toBe(chunk.balanceForward.toFixed(2));
        expect(batch.claims.map((line) => line.claimId)).toEqual(
          chunk.payable.map((claim) => claim.id),
        );
        expect(batch.adjustments.map((line) => line.claimId)).toEqual(
          chunk.recoupments.map((claim) => claim.id),
        );
        for (const claim of chunk.payable) claim.batched = true;
        for (const claim of chunk.recoupments) claim.recouped = true;
        this.batches.push({ id: batch.id, provider, amount: chunk.amount, status: 'issued' });
      }
      this.owed[provider] = expectation.owedAfter;
    }
    expect(batches).toHaveLength(expected.reduce((count, e) => count + e.chunks.length, 0));
  }

  private async confirm(pick: number, exact: boolean): Promise<void> {
    const issued = this.batches.filter((batch) => batch.status === 'issued');
    if (issued.length === 0) return;
    const batch = issued[pick % issued.length]!;
    const amount = exact ? batch.amount : batch.amount.plus('0.01');
    const response = await request(app)
      .post(`/v1/settlement/batches/${batch.id}/confirmation`)
      .set(bearer(this.parties.payerFinance))
      .send({
        traceNumber: `TRN-${batch.id}`,
        amount: amount.toFixed(2),
        paidDate: '2026-11-20',
      });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    batch.status = exact ? 'confirmed' : 'exception';
    expect(response.body.outcome).toBe(batch.status);
  }
}

const sum = (amounts: Decimal[]) =>
  amounts.reduce((total, amount) => total.plus(amount), new Decimal(0));

async function paidAmountOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ paid: string }>(
    `SELECT paid_amount::text AS paid FROM claim_decisions WHERE claim_id = $1
      ORDER BY decided_at DESC LIMIT 1`,
    [claimId],
  );
  return rows[0]!.paid;
}

/** Every balance on the books between the payer and one provider, by owner side. */
async function balancesBetween(payerId: string, providerId: string) {
  const { rows } = await environment.database.pool.query<{
    side: string;
    purpose: string;
    balance: string;
  }>(
    `SELECT CASE WHEN owner_org_id = $1 THEN 'payer' ELSE 'provider' END AS side, purpose,
            balance_amount::text AS balance
       FROM accounts
      WHERE (owner_org_id = $1 AND counterparty_org_id = $2)
         OR (owner_org_id = $2 AND counterparty_org_id = $1)`,
    [payerId, providerId],
  );
  const balance = (side: string, purpose: string) =>
    new Decimal(rows.find((row) => row.side === side && row.purpose === purpose)?.balance ?? 0);
  return balance;
}

async function checkInvariants(world: World): Promise<void> {
  const unbalanced = await environment.database.pool.query(
    `SELECT entry_id FROM journal_postings GROUP BY entry_id HAVING sum(amount) <> 0`,
  );
  expect(unbalanced.rows).toEqual([]);

  // Three events a page: the replay must page through the ledger in seq order.
  const run = await runReconciliation(environment.database, {
    trigger: 'request',
    eventsPerPage: 3,
  });
  const seen = await getRun(
    environment.database,
    { keyId: 'property', orgId: world.parties.payerId, orgKind: 'payer', role: 'finance' },
    run.id,
  );
  const exceptionBatches = world.batches.filter((batch) => batch.status === 'exception');
  expect(seen.exceptions.map((found) => [found.check, found.subjectId]).sort()).toEqual(
    exceptionBatches.map((batch) => ['confirmation_amount_mismatch', batch.id]).sort(),
  );

  for (const [provider, { id: providerId }] of world.providers.entries()) {
    const claims = world.claims.filter((claim) => claim.provider === provider);
    const batches = world.batches.filter((batch) => batch.provider === provider);
    const adjudicatedPaid = sum(claims.map((claim) => claim.paid));
    const recouped = sum(claims.filter((claim) => claim.reversed).map((claim) => claim.paid));
    // Still to be settled: decided claims in no batch, less recoupments not yet netted.
    const waiting = sum(
      claims.filter((claim) => !claim.batched && !claim.reversed).map((claim) => claim.paid),
    ).minus(
      sum(
        claims
          .filter((claim) => claim.batched && claim.reversed && !claim.recouped)
          .map((claim) => claim.paid),
      ),
    );
    const { rows } = await environment.database.pool.query<{ total: string }>(
      `SELECT coalesce(sum(amount), 0)::text AS total FROM settlement_batches
        WHERE payer_org_id = $1 AND provider_org_id = $2`,
      [world.parties.payerId, providerId],
    );
    const paidToProvider = new Decimal(rows[0]!.total);
    expect(paidToProvider.toFixed(2)).toBe(
      adjudicatedPaid.minus(recouped).minus(waiting).plus(world.owed[provider]!).toFixed(2),
    );
    expect(paidToProvider.toFixed(2)).toBe(sum(batches.map((batch) => batch.amount)).toFixed(2));

    for (const batch of batches) {
      const remittance = await request(app)
        .get(`/v1/settlement/batches/${batch.id}/835`)
        .set(bearer(world.parties.payerFinance));
      expect(remittance.status, remittance.text).toBe(200);
      const parsed = parse835(remittance.text);
      expect(remittanceProblems(parsed)).toEqual([]);
      expect(new Decimal(parsed.bpr[2]!).toFixed(2)).toBe(batch.amount.toFixed(2));
    }

    const balance = await balancesBetween(world.parties.payerId, providerId);
    const confirmed = sum(
      batches.filter((batch) => batch.status === 'confirmed').map((b) => b.amount),
    );
    const inTransit = paidToProvider.minus(confirmed);
    const owed = adjudicatedPaid.minus(recouped);
    expect(balance('payer', 'claims_expense').toFixed(2)).toBe(owed.toFixed(2));
    expect(balance('payer', 'payable_to_provider').toFixed(2)).toBe(
      paidToProvider.minus(owed).toFixed(2),
    );
    expect(balance('payer', 'payments_in_transit').toFixed(2)).toBe(inTransit.negated().toFixed(2));
    expect(balance('payer', 'settled_payments').toFixed(2)).toBe(confirmed.negated().toFixed(2));
    expect(balance('provider', 'receivable_from_payer').toFixed(2)).toBe(
      owed.minus(paidToProvider).toFixed(2),
    );
    expect(balance('provider', 'payments_in_transit').toFixed(2)).toBe(inTransit.toFixed(2));
    expect(balance('provider', 'settled_payments').toFixed(2)).toBe(confirmed.toFixed(2));
  }
}

describe('money after any sequence of claims, voids, settlements and confirmations', () => {
  it('balances to the cent: entries, balances, batches and payments to each provider', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArbitrary, { minLength: 1, maxLength: 18 }),
        async (commands) => {
          const parties = await createParties(environment);
          const second = await createActor(environment, 'provider', 'provider_biller');
          const world = new World(parties, [
            { id: parties.providerId, biller: parties.biller },
            { id: second.organization.id, biller: second.key },
          ]);
          for (const command of commands) await world.run(command);
          await world.run({ kind: 'settle', linesMax: 10_000 });
          await checkInvariants(world);
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 180_000);
});
