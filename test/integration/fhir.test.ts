// The FHIR R4 interface on the real database: POST /v1/fhir/Claim makes the same claim as
// POST /v1/claims (same intake, same ledger commitment, same idempotency), bad input names the
// FHIR path and writes nothing, and ClaimResponse / ExplanationOfBenefit come from the claim and
// its latest decision row, for its provider and payer only.
import { randomUUID } from 'node:crypto';
import type { Claim } from '@medplum/fhirtypes';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdjudicationResult } from '../../src/domain/adjudication/types.js';
import { canonicalJson } from '../../src/ledger/canonical.js';
import { sha256Hex } from '../../src/ledger/hash.js';
import type { DecidedRecord } from '../../src/domain/adjudication/types.js';
import {
  claimResponseOf,
  explanationOfBenefitOf,
} from '../../src/interop/fhir/adjudication-out.js';
import { bearer, postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { fhirProblemsOf, sampleDecision, sampleFhirClaim } from '../interop/fhir/samples.js';

let environment: TestEnvironment;
let app: Express;
let provider: Actor;
let otherProvider: Actor;
let payer: Actor;
let otherPayer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller');
  otherProvider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment.close();
});

const FHIR_JSON = 'application/fhir+json';

function postFhirClaim(body: unknown, idempotencyKey?: string, key = provider.key) {
  const call = request(app).post('/v1/fhir/Claim').set(bearer(key)).set('Content-Type', FHIR_JSON);
  if (idempotencyKey !== undefined) call.set('Idempotency-Key', idempotencyKey);
  return call.send(JSON.stringify(body));
}

function getFhir(path: string, actor: Actor = provider) {
  return request(app).get(`/v1/fhir/${path}`).set(bearer(actor.key));
}

/** supertest parses application/json only; FHIR answers are application/fhir+json. */
function resourceOf(response: Response): Record<string, unknown> {
  expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
  return JSON.parse(response.text) as Record<string, unknown>;
}

interface Issue {
  severity: string;
  code: string;
  details: { text: string };
  expression?: string[];
  location?: string[];
}

/** Asserts an OperationOutcome answer with this status; returns its issues. */
function issuesOf(response: Response, status: number): Issue[] {
  expect(response.status, response.text).toBe(status);
  const outcome = resourceOf(response) as { resourceType: string; issue: Issue[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(fhirProblemsOf(outcome as never)).toEqual([]);
  return outcome.issue;
}

type Counts = Awaited<ReturnType<typeof intakeRowCounts>>;
const unchanged = async (before: Counts) =>
  expect(await intakeRowCounts(environment)).toEqual(before);

function uniquePcn() {
  return `PCN-${randomUUID().slice(0, 8)}`;
}

/** The sample claim in the JSON API's own form: what the FHIR mapping should produce. */
function jsonClaimOf(patientControlNumber: string) {
  return {
    payerId: payer.organization.id,
    patientControlNumber,
    frequencyCode: '1',
    member: {
      memberId: 'W123456789',
      firstName: 'Jane',
      lastName: 'Doe',
      birthDate: '1980-02-29',
      gender: 'F',
    },
    diagnosisCodes: ['E11.9', 'I10'],
    serviceLines: [
      {
        procedureCode: '99213',
        modifiers: ['25'],
        units: 1,
        chargeAmount: '125.00',
        serviceDate: '2026-03-02',
        diagnosisPointers: [1, 2],
      },
      {
        procedureCode: '80053',
        units: 1,
        chargeAmount: '48.50',
        serviceDate: '2026-03-02',
        diagnosisPointers: [1],
      },
      {
        procedureCode: '97810',
        units: 1,
        chargeAmount: '60.00',
        serviceDate: '2026-03-02',
        diagnosisPointers: [2],
      },
    ],
    totalChargeAmount: '233.50',
  };
}

async function submitFhir(patientControlNumber = uniquePcn()): Promise<string> {
  const response = await postFhirClaim(
    sampleFhirClaim(payer.organization.id, patientControlNumber),
  );
  expect(response.status, response.text).toBe(201);
  return (resourceOf(response) as { id: string }).id;
}

async function commitmentOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ payload: { claimCommitment: string } }>(
    "SELECT payload FROM ledger_events WHERE aggregate_id = $1 AND type = 'ClaimSubmitted'",
    [claimId],
  );
  return rows[0]!.payload.claimCommitment;
}

