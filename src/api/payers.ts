// Payer configuration (/v1/payer/...): rules, plans, members and coverage, fee schedule,
// prior authorizations. Open to a payer organization's adjudicators and admins only, and
// always scoped to the caller's organization.
import express, { type RequestHandler } from 'express';
import {
  addCoverage,
  createPlan,
  createPriorAuthorization,
  enrollMember,
  feeScheduleEntriesOf,
  feeScheduleEntriesOfCsv,
  getMember,
  getPayerRules,
  getPlan,
  listCoverages,
  listFeeSchedule,
  listPlans,
  listPriorAuthorizations,
  payerOrgOf,
  setFeeScheduleEntries,
  setPayerRules,
  updateCoverage,
  updatePlan,
} from '../domain/payers/index.js';
import {
  coverageSchema,
  feeScheduleEnvelopeSchema,
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
import { documentedRouter, type DocumentedBody, type DocumentedRouter } from './routes.js';

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

const PAYER_ONLY =
  "A payer organization's adjudicator and admin keys only; scoped to the caller's payer.";

const FEE_SCHEDULE_CSV: DocumentedBody = {
  contentType: 'text/csv',
  description:
    'A header row, then one entry a row: procedure_code, modifier, allowed_amount, covered, ' +
    'prior_auth_required, copay_applies (and anesthesia_base_units)',
};

export function payersRouter({ database, phiKeys }: PayersDependencies): DocumentedRouter {
  const router = documentedRouter('Payer configuration');
  const json = express.json({ limit: SMALL_BODY_LIMIT });
  const largeJson = express.json({ limit: FEE_SCHEDULE_BODY_LIMIT });
  const csv = express.text({ type: 'text/csv', limit: FEE_SCHEDULE_BODY_LIMIT });
  router.router.use('/payer', payerOnly);

  router.route(
    {
      method: 'put',
      path: '/payer/rules',
      summary: "Set the payer's adjudication rules",
      description: PAYER_ONLY,
      body: payerRulesSchema,
      responses: { 200: { description: 'The rules as set' } },
    },
    json,
    async (request, response) => {
      const input = parseOrThrow(payerRulesSchema, request.body, 'payer rules');
      response.json(await setPayerRules(database, principalOf(response), input));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/rules',
      summary: "The payer's adjudication rules",
      description: PAYER_ONLY,
      responses: { 200: { description: 'The rules' } },
    },
    async (_request, response) => {
      response.json(await getPayerRules(database, principalOf(response)));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/payer/plans',
      summary: 'Create a benefit plan',
      description: PAYER_ONLY,
      body: planSchema,
      responses: { 201: { description: 'The plan' } },
    },
    json,
    async (request, response) => {
      const input = parseOrThrow(planSchema, request.body, 'plan');
      response.status(201).json(await createPlan(database, principalOf(response), input));
    },
  );
  router.route(
    {
      method: 'put',
      path: '/payer/plans/:id',
      summary: 'Change a benefit plan',
      description: PAYER_ONLY,
      params: rowIdSchema,
      body: planSchema,
      responses: { 200: { description: 'The plan' } },
    },
    json,
    async (request, response) => {
      const id = idOf(request.params, 'plan id');
      const input = parseOrThrow(planSchema, request.body, 'plan');
      response.json(await updatePlan(database, principalOf(response), id, input));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/plans',
      summary: "The payer's benefit plans",
      description: PAYER_ONLY,
      responses: { 200: { description: 'The plans' } },
    },
    async (_request, response) => {
      response.json(await listPlans(database, principalOf(response)));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/plans/:id',
      summary: 'A benefit plan',
      description: PAYER_ONLY,
      params: rowIdSchema,
      responses: { 200: { description: 'The plan' } },
    },
    async (request, response) => {
      const id = idOf(request.params, 'plan id');
      response.json(await getPlan(database, principalOf(response), id));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/payer/members',
      summary: 'Enroll a member (a subscriber or a dependent)',
      description: PAYER_ONLY,
      body: memberEnrollmentSchema,
      responses: { 201: { description: 'The member' } },
    },
    json,
    async (request, response) => {
      const input = parseOrThrow(memberEnrollmentSchema, request.body, 'member');
      response
        .status(201)
        .json(await enrollMember(database, phiKeys, principalOf(response), input));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/members/:id',
      summary: 'A member',
      description: PAYER_ONLY,
      params: rowIdSchema,
      responses: { 200: { description: 'The member' } },
    },
    async (request, response) => {
      const id = idOf(request.params, 'member id');
      response.json(await getMember(database, phiKeys, principalOf(response), id));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/payer/members/:id/coverages',
      summary: 'Cover a member by a plan from a date',
      description: PAYER_ONLY,
      params: rowIdSchema,
      body: coverageSchema,
      responses: { 201: { description: 'The coverage' } },
    },
    json,
    async (request, response) => {
      const memberId = idOf(request.params, 'member id');
      const input = parseOrThrow(coverageSchema, request.body, 'coverage');
      response
        .status(201)
        .json(await addCoverage(database, principalOf(response), memberId, input));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/members/:id/coverages',
      summary: "A member's coverages",
      description: PAYER_ONLY,
      params: rowIdSchema,
      responses: { 200: { description: 'The coverages' } },
    },
    async (request, response) => {
      const memberId = idOf(request.params, 'member id');
      response.json(await listCoverages(database, principalOf(response), memberId));
    },
  );
  router.route(
    {
      method: 'put',
      path: '/payer/coverages/:id',
      summary: 'Change a coverage',
      description: PAYER_ONLY,
      params: rowIdSchema,
      body: coverageSchema,
      responses: { 200: { description: 'The coverage' } },
    },
    json,
    async (request, response) => {
      const id = idOf(request.params, 'coverage id');
      const input = parseOrThrow(coverageSchema, request.body, 'coverage');
      response.json(await updateCoverage(database, principalOf(response), id, input));
    },
  );

  router.route(
    {
      method: 'put',
      path: '/payer/fee-schedule/entries',
      summary: 'Set fee schedule entries (up to 10,000)',
      description: PAYER_ONLY,
      body: feeScheduleEnvelopeSchema,
      responses: { 200: { description: 'How many entries were set' } },
    },
    largeJson,
    async (request, response) => {
      const entries = feeScheduleEntriesOf(request.body);
      response.json(await setFeeScheduleEntries(database, principalOf(response), entries));
    },
  );
  router.route(
    {
      method: 'post',
      path: '/payer/fee-schedule/csv',
      summary: 'Set fee schedule entries from a CSV file',
      description: PAYER_ONLY,
      body: FEE_SCHEDULE_CSV,
      responses: { 200: { description: 'How many entries were set' } },
    },
    csv,
    async (request, response) => {
      if (typeof request.body !== 'string') {
        throw new InvalidInput('invalid fee schedule CSV', [
          { field: 'Content-Type', message: 'must be text/csv' },
        ]);
      }
      const entries = feeScheduleEntriesOfCsv(request.body);
      response.json(await setFeeScheduleEntries(database, principalOf(response), entries));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/fee-schedule',
      summary: "The payer's fee schedule",
      description: PAYER_ONLY,
      query: feeScheduleQuerySchema,
      responses: { 200: { description: 'A page of entries' } },
    },
    async (request, response) => {
      const query = parseOrThrow(feeScheduleQuerySchema, request.query, 'query');
      response.json(await listFeeSchedule(database, principalOf(response), query));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/payer/prior-authorizations',
      summary: 'Record a prior authorization',
      description: PAYER_ONLY,
      body: priorAuthorizationSchema,
      responses: { 201: { description: 'The prior authorization' } },
    },
    json,
    async (request, response) => {
      const input = parseOrThrow(priorAuthorizationSchema, request.body, 'prior authorization');
      response
        .status(201)
        .json(await createPriorAuthorization(database, principalOf(response), input));
    },
  );
  router.route(
    {
      method: 'get',
      path: '/payer/members/:id/prior-authorizations',
      summary: "A member's prior authorizations",
      description: PAYER_ONLY,
      params: rowIdSchema,
      responses: { 200: { description: 'The prior authorizations' } },
    },
    async (request, response) => {
      const memberId = idOf(request.params, 'member id');
      response.json(await listPriorAuthorizations(database, principalOf(response), memberId));
    },
  );

  return router;
}
