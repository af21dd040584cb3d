// Adjudication of stored claims on real PostgreSQL and Redis: decisions, accumulators under
// concurrency, pending and manual review, the worker's sweep, and the lock order of a batch.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADJUDICATION_ATTEMPTS_MAX,
  type RecordedFailure,
} from '../../src/domain/adjudication/failures.js';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { adjudicateBatch, NOT_DENIED_LINES_SQL } from '../../src/domain/adjudication/batch.js';
import { adjudicateSubmitted } from '../../src/domain/adjudication/sweep.js';
import {
  CLAIM_LINES_SQL,
  PAID_CLAIM_LINES_SQL,
  SUBMITTED_CLAIMS_PICK,
} from '../../src/domain/claims/deciding.js';
import { issueApiKey } from '../../src/domain/organizations.js';
import { appendEvents } from '../../src/ledger/append.js';
import { sealPending } from '../../src/ledger/seal.js';
import { createLogger } from '../../src/infra/logger.js';
import { openRedis } from '../../src/infra/redis.js';
import { startWorkers } from '../../workers/index.js';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import {
  insertFeeScheduleEntry,
  insertMember,
  insertPayerRules,
  insertPlan,
} from '../support/payer.js';
import { syntheticEvent } from '../support/ledger.js';
import { nodesOf, planOf } from '../support/plans.js';
import { createParties, paidClaim, type Parties } from '../support/settlement.js';
import { waitFor } from '../support/wait.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let provider: Actor;
let payer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment({ ADJUDICATION_INTERVAL_MS: '100' });
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  await insertFeeScheduleEntry(environment, payer.organization.id, '99213', '100.00', {
    copayApplies: true,
  });
  await insertFeeScheduleEntry(environment, payer.organization.id, '80053', '40.00');
  await insertPayerRules(environment, payer.organization.id, '5000.00');
});

afterAll(async () => {
  await environment.close();
});

/** One claim for a member: an office visit (99213) and a panel (80053) on one date. */
function claimFor(memberId: string, serviceDate: string, visitCharge = '125.00') {
  const claim = validClaim(payer.organization.id);
  return {
    ...claim,
    member: { ...claim.member, memberId },
    serviceLines: [
      { procedureCode: '99213', units: 1, chargeAmount: visitCharge, serviceDate },
      { procedureCode: '80053', units: 1, chargeAmount: '48.50', serviceDate },
    ],
  };
}

