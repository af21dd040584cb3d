// FHIR R4: POST /v1/fhir/Claim (the same intake, validation and idempotency as POST /v1/claims),
// GET Claim, ClaimResponse and ExplanationOfBenefit by claim id, and PaymentReconciliation by
// settlement batch id. Every answer is FHIR JSON, errors included (OperationOutcome), so this
// router authenticates and maps its own errors.
import type { Claim } from '@medplum/fhirtypes';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  type ClaimSummary,
  getClaim,
  getClaimAndDecision,
  type IntakeGroup,
  type IntakeUnit,
  type UnitResult,
} from '../domain/claims/index.js';
import type { Database } from '../infra/db.js';
import { DomainError, InvalidInput, type FieldProblem } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import type { PhiKeys } from '../infra/phi.js';
import { mapFhirClaim, type FhirClaimMapping } from '../interop/fhir/claim-in.js';
import { claimForFhirOf, fhirClaimOf } from '../interop/fhir/claim-out.js';
import {
  coverageEligibilityResponseOf,
  mapEligibilityRequest,
} from '../interop/fhir/coverage-eligibility.js';
import { answerEligibility } from '../domain/inquiries/index.js';
import { todayUtc } from '../domain/inquiries/schema.js';
import { operationOutcomeOf } from '../interop/fhir/outcome.js';
import { paymentReconciliationOf } from '../interop/fhir/payment-reconciliation.js';
import { claimResponseOf, explanationOfBenefitOf } from '../interop/fhir/adjudication-out.js';
import { isDecided } from '../domain/adjudication/types.js';
import type { Principal } from '../domain/organizations.js';
import { getBatch } from '../domain/settlement/index.js';
import {
  authenticate,
  principalOf,
  requireProviderSubmitter,
  type PrincipalCache,
} from './auth.js';
import { submitIntakeUnit, type SubmissionAnswer } from './claims.js';
import { isOutageAnswered, OUTAGE_DETAIL } from './errors.js';
import { loggerOf } from './observability.js';
import { documentedRouter, type DocumentedBody, type DocumentedRouter } from './routes.js';

const FHIR_JSON = 'application/fhir+json';
const ACCEPTED_TYPES = [FHIR_JSON, 'application/json'];
const CLAIM_BODY_LIMIT = '256kb';
const INQUIRY_BODY_LIMIT = '64kb';

export interface FhirDependencies {
  database: Database;
  phiKeys: PhiKeys;
  intakeGroup: IntakeGroup<IntakeUnit, UnitResult>;
  cache: PrincipalCache;
  logger: Logger;
}

/** A body that is not a FHIR Claim at all (R4: 400), as opposed to a Claim we refuse (422). */
class InvalidResource extends DomainError {
  constructor(
    readonly problems: FieldProblem[],
    what = 'Claim',
  ) {
    super(`the body is not a FHIR ${what}`, 400, 'invalid_resource');
  }
}

type AcceptedMapping = Extract<FhirClaimMapping, { status: 'accepted' }>;

function acceptedOrThrow(body: unknown, providerOrgId: string): AcceptedMapping {
  const mapping = mapFhirClaim(body, providerOrgId);
  if (mapping.status === 'accepted') return mapping;
  if (mapping.httpStatus === 400) throw new InvalidResource(mapping.problems);
  throw new InvalidInput('invalid FHIR Claim', mapping.problems);
}

const requireFhirJson: RequestHandler = (request, _response, next) => {
  if (request.is(ACCEPTED_TYPES) === false) {
    throw new DomainError(
      `send the resource as ${ACCEPTED_TYPES.join(' or ')}`,
      415,
      'unsupported_media_type',
    );
  }
  next();
};

/** Any string is a FHIR id, but only a UUID can be one of ours: anything else is not found. */
function resourceIdOf(id: unknown): string {
  const parsed = z.uuid().safeParse(id);
  if (!parsed.success) throw new DomainError('no such resource', 404, 'not_found');
  return parsed.data;
}

/**
 * The intake's answer (the JSON API's, as stored for idempotency) in FHIR terms: the Claim as
 * stored, or the intake's problems (an unknown payer, another provider's original) at FHIR paths.
 */
