// X12 837P intake: POST /v1/x12/837 takes a professional claim file (one or many claims) through
// the same intake, validation and idempotency as POST /v1/claims/batch, and answers per claim:
// accepted with its id, or rejected with the segment and element at fault, as JSON or (Accept:
// application/edi-x12) as the 999. A file whose envelope or transaction header is wrong is
// refused whole (400, or a TA1) and writes nothing; the same interchange again is refused (409)
// with the first answer. A clearinghouse's file holds the claims of the providers that authorized
// it, each stored as its provider's; the interchange is the clearinghouse's. The interchanges,
// answers and acknowledgments are read back under /v1/x12/interchanges by the organization that
// sent them.
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { findOrganization } from '../domain/organizations.js';
import type { IntakeUnit, UnitResult } from '../domain/claims/index.js';
import {
  getInterchange,
  listInterchanges,
  type Receipt,
  receiveProfessionalClaims,
  type StoredInterchange,
} from '../domain/interchanges/index.js';
import { cursorParameter } from '../domain/cursor.js';
import { pageLimit, parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { DomainError, InvalidInput, NotFound } from '../infra/errors.js';
import { principalOf } from './auth.js';
import { BATCH_CLAIMS_MAX, idempotencyOf } from './claims.js';
import { problem } from './errors.js';
import { requestIdOf } from './observability.js';
import { documentedRouter, type DocumentedBody, type DocumentedRouter } from './routes.js';

export const X12_MEDIA_TYPES = ['application/edi-x12', 'text/plain'];
// 1,000 claims of 50 lines each are about 4 MB of 837P; the JSON batch of as many is 16 MB.
export const FILE_BODY_LIMIT = '5mb';

export interface X12Dependencies {
  database: Database;
  writeUnit: (unit: IntakeUnit) => Promise<UnitResult>;
}

/** A file that cannot be read as the interchange expected: 400, every problem at its segment. */
export class MalformedInterchange extends InvalidInput {
  override readonly status = 400;
  override readonly code = 'invalid_x12';
}

export const requireX12Text: RequestHandler = (request, _response, next) => {
  if (request.is(X12_MEDIA_TYPES) === false) {
    throw new DomainError(
      `send the X12 file as ${X12_MEDIA_TYPES.join(' or ')}`,
      415,
      'unsupported_media_type',
    );
  }
  next();
};

/** The client takes X12 answers (999, TA1) rather than JSON. */
const wantsX12 = (request: Request) =>
  request.accepts(['application/json', 'application/edi-x12']) === 'application/edi-x12';

const interchangePath = (id: string) => `/v1/x12/interchanges/${id}`;

function sendX12(response: Response, status: number, text: string, fileName: string): void {
  response
    .status(status)
    .attachment(fileName)
    .type('application/edi-x12')
    .set('Cache-Control', 'no-store')
    .send(text);
}

/** Links to the interchange and its acknowledgments, for a client that took the 999 alone. */
function linkTo(response: Response, interchange: StoredInterchange): void {
  const path = interchangePath(interchange.id);
  response.set(
    'Link',
    [
      `<${path}>; rel="interchange"`,
      `<${path}/999>; rel="999"`,
      ...(interchange.acknowledgment277ca === null ? [] : [`<${path}/277ca>; rel="277ca"`]),
    ].join(', '),
  );
}

function sendReceipt(request: Request, response: Response, receipt: Receipt): void {
  const x12 = wantsX12(request);
  if (receipt.kind === 'refused') {
    if (x12 && receipt.ta1 !== undefined) {
      sendX12(response, 400, receipt.ta1, 'ta1.x12');
      return;
    }
    throw new MalformedInterchange(receipt.problems[0]!.message, receipt.problems);
  }
  if (receipt.kind === 'duplicate') {
    const { first } = receipt;
    linkTo(response, first);
    if (x12 && receipt.ta1 !== undefined) {
      sendX12(response, 409, receipt.ta1, `ta1-${first.controlNumber}.x12`);
      return;
    }
    const detail = `interchange ${first.controlNumber} from ${first.senderQualifier}/${first.senderId} was received on ${first.receivedAt.toISOString()}: this is a duplicate, nothing was written`;
    response
      .status(409)
      .type('application/problem+json')
      .json(
        problem(409, 'duplicate_interchange', detail, {
          interchangeId: first.id,
          firstAnswer: JSON.parse(first.answerBody) as unknown,
          requestId: requestIdOf(response),
        }),
      );
    return;
  }
  const { interchange } = receipt;
  linkTo(response, interchange);
  if (x12) {
    sendX12(response, 200, interchange.acknowledgment999, `999-${interchange.controlNumber}.x12`);
    return;
  }
  response.status(interchange.answerStatus).type('application/json').send(interchange.answerBody);
}

const interchangeIdSchema = z.object({ id: z.uuid('must be a UUID') });
const listQuerySchema = z.strictObject({ limit: pageLimit(200, 50), cursor: cursorParameter });

function summaryOf(interchange: StoredInterchange) {
  const answer = JSON.parse(interchange.answerBody) as Record<string, unknown>;
  return {
    id: interchange.id,
    sender: { qualifier: interchange.senderQualifier, id: interchange.senderId },
    receiver: { qualifier: interchange.receiverQualifier, id: interchange.receiverId },
    interchangeControlNumber: interchange.controlNumber,
    usageIndicator: interchange.usageIndicator,
    receivedAt: interchange.receivedAt.toISOString(),
    accepted: answer.accepted,
    duplicates: answer.duplicates,
    rejected: answer.rejected,
    acknowledgments: answer.acknowledgments,
  };
}

/** The body of the X12 routes: an interchange as text. */
export function x12Body(transaction: string): DocumentedBody {
  return {
    contentType: 'application/edi-x12',
    description: `An X12 ${transaction} interchange (ISA … IEA); text/plain is taken too`,
  };
}

const X12_FILE = 'application/edi-x12';
const PROBLEM = 'application/problem+json';

export function x12Router(dependencies: X12Dependencies): DocumentedRouter {
  const { database, writeUnit } = dependencies;
  const router = documentedRouter('X12');

  // The role is checked before the body is read, as for POST /v1/claims.
  router.route(
    {
      method: 'post',
      path: '/x12/837',
      summary: 'Submit an 837P file of professional claims',
      description:
        'Answers per claim as JSON, or as the 999 with Accept: application/edi-x12. A file whose ' +
        'envelope is wrong is refused whole (400, or a TA1); the same interchange again is 409.',
      roles: ['provider_biller'],
      body: x12Body('005010X222A1 837P'),
      idempotent: true,
      responses: {
        200: {
          description: 'Per claim: accepted with its id, or rejected with the segment at fault',
          contentType: ['application/json', X12_FILE],
        },
        400: {
          description: 'The envelope cannot be read (TA1 as X12)',
          contentType: [PROBLEM, X12_FILE],
        },
        409: {
          description: 'A duplicate interchange (TA1 as X12)',
          contentType: [PROBLEM, X12_FILE],
        },
      },
    },
    requireX12Text,
    express.text({ type: X12_MEDIA_TYPES, limit: FILE_BODY_LIMIT }),
    async (request, response) => {
      const submitterOrgId = principalOf(response).orgId;
      const body: unknown = request.body;
      if (typeof body !== 'string' || body.trim() === '') {
        throw new MalformedInterchange('the body is empty: send an 837P interchange (ISA … IEA)');
      }
      const idempotency = idempotencyOf(request);
      const submitter = await findOrganization(database, submitterOrgId);
      if (!submitter) throw new NotFound('organization');
      const receipt = await receiveProfessionalClaims(database, writeUnit, {
        submitter,
        text: body,
        idempotency,
        claimsMax: BATCH_CLAIMS_MAX,
        ta1Wanted: wantsX12(request),
      });
      sendReceipt(request, response, receipt);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/x12/interchanges',
      summary: 'The interchanges the caller sent, newest first',
      query: listQuerySchema,
      responses: { 200: { description: 'A page of interchanges' } },
    },
    async (request, response) => {
      const query = parseOrThrow(listQuerySchema, request.query, 'query');
      const page = await listInterchanges(database, principalOf(response).orgId, query);
      response.json({ interchanges: page.rows.map(summaryOf), nextCursor: page.nextCursor });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/x12/interchanges/:id',
      summary: 'An interchange with its answer',
      params: interchangeIdSchema,
      responses: { 200: { description: 'The interchange' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(interchangeIdSchema, request.params, 'interchange id');
      const interchange = await getInterchange(database, principalOf(response).orgId, id);
      response.json({
        ...summaryOf(interchange),
        answer: JSON.parse(interchange.answerBody) as unknown,
      });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/x12/interchanges/:id/999',
      summary: "The interchange's 999 implementation acknowledgment",
      params: interchangeIdSchema,
      responses: { 200: { description: 'The 999', contentType: X12_FILE } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(interchangeIdSchema, request.params, 'interchange id');
      const interchange = await getInterchange(database, principalOf(response).orgId, id);
      sendX12(
        response,
        200,
        interchange.acknowledgment999,
        `999-${interchange.controlNumber}-${id}.x12`,
      );
    },
  );

  router.route(
    {
      method: 'get',
      path: '/x12/interchanges/:id/277ca',
      summary: "The interchange's 277CA claim acknowledgment",
      params: interchangeIdSchema,
      responses: { 200: { description: 'The 277CA', contentType: X12_FILE } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(interchangeIdSchema, request.params, 'interchange id');
      const interchange = await getInterchange(database, principalOf(response).orgId, id);
      // None when the 999 rejected every transaction set: no claim went on to be acknowledged.
      if (interchange.acknowledgment277ca === null) throw new NotFound('277CA of this interchange');
      sendX12(
        response,
        200,
        interchange.acknowledgment277ca,
        `277ca-${interchange.controlNumber}-${id}.x12`,
      );
    },
  );

  return router;
}
