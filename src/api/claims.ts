// Claim intake and reads: POST /v1/claims, POST /v1/claims/batch, GET /v1/claims[/:id].
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import {
  CLAIM_STATUSES,
  type ClaimOutcome,
  claimStats,
  claimStatsQuerySchema,
  findIdempotencyRecord,
  getClaim,
  type IntakeEntry,
  type IntakeGroup,
  type IntakeUnit,
  listClaims,
  type ResponseOf,
  type UnitResult,
} from '../domain/claims/index.js';
import {
  claimFields,
  claimSubmissionSchema,
  patientControlNumber,
} from '../domain/claims/schema.js';
import { cursorParameter } from '../domain/cursor.js';
import { isoTimestamp, pageLimit, parseOrThrow, problemsOf } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { Conflict, InvalidInput } from '../infra/errors.js';
import type { PhiKeys } from '../infra/phi.js';
import { CanonicalJsonError, canonicalJson } from '../ledger/canonical.js';
import { sha256Hex } from '../ledger/hash.js';
import { principalOf, requireProviderSubmitter } from './auth.js';
import { problem } from './errors.js';
import { documentedRouter, moneyString, type DocumentedRouter } from './routes.js';

export const BATCH_CLAIMS_MAX = 1_000;
const SINGLE_BODY_LIMIT = '256kb';
const BATCH_BODY_LIMIT = '16mb';

export interface ClaimsDependencies {
  database: Database;
  phiKeys: PhiKeys;
  intakeGroup: IntakeGroup<IntakeUnit, UnitResult>;
  writeUnit: (unit: IntakeUnit) => Promise<UnitResult>;
}

/** How a request's claim outcomes become its HTTP answer (stored for idempotent replays). */
export const responseOfUnit: ResponseOf = (unit, outcomes) => {
  if (unit.kind === 'batch') {
    const count = (status: ClaimOutcome['status']) =>
      outcomes.filter((outcome) => outcome.status === status).length;
    return {
      status: 200,
      body: {
        accepted: count('accepted'),
        duplicates: count('duplicate'),
        rejected: count('rejected'),
        results: outcomes.map((outcome, index) => batchResult(outcome, index)),
      },
      store: true,
    };
  }
  const outcome = outcomes[0]!;
  if (outcome.status === 'accepted') return { status: 201, body: outcome.claim, store: true };
  // The same claim again (a retry without an Idempotency-Key): 200 with the first claim.
  if (outcome.status === 'duplicate') {
    return { status: 200, body: { ...outcome.claim, duplicate: true }, store: true };
  }
  return {
    status: 422,
    body: problem(422, 'invalid_input', 'invalid claim', { errors: outcome.errors }),
    store: false,
  };
};

function batchResult(outcome: ClaimOutcome, index: number) {
  return outcome.status === 'rejected'
    ? { index, status: 'rejected', errors: outcome.errors }
    : { index, status: outcome.status, claimId: outcome.claim.id, claim: outcome.claim };
}

/** The Idempotency-Key header of the submission routes. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters');

export function idempotencyOf(request: Request) {
  const header = request.header('idempotency-key');
  if (header === undefined) return undefined;
  const key = parseOrThrow(
    z.object({ 'Idempotency-Key': idempotencyKeySchema }),
    { 'Idempotency-Key': header },
    'header',
  )['Idempotency-Key'];
  return { key, requestHash: requestHashOf(request) };
}

/** The request as RFC 8785 text, hashed; a body JSON cannot canonicalize is bad input. */
function requestHashOf(request: Request): string {
  try {
    return sha256Hex(
      canonicalJson({ method: request.method, path: request.path, body: request.body as never }),
    );
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) throw error;
    const problemText = error.message.slice(`canonicalJson: ${error.path} `.length);
    throw new InvalidInput('invalid request body', [
      { field: error.path.replace(/^\$\.body\.?/, '') || '(body)', message: problemText },
    ]);
  }
}

function replay(result: Extract<UnitResult, { kind: 'replayed' }>, requestHash: string) {
  if (result.requestHash !== requestHash) {
    throw new Conflict('this Idempotency-Key was already used with a different request');
  }
  return result;
}

const listQuerySchema = z.strictObject({
  status: z.enum(CLAIM_STATUSES).optional(),
  patientControlNumber: patientControlNumber.optional(),
  submittedFrom: isoTimestamp({ dateAllowed: true }).optional(),
  submittedTo: isoTimestamp({ dateAllowed: true }).optional(),
  limit: pageLimit(200, 50),
  cursor: cursorParameter,
});

