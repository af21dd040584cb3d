// The OpenAPI document and the /docs page: every route the app registers is documented (and
// nothing else), the schemas in it are the ones the routes validate with, every schema compiles
// as JSON Schema 2020-12, and the reference page loads nothing from another host.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../support/routes.js';
import { createTestEnvironment, testApp, type TestEnvironment } from '../support/environment.js';

interface Operation {
  tags: string[];
  summary: string;
  security?: unknown[];
  'x-roles'?: string[];
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> };
  security: unknown[];
}

let environment: TestEnvironment;
let app: Express;
let document: Document;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  const response = await request(app).get('/openapi.json');
  expect(response.status).toBe(200);
  document = response.body as Document;
});

afterAll(async () => {
  await environment.close();
});

/** "METHOD /path/:param" for each operation of the document, as express writes paths. */
function documentedRoutes(): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map(
      (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
    ),
  );
}

function operation(method: string, path: string): Operation {
  const found = document.paths[path]?.[method];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1, served without an API key', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.security).toEqual([{ apiKey: [] }]);
    expect(document.components.securitySchemes.apiKey).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('documents every route the app registers, and no other', () => {
    // A splat ("/tile/*tile") is a path parameter like ":tile" in the document.
    const registered = registeredRoutes(app)
      .map((route) => route.replace(/\*(\w+)/g, ':$1'))
      .sort();
    expect(registered.length).toBeGreaterThan(60);
    expect(documentedRoutes().sort()).toEqual(registered);
  });

  it('states roles, public routes, path parameters and Idempotency-Key from the route table', () => {
    const submit = operation('post', '/v1/claims');
    expect(submit['x-roles']).toEqual(['provider_biller']);
    expect(submit.parameters?.map((parameter) => `${parameter.in} ${parameter.name}`)).toEqual([
      'header Idempotency-Key',
    ]);
    expect(operation('get', '/health').security).toEqual([]);
    expect(operation('get', '/v1/claims').security).toBeUndefined();
    const read = operation('get', '/v1/claims/{id}');
    expect(read.parameters).toEqual([
      expect.objectContaining({
        name: 'id',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ type: 'string', format: 'uuid' }),
      }),
    ]);
    // FHIR ids are checked by hand (any string; not ours: 404), still a path parameter.
    expect(operation('get', '/v1/fhir/Claim/{id}').parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('shows the request schemas the routes validate with', () => {
    const claim = operation('post', '/v1/claims').requestBody!.content['application/json']!
      .schema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(claim.properties)).toEqual(
      expect.arrayContaining(['payerId', 'member', 'diagnosisCodes', 'serviceLines']),
    );
    expect(claim.required).toEqual(expect.arrayContaining(['payerId', 'serviceLines']));
    const list = operation('get', '/v1/claims').parameters!;
    expect(list.map((parameter) => parameter.name)).toEqual([
      'status',
      'patientControlNumber',
      'submittedFrom',
      'submittedTo',
      'limit',
      'cursor',
    ]);
    expect(list.find((parameter) => parameter.name === 'status')!.schema.enum).toContain('pended');
    expect(
      operation('post', '/v1/x12/837').requestBody!.content['application/edi-x12']!.schema,
    ).toEqual({ type: 'string' });
    expect(
      operation('post', '/v1/payer/fee-schedule/csv').requestBody!.content['text/csv'],
    ).toBeDefined();
    expect(
      operation('post', '/v1/fhir/Claim').requestBody!.content['application/fhir+json']!.schema,
    ).toMatchObject({ properties: { resourceType: { const: 'Claim' } } });
  });

  it('answers errors as problem details, and FHIR errors as OperationOutcome', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const found of Object.values(operations)) {
        const errorType = path.startsWith('/v1/fhir/')
          ? {
              'application/fhir+json': {
                schema: { $ref: '#/components/schemas/OperationOutcome' },
              },
            }
          : { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
        expect(found.responses['4XX']?.content, path).toEqual(errorType);
        expect(found.responses['503']?.content, path).toEqual(errorType);
      }
    }
    expect(document.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'detail'],
    });
  });

  it('holds only schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'components', ...document.components }, 'components');
    const schemas: object[] = [];
    for (const operations of Object.values(document.paths)) {
      for (const found of Object.values(operations)) {
        for (const parameter of found.parameters ?? []) schemas.push(parameter.schema);
        for (const media of Object.values(found.requestBody?.content ?? {})) {
          schemas.push(media.schema);
        }
        for (const answer of Object.values(found.responses)) {
          for (const media of Object.values(answer.content ?? {})) schemas.push(media.schema);
        }
      }
    }
    expect(schemas.length).toBeGreaterThan(200);
    for (const schema of schemas) {
      const text = JSON.stringify(schema).replaceAll('"#/components/', '"components#/');
      expect(() => ajv.compile(JSON.parse(text) as object), text.slice(0, 200)).not.toThrow();
    }
  });
});

describe('the /docs page', () => {
  it('loads only files from this server, and each of them is there', async () => {
    const page = await request(app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/\b(https?:)?\/\/[a-z0-9.-]+/i);
    const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(references).toEqual([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/swagger-ui-bundle.js',
    ]);
    for (const reference of references) {
      const asset = await request(app).get(reference);
      expect(asset.status, reference).toBe(200);
      expect(asset.headers['content-type']).toMatch(
        reference.endsWith('.js') ? /javascript/ : /css/,
      );
    }
    // The page points Swagger UI at our document and turns its outside validator off.
    expect(page.text).toContain("url: '/openapi.json'");
    expect(page.text).toContain('validatorUrl: null');
  });

  it('answers a missing asset 404 as any unknown path', async () => {
    const response = await request(app).get('/docs/assets/no-such-file.js');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ title: 'not_found' });
  });
});
