// Payer configuration (/v1/payer/...): rules, plans, members and coverage, fee schedule,
// prior authorizations. Open to a payer organization's adjudicators and admins only, and
// always scoped to the caller's organization.
import express, { Router, type RequestHandler } from 'express';
import { setPayerRules, getPayerRules } from '../domain/payers/rules.js';
import { createPlan, getPlan, listPlans, updatePlan } from '../domain/payers/plans.js';
import { enrollMember, getMember } from '../domain/payers/members.js';
import { addCoverage, listCoverages, updateCoverage } from '../domain/payers/coverages.js';
import {
  createPriorAuthorization,
  listPriorAuthorizations,
} from '../domain/payers/prior-authorizations.js';
import { listFeeSchedule, setFeeScheduleEntries } from '../domain/payers/fee-schedule.js';
import {
  feeScheduleEntriesOf,
  feeScheduleEntriesOfCsv,
} from '../domain/payers/fee-schedule-input.js';
import { payerOrgOf } from '../domain/payers/access.js';
import {
  coverageSchema,
  feeScheduleQuerySchema,
  memberEnrollmentSchema,
  payerRulesSchema,
  planSchema,
  priorAuthorizationSchema,
  rowIdSchema,
} from '../domain/payers/schema.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { InvalidInput } from '../infra/errors.js';
import type { PhiKeys } from '../infra/phi.js';
import { principalOf } from './auth.js';

const SMALL_BODY_LIMIT = '16kb';
// 10,000 entries of ~150 bytes of JSON, or of ~40 bytes of CSV, fit with room to spare.
const FEE_SCHEDULE_BODY_LIMIT = '5mb';

export interface PayersDependencies {
  database: Database;
  phiKeys: PhiKeys;
}

/** Refuses everyone but a payer's adjudicators and admins, before any body is read. */
const payerOnly: RequestHandler = (_request, response, next) => {
  payerOrgOf(principalOf(response));
  next();
};

function idOf(params: unknown, what: string): string {
  return parseOrThrow(rowIdSchema, params, what).id;
}

export function payersRouter({ database, phiKeys }: PayersDependencies): Router {
  const router = Router();
  const json = express.json({ limit: SMALL_BODY_LIMIT });
  const largeJson = express.json({ limit: FEE_SCHEDULE_BODY_LIMIT });
  const csv = express.text({ type: 'text/csv', limit: FEE_SCHEDULE_BODY_LIMIT });
  router.use('/payer', payerOnly);

  router.put('/payer/rules', json, async (request, response) => {
    const input = parseOrThrow(payerRulesSchema, request.body, 'payer rules');
    response.json(await setPayerRules(database, principalOf(response), input));
  });
  router.get('/payer/rules', async (_request, response) => {
    response.json(await getPayerRules(database, principalOf(response)));
  });

  router.post('/payer/plans', json, async (request, response) => {
    const input = parseOrThrow(planSchema, request.body, 'plan');
    response.status(201).json(await createPlan(database, principalOf(response), input));
  });
  router.put('/payer/plans/:id', json, async (request, response) => {
    const id = idOf(request.params, 'plan id');
    const input = parseOrThrow(planSchema, request.body, 'plan');
    response.json(await updatePlan(database, principalOf(response), id, input));
  });
  router.get('/payer/plans', async (_request, response) => {
    response.json(await listPlans(database, principalOf(response)));
  });
  router.get('/payer/plans/:id', async (request, response) => {
    const id = idOf(request.params, 'plan id');
    response.json(await getPlan(database, principalOf(response), id));
  });

  router.post('/payer/members', json, async (request, response) => {
    const input = parseOrThrow(memberEnrollmentSchema, request.body, 'member');
    response.status(201).json(await enrollMember(database, phiKeys, principalOf(response), input));
  });
  router.get('/payer/members/:id', async (request, response) => {
    const id = idOf(request.params, 'member id');
    response.json(await getMember(database, phiKeys, principalOf(response), id));
  });

  router.post('/payer/members/:id/coverages', json, async (request, response) => {
    const memberId = idOf(request.params, 'member id');
    const input = parseOrThrow(coverageSchema, request.body, 'coverage');
    response.status(201).json(await addCoverage(database, principalOf(response), memberId, input));
  });
  router.get('/payer/members/:id/coverages', async (request, response) => {
    const memberId = idOf(request.params, 'member id');
    response.json(await listCoverages(database, principalOf(response), memberId));
  });
  router.put('/payer/coverages/:id', json, async (request, response) => {
    const id = idOf(request.params, 'coverage id');
    const input = parseOrThrow(coverageSchema, request.body, 'coverage');
    response.json(await updateCoverage(database, principalOf(response), id, input));
  });

  router.put('/payer/fee-schedule/entries', largeJson, async (request, response) => {
    const entries = feeScheduleEntriesOf(request.body);
    response.json(await setFeeScheduleEntries(database, principalOf(response), entries));
  });
  router.post('/payer/fee-schedule/csv', csv, async (request, response) => {
    if (typeof request.body !== 'string') {
      throw new InvalidInput('invalid fee schedule CSV', [
        { field: 'Content-Type', message: 'must be text/csv' },
      ]);
    }
    const entries = feeScheduleEntriesOfCsv(request.body);
    response.json(await setFeeScheduleEntries(database, principalOf(response), entries));
  });
  router.get('/payer/fee-schedule', async (request, response) => {
    const query = parseOrThrow(feeScheduleQuerySchema, request.query, 'query');
    response.json(await listFeeSchedule(database, principalOf(response), query));
  });

  router.post('/payer/prior-authorizations', json, async (request, response) => {
    const input = parseOrThrow(priorAuthorizationSchema, request.body, 'prior authorization');
    response
      .status(201)
      .json(await createPriorAuthorization(database, principalOf(response), input));
  });
  router.get('/payer/members/:id/prior-authorizations', async (request, response) => {
    const memberId = idOf(request.params, 'member id');
    response.json(await listPriorAuthorizations(database, principalOf(response), memberId));
  });

  return router;
}