/** An answer to a submission: the stored text itself, so a replay is byte for byte the first. */
export interface SubmissionAnswer {
  status: number;
  bodyText: string;
}

/**
 * Replays a stored answer, or writes the unit and answers from its outcomes. Shared by every
 * way a claim comes in (this JSON API, FHIR), so idempotency means the same thing in each.
 */
export async function submitIntakeUnit(
  database: Database,
  write: (unit: IntakeUnit) => Promise<UnitResult>,
  request: Request,
  providerOrgId: string,
  unitOf: (body: unknown, providerOrgId: string) => IntakeUnit,
): Promise<SubmissionAnswer> {
  const idempotency = idempotencyOf(request);
  const earlier =
    idempotency && (await findIdempotencyRecord(database, providerOrgId, idempotency.key));
  if (earlier) return replay(earlier, idempotency.requestHash);
  const unit = { ...unitOf(request.body, providerOrgId), idempotency };
  const result = await write(unit);
  if (result.kind === 'replayed') return replay(result, idempotency!.requestHash);
  const { status, body } = responseOfUnit(unit, result.outcomes);
  return { status, bodyText: JSON.stringify(body) };
}

function sendAnswer(response: Response, answer: SubmissionAnswer): void {
  response
    .status(answer.status)
    .type(answer.status >= 400 ? 'application/problem+json' : 'application/json')
    .send(answer.bodyText);
}

const claimIdParameter = z.object({ id: z.uuid('must be a UUID') });

const claimListItemSchema = z.object({
  id: z.uuid(),
  status: z.enum(CLAIM_STATUSES),
  providerId: z.uuid(),
  payerId: z.uuid(),
  patientControlNumber: z.string(),
  frequencyCode: z.string(),
  originalClaimId: z.uuid().nullable(),
  totalChargeAmount: moneyString,
  lineCount: z.number().int().min(1),
  submittedAt: z.string(),
});

/** A claim as its submission answers it: with the ledger event that recorded it. */
const claimSummarySchema = claimListItemSchema.extend({ ledgerEventId: z.uuid() });

const adjustmentSchema = z.object({
  group: z.enum(['CO', 'PR', 'OA']),
  reasonCode: z.string(),
  amount: moneyString,
});

/** A claim as GET /v1/claims/:id answers it: its lines, latest decision and ledger events. */
const claimDetailSchema = claimListItemSchema.extend({
  placeOfServiceCode: z.string().nullable(),
  member: z.unknown(),
  patient: z.unknown().optional(),
  payerResponsibilityCode: z.string(),
  priorPayers: z.unknown().optional(),
  diagnosisCodes: z.array(z.string()),
  serviceLines: z.array(
    z.object({
      lineNumber: z.number().int().min(1),
      procedureCode: z.string(),
      modifiers: z.array(z.string()),
      units: z.string(),
      chargeAmount: moneyString,
      serviceDate: z.string(),
      serviceDateTo: z.string().nullable(),
      placeOfServiceCode: z.string().nullable(),
      lineControlNumber: z.string().nullable(),
      unitType: z.string(),
      diagnosisPointers: z.array(z.number().int()),
    }),
  ),
  commitment: z.object({ salt: z.string() }),
  decision: z
    .object({
      status: z.string(),
      decidedAt: z.string(),
      decidedBy: z.string(),
      pendReasons: z.array(z.string()),
      totals: z
        .object({
          chargeAmount: moneyString,
          allowedAmount: moneyString,
          paidAmount: moneyString,
          patientResponsibilityAmount: moneyString,
          adjustmentAmount: moneyString,
        })
        .nullable(),
      lines: z.array(
        z.object({
          lineNumber: z.number().int().min(1),
          allowedAmount: moneyString,
          paidAmount: moneyString,
          patientResponsibilityAmount: moneyString,
          adjustments: z.array(adjustmentSchema),
          remarkCodes: z.array(z.string()),
          adjustmentsText: z.string(),
        }),
      ),
    })
    .nullable(),
  events: z.array(
    z.object({ id: z.uuid(), seq: z.string(), type: z.string(), createdAt: z.string() }),
  ),
});

const claimsPageSchema = z.object({
  claims: z.array(claimListItemSchema),
  nextCursor: z.string().nullable(),
});

