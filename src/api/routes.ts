// The route registry: each router declares a route once, with the zod schemas its handler
// validates with, and that one declaration both registers the express route (method, path and
// role check) and documents it in the OpenAPI document (openapi.ts). So the document cannot name
// a route the app lacks, nor miss one a router declares, nor state roles the route does not check.
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Role } from '../domain/organizations.js';
import { requireRole } from './auth.js';

/** Money in an answer: a decimal string ("125.00", "-40.00"), never a JSON number. */
export const moneyString = z.string().regex(/^-?\d+(\.\d+)?$/);

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** A body that is not JSON described by a zod schema: X12, CSV, or a FHIR resource. */
export interface DocumentedBody {
  contentType: string;
  description: string;
  /** JSON Schema of the body, where it is JSON (a FHIR resource); text bodies are strings. */
  jsonSchema?: object;
}

export interface DocumentedResponse {
  description: string;
  /** The success body's zod schema, where the route has one; absent: documented by type only. */
  schema?: z.ZodType;
  /**
   * application/json unless said (application/fhir+json, application/edi-x12); several when the
   * client chooses by Accept. application/problem+json is the error shape (errors.ts).
   */
  contentType?: string | readonly string[];
}

export interface RouteSpec {
  method: HttpMethod;
  /** The path as express writes it, below the router's mount point ("/claims/:id"). */
  path: string;
  summary: string;
  description?: string;
  /** Roles that may call it, checked before anything else; absent: any valid key. */
  roles?: readonly Role[];
  /** No API key needed (GET /health). */
  public?: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType | DocumentedBody;
  /** Takes an Idempotency-Key header. */
  idempotent?: boolean;
  responses: Record<number, DocumentedResponse>;
}

/** How errors are answered on a router: problem+json (RFC 9457), or FHIR OperationOutcome. */
export type ErrorStyle = 'problem' | 'fhir';

/** A router whose routes are declared with their specs; `specs` is what the document shows. */
export interface DocumentedRouter {
  router: Router;
  tag: string;
  errorStyle: ErrorStyle;
  specs: RouteSpec[];
  route(spec: RouteSpec, ...handlers: RequestHandler[]): void;
}

export function documentedRouter(
  tag: string,
  errorStyle: ErrorStyle = 'problem',
): DocumentedRouter {
  const router = Router();
  const specs: RouteSpec[] = [];
  return {
    router,
    tag,
    errorStyle,
    specs,
    route(spec, ...handlers) {
      specs.push(spec);
      const roleCheck = spec.roles ? [requireRole(...spec.roles)] : [];
      router[spec.method](spec.path, ...roleCheck, ...handlers);
    },
  };
}

/** Documented routers mounted at a path prefix ("/v1", "/v1/fhir"). */
export interface MountedRoutes {
  prefix: string;
  routers: DocumentedRouter[];
}
