// POST /v1/claims: every kind of bad input is a 4xx naming the exact field and writes
// nothing; a valid claim is stored with its member encrypted and one PHI-free ledger event.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimSubmissionSchema } from '../../src/domain/claims/schema.js';
import { canonicalJson } from '../../src/ledger/canonical.js';
import { sha256Hex } from '../../src/ledger/hash.js';
import { bearer, expectProblem, fieldsOf, postClaim } from '../support/api.js';
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
let otherProvider: Actor;
let payer: Actor;
let otherPayer: Actor;
let operator: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller');
  otherProvider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
  operator = await createActor(environment, 'operator', 'auditor');
});

afterAll(async () => {
  await environment.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ABSENT = Symbol('absent');
type ClaimBody = Record<string, unknown>;
type Container = Record<string | number, unknown>;

/** "serviceLines[0].chargeAmount" -> ["serviceLines", 0, "chargeAmount"] */
function segmentsOf(field: string): (string | number)[] {
  return field
    .split(/\.|(?=\[)/)
    .map((part) => (part.startsWith('[') ? Number(part.slice(1, -1)) : part));
}

/** The valid claim with one field set to `value` (or removed, for ABSENT). */
function claimWith(field: string, value: unknown, payerId = payer.organization.id): ClaimBody {
  const claim = structuredClone(validClaim(payerId)) as ClaimBody;
  const segments = segmentsOf(field);
  let node: Container = claim;
  for (const segment of segments.slice(0, -1)) node = node[segment] as Container;
  const last = segments[segments.length - 1] ?? field;
  if (value === ABSENT) delete node[last];
  else node[last] = value;
  return claim;
}

const line = {
  procedureCode: '99213',
  units: 1,
  chargeAmount: '10.00',
  serviceDate: '2026-11-02',
};
// Two days ahead, so it is still in the future when a run crosses midnight UTC.
const future = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);

/** Posts a body that must be rejected, and checks that nothing at all was written. */
async function rejected(body: unknown) {
  const before = await intakeRowCounts(environment);
  const response = await postClaim(app, provider.key, body);
  expect(await intakeRowCounts(environment)).toEqual(before);
  return response;
}

async function submitted(body: unknown, actor = provider) {
  const response = await postClaim(app, actor.key, body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; totalChargeAmount: string; ledgerEventId: string };
}

describe('a missing required field', () => {
  it.each([
    'payerId',
    'patientControlNumber',
    'frequencyCode',
    'member',
    'member.memberId',
    'member.firstName',
    'member.lastName',
    'member.birthDate',
    'diagnosisCodes',
    'serviceLines',
    'serviceLines[0].procedureCode',
    'serviceLines[0].units',
    'serviceLines[0].chargeAmount',
    'serviceLines[0].serviceDate',
    'serviceLines[1].chargeAmount',
  ])('%s is named, with "is required"', async (field) => {
    const response = await rejected(claimWith(field, ABSENT));
    expect(fieldsOf(response)).toEqual([field]);
    expect(expectProblem(response, 422).errors![0]!.message).toBe('is required');
  });

  it('an empty body names every top-level field', async () => {
    const response = await rejected({});
    expect(fieldsOf(response).sort()).toEqual(
      [
        'diagnosisCodes',
        'frequencyCode',
        'member',
        'patientControlNumber',
        'payerId',
        'serviceLines',
      ].sort(),
    );
  });
});

describe('a malformed value', () => {
  it.each([
    ['payerId not a UUID', 'payerId', 'not-a-uuid'],
    ['frequencyCode "2"', 'frequencyCode', '2'],
    ['patientControlNumber with a leading space', 'patientControlNumber', ' PCN1'],
    ['patientControlNumber of 39 characters', 'patientControlNumber', 'P'.repeat(39)],
    ['patientControlNumber with an X12 delimiter', 'patientControlNumber', 'PCN*1'],
    ['CPT "9921"', 'serviceLines[0].procedureCode', '9921'],
    ['CPT "992134"', 'serviceLines[0].procedureCode', '992134'],
    ['modifier "2"', 'serviceLines[0].modifiers[0]', '2'],
    ['modifier "25X"', 'serviceLines[0].modifiers[0]', '25X'],
    ['five modifiers', 'serviceLines[0].modifiers', ['25', '59', 'LT', 'RT', 'GT']],
    ['ICD-10 "123.4"', 'diagnosisCodes[1]', '123.4'],
    ['ICD-10 "E11.99999"', 'diagnosisCodes[0]', 'E11.99999'],
    ['impossible date 2026-02-30 (service)', 'serviceLines[0].serviceDate', '2026-02-30'],
    ['impossible date 2023-02-29 (birth)', 'member.birthDate', '2023-02-29'],
    ['month 13', 'serviceLines[1].serviceDate', '2026-13-01'],
    ['a US-style date', 'member.birthDate', '02/29/1980'],
    ['a future service date', 'serviceLines[0].serviceDate', future],
    ['a service date before the birth date', 'serviceLines[1].serviceDate', '1980-02-28'],
    ['a diagnosis pointer beyond the list', 'serviceLines[0].diagnosisPointers[1]', 3],
    ['a diagnosis pointer 0', 'serviceLines[0].diagnosisPointers[0]', 0],
    ['no diagnosis pointers', 'serviceLines[0].diagnosisPointers', []],
    ['units 0', 'serviceLines[0].units', 0],
    ['units with 4 decimals', 'serviceLines[0].units', 1.2345],
    ['memberId of one character', 'member.memberId', 'W'],
    ['a blank first name', 'member.firstName', '   '],
    ['gender "X"', 'member.gender', 'X'],
    ['51 service lines', 'serviceLines', Array.from({ length: 51 }, () => line)],
    ['no service lines', 'serviceLines', []],
    ['13 diagnosis codes', 'diagnosisCodes', Array.from({ length: 13 }, (_, i) => `J${10 + i}`)],
    ['an unknown extra field', 'copayAmount', '10.00'],
    ['an unknown member field', 'member.ssn', '123-45-6789'],
    ['an unknown service line field', 'serviceLines[1].note', 'hello'],
  ])('%s is named (%s)', async (_name, field, value) => {
    expect(fieldsOf(await rejected(claimWith(field, value)))).toEqual([field]);
  });

  // The claim's cross-field rules still judge the fields that are well-formed.
  it('a future birth date also puts every service date before it', async () => {
    const response = await rejected(claimWith('member.birthDate', future));
    expect(fieldsOf(response)).toEqual([
      'member.birthDate',
      'serviceLines[0].serviceDate',
      'serviceLines[1].serviceDate',
    ]);
  });

  it('no diagnosis codes also leaves every pointer dangling', async () => {
    const response = await rejected(claimWith('diagnosisCodes', []));
    expect(fieldsOf(response)).toEqual([
      'diagnosisCodes',
      'serviceLines[0].diagnosisPointers[0]',
      'serviceLines[0].diagnosisPointers[1]',
      'serviceLines[1].diagnosisPointers[0]',
    ]);
  });

  it('two unknown fields are each named', async () => {
    const claim = { ...validClaim(payer.organization.id), copay: '1.00', notes: 'x' };
    const response = await rejected(claim);
    expect(fieldsOf(response)).toEqual(['copay', 'notes']);
    expect(expectProblem(response, 422).errors![0]!.message).toBe('is not a known field');
  });
});

describe('a value of the wrong type', () => {
  it.each([
    ['a number for a string', 'patientControlNumber', 12345, 'must be a string'],
    ['a number for frequencyCode', 'frequencyCode', 1, 'must be "1"'],
    ['a number for memberId', 'member.memberId', 123456, 'must be a string'],
    ['a string for a number', 'serviceLines[0].units', '1', 'must be a number'],
    ['an array for an object', 'member', ['Jane', 'Doe'], 'object'],
    ['an array for a service line', 'serviceLines[0]', [], 'object'],
    ['an object for an array', 'serviceLines', { 0: line }, 'array'],
    ['a string for an array', 'diagnosisCodes', 'E11.9', 'array'],
    ['null for an object', 'member', null, 'object'],
    ['null for a string', 'payerId', null, 'must be a UUID'],
    ['a boolean for a date', 'member.birthDate', true, 'must be a date'],
  ])('%s is named (%s)', async (_name, field, value, message) => {
    const response = await rejected(claimWith(field, value));
    expect(fieldsOf(response)).toEqual([field]);
    expect(expectProblem(response, 422).errors![0]!.message).toContain(message);
  });

  it('an array as the whole body is rejected', async () => {
    expect(fieldsOf(await rejected([validClaim(payer.organization.id)]))).toEqual(['(body)']);
  });
});

describe('a money amount', () => {
  it.each([
    ['negative "-1.00"', '-1.00'],
    ['zero "0.00"', '0.00'],
    ['zero "0"', '0'],
    ['over-precise "10.005"', '10.005'],
    ['a JSON number 12.5', 12.5],
    ['too large "1000000000000.00"', '1000000000000.00'],
    ['exponent "1e3"', '1e3'],
    ['a trailing dot "12."', '12.'],
    ['with a currency sign "$12.00"', '$12.00'],
    ['with a thousands separator "1,200.00"', '1,200.00'],
    ['empty', ''],
  ])('%s is rejected, naming the line charge', async (_name, amount) => {
    const field = 'serviceLines[0].chargeAmount';
    expect(fieldsOf(await rejected(claimWith(field, amount)))).toEqual([field]);
  });

  it('a JSON number says to send a decimal string', async () => {
    const response = await rejected(claimWith('serviceLines[0].chargeAmount', 125));
    expect(expectProblem(response, 422).errors![0]!.message).toMatch(/decimal string/);
  });

  it.each([
    ['not the sum of the lines', '173.49'],
    ['a JSON number equal to the sum', 173.5],
    ['negative', '-173.50'],
  ])('a totalChargeAmount %s is rejected, naming it', async (_name, total) => {
    const response = await rejected(claimWith('totalChargeAmount', total));
    expect(fieldsOf(response)).toEqual(['totalChargeAmount']);
  });

  it('a total of the lines above NUMERIC(14,2) is rejected, naming serviceLines', async () => {
    const lines = Array.from({ length: 2 }, () => ({ ...line, chargeAmount: '999999999999.99' }));
    expect(fieldsOf(await rejected(claimWith('serviceLines', lines)))).toEqual(['serviceLines']);
  });
});

describe('originalClaimId', () => {
  it('must be absent on an original claim (frequency 1)', async () => {
    const response = await rejected(claimWith('originalClaimId', randomUUID()));
    expect(fieldsOf(response)).toEqual(['originalClaimId']);
  });

  it.each(['7', '8'])('is required with frequency %s', async (frequencyCode) => {
    const response = await rejected(claimWith('frequencyCode', frequencyCode));
    expect(fieldsOf(response)).toEqual(['originalClaimId']);
  });

  it('must be a UUID', async () => {
    const claim = { ...claimWith('frequencyCode', '7'), originalClaimId: 'CLM-1' };
    expect(fieldsOf(await rejected(claim))).toEqual(['originalClaimId']);
  });
});

describe('a reference the database does not back', () => {
  it.each([
    ['a valid UUID of no organization', () => randomUUID()],
    ["a provider's id", () => otherProvider.organization.id],
    ["the submitting provider's own id", () => provider.organization.id],
    ["the operator's id", () => operator.organization.id],
  ])('payerId as %s is a 422 naming payerId', async (_name, payerId) => {
    const response = await rejected(validClaim(payerId()));
    expect(fieldsOf(response)).toEqual(['payerId']);
  });

  it("originalClaimId of another provider's claim is a 422 naming originalClaimId", async () => {
    const foreign = await submitted(validClaim(payer.organization.id), otherProvider);
    const replacement = validClaim(payer.organization.id, {
      frequencyCode: '7',
      originalClaimId: foreign.id,
    });
    const response = await rejected(replacement);
    expect(fieldsOf(response)).toEqual(['originalClaimId']);
    // Exactly the answer for a claim that does not exist: the id leaks nothing.
    const missing = await rejected({ ...replacement, originalClaimId: randomUUID() });
    expect(missing.body).toEqual(response.body);
  });

  it('originalClaimId of an own claim sent to another payer is a 422 naming originalClaimId', async () => {
    const original = await submitted(validClaim(payer.organization.id));
    const replacement = validClaim(otherPayer.organization.id, {
      frequencyCode: '7',
      originalClaimId: original.id,
    });
    expect(fieldsOf(await rejected(replacement))).toEqual(['originalClaimId']);
  });

  it('a replacement and a void of an own claim are accepted', async () => {
    const original = await submitted(validClaim(payer.organization.id));
    for (const frequencyCode of ['7', '8']) {
      const claim = validClaim(payer.organization.id, {
        frequencyCode,
        originalClaimId: original.id,
      });
      const response = await postClaim(app, provider.key, claim);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ frequencyCode, originalClaimId: original.id });
    }
  });
});

