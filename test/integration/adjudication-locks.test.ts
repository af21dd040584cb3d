// Lock order of batched adjudication on real PostgreSQL: a batch appends all its ledger events
// last, so it never waits for a row while holding the ledger's lock. A batch that decided a claim
// and then met a replacement used to append the first decision's event before reversing the
// original; if another transaction (settlement, say) held the original claim's row and appended
// in turn, each waited for the other and PostgreSQL ended one of them with "deadlock detected".
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateBatch } from '../../src/domain/adjudication/batch.js';
import { appendEvents } from '../../src/ledger/append.js';
import { bearer } from '../support/api.js';
import {
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { syntheticEvent } from '../support/ledger.js';
import { createParties, paidClaim, type Parties } from '../support/settlement.js';
import { waitFor } from '../support/wait.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
});

afterAll(async () => {
  await environment.close();
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const response = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

/** A claim of M-PAID on its own service date. */
function claimOn(serviceDate: string, extra: Record<string, unknown> = {}) {
  const claim = validClaim(parties.payerId);
  return {
    ...claim,
    member: { ...claim.member, memberId: 'M-PAID' },
    serviceLines: [{ procedureCode: '99213', units: 1, chargeAmount: '125.00', serviceDate }],
    ...extra,
  };
}

describe('a batch with a replacement', () => {
  it('holds no ledger lock while it waits for the original claim, so the holder of that claim appends and commits', async () => {
    const original = await paidClaim(environment, app, parties);
    expect(original.status).toBe('paid');
    const first = await submit(claimOn('2026-06-01'));
    const replacement = await submit(
      claimOn('2026-06-02', { frequencyCode: '7', originalClaimId: original.id }),
    );

    // The holder takes the original's row, as settling it would, before the batch reaches it.
    const holder = await environment.database.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM claims WHERE id = $1 FOR UPDATE', [original.id]);
      const batch = adjudicateBatch(environment.database, { claimsMax: 10 });
      const waiting = await waitFor(
        async () =>
          (
            await environment.database.pool.query<{ query: string }>(
              `SELECT query FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows,
        (rows) => rows.length > 0,
      );
      // The batch decided the first claim and now waits for the original's row.
      expect(waiting.map((row) => row.query)).toEqual([
        expect.stringContaining('FROM claims WHERE id = $1 FOR UPDATE'),
      ]);
      // The holder appends, as settlement does last; it would wait for a ledger lock the batch
      // held, and the batch for it.
      await appendEvents(holder, [syntheticEvent(1, parties.payerId)]);
      await holder.query('COMMIT');
      const result = await batch;
      expect(result.outcomes.map(({ claimId }) => claimId)).toEqual([first, replacement]);
      expect(result.outcomes.map(({ outcome }) => outcome.status)).toEqual(['paid', 'paid']);
    } finally {
      holder.release();
    }

    // The batch's events follow the holder's, in the order the batch made them.
    const { rows } = await environment.database.pool.query<{ type: string; aggregate_id: string }>(
      `SELECT type, aggregate_id FROM ledger_events
        WHERE seq > (SELECT seq FROM ledger_events WHERE type = 'TestEvent') ORDER BY seq`,
    );
    expect(rows).toEqual([
      { type: 'ClaimAdjudicated', aggregate_id: first },
      { type: 'ClaimReversed', aggregate_id: original.id },
      { type: 'ClaimAdjudicated', aggregate_id: replacement },
    ]);
  });
});
