// The OpenAPI 3.1 document, generated from the route registry (routes.ts): every path, its
// parameters and bodies from the zod schemas the handlers validate with (zod's own JSON Schema
// output, the input side), its success answers, and its errors in the shape the error handlers
// send. Served at /openapi.json, with an interactive reference at /docs from our own assets.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';
import { idempotencyKeySchema } from './claims.js';
import { problemSchema } from './errors.js';
import {
  documentedRouter,
  type DocumentedBody,
  type DocumentedResponse,
  type DocumentedRouter,
  type MountedRoutes,
  type RouteSpec,
} from './routes.js';

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';
const FHIR_TYPE = 'application/fhir+json';

/** FHIR R4 OperationOutcome as the FHIR routes answer errors (interop/fhir/outcome.ts). */
export const operationOutcomeSchema = z.looseObject({
  resourceType: z.literal('OperationOutcome'),
  issue: z
    .array(
      z.looseObject({
        severity: z.enum(['fatal', 'error', 'warning', 'information']),
        code: z.string(),
        details: z.object({ text: z.string() }).optional(),
        diagnostics: z.string().optional(),
        expression: z.array(z.string()).optional(),
        location: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Refinements and transforms have no JSON Schema form: the document shows the shape and the
  // checks JSON Schema can state; the rest are named in the 422 answer's errors.
  const jsonSchema = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  // OpenAPI 3.1's dialect is 2020-12 already: no $schema on each.
  delete jsonSchema.$schema;
  return jsonSchema;
}

/** Express's "/claims/:id" (or a splat, "/tile/*tile") as OpenAPI's "/claims/{id}". */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/[:*](\w+)/g, '{$1}');
}

function parametersOf(spec: RouteSpec): object[] {
  const of = (schema: z.ZodType | undefined, location: 'path' | 'query') => {
    if (!schema) return [];
    const objectSchema = jsonSchemaOf(schema, 'input');
    const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((objectSchema.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => ({
      name,
      in: location,
      required: location === 'path' || required.has(name),
      schema: property,
    }));
  };
  const path = of(spec.params, 'path');
  // A path parameter the handler checks by hand (FHIR ids) is still a parameter of the path.
  const declared = new Set(path.map((parameter) => parameter.name));
  const implicit = [...spec.path.matchAll(/:(\w+)/g)]
    .map((match) => match[1]!)
    .filter((name) => !declared.has(name))
    .map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const idempotency = spec.idempotent
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'The same key with the same body answers the first response again; with another body, 409.',
          schema: jsonSchemaOf(idempotencyKeySchema, 'input'),
        },
      ]
    : [];
  return [...path, ...implicit, ...of(spec.query, 'query'), ...idempotency];
}

function isDocumentedBody(body: RouteSpec['body']): body is DocumentedBody {
  return typeof body === 'object' && body !== null && 'contentType' in body;
}

function requestBodyOf(spec: RouteSpec): object | undefined {
  const { body } = spec;
  if (!body) return undefined;
  if (isDocumentedBody(body)) {
    return {
      required: true,
      description: body.description,
      content: { [body.contentType]: { schema: body.jsonSchema ?? { type: 'string' } } },
    };
  }
  return { required: true, content: { [JSON_TYPE]: { schema: jsonSchemaOf(body, 'input') } } };
}

function schemaOf(contentType: string, answer: DocumentedResponse): object {
  if (contentType === PROBLEM_TYPE) return { $ref: '#/components/schemas/Problem' };
  if (!/json/.test(contentType)) return { type: 'string' };
  return answer.schema ? jsonSchemaOf(answer.schema, 'output') : { type: 'object' };
}

function responsesOf(spec: RouteSpec, router: DocumentedRouter): Record<string, object> {
  const answers: Record<string, object> = {};
  const defaultType = router.errorStyle === 'fhir' ? FHIR_TYPE : JSON_TYPE;
  for (const [status, answer] of Object.entries(spec.responses)) {
    const contentTypes = [answer.contentType ?? defaultType].flat();
    const content = Object.fromEntries(
      contentTypes.map((contentType) => [contentType, { schema: schemaOf(contentType, answer) }]),
    );
    answers[status] = { description: answer.description, content };
  }
  const error =
    router.errorStyle === 'fhir'
      ? { [FHIR_TYPE]: { schema: { $ref: '#/components/schemas/OperationOutcome' } } }
      : { [PROBLEM_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };
  answers['4XX'] = {
    description:
      'Refused: 400 unreadable, 401 no valid key, 403 role, 404 not found (also for records of ' +
      'other organizations), 409 conflict, 413 too large, 415 media type, 422 invalid (each field named)',
    content: error,
  };
  // A route's own 503 (why else it may be unavailable) is added to the database's, never lost.
  const ownUnavailable = spec.responses[503]?.description;
  answers['503'] = {
    description:
      'The database is unavailable for the moment; retry after Retry-After seconds' +
      (ownUnavailable ? `. ${ownUnavailable}` : ''),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
    content: error,
  };
  return answers;
}

function operationOf(spec: RouteSpec, router: DocumentedRouter): object {
  const parameters = parametersOf(spec);
  const requestBody = requestBodyOf(spec);
  const roles = spec.roles ? `Roles: ${spec.roles.join(', ')}.` : '';
  const description = [spec.description, roles].filter(Boolean).join('\n\n');
  return {
    tags: [router.tag],
    summary: spec.summary,
    ...(description ? { description } : {}),
    ...(spec.public ? { security: [] } : {}),
    ...(spec.roles ? { 'x-roles': [...spec.roles] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesOf(spec, router),
  };
}

export function buildOpenApiDocument(mounts: readonly MountedRoutes[]): object {
  const paths: Record<string, Record<string, object>> = {};
  const tags = new Set<string>();
  for (const { prefix, routers } of mounts) {
    for (const router of routers) {
      tags.add(router.tag);
      for (const spec of router.specs) {
        const path = openApiPath(`${prefix}${spec.path}`);
        paths[path] ??= {};
        paths[path][spec.method] = operationOf(spec, router);
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ClaimChain API',
      version: '1',
      description:
        'Claims intake (JSON, FHIR R4, X12 837P), adjudication, settlement with 835 remittance, ' +
        'reconciliation, and a hash-chained ledger with offline-checkable proofs. Money is a ' +
        'decimal string ("125.00"), never a JSON number.',
    },
    tags: [...tags].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key bound to one organization and role: Authorization: Bearer <key>',
        },
      },
      schemas: {
        Problem: jsonSchemaOf(problemSchema, 'output'),
        OperationOutcome: jsonSchemaOf(operationOutcomeSchema, 'output'),
      },
    },
  };
}

const SWAGGER_UI_DIRECTORY = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

// The reference page: Swagger UI from our own server (no CDN), reading /openapi.json. The
// validator badge is off, since it would send the document to an outside service.
const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>ClaimChain API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({
        url: '/openapi.json',
        dom_id: '#reference',
        validatorUrl: null,
        deepLinking: true,
      });
    </script>
  </body>
</html>
`;

const healthSchema = z.object({ status: z.literal('ok') });

/** GET /health, GET /openapi.json and GET /docs: no API key needed. */
export function referenceRoutes(documentOf: () => object): DocumentedRouter {
  const router = documentedRouter('Reference');
  router.route(
    {
      method: 'get',
      path: '/health',
      summary: 'The process is up',
      public: true,
      responses: { 200: { description: 'Up', schema: healthSchema } },
    },
    (_request, response) => {
      response.json({ status: 'ok' } satisfies z.output<typeof healthSchema>);
    },
  );
  router.route(
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This document: OpenAPI 3.1, generated from the schemas the API validates with',
      public: true,
      responses: { 200: { description: 'The OpenAPI document' } },
    },
    (_request, response) => {
      response.json(documentOf());
    },
  );
  router.route(
    {
      method: 'get',
      path: '/docs',
      summary: 'The interactive API reference (Swagger UI, served from this server)',
      public: true,
      responses: { 200: { description: 'The page', contentType: 'text/html' } },
    },
    (_request, response) => {
      response.type('html').send(DOCS_PAGE);
    },
  );
  return router;
}

/** Swagger UI's files for the /docs page, from the swagger-ui-dist package. */
export function apiReferenceAssets(): Router {
  const router = Router();
  router.use('/docs/assets', express.static(SWAGGER_UI_DIRECTORY, { index: false }));
  return router;
}
