// Idempotency-Key on claim submission: a retry gets the first answer and writes nothing, a
// reused key with another body is a 409, and concurrent duplicates still make one claim.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECEIVED_CLAIMS_SQL } from '../../src/domain/claims/intake.js';
import { expectProblem, fieldsOf, postBatch, postClaim } from '../support/api.js';
import { nodesOf, planOf } from '../support/plans.js';
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

type Counts = Awaited<ReturnType<typeof intakeRowCounts>>;

function growth(before: Counts, after: Counts) {
  return {
    claims: Number(after!.claims) - Number(before!.claims),
    lines: Number(after!.lines) - Number(before!.lines),
    events: Number(after!.events) - Number(before!.events),
    idempotency: Number(after!.idempotency) - Number(before!.idempotency),
  };
}

async function claimsWithControlNumber(patientControlNumber: unknown) {
  const { rows } = await environment.database.pool.query<{ id: string; provider_org_id: string }>(
    'SELECT id, provider_org_id FROM claims WHERE patient_control_number = $1',
    [patientControlNumber],
  );
  return rows;
}

async function eventsOfClaims(claimIds: string[]): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    'SELECT count(*) FROM ledger_events WHERE aggregate_id = ANY($1::text[])',
    [claimIds],
  );
  return Number(rows[0]!.count);
}

describe('a retry with the same key and body', () => {
  it('gets the same status and body, and makes one claim', async () => {
    const key = randomUUID();
    const body = validClaim(payer.organization.id);
    const before = await intakeRowCounts(environment);
    const first = await postClaim(app, provider.key, body, key);
    const second = await postClaim(app, provider.key, body, key);
    const third = await postClaim(app, provider.key, body, key);

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(third.status).toBe(201);
    expect(second.headers['content-type']).toMatch(/^application\/json/);
    // Byte for byte the first answer, not merely the same content.
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 1,
      lines: 2,
      events: 1,
      idempotency: 1,
    });
    expect(await claimsWithControlNumber(body.patientControlNumber)).toEqual([
      { id: (first.body as { id: string }).id, provider_org_id: provider.organization.id },
    ]);
  });

  it('replays the batch answer on the batch endpoint', async () => {
    const key = randomUUID();
    const claims = [validClaim(payer.organization.id), validClaim(randomUUID())];
    const before = await intakeRowCounts(environment);
    const first = await postBatch(app, provider.key, claims, key);
    const second = await postBatch(app, provider.key, claims, key);

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(second.status).toBe(200);
    expect(second.body).toStrictEqual(first.body);
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 1,
      lines: 2,
      events: 1,
      idempotency: 1,
    });
  });
});