describe('POST /v1/fhir/Claim', () => {
  it('creates the same claim as POST /v1/claims, answering 201 with the Claim and its Location', async () => {
    const pcn = uniquePcn();
    const response = await postFhirClaim(sampleFhirClaim(payer.organization.id, pcn));
    expect(response.status, response.text).toBe(201);
    const created = resourceOf(response) as unknown as Claim;
    expect(response.headers.location).toBe(`/v1/fhir/Claim/${created.id}`);
    expect(fhirProblemsOf(created)).toEqual([]);

    // The same claim sent as JSON is the claim already received: intake names it.
    const again = await postClaim(app, provider.key, jsonClaimOf(pcn));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: created.id, duplicate: true, status: 'submitted' });
    // As JSON under another control number it is a claim of its own, otherwise the same.
    const otherPcn = uniquePcn();
    const viaJson = await postClaim(app, provider.key, jsonClaimOf(otherPcn));
    expect(viaJson.status).toBe(201);
    const read = async (id: string) =>
      (await request(app).get(`/v1/claims/${id}`).set(bearer(provider.key))).body as Record<
        string,
        unknown
      >;
    const [fromFhir, fromJson] = [await read(created.id!), await read(viaJson.body.id)];
    const content = ({ id, submittedAt, events, commitment, ...rest }: Record<string, unknown>) => {
      expect([id, submittedAt, events, commitment]).not.toContain(undefined);
      return rest;
    };
    expect(content(fromFhir)).toStrictEqual({
      ...content(fromJson),
      patientControlNumber: pcn,
    });
    expect(fromFhir).toMatchObject({ status: 'submitted', providerId: provider.organization.id });

    // The ledger commits to the same claim content: the commitment of the JSON claim as accepted.
    const accepted = {
      ...jsonClaimOf(pcn),
      diagnosisCodes: ['E119', 'I10'],
      serviceLines: jsonClaimOf(pcn).serviceLines.map((line) => ({ modifiers: [], ...line })),
    };
    const salt = (fromFhir.commitment as { salt: string }).salt;
    expect(await commitmentOf(created.id!)).toBe(sha256Hex(salt + canonicalJson(accepted)));
  });

  it('answers the same Claim again on GET /v1/fhir/Claim/:id, for the provider and the payer', async () => {
    const response = await postFhirClaim(sampleFhirClaim(payer.organization.id, uniquePcn()));
    const id = (resourceOf(response) as { id: string }).id;
    for (const actor of [provider, payer]) {
      const read = await getFhir(`Claim/${id}`, actor);
      expect(read.status).toBe(200);
      expect(read.text).toBe(response.text);
    }
  });

  it('accepts application/json too, and a replacement named by Claim.related', async () => {
    const original = await submitFhir();
    const replacement = sampleFhirClaim(payer.organization.id, uniquePcn());
    replacement.related = [
      {
        claim: { reference: `Claim/${original}` },
        relationship: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
              code: 'prior',
            },
          ],
        },
      },
    ];
    const response = await request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(provider.key))
      .send(replacement);
    expect(response.status, response.text).toBe(201);
    const read = await request(app)
      .get(`/v1/claims/${(resourceOf(response) as { id: string }).id}`)
      .set(bearer(provider.key));
    expect(read.body).toMatchObject({ frequencyCode: '7', originalClaimId: original });
  });
});

