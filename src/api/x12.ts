// X12 837P intake: POST /v1/x12/837 takes a professional claim file (one or many claims) through
// the same intake, validation and idempotency as POST /v1/claims/batch, and answers per claim:
// accepted with its id, or rejected with the segment and element at fault. A file whose envelope
// or transaction header is wrong is refused whole (400) and writes nothing. A clearinghouse's file
// holds the claims of the providers that authorized it, each stored as its provider's.
import express, { type RequestHandler, Router } from 'express';
import type { IntakeUnit, UnitResult } from '../domain/claims/intake.js';
import { findOrganization, type Organization } from '../domain/organizations.js';
import { authorizedProvidersByNpi, payersByPayerId } from '../domain/trading-partners.js';
import type { Database } from '../infra/db.js';
import { DomainError, InvalidInput, NotFound, type FieldProblem } from '../infra/errors.js';
import {
  claimsOf,
  partyIdentifiersOf,
  readClaimLoops,
  type ProfessionalClaimsReading,
  type X12ClaimReading,
} from '../interop/x12/837p-in.js';
import type { X12Problem } from '../interop/x12/envelope-in.js';
import { principalOf, requireRole } from './auth.js';
import { BATCH_CLAIMS_MAX, submitIntakeUnit, type SubmissionAnswer } from './claims.js';

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

type FileReading = Extract<ProfessionalClaimsReading, { status: 'read' }>;

/**
 * Reads the file as `submitter` sent it: the payer ids and (for a clearinghouse) the billing
 * providers its claims name are looked up first, since the reader itself does no I/O.
 */
async function readOrThrow(
  database: Database,
  submitter: Organization,
  body: unknown,
): Promise<FileReading> {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new MalformedInterchange('the body is empty: send an 837P interchange (ISA … IEA)');
  }
  const loops = readClaimLoops(body, BATCH_CLAIMS_MAX);
  if (loops.status === 'malformed') {
    throw new MalformedInterchange(loops.problems[0]!.message, loops.problems);
  }
  const { payerIds, billingProviderNpis } = partyIdentifiersOf(loops.claims);
  const clearinghouse = submitter.kind === 'clearinghouse';
  const reading = claimsOf(loops, {
    providerNpi: clearinghouse ? null : submitter.npi,
    claimsMax: BATCH_CLAIMS_MAX,
    sender: submitter.interchange,
    payersByPayerId: await payersByPayerId(database.pool, payerIds),
    ...(clearinghouse && {
      authorizedProviders: await authorizedProvidersByNpi(
        database.pool,
        submitter.id,
        billingProviderNpis,
      ),
    }),
  });
  if (reading.status === 'read') return reading;
  throw new MalformedInterchange(reading.problems[0]!.message, reading.problems);
}

interface BatchResult {
  index: number;
  status: 'accepted' | 'duplicate' | 'rejected';
  claimId?: string;
  claim?: unknown;
  errors?: (FieldProblem | X12Problem)[];
}

/**
 * The batch answer (as stored for idempotency) in X12 terms: each result with its CLM's place,
 * and the intake's own problems (an unknown payer, another provider's original) at the segment
 * and element they came from.
 */
function answerOf(answer: SubmissionAnswer, reading: FileReading) {
  if (answer.status !== 200) throw new Error(`unexpected intake answer ${answer.status}`);
  const batch = JSON.parse(answer.bodyText) as {
    accepted: number;
    duplicates: number;
    rejected: number;
    results: BatchResult[];
  };
  return {
    interchangeControlNumber: reading.interchangeControlNumber,
    accepted: batch.accepted,
    duplicates: batch.duplicates,
    rejected: batch.rejected,
    results: batch.results.map((result) => resultOf(result, reading.claims[result.index]!)),
  };
}

function resultOf(result: BatchResult, claim: X12ClaimReading) {
  const place = {
    index: result.index,
    status: result.status,
    patientControlNumber: claim.patientControlNumber,
    transactionSetControlNumber: claim.transactionSetControlNumber,
    segmentPosition: claim.segmentPosition,
    line: claim.line,
  };
  if (result.status !== 'rejected') {
    return { ...place, claimId: result.claimId, claim: result.claim };
  }
  const errors = (result.errors ?? []).map((error) =>
    'segment' in error ? error : claim.locate(error.field, error.message),
  );
  return { ...place, errors };
}

export function x12Router(dependencies: X12Dependencies): Router {
  const { database, writeUnit } = dependencies;
  const router = Router();

  // The role is checked before the body is read, as for POST /v1/claims.
  router.post(
    '/x12/837',
    requireRole('provider_biller'),
    requireX12Text,
    express.text({ type: X12_MEDIA_TYPES, limit: FILE_BODY_LIMIT }),
    async (request, response) => {
      const submitterOrgId = principalOf(response).orgId;
      const submitter = await findOrganization(database, submitterOrgId);
      if (!submitter) throw new NotFound('organization');
      // A replay answers from the stored batch; the same file places its claims again.
      const reading = await readOrThrow(database, submitter, request.body);
      const answer = await submitIntakeUnit(database, writeUnit, request, submitterOrgId, () => ({
        kind: 'batch',
        providerOrgId: submitterOrgId,
        entries: reading.claims.map(({ entry, providerOrgId }) =>
          'submission' in entry
            ? { submission: entry.submission, ...(providerOrgId && { providerOrgId }) }
            : { errors: entry.problems },
        ),
      }));
      response.status(200).json(answerOf(answer, reading));
    },
  );

  return router;
}