describe('a reused key with a different request', () => {
  it('is a 409 and writes nothing', async () => {
    const key = randomUUID();
    const body = validClaim(payer.organization.id);
    expect((await postClaim(app, provider.key, body, key)).status).toBe(201);
    const before = await intakeRowCounts(environment);
    const changed = { ...body, patientControlNumber: `${body.patientControlNumber}-2` };
    const response = await postClaim(app, provider.key, changed, key);
    expect(expectProblem(response, 409).title).toBe('conflict');
    expect(await intakeRowCounts(environment)).toEqual(before);
    expect(await claimsWithControlNumber(changed.patientControlNumber)).toEqual([]);
  });

  it('is a 409 when the key of a single claim is reused for a batch', async () => {
    const key = randomUUID();
    const body = validClaim(payer.organization.id);
    expect((await postClaim(app, provider.key, body, key)).status).toBe(201);
    const before = await intakeRowCounts(environment);
    expectProblem(await postBatch(app, provider.key, [body], key), 409);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('keys', () => {
  it('belong to one organization: two providers with the same key make two claims', async () => {
    const key = `shared-${randomUUID()}`;
    const otherProvider = await createActor(environment, 'provider', 'provider_biller');
    const body = validClaim(payer.organization.id);
    const mine = await postClaim(app, provider.key, body, key);
    const theirs = await postClaim(app, otherProvider.key, body, key);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    const mineId = (mine.body as { id: string }).id;
    const theirsId = (theirs.body as { id: string }).id;
    expect(theirsId).not.toBe(mineId);
    const rows = await claimsWithControlNumber(body.patientControlNumber);
    expect(rows.map((row) => row.provider_org_id).sort()).toEqual(
      [provider.organization.id, otherProvider.organization.id].sort(),
    );
  });

  it('are not spent by a rejected claim: the corrected claim may use the same key', async () => {
    const key = randomUUID();
    const before = await intakeRowCounts(environment);
    const rejected = await postClaim(app, provider.key, validClaim(randomUUID()), key);
    expect(fieldsOf(rejected)).toEqual(['payerId']);
    expect(await intakeRowCounts(environment)).toEqual(before);
    const corrected = await postClaim(app, provider.key, validClaim(payer.organization.id), key);
    expect(corrected.status).toBe(201);
  });

  it.each([
    ['with a space', 'retry 1'],
    ['of 256 characters', 'k'.repeat(256)],
    ['that is empty', ''],
  ])('%s are a 422 naming Idempotency-Key, and write nothing', async (_name, key) => {
    const before = await intakeRowCounts(environment);
    const response = await postClaim(app, provider.key, validClaim(payer.organization.id), key);
    expect(fieldsOf(response)).toEqual(['Idempotency-Key']);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('concurrent requests with the same key', () => {
  it('50 identical requests all get 201 with one claim id; one claim row, one event', async () => {
    const key = randomUUID();
    const body = validClaim(payer.organization.id);
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postClaim(app, provider.key, body, key)),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
    const ids = new Set(responses.map((response) => (response.body as { id: string }).id));
    expect(ids.size).toBe(1);
    for (const response of responses) expect(response.body).toStrictEqual(responses[0]!.body);
    const rows = await claimsWithControlNumber(body.patientControlNumber);
    expect(rows.map((row) => row.id)).toEqual([...ids]);
    expect(await eventsOfClaims([...ids])).toBe(1);
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 1,
      lines: 2,
      events: 1,
      idempotency: 1,
    });
  });

  it('50 identical batch requests all get the same answer; one set of claims', async () => {
    const key = randomUUID();
    const claims = [validClaim(payer.organization.id), validClaim(payer.organization.id)];
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postBatch(app, provider.key, claims, key)),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    for (const response of responses) expect(response.text).toBe(responses[0]!.text);
    for (const claim of claims) {
      expect(await claimsWithControlNumber(claim.patientControlNumber)).toHaveLength(1);
    }
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 2,
      lines: 4,
      events: 2,
      idempotency: 1,
    });
  });

  it('with different bodies make one claim; every other request is a 409', async () => {
    const key = randomUUID();
    const bodies = Array.from({ length: 20 }, () => validClaim(payer.organization.id));
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      bodies.map((body) => postClaim(app, provider.key, body, key)),
    );

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    expect(growth(before, await intakeRowCounts(environment))).toMatchObject({
      claims: 1,
      events: 1,
      idempotency: 1,
    });
  });

  it('20 identical requests for an unknown payer are all a 422, never a 5xx', async () => {
    const key = randomUUID();
    const body = validClaim(randomUUID());
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postClaim(app, provider.key, body, key)),
    );

    for (const response of responses) expect(fieldsOf(response)).toEqual(['payerId']);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('10 identical batches all get the same answer; the claims are written once', async () => {
    const key = randomUUID();
    const claims = Array.from({ length: 5 }, () => validClaim(payer.organization.id));
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => postBatch(app, provider.key, claims, key)),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    for (const response of responses) expect(response.body).toStrictEqual(responses[0]!.body);
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 5,
      lines: 10,
      events: 5,
      idempotency: 1,
    });
  });
});