describe('bad FHIR input names the FHIR path and writes nothing', () => {
  it('a charge with 3 decimals: 422 at Claim.item[1].net.value', async () => {
    const before = await intakeRowCounts(environment);
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    claim.item![1]!.net = { value: 48.505, currency: 'USD' };
    const issues = issuesOf(await postFhirClaim(claim, randomUUID()), 422);
    expect(issues).toStrictEqual([
      {
        severity: 'error',
        code: 'invalid',
        details: { text: 'must have at most 2 decimal places' },
        expression: ['Claim.item[1].net.value'],
      },
    ]);
    await unchanged(before);
  });

  it('several problems at once, each at its path', async () => {
    const before = await intakeRowCounts(environment);
    const claim = sampleFhirClaim(payer.organization.id, 'PCN*1');
    delete claim.item![2]!.servicedDate;
    claim.diagnosis![1]!.diagnosisCodeableConcept!.coding![0]!.code = 'XYZ';
    const issues = issuesOf(await postFhirClaim(claim), 422);
    expect(issues.map((issue) => [issue.code, issue.expression![0]])).toEqual([
      ['invalid', 'Claim.identifier[0].value'],
      ['invalid', 'Claim.diagnosis[1].diagnosisCodeableConcept.coding[0].code'],
      ['required', 'Claim.item[2].servicedDate'],
    ]);
    await unchanged(before);
  });

  it('an insurer that is no payer (found by intake): 422 at Claim.insurer.reference', async () => {
    const before = await intakeRowCounts(environment);
    const claim = sampleFhirClaim(otherProvider.organization.id, uniquePcn());
    const issues = issuesOf(await postFhirClaim(claim, randomUUID()), 422);
    expect(issues).toStrictEqual([
      {
        severity: 'error',
        code: 'invalid',
        details: { text: 'no payer organization has this id' },
        expression: ['Claim.insurer.reference'],
      },
    ]);
    await unchanged(before);
  });

  it('a replacement of another provider’s claim: 422 at the related claim', async () => {
    const theirs = await (async () => {
      const response = await postFhirClaim(
        sampleFhirClaim(payer.organization.id, uniquePcn()),
        undefined,
        otherProvider.key,
      );
      return (resourceOf(response) as { id: string }).id;
    })();
    const before = await intakeRowCounts(environment);
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    claim.related = [
      {
        claim: { reference: `Claim/${theirs}` },
        relationship: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
              code: 'prior',
            },
          ],
        },
      },
    ];
    const issues = issuesOf(await postFhirClaim(claim), 422);
    expect(issues.map((issue) => issue.expression)).toEqual([['Claim.related[0].claim.reference']]);
    await unchanged(before);
  });

  it('not a Claim: 400; not JSON: 400; another media type: 415; too large: 413', async () => {
    const before = await intakeRowCounts(environment);
    const patient = issuesOf(await postFhirClaim({ resourceType: 'Patient' }), 400);
    expect(patient[0]).toMatchObject({ code: 'structure', expression: ['Claim.resourceType'] });
    const notJson = await request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(provider.key))
      .set('Content-Type', FHIR_JSON)
      .send('{"resourceType": "Claim",');
    expect(issuesOf(notJson, 400)[0]!.details.text).toBe('the request body is not valid JSON');
    const text = await request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(provider.key))
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(issuesOf(text, 415)[0]!.code).toBe('not-supported');
    const large = sampleFhirClaim(payer.organization.id, uniquePcn());
    large.text = { status: 'generated', div: `<div>${'x'.repeat(300_000)}</div>` };
    expect(issuesOf(await postFhirClaim(large), 413)[0]!.code).toBe('too-long');
    await unchanged(before);
  });

  it('no key: 401; a payer submitting: 403; both as OperationOutcome', async () => {
    const anonymous = await request(app)
      .post('/v1/fhir/Claim')
      .set('Content-Type', FHIR_JSON)
      .send('{}');
    expect(issuesOf(anonymous, 401)[0]!.code).toBe('login');
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    expect(issuesOf(await postFhirClaim(claim, undefined, payer.key), 403)[0]!.code).toBe(
      'forbidden',
    );
  });
});

describe('idempotency works as on POST /v1/claims', () => {
  it('the same key and body: the first answer byte for byte, one claim', async () => {
    const key = randomUUID();
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    const first = await postFhirClaim(claim, key);
    expect(first.status).toBe(201);
    const before = await intakeRowCounts(environment);
    const again = await Promise.all([postFhirClaim(claim, key), postFhirClaim(claim, key)]);
    for (const response of again) {
      expect(response.status).toBe(201);
      expect(response.text).toBe(first.text);
      expect(response.headers.location).toBe(first.headers.location);
    }
    await unchanged(before);
  });

  it('concurrent first requests with one key still make one claim', async () => {
    const key = randomUUID();
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    const before = await intakeRowCounts(environment);
    const answers = await Promise.all(Array.from({ length: 5 }, () => postFhirClaim(claim, key)));
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    const after = await intakeRowCounts(environment);
    expect(Number(after!.claims) - Number(before!.claims)).toBe(1);
  });

  it('the same key with another body: 409, nothing written', async () => {
    const key = randomUUID();
    await postFhirClaim(sampleFhirClaim(payer.organization.id, uniquePcn()), key);
    const before = await intakeRowCounts(environment);
    const other = sampleFhirClaim(payer.organization.id, uniquePcn());
    expect(issuesOf(await postFhirClaim(other, key), 409)[0]!.code).toBe('conflict');
    await unchanged(before);
  });

  it('a key used on POST /v1/claims is another request here: 409', async () => {
    const key = randomUUID();
    const pcn = uniquePcn();
    expect((await postClaim(app, provider.key, jsonClaimOf(pcn), key)).status).toBe(201);
    const issues = issuesOf(
      await postFhirClaim(sampleFhirClaim(payer.organization.id, pcn), key),
      409,
    );
    expect(issues[0]!.details.text).toBe(
      'this Idempotency-Key was already used with a different request',
    );
  });

  it('a rejected claim does not use up its key', async () => {
    const key = randomUUID();
    const claim = sampleFhirClaim(payer.organization.id, uniquePcn());
    claim.item![0]!.servicedDate = '2099-01-01';
    issuesOf(await postFhirClaim(claim, key), 422);
    claim.item![0]!.servicedDate = '2026-03-02';
    expect((await postFhirClaim(claim, key)).status).toBe(201);
  });

  it('a malformed key is named as an HTTP header', async () => {
    const issues = issuesOf(
      await postFhirClaim(sampleFhirClaim(payer.organization.id, uniquePcn()), 'has space'),
      422,
    );
    expect(issues[0]!.location).toEqual(['http.Idempotency-Key']);
  });
});

