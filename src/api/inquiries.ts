// Inquiries a billing office makes before and after a visit: eligibility and benefits
// (GET /v1/eligibility, and as X12 270/271) and claim status. Thin: parse, ask the domain, answer.
import { Router, type RequestHandler } from 'express';
import { answerEligibility } from '../domain/inquiries/eligibility-service.js';
import { inquirerOf } from '../domain/inquiries/access.js';
import { eligibilityQuerySchema, todayUtc } from '../domain/inquiries/schema.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import type { PhiKeys } from '../infra/phi.js';
import { principalOf } from './auth.js';

export interface InquiriesDependencies {
  database: Database;
  phiKeys: PhiKeys;
}

/** Refuses a key that may make no inquiry before anything else is read. */
const requireInquirer: RequestHandler = (_request, response, next) => {
  inquirerOf(principalOf(response));
  next();
};

export function inquiriesRouter({ database, phiKeys }: InquiriesDependencies): Router {
  const router = Router();

  router.get('/eligibility', requireInquirer, async (request, response) => {
    const query = parseOrThrow(eligibilityQuerySchema, request.query, 'query');
    const question = {
      payerId: query.payerId,
      memberId: query.memberId,
      date: query.date ?? todayUtc(),
      procedureCodes: query.procedureCode ?? [],
    };
    const [outcome] = await answerEligibility(
      database,
      phiKeys,
      principalOf(response),
      [question],
      { channel: 'json', payerField: 'payerId' },
    );
    response.json({ ...outcome!.answer, ledgerEventId: outcome!.ledgerEventId });
  });

  return router;
}