function createdClaimOf(answer: SubmissionAnswer, mapping: AcceptedMapping): Claim {
  if (answer.status === 422) {
    const { errors } = JSON.parse(answer.bodyText) as { errors: FieldProblem[] };
    const problems = errors.map((error) => ({
      field: mapping.fhirPathOf(error.field),
      message: error.message,
    }));
    throw new InvalidInput('invalid FHIR Claim', problems);
  }
  if (answer.status !== 201) throw new Error(`unexpected intake answer ${answer.status}`);
  const summary = JSON.parse(answer.bodyText) as ClaimSummary;
  const { member, patient, payerResponsibilityCode, priorPayers, diagnosisCodes, serviceLines } =
    mapping.submission;
  return fhirClaimOf({
    ...summary,
    member,
    ...(patient ? { patient } : {}),
    ...(payerResponsibilityCode ? { payerResponsibilityCode, priorPayers } : {}),
    diagnosisCodes,
    serviceLines,
  });
}

/** A FHIR R4 resource body: checked against its StructureDefinition, not a zod schema. */
function fhirBody(resourceType: string): DocumentedBody {
  return {
    contentType: FHIR_JSON,
    description: `A FHIR R4 ${resourceType} (application/json is taken too); a body that is not one is 400, a ${resourceType} we refuse is 422`,
    jsonSchema: {
      type: 'object',
      required: ['resourceType'],
      properties: { resourceType: { const: resourceType } },
    },
  };
}