describe('the same claim sent again without an Idempotency-Key', () => {
  it('is answered 200 as a duplicate of the first claim and writes nothing', async () => {
    const body = validClaim(payer.organization.id);
    const first = await postClaim(app, provider.key, body);
    expect(first.status).toBe(201);
    const before = await intakeRowCounts(environment);
    // A retry after a lost answer; the charge written "125" instead of "125.00" is the same.
    const retried = {
      ...body,
      serviceLines: body.serviceLines.map((line, index) =>
        index === 0 ? { ...line, chargeAmount: '125' } : line,
      ),
    };
    const again = await postClaim(app, provider.key, retried);
    expect(again.status).toBe(200);
    expect(again.body).toStrictEqual({ ...first.body, duplicate: true });
    expect(growth(before, await intakeRowCounts(environment))).toEqual({
      claims: 0,
      lines: 0,
      events: 0,
      idempotency: 0,
    });
  });

  it('is a claim of its own when a line differs, or from another provider', async () => {
    const body = validClaim(payer.organization.id);
    expect((await postClaim(app, provider.key, body)).status).toBe(201);
    const otherDate = {
      ...body,
      serviceLines: body.serviceLines.map((line) => ({ ...line, serviceDate: '2026-11-03' })),
    };
    expect((await postClaim(app, provider.key, otherDate)).status).toBe(201);
    const otherProvider = await createActor(environment, 'provider', 'provider_biller');
    expect((await postClaim(app, otherProvider.key, body)).status).toBe(201);
  });

  it('20 identical requests at once make one claim; each answer names it', async () => {
    const body = validClaim(payer.organization.id);
    const before = await intakeRowCounts(environment);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postClaim(app, provider.key, body)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(19).fill(200), 201]);
    const ids = new Set(responses.map((response) => (response.body as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(await claimsWithControlNumber(body.patientControlNumber)).toHaveLength(1);
    expect(growth(before, await intakeRowCounts(environment))).toMatchObject({
      claims: 1,
      events: 1,
    });
  });

  it('in a batch, or in two batches at once, is stored once and reported as a duplicate', async () => {
    const claim = validClaim(payer.organization.id);
    const other = validClaim(payer.organization.id);
    const [one, two] = await Promise.all([
      postBatch(app, provider.key, [claim, other, claim]),
      postBatch(app, provider.key, [other, claim]),
    ]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const results = [...one.body.results, ...two.body.results] as {
      status: string;
      claimId: string;
    }[];
    expect(results.filter((result) => result.status === 'accepted')).toHaveLength(2);
    expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(3);
    expect(one.body).toMatchObject({ rejected: 0 });
    expect(one.body.accepted + one.body.duplicates).toBe(3);
    const stored = await claimsWithControlNumber(claim.patientControlNumber);
    expect(stored).toHaveLength(1);
    expect(one.body.results[0].claimId).toBe(stored[0]!.id);
    expect(one.body.results[2].claimId).toBe(stored[0]!.id);
    expect(two.body.results[1].claimId).toBe(stored[0]!.id);
  });
});

describe('the duplicate look-up', () => {
  // The look-up once filtered all of a provider's claims by fingerprint: bound as text[], the
  // fingerprints made PostgreSQL compare content_fingerprint::text, which no index serves, and
  // intake slowed as history grew. With sequential scans priced out, the plan shows whether
  // the unique index answers each (provider, fingerprint) pair or only the provider.
  it('finds earlier claims by provider and fingerprint in the unique index', async () => {
    // A history of the provider's claims for the statistics (ANALYZE below) to describe.
    const history = Array.from({ length: 50 }, () => validClaim(payer.organization.id));
    expect((await postBatch(app, provider.key, history)).status).toBe(200);
    const plan = await planOf(
      environment,
      RECEIVED_CLAIMS_SQL,
      [
        [provider.organization.id, provider.organization.id],
        ['a'.repeat(64), 'b'.repeat(64)],
      ],
      ['claims'],
    );
    const probes = nodesOf(plan).filter(
      (node) => node['Index Name'] === 'claims_content_fingerprint_key',
    );
    expect(probes).toHaveLength(1);
    expect(probes[0]!['Index Cond']).toMatch(
      /\(provider_org_id = k\.provider_org_id\) AND \(content_fingerprint = k\.content_fingerprint\)/,
    );
  });
});
