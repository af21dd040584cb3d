// The one place where errors become HTTP responses: RFC 9457 problem details, with the
// offending fields named. A database outage answers 503 with Retry-After; a ServiceUnavailable
// answers 503 and logs its alarm for the operator; other unexpected
// errors answer 500 without internals, and are logged without request bodies (which may
// hold PHI).
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import {
  dependencyOutageReason,
  DomainError,
  InvalidInput,
  ServiceUnavailable,
} from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { z } from 'zod';
import { loggerOf, requestIdOf } from './observability.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * The body of every error answer outside /v1/fhir (application/problem+json). Open to more
 * members, as RFC 9457 allows: an X12 problem names its segment and line, a duplicate
 * interchange its first answer.
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  errors: z.array(z.looseObject({ field: z.string(), message: z.string() })).optional(),
});

export function problem(status: number, code: string, detail: string, extra: object = {}) {
  return { type: `https://claimchain.dev/problems/${code}`, title: code, status, detail, ...extra };
}

/** Seconds a client is asked to wait (Retry-After) while the database is unavailable. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
export const OUTAGE_DETAIL = 'the database is unavailable for the moment; retry the request';

/**
 * True when `error` is a database outage: no fault of the request, so it is answered 503 with
 * Retry-After (set here; the caller sends the body in its format) and logged as one warn line,
 * not as an unhandled error with its stack, since every request fails alike until it is back.
 */
export function isOutageAnswered(error: unknown, response: Response, logger: Logger): boolean {
  const reason = dependencyOutageReason(error);
  if (reason === undefined) return false;
  loggerOf(response, logger).warn({ dependency: 'postgresql', reason }, 'dependency outage');
  response.set('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
  return true;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    // The request id lets a caller's support ticket be matched with our log lines.
    const send = (status: number, body: object) =>
      response
        .status(status)
        .type('application/problem+json')
        .json({ ...body, requestId: requestIdOf(response) });
    if (error instanceof InvalidInput) {
      send(
        error.status,
        problem(error.status, error.code, error.message, { errors: error.problems }),
      );
      return;
    }
    if (error instanceof DomainError) {
      if (error instanceof ServiceUnavailable) {
        loggerOf(response, logger).error({ alarm: error.code, ...error.alarm }, error.message);
      }
      send(error.status, problem(error.status, error.code, error.message));
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.too.large') {
      send(
        413,
        problem(413, 'body_too_large', `the request body exceeds ${parserError.limit} bytes`),
      );
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      send(400, problem(400, 'invalid_json', 'the request body is not valid JSON'));
      return;
    }
    if (
      typeof parserError.status === 'number' &&
      parserError.status >= 400 &&
      parserError.status < 500
    ) {
      send(
        parserError.status,
        problem(parserError.status, 'bad_request', 'the request could not be read'),
      );
      return;
    }
    if (isOutageAnswered(error, response, logger)) {
      send(503, problem(503, 'dependency_unavailable', OUTAGE_DETAIL));
      return;
    }
    loggerOf(response, logger).error({ err: error }, 'unhandled error');
    send(500, problem(500, 'internal', 'an internal error occurred; the request may be retried'));
  };
}

export const notFoundHandler: RequestHandler = (_request, response) => {
  response
    .status(404)
    .type('application/problem+json')
    .json({ ...problem(404, 'not_found', 'no such route'), requestId: requestIdOf(response) });
};
