// Settlement: running the payer's settlement now, reading batches (the payer's and the
// provider's finance see their own only) and confirming a batch's payment.
import express, { Router } from 'express';
import { z } from 'zod';
import { Forbidden } from '../infra/errors.js';
import {
  confirmBatch,
  getBatch,
  listBatches,
  reopenBatch,
  settlePayer,
} from '../domain/settlement/service.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf, requireRole } from './auth.js';

const batchPath = z.object({ id: z.uuid('must be a UUID') });

export function settlementRouter(database: Database): Router {
  const router = Router();

  router.post('/settlement/run', requireRole('finance', 'admin'), async (_request, response) => {
    const principal = principalOf(response);
    if (principal.orgKind !== 'payer') throw new Forbidden('only a payer runs its settlement');
    response.json({ batches: await settlePayer(database, principal.orgId) });
  });

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
