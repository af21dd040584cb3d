// Fuzzing every route from the OpenAPI document itself, against the server listening on a port:
// requests are generated from the document's schemas (json-schema-faker) and mutated (fast-check),
// sent with real keys of the roles the document names on a fresh database with seed data. No
// answer is a 5xx, and every answer is documented: its status, its content type, and its body
// valid against the documented schema (ajv). So the document cannot promise what the API does
// not do, whoever changes either.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { generateSync, type JsonSchema } from 'json-schema-faker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, testApp, type TestEnvironment } from '../support/environment.js';
import { encodeHostile, hostilePathSegment, hostileText, mutated } from '../support/fuzz.js';
import { createFuzzFixture, type Caller, type Fixture } from '../support/fuzz-fixture.js';

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Random requests per operation; some 500 in all. */
const RUNS_PER_OPERATION = 8;

type Schema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

interface Operation {
  'x-roles'?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Each fixture key's role, as the document names roles. */
const ROLE_OF: Record<Exclude<Caller, 'nobody'>, string> = {
  biller: 'provider_biller',
  providerFinance: 'finance',
  payerAdjudicator: 'payer_adjudicator',
  payerAdmin: 'admin',
  payerFinance: 'finance',
  operatorAdmin: 'admin',
  operatorAuditor: 'auditor',
  providerAdmin: 'admin',
};

let environment: TestEnvironment;
let server: Server;
let baseUrl: string;
let fixture: Fixture;
let document: Document;
let ajv: Ajv2020;

beforeAll(async () => {
  environment = await createTestEnvironment();
  const app = testApp(environment);
  fixture = await createFuzzFixture(environment, app);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const answer = await fetch(`${baseUrl}/openapi.json`);
  expect(answer.status).toBe(200);
  document = (await answer.json()) as Document;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'components', components: document.components });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await environment.close();
});

// ---------------------------------------------------------------------------------------
// Requests from the document.

interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );

/** A value of `schema` from json-schema-faker, reproducible from a seed fast-check chose. */
function generated(schema: Schema): fc.Arbitrary<unknown> {
  return fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) =>
    generateSync(schema as JsonSchema, {
      seed,
      optionalsProbability: 0.7,
      useExamplesValue: true,
    }),
  );
}

/** Valid by the schema, or made hostile in one or two places. */
function bodyValue(schema: Schema): fc.Arbitrary<unknown> {
  return generated(schema).chain((value) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(value) },
      { weight: 3, arbitrary: mutated(value) },
    ),
  );
}

const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The real records a path parameter may name, by the path segment before it: the document says a
 * parameter is a UUID, the seed data knows which UUID is a claim's. Any other is tried too.
 */
function realIdsOf(segment: string): string[] {
  const { claimId, pendedClaimId, batchId, runId, eventId, planId, memberId, coverageId } = fixture;
  const ids: Record<string, string[]> = {
    claims: [claimId, pendedClaimId],
    Claim: [claimId],
    ClaimResponse: [claimId],
    ExplanationOfBenefit: [claimId],
    batches: [batchId],
    PaymentReconciliation: [batchId],
    runs: [runId],
    events: [eventId],
    blocks: ['1'],
    plans: [planId],
    members: [memberId],
    coverages: [coverageId],
    'api-keys': [fixture.spareKeyId],
    interchanges: [fixture.interchangeId],
    clearinghouses: [fixture.clearinghouseId],
    organizations: ['me', fixture.payerId, fixture.providerId],
  };
  return ids[segment] ?? [];
}

function pathValue(path: string, parameter: Parameter): fc.Arbitrary<string> {
  // The segment before the parameter: "/v1/payer/members/{id}/coverages" → "members".
  const segment =
    path
      .slice(0, path.indexOf(`/{${parameter.name}}`))
      .split('/')
      .pop() ?? '';
  const real = realIdsOf(segment);
  const fromSchema = generated(parameter.schema).map((value) => encodeURIComponent(text(value)));
  return fc.oneof(
    ...(real.length > 0 ? [{ weight: 6, arbitrary: fc.constantFrom(...real) }] : []),
    { weight: 1, arbitrary: fromSchema },
    { weight: 1, arbitrary: hostilePathSegment },
  );
}

function queryPart(parameter: Parameter): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 3, arbitrary: generated(parameter.schema).map(text) },
    hostileText,
  );
  const pair = value.map((item) => `${parameter.name}=${encodeHostile(item)}`);
  // An optional parameter is left out half the time, so that the others are judged alone.
  return parameter.required ? pair : fc.option(pair, { nil: '', freq: 2 });
}

function callerKeys(operation: Operation): (string | undefined)[] {
  if (operation.security?.length === 0) return [undefined];
  const roles = operation['x-roles'];
  const allowed = Object.entries(ROLE_OF)
    .filter(([, role]) => !roles || roles.includes(role))
    .map(([caller]) => fixture.keys[caller as Exclude<Caller, 'nobody'>]);
  return allowed;
}

