// Reconciliation runs for finance: run one now, list runs, read one with the exceptions the
// caller's organization may see.
import express, { Router } from 'express';
import { z } from 'zod';
import { getRun, listRuns, runReconciliation } from '../domain/reconciliation/service.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf, requireRole } from './auth.js';

const runPath = z.object({ id: z.uuid('must be a UUID') });
const runBody = z.strictObject({
  mode: z.enum(['full', 'incremental'], { error: 'must be "full" or "incremental"' }).optional(),
});

export function reconciliationRouter(database: Database): Router {
  const router = Router();

  router.post(
    '/reconciliation/runs',
    requireRole('finance', 'admin'),
    express.json({ limit: '1kb' }),
    async (request, response) => {
      const principal = principalOf(response);
      const { mode } = parseOrThrow(runBody, request.body ?? {}, 'run');
      const run = await runReconciliation(database, {
        trigger: 'request',
        requestedByKeyId: principal.keyId,
        ...(mode === undefined ? {} : { mode }),
      });
      response
        .status(201)
        .location(`/v1/reconciliation/runs/${run.id}`)
        .json(await getRun(database, principal, run.id));
    },
  );

  router.get(
    '/reconciliation/runs',
    requireRole('finance', 'auditor', 'admin'),
    async (request, response) => {
      response.json(await listRuns(database, principalOf(response), request.query));
    },
  );

  router.get(
    '/reconciliation/runs/:id',
    requireRole('finance', 'auditor', 'admin'),
    async (request, response) => {
      const { id } = parseOrThrow(runPath, request.params, 'path');
      response.json(await getRun(database, principalOf(response), id));
    },
  );

  return router;
}