async function submit(body: object): Promise<string> {
  const response = await request(app).post('/v1/claims').set(bearer(provider.key)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

async function accumulatorsOf(memberRowId: string) {
  const { rows } = await environment.database.pool.query<{ deductible: string; oop: string }>(
    `SELECT deductible_met_amount::text AS deductible, out_of_pocket_met_amount::text AS oop
       FROM accumulators WHERE member_id = $1`,
    [memberRowId],
  );
  return rows[0];
}

describe('automatic adjudication of a stored claim', () => {
  it('decides line by line with 835 codes, and moves the accumulators', async () => {
    const planId = await insertPlan(environment, payer.organization.id, {
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '2000.00',
      copayAmount: '25.00',
      coinsurancePercent: '20',
    });
    const memberRow = await insertMember(environment, payer.organization.id, 'M-WORKED-1', planId);
    const claimId = await submit(claimFor('M-WORKED-1', '2026-11-02'));
    const outcome = await adjudicateClaim(environment.database, claimId);
    // Line 1 (99213): charge 125.00, allowed 100.00 -> CO-45 25.00; copay PR-3 25.00;
    //   deductible PR-1 min(500.00, 100.00 - 25.00) = 75.00; coinsurance on 0.00 = 0; paid 0.00.
    // Line 2 (80053): charge 48.50, allowed 40.00 -> CO-45 8.50; deductible PR-1 min(425.00,
    //   40.00) = 40.00; paid 0.00. Deductible met 115.00, out of pocket met 140.00.
    expect(outcome.status).toBe('paid');
    const { rows } = await environment.database.pool.query<{ result: { lines: unknown[] } }>(
      'SELECT result FROM claim_decisions WHERE claim_id = $1',
      [claimId],
    );
    expect(rows[0]!.result.lines).toMatchObject([
      {
        lineNumber: 1,
        allowedAmount: '100.00',
        paidAmount: '0.00',
        adjustments: [
          { group: 'CO', reasonCode: '45', amount: '25.00' },
          { group: 'PR', reasonCode: '3', amount: '25.00' },
          { group: 'PR', reasonCode: '1', amount: '75.00' },
        ],
      },
      {
        lineNumber: 2,
        allowedAmount: '40.00',
        paidAmount: '0.00',
        adjustments: [
          { group: 'CO', reasonCode: '45', amount: '8.50' },
          { group: 'PR', reasonCode: '1', amount: '40.00' },
        ],
      },
    ]);
    expect(await accumulatorsOf(memberRow)).toEqual({ deductible: '115.00', oop: '140.00' });
    const claim = await request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key));
    expect(claim.body.status).toBe('paid');
    expect(claim.body.decision).toMatchObject({
      status: 'paid',
      decidedBy: 'auto',
      totals: { chargeAmount: '173.50', paidAmount: '0.00', patientResponsibilityAmount: '140.00' },
    });
    expect(
      claim.body.decision.lines.map((line: { adjustmentsText: string }) => line.adjustmentsText),
    ).toEqual(['CO-45 25.00, PR-3 25.00, PR-1 75.00', 'CO-45 8.50, PR-1 40.00']);
    expect(claim.body.events.map((event: { type: string }) => event.type)).toEqual([
      'ClaimSubmitted',
      'ClaimAdjudicated',
    ]);
    // Deciding again is a no-op: the claim is no longer waiting.
    expect(await adjudicateClaim(environment.database, claimId)).toEqual({ status: 'skipped' });
  });

  it('denies every line CO-31 when the member is not enrolled', async () => {
    const claimId = await submit(claimFor('NOBODY-1', '2026-11-02'));
    expect(await adjudicateClaim(environment.database, claimId)).toMatchObject({
      status: 'denied',
    });
  });

  it('denies every line CO-31 when the member is enrolled without any coverage', async () => {
    await insertMember(environment, payer.organization.id, 'M-NO-COVERAGE', null);
    const claimId = await submit(claimFor('M-NO-COVERAGE', '2026-11-02'));
    expect(await adjudicateClaim(environment.database, claimId)).toMatchObject({
      status: 'denied',
    });
    const claim = await request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key));
    const lines = claim.body.decision.lines as {
      adjustments: { group: string; reasonCode: string }[];
    }[];
    expect(lines.map((line) => line.adjustments.map((a) => `${a.group}-${a.reasonCode}`))).toEqual([
      ['CO-31'],
      ['CO-31'],
    ]);
  });

  it('200 concurrent claims of one member leave the accumulators of a sequential replay', async () => {
    // Amounts with no half cents, so the totals do not depend on which claim came first:
    // per claim the patient owes copay 25.00 + the deductible it takes + 20 % of the rest.
    const plan = {
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '100000.00',
      copayAmount: '25.00',
      coinsurancePercent: '20',
    };
    const concurrentMember = await insertMember(
      environment,
      payer.organization.id,
      'M-CONCURRENT',
      await insertPlan(environment, payer.organization.id, plan),
    );
    const sequentialMember = await insertMember(
      environment,
      payer.organization.id,
      'M-SEQUENTIAL',
      await insertPlan(environment, payer.organization.id, plan),
    );
    const dates = Array.from({ length: 200 }, (_, day) =>
      new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10),
    );
    const concurrentIds = await Promise.all(
      dates.map((date) => submit(claimFor('M-CONCURRENT', date))),
    );
    await Promise.all(concurrentIds.map((id) => adjudicateClaim(environment.database, id)));
    for (const date of dates) {
      await adjudicateClaim(environment.database, await submit(claimFor('M-SEQUENTIAL', date)));
    }
    const concurrent = await accumulatorsOf(concurrentMember);
    expect(concurrent).toEqual(await accumulatorsOf(sequentialMember));
    // By hand: allowed per claim 140.00; deductible met 500.00 in all; the patient pays
    // 200 x 25.00 copay + 500.00 deductible + 20 % of (200 x 115.00 - 500.00) = 5000 + 500 + 4500.
    expect(concurrent).toEqual({ deductible: '500.00', oop: '10000.00' });
    const { rows } = await environment.database.pool.query<{ pr: string }>(
      `SELECT sum(patient_responsibility_amount)::text AS pr FROM claim_decisions d
         JOIN claims c ON c.id = d.claim_id WHERE c.id = ANY($1::uuid[])`,
      [concurrentIds],
    );
    expect(rows[0]!.pr).toBe('10000.00');
  });
});