function requestOf(path: string, operation: Operation): fc.Arbitrary<FuzzRequest> {
  const parameters = operation.parameters ?? [];
  const ofKind = (kind: Parameter['in']) => parameters.filter((item) => item.in === kind);
  const pathValues = fc.record(
    Object.fromEntries(ofKind('path').map((item) => [item.name, pathValue(path, item)])),
  );
  const query = fc.tuple(...ofKind('query').map(queryPart));
  const idempotencyKey = ofKind('header').some((item) => item.name === 'Idempotency-Key')
    ? fc.option(fc.oneof(fc.uuid(), hostileText), { nil: undefined })
    : fc.constant(undefined);
  const [contentType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  const body: fc.Arbitrary<string | undefined> = !media
    ? fc.constant(undefined)
    : contentType!.includes('json')
      ? bodyValue(media.schema).map((value) => JSON.stringify(value) ?? 'null')
      : fc.oneof(generated(media.schema).map(text), hostileText);
  return fc
    .record({
      pathValues,
      query,
      idempotencyKey,
      body,
      key: fc.constantFrom(...callerKeys(operation)),
    })
    .map(({ pathValues: values, query: parts, idempotencyKey: idempotency, body: sent, key }) => {
      const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
      const search = parts.filter(Boolean).join('&');
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (idempotency !== undefined) headers['idempotency-key'] = encodeHostile(idempotency);
      if (sent !== undefined) headers['content-type'] = contentType!;
      return { path: search ? `${filled}?${search}` : filled, headers, body: sent };
    });
}

// ---------------------------------------------------------------------------------------
// Answers against the document.

const validators = new Map<Schema, ValidateFunction>();

function validatorOf(schema: Schema): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"components#/components/');
    validate = ajv.compile(JSON.parse(text) as Schema);
    validators.set(schema, validate);
  }
  return validate;
}

/** What is wrong with the answer by the document, or undefined when it is as documented. */
function undocumented(operation: Operation, status: number, type: string, bodyText: string) {
  const documented =
    operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`];
  if (!documented) return `status ${status} is not documented`;
  const media = documented.content?.[type];
  if (!media) return `content type ${type} is not documented for ${status}`;
  if (!type.includes('json')) return undefined;
  const validate = validatorOf(media.schema);
  if (validate(JSON.parse(bodyText))) return undefined;
  return `the body does not match the documented schema: ${ajv.errorsText(validate.errors)}`;
}

async function send(method: string, fuzzed: FuzzRequest) {
  const answer = await fetch(`${baseUrl}${fuzzed.path}`, {
    method: method.toUpperCase(),
    headers: fuzzed.headers,
    ...(fuzzed.body === undefined ? {} : { body: fuzzed.body }),
    redirect: 'manual',
  });
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  return { status: answer.status, type, bodyText: await answer.text() };
}

/** Reads of the seed data's records, each answered 200 with the body its schema documents. */
function recordReads(): [path: string, template: string, caller: Exclude<Caller, 'nobody'>][] {
  const { claimId, batchId, eventId } = fixture;
  return [
    [`/v1/claims/${claimId}`, '/v1/claims/{id}', 'biller'],
    ['/v1/claims', '/v1/claims', 'payerAdjudicator'],
    [`/v1/settlement/batches/${batchId}`, '/v1/settlement/batches/{id}', 'payerFinance'],
    ['/v1/settlement/batches', '/v1/settlement/batches', 'providerFinance'],
    ['/v1/balances', '/v1/balances', 'payerFinance'],
    ['/v1/ledger/head', '/v1/ledger/head', 'operatorAuditor'],
    ['/v1/ledger/blocks', '/v1/ledger/blocks', 'operatorAuditor'],
    ['/v1/ledger/blocks/1', '/v1/ledger/blocks/{height}', 'operatorAuditor'],
    [`/v1/ledger/events/${eventId}/proof`, '/v1/ledger/events/{id}/proof', 'operatorAuditor'],
    ['/v1/organizations', '/v1/organizations', 'biller'],
  ];
}

describe('fuzzing every documented route from the document', () => {
  it('has every route of the document to fuzz', () => {
    expect(operations().length).toBeGreaterThan(60);
  });

  it('answers the seed records with the bodies their schemas document', async () => {
    for (const [path, template, caller] of recordReads()) {
      const operation = document.paths[template]!.get!;
      // A schema of its own, not the bare "an object" of a route without one.
      const documented = operation.responses['200']?.content?.['application/json']?.schema;
      expect(documented?.properties, template).toBeDefined();
      const answer = await send('get', {
        path,
        headers: { authorization: `Bearer ${fixture.keys[caller]}` },
      });
      expect(answer.status, `${path}: ${answer.bodyText.slice(0, 300)}`).toBe(200);
      expect(undocumented(operation, answer.status, answer.type, answer.bodyText), path).toBe(
        undefined,
      );
    }
  });

  it('answers no 5xx, and every answer as documented', async () => {
    const statuses = new Map<string, number>();
    for (const { path, method, operation } of operations()) {
      await fc.assert(
        fc.asyncProperty(requestOf(path, operation), async (fuzzed) => {
          const answer = await send(method, fuzzed);
          const where = `${method.toUpperCase()} ${fuzzed.path.slice(0, 200)} ${fuzzed.body?.slice(0, 300) ?? ''} → ${answer.status} ${answer.bodyText.slice(0, 300)}`;
          expect(answer.status, where).toBeLessThan(500);
          expect(undocumented(operation, answer.status, answer.type, answer.bodyText), where).toBe(
            undefined,
          );
          const band = `${String(answer.status)[0]}xx`;
          statuses.set(band, (statuses.get(band) ?? 0) + 1);
        }),
        { numRuns: RUNS_PER_OPERATION * SCALE, seed: SEED, endOnFailure: true },
      );
    }
    console.log(JSON.stringify([...statuses]));
    // The requests reached past validation too, not only into 4xx answers.
    expect(statuses.get('2xx') ?? 0).toBeGreaterThan(50);
  }, 120_000);
});
