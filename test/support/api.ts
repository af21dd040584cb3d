// Small helpers for the HTTP integration tests: authenticated supertest calls and the
// assertions every error answer shares (an RFC 9457 problem body).
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { expect } from 'vitest';

export function bearer(key: string): { Authorization: string } {
  return { Authorization: `Bearer ${key}` };
}

export function postClaim(app: Express, key: string, body: unknown, idempotencyKey?: string) {
  const call = request(app).post('/v1/claims').set(bearer(key));
  if (idempotencyKey !== undefined) call.set('Idempotency-Key', idempotencyKey);
  return call.send(body as object);
}

export function postBatch(app: Express, key: string, claims: unknown[], idempotencyKey?: string) {
  const call = request(app).post('/v1/claims/batch').set(bearer(key));
  if (idempotencyKey !== undefined) call.set('Idempotency-Key', idempotencyKey);
  return call.send({ claims });
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** Asserts a problem+json answer with this status and returns its body. */
export function expectProblem(response: Response, status: number): ProblemBody {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.body as ProblemBody;
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^https:\/\/claimchain\.dev\/problems\//);
  expect(typeof body.detail).toBe('string');
  return body;
}

/** The field paths a 422 names. */
export function fieldsOf(response: Response): string[] {
  return (expectProblem(response, 422).errors ?? []).map((error) => error.field);
}