describe('replacements and voids', () => {
  const plan = {
    deductibleAmount: '500.00',
    outOfPocketMaxAmount: '2000.00',
    copayAmount: '25.00',
    coinsurancePercent: '20',
  };

  it('a void gives back exactly what the original took and owes back what was paid', async () => {
    const memberRow = await insertMember(
      environment,
      payer.organization.id,
      'M-VOID',
      await insertPlan(environment, payer.organization.id, { ...plan, deductibleAmount: '0.00' }),
    );
    const originalId = await submit(claimFor('M-VOID', '2026-10-01'));
    await adjudicateClaim(environment.database, originalId);
    // Line 1: allowed 100.00, copay 25.00, coinsurance 20 % of 75.00 = 15.00, paid 60.00.
    // Line 2: allowed 40.00, coinsurance 8.00, paid 32.00. Out of pocket 48.00, paid 92.00.
    expect(await accumulatorsOf(memberRow)).toEqual({ deductible: '0.00', oop: '48.00' });
    const voidId = await submit({
      ...claimFor('M-VOID', '2026-10-01'),
      frequencyCode: '8',
      originalClaimId: originalId,
    });
    expect(await adjudicateClaim(environment.database, voidId)).toEqual({
      status: 'voided',
      originalClaimId: originalId,
      recoupmentAmount: '92.00',
    });
    expect(await accumulatorsOf(memberRow)).toEqual({ deductible: '0.00', oop: '0.00' });
    const original = await request(app).get(`/v1/claims/${originalId}`).set(bearer(payer.key));
    expect(original.body.status).toBe('voided');
    expect(original.body.events.map((event: { type: string }) => event.type)).toEqual([
      'ClaimSubmitted',
      'ClaimAdjudicated',
      'ClaimReversed',
    ]);
    // The original's decision row is still there, untouched: nothing is edited in place.
    const { rows } = await environment.database.pool.query(
      'SELECT status FROM claim_decisions WHERE claim_id = $1',
      [originalId],
    );
    expect(rows).toEqual([{ status: 'paid' }]);
  });

  it('a replacement reverses the original, then is adjudicated as if the original never was', async () => {
    const planId = await insertPlan(environment, payer.organization.id, plan);
    const replacedMember = await insertMember(
      environment,
      payer.organization.id,
      'M-REPLACED',
      planId,
    );
    const directMember = await insertMember(environment, payer.organization.id, 'M-DIRECT', planId);
    const originalId = await submit(claimFor('M-REPLACED', '2026-10-02', '300.00'));
    await adjudicateClaim(environment.database, originalId);
    const replacementId = await submit({
      ...claimFor('M-REPLACED', '2026-10-02'),
      frequencyCode: '7',
      originalClaimId: originalId,
    });
    expect(await adjudicateClaim(environment.database, replacementId)).toMatchObject({
      status: 'paid',
    });
    // The same claim submitted once for another member of the same plan.
    await adjudicateClaim(environment.database, await submit(claimFor('M-DIRECT', '2026-10-02')));
    expect(await accumulatorsOf(replacedMember)).toEqual(await accumulatorsOf(directMember));
    const original = await request(app).get(`/v1/claims/${originalId}`).set(bearer(provider.key));
    expect(original.body.status).toBe('replaced');
    // A second void of the replaced original pends for a person instead of reversing twice.
    const lateVoid = await submit({
      ...claimFor('M-REPLACED', '2026-10-02'),
      frequencyCode: '8',
      originalClaimId: originalId,
    });
    expect(await adjudicateClaim(environment.database, lateVoid)).toMatchObject({
      status: 'pended',
    });
  });
});