export function claimsRouter(dependencies: ClaimsDependencies): DocumentedRouter {
  const { database, phiKeys } = dependencies;
  const router = documentedRouter('Claims');

  async function submit(
    request: Request,
    response: Response,
    unitOf: (body: unknown, providerOrgId: string) => IntakeUnit,
    viaGroup: boolean,
  ): Promise<void> {
    const write = viaGroup
      ? (unit: IntakeUnit) => dependencies.intakeGroup.submit(unit)
      : dependencies.writeUnit;
    const providerOrgId = principalOf(response).orgId;
    sendAnswer(response, await submitIntakeUnit(database, write, request, providerOrgId, unitOf));
  }

  // The role is checked before the body is read: a caller who may not submit learns that
  // first, whatever it sent.
  router.route(
    {
      method: 'post',
      path: '/claims',
      summary: 'Submit a claim',
      description: "A provider's own claim; it is adjudicated by the payer's rules shortly after.",
      roles: ['provider_biller'],
      body: claimFields,
      idempotent: true,
      responses: {
        201: { description: 'Accepted: the claim as stored', schema: claimSummarySchema },
        200: {
          description: 'The same claim was received before: the first claim',
          schema: claimSummarySchema.extend({ duplicate: z.literal(true) }),
        },
      },
    },
    requireProviderSubmitter,
    express.json({ limit: SINGLE_BODY_LIMIT }),
    (request, response) =>
      submit(
        request,
        response,
        (body, providerOrgId) => ({
          kind: 'single',
          providerOrgId,
          entries: [{ submission: parseOrThrow(claimSubmissionSchema, body, 'claim') }],
        }),
        true,
      ),
  );

  router.route(
    {
      method: 'post',
      path: '/claims/batch',
      summary: 'Submit up to 1,000 claims',
      description:
        'Each claim is validated on its own (as POST /v1/claims): one bad claim is rejected, ' +
        'the rest go ahead.',
      roles: ['provider_biller'],
      body: batchEnvelopeSchema,
      idempotent: true,
      responses: { 200: { description: 'Per claim: accepted, duplicate or rejected' } },
    },
    requireProviderSubmitter,
    express.json({ limit: BATCH_BODY_LIMIT }),
    (request, response) =>
      submit(
        request,
        response,
        (body, providerOrgId) => ({ kind: 'batch', providerOrgId, entries: parseBatch(body) }),
        false,
      ),
  );

  router.route(
    {
      method: 'get',
      path: '/claims',
      summary: 'List claims the caller may see, newest first',
      query: listQuerySchema,
      responses: {
        200: { description: 'A page of claims and the next page cursor', schema: claimsPageSchema },
      },
    },
    async (request, response) => {
      const query = parseOrThrow(listQuerySchema, request.query, 'query');
      const page = await listClaims(database, principalOf(response), {
        status: query.status,
        patientControlNumber: query.patientControlNumber,
        submittedFrom: query.submittedFrom ? new Date(query.submittedFrom) : undefined,
        submittedTo: query.submittedTo ? new Date(query.submittedTo) : undefined,
        limit: query.limit,
        cursor: query.cursor,
      });
      response.json(page);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/stats/claims',
      summary: 'Counts and sums for charts over a window of submission days (at most 92)',
      description:
        'Claims per day by status, paid amounts by provider (a payer) or by payer (a provider), ' +
        'and denied lines by CARC, for the claims the caller may see.',
      query: claimStatsQuerySchema,
      responses: { 200: { description: 'The figures' } },
    },
    async (request, response) => {
      const query = parseOrThrow(claimStatsQuerySchema, request.query, 'query');
      response.json(await claimStats(database, principalOf(response), query));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/claims/:id',
      summary: 'A claim with its lines, adjudication and adjustments',
      params: claimIdParameter,
      responses: { 200: { description: 'The claim', schema: claimDetailSchema } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(claimIdParameter, request.params, 'claim id');
      response.json(await getClaim(database, phiKeys, principalOf(response), id));
    },
  );

  return router;
}

const batchEnvelopeSchema = z.strictObject({
  claims: z
    .array(z.unknown().meta({ description: 'A claim as POST /v1/claims takes it' }))
    .min(1, 'at least one claim is required')
    .max(BATCH_CLAIMS_MAX, `at most ${BATCH_CLAIMS_MAX} claims per batch`),
});

/** Validates each claim on its own: one bad claim is rejected, the rest go ahead. */
function parseBatch(body: unknown): IntakeEntry[] {
  const { claims } = parseOrThrow(batchEnvelopeSchema, body, 'batch');
  return claims.map((claim) => {
    const parsed = claimSubmissionSchema.safeParse(claim);
    return parsed.success ? { submission: parsed.data } : { errors: problemsOf(parsed.error) };
  });
}