describe('characters with meaning in SQL text and array literals', () => {
  it('survive the round trip in the patient control number', async () => {
    const patientControlNumber = 'A\\B"C{D},E\\N';
    const response = await postClaim(
      app,
      provider.key,
      validClaim(payer.organization.id, { patientControlNumber }),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const read = await request(app).get(`/v1/claims/${response.body.id}`).set(bearer(provider.key));
    expect(read.body.patientControlNumber).toBe(patientControlNumber);
  });
});

describe('ICD-10-CM codes of chapter U (emergency use)', () => {
  it('are accepted, e.g. U07.1 (COVID-19)', async () => {
    const response = await postClaim(
      app,
      provider.key,
      validClaim(payer.organization.id, { diagnosisCodes: ['U07.1', 'J12.82'] }),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });
});

describe('an unreadable body', () => {
  it('over 256 kB is a 413', async () => {
    const claim = { ...validClaim(payer.organization.id), padding: 'x'.repeat(300 * 1024) };
    const response = await rejected(claim);
    expect(expectProblem(response, 413).title).toBe('body_too_large');
  });

  it('from a caller who may not submit is a 403 before the body is read', async () => {
    const payerKey = (await createActor(environment, 'payer', 'payer_adjudicator')).key;
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(payerKey))
      .set('Content-Type', 'application/json')
      .send('{"not json');
    expectProblem(response, 403);
  });

  it('with a lone UTF-16 surrogate and an Idempotency-Key is a 422 naming the field', async () => {
    const before = await intakeRowCounts(environment);
    const claim = validClaim(payer.organization.id);
    // JSON allows the escape; RFC 8785 (and so the idempotency hash) cannot carry it.
    const text = JSON.stringify(claim).replace('"Jane"', '"Ja\\ud800ne"');
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(provider.key))
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(text);
    expect(fieldsOf(response)).toEqual(['member.firstName']);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('that is not JSON is a 400', async () => {
    const before = await intakeRowCounts(environment);
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(provider.key))
      .set('Content-Type', 'application/json')
      .send('{"payerId": "');
    expect(expectProblem(response, 400).title).toBe('invalid_json');
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('that is not sent as JSON is a 422, not a 5xx', async () => {
    const before = await intakeRowCounts(environment);
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(provider.key))
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify(validClaim(payer.organization.id)));
    expectProblem(response, 422);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('a valid claim', () => {
  const secrets = {
    memberId: 'ZQX-4471-PHI',
    firstName: 'Philomena',
    lastName: 'Quackenbush',
    birthDate: '1957-06-13',
  };
  let body: ClaimBody;
  let created: {
    id: string;
    status: string;
    totalChargeAmount: string;
    ledgerEventId: string;
  };
  let countsBefore: Awaited<ReturnType<typeof intakeRowCounts>>;

  beforeAll(async () => {
    body = validClaim(payer.organization.id, {
      member: { ...secrets, gender: 'F' },
    });
    countsBefore = await intakeRowCounts(environment);
    const response = await postClaim(app, provider.key, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    created = response.body as typeof created;
  });

  it('is answered 201 with its id, status, exact total and ledger event', () => {
    expect(created).toMatchObject({
      status: 'submitted',
      providerId: provider.organization.id,
      payerId: payer.organization.id,
      patientControlNumber: body.patientControlNumber,
      frequencyCode: '1',
      originalClaimId: null,
      totalChargeAmount: '173.50',
      lineCount: 2,
    });
    expect(created.id).toMatch(UUID);
    expect(created.ledgerEventId).toMatch(UUID);
  });

  it('wrote one claim, its two lines and one ClaimSubmitted event', async () => {
    const after = await intakeRowCounts(environment);
    expect(Number(after!.claims) - Number(countsBefore!.claims)).toBe(1);
    expect(Number(after!.lines) - Number(countsBefore!.lines)).toBe(2);
    expect(Number(after!.events) - Number(countsBefore!.events)).toBe(1);
    const { rows } = await environment.database.pool.query<{
      id: string;
      type: string;
      aggregate_id: string;
      actor_org_id: string;
      party_org_ids: string[];
    }>(
      'SELECT id, type, aggregate_id, actor_org_id, party_org_ids FROM ledger_events WHERE id = $1',
      [created.ledgerEventId],
    );
    expect(rows).toEqual([
      {
        id: created.ledgerEventId,
        type: 'ClaimSubmitted',
        aggregate_id: created.id,
        actor_org_id: provider.organization.id,
        party_org_ids: [provider.organization.id, payer.organization.id],
      },
    ]);
  });

  it.each([
    ['its provider', () => provider],
    ['its payer', () => payer],
  ])('is read back by %s with the member decrypted and the lines', async (_name, actor) => {
    const response = await request(app).get(`/v1/claims/${created.id}`).set(bearer(actor().key));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: created.id,
      status: 'submitted',
      totalChargeAmount: '173.50',
      member: { ...secrets, gender: 'F' },
      diagnosisCodes: ['E119', 'I10'],
      serviceLines: [
        {
          lineNumber: 1,
          procedureCode: '99213',
          modifiers: ['25'],
          chargeAmount: '125.00',
          serviceDate: '2026-11-02',
          diagnosisPointers: [1, 2],
        },
        {
          lineNumber: 2,
          procedureCode: '80053',
          modifiers: [],
          chargeAmount: '48.50',
          serviceDate: '2026-11-02',
          diagnosisPointers: [1],
        },
      ],
      events: [{ id: created.ledgerEventId, type: 'ClaimSubmitted' }],
    });
    const detail = response.body as { serviceLines: { units: string }[] };
    expect(detail.serviceLines.map((serviceLine) => Number(serviceLine.units))).toEqual([1, 1]);
  });

  it('keeps the member PHI out of the database in clear text', async () => {
    const { pool } = environment.database;
    for (const secret of Object.values(secrets)) {
      const { rows } = await pool.query<{ claims: string; events: string; idempotency: string }>(
        `SELECT (SELECT count(*) FROM claims c WHERE c::text LIKE '%' || $1 || '%') AS claims,
                (SELECT count(*) FROM ledger_events e WHERE e::text LIKE '%' || $1 || '%') AS events,
                (SELECT count(*) FROM idempotency_records r WHERE r::text LIKE '%' || $1 || '%')
                  AS idempotency`,
        [secret],
      );
      expect(rows[0], secret).toEqual({ claims: '0', events: '0', idempotency: '0' });
    }
    const claim = await pool.query<{ member_ciphertext: string; member_id_index: string }>(
      'SELECT member_ciphertext, member_id_index FROM claims WHERE id = $1',
      [created.id],
    );
    expect(claim.rows[0]!.member_ciphertext).not.toContain(secrets.lastName);
    expect(claim.rows[0]!.member_ciphertext).not.toContain(secrets.memberId);
    expect(claim.rows[0]!.member_id_index).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has a ledger payload of opaque ids, amounts and a commitment only', async () => {
    const { rows } = await environment.database.pool.query<{ payload: Record<string, unknown> }>(
      'SELECT payload FROM ledger_events WHERE id = $1',
      [created.ledgerEventId],
    );
    const payload = rows[0]!.payload;
    expect(Object.keys(payload).sort()).toEqual([
      'claimCommitment',
      'claimId',
      'frequencyCode',
      'lineCount',
      'originalClaimId',
      'payerOrgId',
      'providerOrgId',
      'totalChargeAmount',
    ]);
    const text = JSON.stringify(payload);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(payload).toMatchObject({ claimId: created.id, totalChargeAmount: '173.50' });

    // The salt handed to the claim's parties opens the commitment to exactly this claim.
    const detail = await request(app).get(`/v1/claims/${created.id}`).set(bearer(payer.key));
    const { salt } = (detail.body as { commitment: { salt: string } }).commitment;
    const parsed = claimSubmissionSchema.parse(body);
    expect(payload.claimCommitment).toBe(sha256Hex(salt + canonicalJson(parsed)));
  });
});

describe('the total charge', () => {
  it.each([
    [['0.10', '0.20'], '0.30'],
    [['0.1', '0.2', '1234567.89'], '1234568.19'],
    [['999999999.99', '0.01'], '1000000000.00'],
    [['33.33', '33.33', '33.34'], '100.00'],
  ])('of lines %j is the exact decimal sum %s', async (charges, total) => {
    const lines = charges.map((chargeAmount) => ({ ...line, chargeAmount }));
    const created = await submitted(claimWith('serviceLines', lines));
    expect(created.totalChargeAmount).toBe(total);
    const { rows } = await environment.database.pool.query<{ total: string }>(
      'SELECT total_charge_amount::text AS total FROM claims WHERE id = $1',
      [created.id],
    );
    expect(rows[0]!.total).toBe(total);
  });

  it('may be stated, and is accepted when it equals the sum', async () => {
    const created = await submitted(claimWith('totalChargeAmount', '173.5'));
    expect(created.totalChargeAmount).toBe('173.50');
  });

  it('of the largest claim (50 lines, 12 diagnosis codes) is accepted', async () => {
    const diagnosisCodes = Array.from({ length: 12 }, (_, i) => `J${10 + i}`);
    const lines = Array.from({ length: 50 }, () => ({
      ...line,
      chargeAmount: '19999999999.99',
      diagnosisPointers: [12],
    }));
    const claim = { ...claimWith('serviceLines', lines), diagnosisCodes };
    const created = await submitted(claim);
    expect(created.totalChargeAmount).toBe('999999999999.50');
  });
});