describe('pending and manual review', () => {
  let claimId: string;

  beforeAll(async () => {
    const planId = await insertPlan(environment, payer.organization.id, {
      deductibleAmount: '0.00',
      outOfPocketMaxAmount: '5000.00',
      copayAmount: '0.00',
      coinsurancePercent: '0',
    });
    await insertMember(environment, payer.organization.id, 'M-REVIEW', planId);
    // Over the payer's 5,000.00 auto-adjudication limit: it must pend.
    claimId = await submit(claimFor('M-REVIEW', '2026-11-03', '6000.00'));
    expect(await adjudicateClaim(environment.database, claimId)).toMatchObject({
      status: 'pended',
    });
  });

  it('shows the pended claim in the payer review queue with its reason', async () => {
    const queue = await request(app).get('/v1/review-queue').set(bearer(payer.key));
    expect(queue.status).toBe(200);
    const item = queue.body.claims.find((entry: { claimId: string }) => entry.claimId === claimId);
    expect(item.pendReasons[0]).toMatch(/6048.50.*5000.00/);
    const otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
    const theirs = await request(app).get('/v1/review-queue').set(bearer(otherPayer.key));
    expect(theirs.body.claims).toEqual([]);
    const asProvider = await request(app).get('/v1/review-queue').set(bearer(provider.key));
    expect(asProvider.status).toBe(403);
  });

  it('is decided by a person line by line; the event names the key and hashes the note', async () => {
    const stranger = await createActor(environment, 'payer', 'payer_adjudicator');
    const body = {
      note: 'Reviewed the operative report; line 1 reduced to the contracted rate.',
      lines: [
        { lineNumber: 1, adjustments: [{ group: 'CO', reasonCode: '45', amount: '1000.00' }] },
        {
          lineNumber: 2,
          adjustments: [{ group: 'CO', reasonCode: '96', amount: '48.50' }],
          remarkCodes: ['N130'],
        },
      ],
    };
    const notTheirs = await request(app)
      .post(`/v1/claims/${claimId}/decision`)
      .set(bearer(stranger.key))
      .send(body);
    expect(notTheirs.status).toBe(404);
    const unbalanced = await request(app)
      .post(`/v1/claims/${claimId}/decision`)
      .set(bearer(payer.key))
      .send({
        ...body,
        lines: [
          { lineNumber: 1, adjustments: [{ group: 'CO', reasonCode: '45', amount: '7000.00' }] },
        ],
      });
    expect(unbalanced.status).toBe(422);
    const decided = await request(app)
      .post(`/v1/claims/${claimId}/decision`)
      .set(bearer(payer.key))
      .send(body);
    expect(decided.status, JSON.stringify(decided.body)).toBe(201);
    expect(decided.body.status).toBe('partially_paid');
    const again = await request(app)
      .post(`/v1/claims/${claimId}/decision`)
      .set(bearer(payer.key))
      .send(body);
    expect(again.status).toBe(409);
    const { rows } = await environment.database.pool.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM ledger_events WHERE aggregate_id = $1 AND type = 'ClaimAdjudicated'`,
      [claimId],
    );
    expect(rows[0]!.payload).toMatchObject({
      decidedBy: payer.keyId,
      status: 'partially_paid',
      totals: { paidAmount: '5000.00', chargeAmount: '6048.50' },
    });
    expect(JSON.stringify(rows[0]!.payload)).not.toContain('operative report');
  });
});

describe('a claim whose adjudication throws', () => {
  it('is retried, then sent to review with the failure named, while other claims are decided', async () => {
    const planId = await insertPlan(environment, payer.organization.id, {
      deductibleAmount: '0.00',
      outOfPocketMaxAmount: '1000.00',
      copayAmount: '0.00',
      coinsurancePercent: '0',
    });
    const memberRowId = await insertMember(environment, payer.organization.id, 'M-BROKEN', planId);
    // Overlapping coverages cannot be entered through the API; written in SQL, they make the
    // engine refuse its input, as any configuration it cannot decide with would.
    await environment.database.pool.query(
      `INSERT INTO coverages (id, member_id, plan_id, effective_from, effective_to, version, updated_at)
       VALUES (gen_random_uuid(), $1, $2, '2026-06-01', NULL, 1, now())`,
      [memberRowId, planId],
    );
    const brokenId = await submit(claimFor('M-BROKEN', '2026-11-05'));
    const failures: RecordedFailure[] = [];
    const sweep = () =>
      adjudicateSubmitted(environment.database, {
        claimsMax: 100,
        parallel: 2,
        onFailure: (claimId, _error, recorded) => {
          expect(claimId).toBe(brokenId);
          failures.push(recorded);
        },
      });
    const statusOf = async (claimId: string) =>
      (await request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key))).body
        .status as string;

    for (let attempt = 1; attempt <= ADJUDICATION_ATTEMPTS_MAX; attempt++) {
      const goodId = await submit(claimFor(`NOBODY-SWEEP-${attempt}`, '2026-11-05'));
      const result = await sweep();
      expect(result).toMatchObject({ decided: 1, failed: 1 });
      expect(await statusOf(goodId)).toBe('denied');
      expect(await statusOf(brokenId)).toBe(
        attempt < ADJUDICATION_ATTEMPTS_MAX ? 'submitted' : 'pended',
      );
    }
    expect(failures).toEqual([
      { failure: 'InvalidInput', attempts: 1, sentToReview: false },
      { failure: 'InvalidInput', attempts: 2, sentToReview: false },
      { failure: 'InvalidInput', attempts: 3, sentToReview: true },
    ]);
    // Once in review, later sweeps leave it alone.
    expect(await sweep()).toMatchObject({ decided: 0, failed: 0 });

    const queue = await request(app).get('/v1/review-queue').set(bearer(payer.key));
    const item = (queue.body.claims as { claimId: string; pendReasons: string[] }[]).find(
      (claim) => claim.claimId === brokenId,
    );
    expect(item?.pendReasons).toEqual([
      'automatic adjudication failed 3 times (InvalidInput); decide by hand or ask the operator',
    ]);
    const operator = await createActor(environment, 'operator', 'admin');
    const counts = await request(app)
      .get('/v1/operations/adjudication-failures')
      .set(bearer(operator.key));
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({ retrying: 0, inReview: 1, sentToReviewTotal: 1 });
    const forbidden = await request(app)
      .get('/v1/operations/adjudication-failures')
      .set(bearer(payer.key));
    expect(forbidden.status).toBe(403);
  });
});

describe('the adjudication worker', () => {
  it('decides a submitted claim on its own within a second or two', async () => {
    const redis = openRedis(environment.config.redisUrl);
    const workers = await startWorkers({
      config: environment.config,
      database: environment.database,
      connection: redis,
      logger: createLogger('silent'),
    });
    try {
      const claimId = await submit(claimFor('NOBODY-2', '2026-11-04'));
      let status = 'submitted';
      for (let attempt = 0; attempt < 50 && status === 'submitted'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key))).body
          .status as string;
      }
      expect(status).toBe('denied');
    } finally {
      await workers.close();
      redis.disconnect();
    }
  });
});

describe("the sweep's pick of submitted claims", () => {
  // The pick filters by a hash of the member (each parallel batch its share), which the planner
  // prices at 0.5 % of the rows: as a LIMIT query it read every submitted claim and sorted them,
  // however long the backlog (30-190 ms a batch at 60,000 waiting). Only the ordered walk of
  // the queue index stops after the batch's size.
  it('walks the submitted-claims queue index in order, with no sort', async () => {
    // A backlog of 5,000 submitted claims, rolled back after EXPLAIN.
    const backlog = `INSERT INTO claims (id, provider_org_id, payer_org_id, patient_control_number,
         frequency_code, status, member_id_index, member_ciphertext, phi_key_version,
         commitment_salt, total_charge_amount, line_count, submitted_at)
       SELECT gen_random_uuid(), '${provider.organization.id}', '${payer.organization.id}',
              'BACKLOG-' || n, '1', 'submitted', md5(n::text) || md5(n::text), 'x', 1,
              md5(n::text), 100, 1, now() + n * interval '1 ms'
         FROM generate_series(1, 5000) n`;
    // Statistics that know of the backlog, and statistics taken before it (a load outrunning
    // autovacuum's ANALYZE).
    const plans = [
      await planOf(environment, SUBMITTED_CLAIMS_PICK, [2, 0], ['claims'], [backlog]),
      await planOf(environment, SUBMITTED_CLAIMS_PICK, [2, 0], [], ['ANALYZE claims', backlog]),
    ];
    for (const plan of plans) {
      const nodes = nodesOf(plan);
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      expect(nodes.map((node) => node['Index Name']).filter(Boolean)).toEqual([
        'claims_submitted_queue_idx',
      ]);
    }
  });
});

describe("a batch's read of its claims' lines", () => {
  // As claim_id = ANY(…) the planner, with statistics lagging a load, read all of claim_lines
  // and sorted it for every batch. Each claim's lines are one probe of the primary key.
  it('probes the primary key once a claim', async () => {
    const claimIds = [randomUUID(), randomUUID()];
    const plan = await planOf(environment, CLAIM_LINES_SQL, [claimIds], ['claim_lines']);
    const nodes = nodesOf(plan);
    expect(
      nodes
        .filter((node) => node['Index Name'])
        .map((node) => [node['Index Name'], node['Index Cond']]),
    ).toEqual([['claim_lines_pkey', '(claim_id = k.claim_id)']]);
  });
});

describe("a batch's look-up of lines paid before", () => {
  // Split between the areas: the claims area finds the member's lines of paid claims, this area
  // keeps those the claim's latest decision did not deny. Each statement's plan is fixed by its
  // shape: the member's lines from its index, each line's claim by its primary key, each claim's
  // latest decision from the decisions' claim index; never a scan of a whole table.
  it("reads the member's lines by its index and each claim by its key", async () => {
    const plan = await planOf(
      environment,
      PAID_CLAIM_LINES_SQL,
      [
        [provider.organization.id],
        [payer.organization.id],
        ['a'.repeat(64)],
        [null],
        ['99213,99214'],
        ['2026-11-02,2026-11-03'],
      ],
      ['claim_lines', 'claims'],
    );
    // The member's lines from its index (a plain or a bitmap index scan, as the planner likes),
    // then each line's claim by one probe of an index on its id (on a near-empty table the
    // planner may take an index that holds id further along rather than the primary key).
    const probes = nodesOf(plan).filter((node) => node['Index Cond']);
    expect(probes.map((node) => [node['Index Name'], node['Index Cond']])).toEqual([
      ['claim_lines_member_id_index_service_date_idx', '(member_id_index = k.member_id_index)'],
      [expect.stringMatching(/^claims_/), '(id = l.claim_id)'],
    ]);
    expect(nodesOf(plan).map((node) => node['Node Type'])).not.toContain('Seq Scan');
  });

  it("reads each claim's latest decision from the decisions' claim index", async () => {
    const plan = await planOf(
      environment,
      NOT_DENIED_LINES_SQL,
      [
        [randomUUID(), randomUUID()],
        ['1,2', '1'],
      ],
      ['claim_decisions'],
    );
    expect(
      nodesOf(plan)
        .filter((node) => node['Index Name'])
        .map((node) => [node['Index Name'], node['Index Cond']]),
    ).toEqual([['claim_decisions_claim_id_idx', '(claim_id = k.claim_id)']]);
  });
});

describe('the journal', () => {
  it('keeps every account balance equal to the sum of its postings', async () => {
    const { rows } = await environment.database.pool.query<{ mismatched: string; entries: string }>(
      `SELECT (SELECT count(*) FROM accounts a
                WHERE a.balance_amount <> coalesce(
                  (SELECT sum(amount) FROM journal_postings p WHERE p.account_id = a.id), 0)) AS mismatched,
              (SELECT count(*) FROM journal_entries) AS entries`,
    );
    expect(Number(rows[0]!.entries)).toBeGreaterThan(0);
    expect(rows[0]!.mismatched).toBe('0');
    const unbalanced = await environment.database.pool.query<{ entry_id: string }>(
      `SELECT entry_id FROM journal_postings GROUP BY entry_id HAVING sum(amount) <> 0`,
    );
    expect(unbalanced.rows).toEqual([]);
  });

  it('serves each side its balances, now and as of a sealed block', async () => {
    const finance = await issueApiKey(environment.database, {
      orgId: provider.organization.id,
      role: 'finance',
    });
    const now = await request(app).get('/v1/balances').set(bearer(finance.key));
    expect(now.status).toBe(200);
    const byPurpose = Object.fromEntries(
      now.body.accounts.map((account: { purpose: string; balanceAmount: string }) => [
        account.purpose,
        account.balanceAmount,
      ]),
    );
    // The provider's books: what the payer pays plus what patients owe is revenue.
    const { rows } = await environment.database.pool.query<{ paid: string; patient: string }>(
      `SELECT sum(d.paid_amount)::text AS paid, sum(d.patient_responsibility_amount)::text AS patient
         FROM claims c
         JOIN LATERAL (SELECT * FROM claim_decisions WHERE claim_id = c.id
                        ORDER BY decided_at DESC LIMIT 1) d ON true
        WHERE c.provider_org_id = $1 AND c.status IN ('paid', 'partially_paid', 'denied')`,
      [provider.organization.id],
    );
    expect(byPurpose.receivable_from_payer).toBe(rows[0]!.paid);
    expect(byPurpose.receivable_from_patients).toBe(rows[0]!.patient);
    // Sealed up to the head, the balances as of that block are the balances now.
    await sealPending(environment.database.pool, environment.config.sealBlockEventsMax);
    const head = await request(app).get('/v1/ledger/head').set(bearer(finance.key));
    const atHead = await request(app)
      .get(`/v1/balances?asOfHeight=${head.body.height}`)
      .set(bearer(finance.key));
    expect(atHead.body.accounts).toEqual(now.body.accounts);
    expect((await request(app).get('/v1/balances').set(bearer(provider.key))).status).toBe(403);
    const missing = await request(app)
      .get('/v1/balances?asOfHeight=999999')
      .set(bearer(finance.key));
    expect(missing.status).toBe(404);
  });
});

// Lock order of batched adjudication: a batch appends all its ledger events last, so it never
// waits for a row while holding the ledger's lock. A batch that decided a claim and then met a
// replacement used to append the first decision's event before reversing the original; if
// another transaction (settlement, say) held the original claim's row and appended in turn,
// each waited for the other and PostgreSQL ended one of them with "deadlock detected".
async function submitAs(parties: Parties, body: Record<string, unknown>): Promise<string> {
  const response = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

/** A claim of M-PAID (createParties' standard payer) on its own service date. */
function claimOfPaidMember(
  parties: Parties,
  serviceDate: string,
  extra: Record<string, unknown> = {},
) {
  const claim = validClaim(parties.payerId);
  return {
    ...claim,
    member: { ...claim.member, memberId: 'M-PAID' },
    serviceLines: [{ procedureCode: '99213', units: 1, chargeAmount: '125.00', serviceDate }],
    ...extra,
  };
}

describe('a batch with a replacement', () => {
  let parties: Parties;

  beforeAll(async () => {
    parties = await createParties(environment);
  });

  it('holds no ledger lock while it waits for the original claim, so the holder of that claim appends and commits', async () => {
    const original = await paidClaim(environment, app, parties);
    expect(original.status).toBe('paid');
    const first = await submitAs(parties, claimOfPaidMember(parties, '2026-06-01'));
    const replacement = await submitAs(
      parties,
      claimOfPaidMember(parties, '2026-06-02', {
        frequencyCode: '7',
        originalClaimId: original.id,
      }),
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
      const ours = result.outcomes.filter(({ claimId }) => [first, replacement].includes(claimId));
      expect(ours.map(({ claimId }) => claimId)).toEqual([first, replacement]);
      expect(ours.map(({ outcome }) => outcome.status)).toEqual(['paid', 'paid']);
    } finally {
      holder.release();
    }

    // The batch's events follow the holder's, in the order the batch made them.
    const { rows } = await environment.database.pool.query<{ type: string; aggregate_id: string }>(
      `SELECT type, aggregate_id FROM ledger_events
        WHERE seq > (SELECT seq FROM ledger_events WHERE type = 'TestEvent')
          AND aggregate_id = ANY($1) ORDER BY seq`,
      [[first, original.id, replacement]],
    );
    expect(rows).toEqual([
      { type: 'ClaimAdjudicated', aggregate_id: first },
      { type: 'ClaimReversed', aggregate_id: original.id },
      { type: 'ClaimAdjudicated', aggregate_id: replacement },
    ]);
  });
});
