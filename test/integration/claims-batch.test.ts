// POST /v1/claims/batch: each claim is judged on its own (one bad claim does not sink the
// rest), the answer lists every claim in order, and the envelope itself is bounded.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectProblem, fieldsOf, postBatch } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let app: Express;
let provider: Actor;
let payer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment.close();
});

interface BatchAnswer {
  accepted: number;
  rejected: number;
  results: (
    | { index: number; status: 'accepted'; claimId: string; claim: { id: string } }
    | { index: number; status: 'rejected'; errors: { field: string; message: string }[] }
  )[];
}

async function countQuery(sql: string, parameters: unknown[]): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(sql, parameters);
  return Number(rows[0]!.count);
}

describe('a batch mixing valid and invalid claims', () => {
  let claims: ReturnType<typeof validClaim>[];
  let answer: BatchAnswer;
  let countsBefore: Awaited<ReturnType<typeof intakeRowCounts>>;

  beforeAll(async () => {
    const payerId = payer.organization.id;
    const noBirthDate = validClaim(payerId);
    delete (noBirthDate.member as { birthDate?: string }).birthDate;
    claims = [
      validClaim(payerId),
      noBirthDate,
      validClaim(payerId),
      validClaim(randomUUID()),
      validClaim(payerId, {
        serviceLines: [
          { procedureCode: '99213', units: 1, chargeAmount: '$1', serviceDate: '2026-11-02' },
        ],
      }),
      validClaim(payerId, { frequencyCode: '8' }),
      validClaim(payerId, { diagnosisCodes: ['E11.9'] }),
    ];
    countsBefore = await intakeRowCounts(environment);
    const response = await postBatch(app, provider.key, claims);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    answer = response.body as BatchAnswer;
  });

  it('answers 200 with one result per claim, in order', () => {
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toBe(5);
    expect(answer.results.map((result) => [result.index, result.status])).toEqual([
      [0, 'accepted'],
      [1, 'rejected'],
      [2, 'accepted'],
      [3, 'rejected'],
      [4, 'rejected'],
      [5, 'rejected'],
      [6, 'rejected'],
    ]);
  });

  it('names the fields of each rejected claim', () => {
    const fields = answer.results.map((result) =>
      result.status === 'rejected' ? result.errors.map((error) => error.field) : [],
    );
    expect(fields).toEqual([
      [],
      ['member.birthDate'],
      [],
      ['payerId'],
      ['serviceLines[0].chargeAmount'],
      ['originalClaimId'],
      ['serviceLines[0].diagnosisPointers[1]'],
    ]);
  });

  it('wrote exactly the accepted claims, each with its lines and event', async () => {
    const after = await intakeRowCounts(environment);
    expect(Number(after!.claims) - Number(countsBefore!.claims)).toBe(2);
    expect(Number(after!.lines) - Number(countsBefore!.lines)).toBe(4);
    expect(Number(after!.events) - Number(countsBefore!.events)).toBe(2);
    const rejectedNumbers = [1, 3, 4, 5, 6].map((index) => claims[index]!.patientControlNumber);
    expect(
      await countQuery('SELECT count(*) FROM claims WHERE patient_control_number = ANY($1)', [
        rejectedNumbers,
      ]),
    ).toBe(0);
  });

  it('makes the accepted claims readable by provider and payer', async () => {
    for (const index of [0, 2]) {
      const result = answer.results[index]!;
      if (result.status !== 'accepted') throw new Error(`claim ${index} was not accepted`);
      expect(result.claim.id).toBe(result.claimId);
      for (const actor of [provider, payer]) {
        const response = await request(app)
          .get(`/v1/claims/${result.claimId}`)
          .set(bearer(actor.key));
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({
          id: result.claimId,
          patientControlNumber: claims[index]!.patientControlNumber,
          totalChargeAmount: '173.50',
          member: { lastName: 'Doe' },
        });
      }
    }
  });
});

describe('the batch envelope', () => {
  const claim = () => validClaim(payer.organization.id);

  it.each([
    ['1,001 claims', () => ({ claims: Array.from({ length: 1_001 }, claim) }), ['claims']],
    ['an empty list', () => ({ claims: [] }), ['claims']],
    ['no claims field', () => ({}), ['claims']],
    ['claims as an object', () => ({ claims: claim() }), ['claims']],
    ['an unknown field', () => ({ claims: [claim()], dryRun: true }), ['dryRun']],
    ['an array body', () => [claim()], ['(body)']],
  ])('with %s is a 422 naming it, and writes nothing', async (_name, body, fields) => {
    const before = await intakeRowCounts(environment);
    const response = await request(app)
      .post('/v1/claims/batch')
      .set(bearer(provider.key))
      .send(body());
    expect(fieldsOf(response)).toEqual(fields);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('that is not JSON is a 400', async () => {
    const response = await request(app)
      .post('/v1/claims/batch')
      .set(bearer(provider.key))
      .set('Content-Type', 'application/json')
      .send('{"claims": [');
    expectProblem(response, 400);
  });

  it('with only invalid claims is answered 200 and writes nothing', async () => {
    const before = await intakeRowCounts(environment);
    const response = await postBatch(app, provider.key, [
      validClaim(randomUUID()),
      validClaim(payer.organization.id, { frequencyCode: '9' }),
    ]);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ accepted: 0, rejected: 2 });
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('a batch of 1,000 valid claims', () => {
  it('is accepted whole: 1,000 claims, 2,000 lines and 1,000 ClaimSubmitted events', async () => {
    const bulkProvider = await createActor(environment, 'provider', 'provider_biller');
    const claims = Array.from({ length: 1_000 }, () => validClaim(payer.organization.id));
    const response = await postBatch(app, bulkProvider.key, claims);
    expect(response.status).toBe(200);
    const answer = response.body as BatchAnswer;
    expect(answer).toMatchObject({ accepted: 1_000, rejected: 0 });
    const claimIds = answer.results.map((result) =>
      result.status === 'accepted' ? result.claimId : undefined,
    );
    expect(new Set(claimIds).size).toBe(1_000);
    expect(claimIds).not.toContain(undefined);

    const providerId = bulkProvider.organization.id;
    expect(
      await countQuery('SELECT count(*) FROM claims WHERE provider_org_id = $1', [providerId]),
    ).toBe(1_000);
    expect(
      await countQuery(
        `SELECT count(*) FROM claim_lines l JOIN claims c ON c.id = l.claim_id
          WHERE c.provider_org_id = $1`,
        [providerId],
      ),
    ).toBe(2_000);
    const { rows } = await environment.database.pool.query<{
      count: string;
      claims: string;
      span: string;
    }>(
      `SELECT count(*), count(DISTINCT aggregate_id) AS claims, max(seq) - min(seq) + 1 AS span
         FROM ledger_events WHERE type = 'ClaimSubmitted' AND actor_org_id = $1`,
      [providerId],
    );
    // One event per claim, appended as one contiguous run of the ledger.
    expect(rows[0]).toEqual({ count: '1000', claims: '1000', span: '1000' });
    expect(
      await countQuery(
        `SELECT count(*) FROM ledger_events WHERE type = 'ClaimSubmitted'
            AND aggregate_id = ANY($1::text[])`,
        [claimIds],
      ),
    ).toBe(1_000);
  });
});