export function fhirRouter(dependencies: FhirDependencies): DocumentedRouter {
  const { database, phiKeys, intakeGroup } = dependencies;
  const router = documentedRouter('FHIR R4', 'fhir');
  router.router.use(authenticate(database, dependencies.cache));

  // As FHIR's create: 201 with the Claim as stored (its id assigned) and its Location. The
  // idempotency record holds the JSON API's answer; the same body maps to the same Claim again.
  router.route(
    {
      method: 'post',
      path: '/Claim',
      summary: 'Submit a FHIR R4 Claim',
      description: 'The same intake, validation and idempotency as POST /v1/claims.',
      roles: ['provider_biller'],
      body: fhirBody('Claim'),
      idempotent: true,
      responses: {
        201: { description: 'The Claim as stored, with its id' },
        200: { description: 'The same claim was received before: the stored Claim' },
      },
    },
    requireProviderSubmitter,
    requireFhirJson,
    express.json({ type: ACCEPTED_TYPES, limit: CLAIM_BODY_LIMIT }),
    async (request, response) => {
      const providerOrgId = principalOf(response).orgId;
      let mapping: AcceptedMapping | undefined;
      const write = (unit: IntakeUnit) => intakeGroup.submit(unit);
      const answer = await submitIntakeUnit(database, write, request, providerOrgId, (body) => {
        mapping = acceptedOrThrow(body, providerOrgId);
        return { kind: 'single', providerOrgId, entries: [{ submission: mapping.submission }] };
      });
      mapping ??= acceptedOrThrow(request.body, providerOrgId); // a replay: the first body again
      if (answer.status === 200) {
        // A claim already received (sent again without an Idempotency-Key): as FHIR's
        // conditional create when a match exists, 200 with the stored Claim.
        const { id } = JSON.parse(answer.bodyText) as ClaimSummary;
        const stored = await readFhirClaim(database, phiKeys, principalOf(response), id);
        response.status(200).location(`${request.baseUrl}/Claim/${id}`).type(FHIR_JSON);
        response.send(JSON.stringify(stored));
        return;
      }
      const claim = createdClaimOf(answer, mapping);
      response
        .status(201)
        .location(`${request.baseUrl}/Claim/${claim.id}`)
        .type(FHIR_JSON)
        .send(JSON.stringify(claim));
    },
  );

  // An eligibility inquiry, answered and recorded exactly as GET /v1/eligibility is.
  router.route(
    {
      method: 'post',
      path: '/CoverageEligibilityRequest',
      summary: 'A FHIR R4 eligibility inquiry',
      description: 'Answered and recorded as GET /v1/eligibility.',
      roles: ['provider_biller'],
      body: fhirBody('CoverageEligibilityRequest'),
      responses: { 200: { description: 'The CoverageEligibilityResponse' } },
    },
    requireFhirJson,
    express.json({ type: ACCEPTED_TYPES, limit: INQUIRY_BODY_LIMIT }),
    async (request, response) => {
      const mapping = mapEligibilityRequest(request.body);
      if (mapping.status === 'rejected') {
        if (mapping.httpStatus === 400) {
          throw new InvalidResource(mapping.problems, 'CoverageEligibilityRequest');
        }
        throw new InvalidInput('invalid FHIR CoverageEligibilityRequest', mapping.problems);
      }
      const { question } = mapping;
      const [outcome] = await answerEligibility(
        database,
        phiKeys,
        principalOf(response),
        [{ ...question, date: question.date ?? todayUtc() }],
        { channel: 'fhir', payerField: 'CoverageEligibilityRequest.insurer.reference' },
      );
      const resource = coverageEligibilityResponseOf(
        question,
        outcome!.answer,
        outcome!.ledgerEventId,
        new Date(),
      );
      response.status(200).type(FHIR_JSON).send(JSON.stringify(resource));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/Claim/:id',
      summary: 'A claim as a FHIR Claim',
      responses: { 200: { description: 'The Claim' } },
    },
    async (request, response) => {
      const claimId = resourceIdOf(request.params.id);
      const claim = await readFhirClaim(database, phiKeys, principalOf(response), claimId);
      response.type(FHIR_JSON).send(JSON.stringify(claim));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ClaimResponse/:id',
      summary: "A claim's adjudication as a FHIR ClaimResponse",
      responses: { 200: { description: 'The ClaimResponse' } },
    },
    async (request, response) => {
      const claimId = resourceIdOf(request.params.id);
      const resource = await readClaimResponse(database, phiKeys, principalOf(response), claimId);
      response.type(FHIR_JSON).send(JSON.stringify(resource));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ExplanationOfBenefit/:id',
      summary: "A claim's adjudication as a FHIR ExplanationOfBenefit",
      responses: { 200: { description: 'The ExplanationOfBenefit' } },
    },
    async (request, response) => {
      const claimId = resourceIdOf(request.params.id);
      const resource = await readExplanationOfBenefit(
        database,
        phiKeys,
        principalOf(response),
        claimId,
      );
      response.type(FHIR_JSON).send(JSON.stringify(resource));
    },
  );

  // A settlement batch, for the finance of its payer and of its provider only.
  router.route(
    {
      method: 'get',
      path: '/PaymentReconciliation/:id',
      summary: 'A settlement batch as a FHIR PaymentReconciliation',
      description: 'For the finance of its payer and of its provider only.',
      roles: ['finance', 'admin'],
      responses: { 200: { description: 'The PaymentReconciliation' } },
    },
    async (request, response) => {
      const batchId = resourceIdOf(request.params.id);
      const resource = await readPaymentReconciliation(database, principalOf(response), batchId);
      response.type(FHIR_JSON).send(JSON.stringify(resource));
    },
  );

  router.router.use(() => {
    throw new DomainError('no such FHIR interaction here', 404, 'not_found');
  });
  router.router.use(fhirErrorHandler(dependencies.logger));
  return router;
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** The FHIR counterpart of errors.ts: the same error vocabulary, answered as OperationOutcome. */
function fhirErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const send = (status: number, message: string, problems: FieldProblem[] = []) =>
      response
        .status(status)
        .type(FHIR_JSON)
        .send(JSON.stringify(operationOutcomeOf(status, message, problems)));
    if (error instanceof InvalidInput || error instanceof InvalidResource) {
      send(error.status, error.message, error.problems);
      return;
    }
    if (error instanceof DomainError) {
      send(error.status, error.message);
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.too.large') {
      send(413, `the request body exceeds ${parserError.limit} bytes`);
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      send(400, 'the request body is not valid JSON');
      return;
    }
    const status = parserError.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      send(status, 'the request could not be read');
      return;
    }
    if (isOutageAnswered(error, response, logger)) {
      send(503, OUTAGE_DETAIL);
      return;
    }
    loggerOf(response, logger).error({ err: error }, 'unhandled error');
    send(500, 'an internal error occurred; the request may be retried');
  };
}

// Reading a resource: the claim as its provider or payer may see it (getClaim: anyone else gets
// 404), its latest decision, or a settlement batch (getBatch), mapped to FHIR.

async function readFhirClaim(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
): Promise<Claim> {
  return fhirClaimOf(claimForFhirOf(await getClaim(database, phiKeys, principal, claimId)));
}

async function readClaimResponse(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
) {
  const { claim, decision } = await getClaimAndDecision(database, phiKeys, principal, claimId);
  return claimResponseOf(claimForFhirOf(claim), decision);
}

/** Only a decided claim has an explanation of benefits; a pended or undecided one answers 404. */
async function readExplanationOfBenefit(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  claimId: string,
) {
  const { claim, decision } = await getClaimAndDecision(database, phiKeys, principal, claimId);
  if (!isDecided(decision)) {
    throw new DomainError(
      'no explanation of benefit: the claim is not decided yet',
      404,
      'not_found',
    );
  }
  return explanationOfBenefitOf(claimForFhirOf(claim), decision);
}

async function readPaymentReconciliation(
  database: Database,
  principal: Principal,
  batchId: string,
) {
  return paymentReconciliationOf(await getBatch(database, principal, batchId));
}
