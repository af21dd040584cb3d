// Settlement: running the payer's settlement now, reading batches (the payer's and the
// provider's finance see their own only) and their 835 remittance, and confirming a payment.
import express from 'express';
import { z } from 'zod';
import { Forbidden } from '../infra/errors.js';
import {
  batchListQuery,
  confirmationSchema,
  confirmBatch,
  getBatch,
  getSchedule,
  listBatches,
  loadRemittance,
  reopenBatch,
  reopeningSchema,
  scheduleSchema,
  setSchedule,
  settlePayer,
} from '../domain/settlement/index.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import type { PhiKeys } from '../infra/phi.js';
import { write835 } from '../interop/x12/835.js';
import { principalOf } from './auth.js';
import { documentedRouter, moneyString, type DocumentedRouter } from './routes.js';

const batchPath = z.object({ id: z.uuid('must be a UUID') });

const batchSchema = z.object({
  id: z.uuid(),
  payerId: z.uuid(),
  providerId: z.uuid(),
  status: z.enum(['issued', 'confirmed', 'exception']),
  amount: moneyString,
  claimCount: z.number().int().min(0),
  createdAt: z.string(),
  ledgerEventId: z.uuid(),
  traceNumber: z.string().nullable(),
  confirmedAmount: moneyString.nullable(),
  confirmedDate: z.string().nullable(),
  remittanceControlNumber: z.number().int().min(1),
  balanceForwardAmount: moneyString,
});

const batchLineSchema = z.object({ claimId: z.uuid(), amount: moneyString });

/** A batch with its claims and the recoupments of claims paid in an earlier batch. */
const batchDetailSchema = batchSchema.extend({
  claims: z.array(batchLineSchema),
  adjustments: z.array(batchLineSchema),
});

const confirmationOutcomeSchema = z.object({
  outcome: z.enum(['confirmed', 'exception']),
  batch: batchSchema,
});

const settledSchema = z.object({ batches: z.array(batchDetailSchema) });

const batchesPageSchema = z.object({
  batches: z.array(batchSchema),
  nextCursor: z.string().nullable(),
});

export interface SettlementDependencies {
  database: Database;
  phiKeys: PhiKeys;
  /** ISA15 of the 835s: P production, T test. */
  x12UsageIndicator: 'P' | 'T';
}

export function settlementRouter({
  database,
  phiKeys,
  x12UsageIndicator,
}: SettlementDependencies): DocumentedRouter {
  const router = documentedRouter('Settlement');

  router.route(
    {
      method: 'post',
      path: '/settlement/run',
      summary: "Settle the payer's adjudicated, unsettled claims now",
      description: 'One batch per provider, reversals and recoupments netted. Payers only.',
      roles: ['finance', 'admin'],
      responses: {
        200: {
          description: 'The batches issued',
          schema: settledSchema,
        },
      },
    },
    async (_request, response) => {
      const principal = principalOf(response);
      if (principal.orgKind !== 'payer') throw new Forbidden('only a payer runs its settlement');
      const batches = await settlePayer(database, principal.orgId);
      response.json({ batches } satisfies z.output<typeof settledSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/settlement/schedule',
      summary: "The payer's settlement schedule",
      roles: ['finance', 'admin'],
      responses: { 200: { description: 'The schedule' } },
    },
    async (_request, response) => {
      response.json(await getSchedule(database, principalOf(response)));
    },
  );

  router.route(
    {
      method: 'put',
      path: '/settlement/schedule',
      summary: "Set the payer's settlement schedule",
      roles: ['finance', 'admin'],
      body: scheduleSchema,
      responses: { 200: { description: 'The schedule as set' } },
    },
    express.json({ limit: '16kb' }),
    async (request, response) => {
      response.json(await setSchedule(database, principalOf(response), request.body));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/settlement/batches',
      summary: "The caller's organization's settlement batches, newest first",
      roles: ['finance', 'admin'],
      query: batchListQuery,
      responses: { 200: { description: 'A page of batches', schema: batchesPageSchema } },
    },
    async (request, response) => {
      const page = await listBatches(database, principalOf(response), request.query);
      response.json(page satisfies z.output<typeof batchesPageSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/settlement/batches/:id',
      summary: 'A settlement batch with its claims',
      roles: ['finance', 'admin'],
      params: batchPath,
      responses: { 200: { description: 'The batch', schema: batchDetailSchema } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      const batch = await getBatch(database, principalOf(response), id);
      response.json(batch satisfies z.output<typeof batchDetailSchema>);
    },
  );

  // The batch's 835. It names patients (PHI), so no cache may keep it.
  router.route(
    {
      method: 'get',
      path: '/settlement/batches/:id/835',
      summary: "The batch's 835 health care claim payment/advice",
      roles: ['finance', 'admin'],
      params: batchPath,
      responses: { 200: { description: 'The 835 file', contentType: 'application/edi-x12' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      const principal = principalOf(response);
      const { remittance } = await loadRemittance(
        database,
        phiKeys,
        principal,
        id,
        x12UsageIndicator,
      );
      response
        // attachment() first: it sets a type from the file name, which type() then corrects.
        .attachment(`835-${remittance.interchange.controlNumber}-${id}.x12`)
        .type('application/edi-x12')
        .set('Cache-Control', 'no-store')
        .send(write835(remittance));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/settlement/batches/:id/confirmation',
      summary: "Confirm the batch's payment with its trace number and amount",
      roles: ['finance'],
      params: batchPath,
      body: confirmationSchema,
      responses: {
        200: {
          description:
            'confirmed when the amount matches; exception (for finance to resolve) when not',
          schema: confirmationOutcomeSchema,
        },
      },
    },
    express.json({ limit: '16kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      const outcome = await confirmBatch(database, principalOf(response), id, request.body);
      response.json(outcome satisfies z.output<typeof confirmationOutcomeSchema>);
    },
  );

  router.route(
    {
      method: 'post',
      path: '/settlement/batches/:id/reopen',
      summary: 'Reopen a confirmed batch whose payment failed',
      roles: ['finance'],
      params: batchPath,
      body: reopeningSchema,
      responses: { 200: { description: 'The batch, reopened', schema: batchSchema } },
    },
    express.json({ limit: '16kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      const batch = await reopenBatch(database, principalOf(response), id, request.body);
      response.json(batch satisfies z.output<typeof batchSchema>);
    },
  );

  return router;
}
