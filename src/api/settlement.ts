// Settlement: running the payer's settlement now, reading batches (the payer's and the
// provider's finance see their own only) and their 835 remittance, and confirming a payment.
import express, { Router } from 'express';
import { z } from 'zod';
import { Forbidden } from '../infra/errors.js';
import { loadRemittance } from '../domain/settlement/remittance.js';
import { getSchedule, setSchedule } from '../domain/settlement/schedule.js';
import {
  confirmBatch,
  getBatch,
  listBatches,
  reopenBatch,
  settlePayer,
} from '../domain/settlement/service.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import type { PhiKeys } from '../infra/phi.js';
import { write835 } from '../interop/x12/835.js';
import { principalOf, requireRole } from './auth.js';

const batchPath = z.object({ id: z.uuid('must be a UUID') });

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
}: SettlementDependencies): Router {
  const router = Router();

  router.post('/settlement/run', requireRole('finance', 'admin'), async (_request, response) => {
    const principal = principalOf(response);
    if (principal.orgKind !== 'payer') throw new Forbidden('only a payer runs its settlement');
    response.json({ batches: await settlePayer(database, principal.orgId) });
  });

  router.get(
    '/settlement/schedule',
    requireRole('finance', 'admin'),
    async (_request, response) => {
      response.json(await getSchedule(database, principalOf(response)));
    },
  );

  router.put(
    '/settlement/schedule',
    requireRole('finance', 'admin'),
    express.json({ limit: '16kb' }),
    async (request, response) => {
      response.json(await setSchedule(database, principalOf(response), request.body));
    },
  );

  router.get('/settlement/batches', requireRole('finance', 'admin'), async (request, response) => {
    response.json(await listBatches(database, principalOf(response), request.query));
  });

  router.get(
    '/settlement/batches/:id',
    requireRole('finance', 'admin'),
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      response.json(await getBatch(database, principalOf(response), id));
    },
  );

  // The batch's 835. It names patients (PHI), so no cache may keep it.
  router.get(
    '/settlement/batches/:id/835',
    requireRole('finance', 'admin'),
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

  router.post(
    '/settlement/batches/:id/confirmation',
    requireRole('finance'),
    express.json({ limit: '16kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      response.json(await confirmBatch(database, principalOf(response), id, request.body));
    },
  );

  router.post(
    '/settlement/batches/:id/reopen',
    requireRole('finance'),
    express.json({ limit: '16kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(batchPath, request.params, 'path');
      response.json(await reopenBatch(database, principalOf(response), id, request.body));
    },
  );

  return router;
}