async function insertDecision(claimId: string, result: AdjudicationResult, decidedAt: Date) {
  const decided = result.outcome === 'decided';
  const id = randomUUID();
  await environment.database.pool.query(
    `INSERT INTO claim_decisions (id, claim_id, decided_at, decided_by, status, paid_amount,
       patient_responsibility_amount, result, config_versions, ledger_event_id)
     VALUES ($1, $2, $3, 'auto', $4, $5, $6, $7, '{}', $8)`,
    [
      id,
      claimId,
      decidedAt,
      decided ? result.status : 'pended',
      decided ? result.totals.paidAmount : '0.00',
      decided ? result.totals.patientResponsibilityAmount : '0.00',
      JSON.stringify(result),
      randomUUID(),
    ],
  );
  return id;
}

describe('GET ClaimResponse and ExplanationOfBenefit', () => {
  it('without a decision: a queued ClaimResponse and no ExplanationOfBenefit', async () => {
    const claimId = await submitFhir();
    const response = await getFhir(`ClaimResponse/${claimId}`);
    expect(response.status).toBe(200);
    const claimResponse = resourceOf(response);
    expect(claimResponse).toMatchObject({ id: claimId, outcome: 'queued' });
    expect(fhirProblemsOf(claimResponse as never)).toEqual([]);
    const issues = issuesOf(await getFhir(`ExplanationOfBenefit/${claimId}`), 404);
    expect(issues[0]!.code).toBe('not-found');
  });

  it('a pended claim: queued; still no ExplanationOfBenefit', async () => {
    const claimId = await submitFhir();
    await insertDecision(
      claimId,
      { outcome: 'pend', pendReasons: ['a person must look'] },
      new Date('2026-03-21T08:00:00.000Z'),
    );
    const response = resourceOf(await getFhir(`ClaimResponse/${claimId}`, payer));
    expect(response).toMatchObject({
      outcome: 'queued',
      disposition: 'Pended for review by the payer',
    });
    issuesOf(await getFhir(`ExplanationOfBenefit/${claimId}`, payer), 404);
  });

  it('decided by the engine: the mappers’ resources from the latest decision row, valid FHIR', async () => {
    const claimId = await submitFhir();
    await insertDecision(
      claimId,
      { outcome: 'pend', pendReasons: ['first pended'] },
      new Date('2026-03-21T08:00:00.000Z'),
    );
    const result = sampleDecision();
    const decidedAt = new Date('2026-03-22T09:30:00.000Z');
    const decisionId = await insertDecision(claimId, result, decidedAt);

    const claim = await request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key));
    const record: DecidedRecord = {
      id: decisionId,
      decidedAt: decidedAt.toISOString(),
      decidedBy: 'auto',
      status: result.status,
      paidAmount: result.totals.paidAmount,
      patientResponsibilityAmount: result.totals.patientResponsibilityAmount,
      result,
    };
    for (const actor of [provider, payer]) {
      const claimResponse = resourceOf(await getFhir(`ClaimResponse/${claimId}`, actor));
      expect(claimResponse).toStrictEqual(
        JSON.parse(JSON.stringify(claimResponseOf(claim.body, record))),
      );
      expect(claimResponse).toMatchObject({
        outcome: 'complete',
        meta: { versionId: decisionId },
        payment: { amount: { value: 48, currency: 'USD' } },
      });
      expect(fhirProblemsOf(claimResponse as never)).toEqual([]);

      const eob = resourceOf(await getFhir(`ExplanationOfBenefit/${claimId}`, actor));
      expect(eob).toStrictEqual(
        JSON.parse(JSON.stringify(explanationOfBenefitOf(claim.body, record))),
      );
      expect(fhirProblemsOf(eob as never)).toEqual([]);
    }
  });

  it('another provider or payer: 404 as for a claim that does not exist', async () => {
    const claimId = await submitFhir();
    await insertDecision(claimId, sampleDecision(), new Date('2026-03-22T09:30:00.000Z'));
    for (const actor of [otherProvider, otherPayer]) {
      for (const path of ['Claim', 'ClaimResponse', 'ExplanationOfBenefit']) {
        const issues = issuesOf(await getFhir(`${path}/${claimId}`, actor), 404);
        expect(issues[0]!.code).toBe('not-found');
      }
    }
    for (const path of [`ClaimResponse/${randomUUID()}`, 'ClaimResponse/not-a-uuid', 'Patient/1']) {
      issuesOf(await getFhir(path), 404);
    }
  });
});
