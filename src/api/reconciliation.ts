// Reconciliation runs for finance: run one now, list runs, read one with the exceptions the
// caller's organization may see.
import express from 'express';
import { z } from 'zod';
import {
  getRun,
  listRuns,
  runListQuery,
  runReconciliation,
} from '../domain/reconciliation/index.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

const runPath = z.object({ id: z.uuid('must be a UUID') });
const runBody = z.strictObject({
  mode: z.enum(['full', 'incremental'], { error: 'must be "full" or "incremental"' }).optional(),
});

export function reconciliationRouter(database: Database): DocumentedRouter {
  const router = documentedRouter('Reconciliation');

  router.route(
    {
      method: 'post',
      path: '/reconciliation/runs',
      summary: 'Reconcile now: journal, ledger events, batches and confirmations',
      description: 'mode "incremental" checks what changed since the last run; "full" by default.',
      roles: ['finance', 'admin'],
      body: runBody,
      responses: { 201: { description: 'The run with the exceptions the caller may see' } },
    },
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

  router.route(
    {
      method: 'get',
      path: '/reconciliation/runs',
      summary: 'Reconciliation runs, newest first',
      roles: ['finance', 'auditor', 'admin'],
      query: runListQuery,
      responses: { 200: { description: 'A page of runs' } },
    },
    async (request, response) => {
      response.json(await listRuns(database, principalOf(response), request.query));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/reconciliation/runs/:id',
      summary: 'A run with the exceptions the caller may see',
      roles: ['finance', 'auditor', 'admin'],
      params: runPath,
      responses: { 200: { description: 'The run' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(runPath, request.params, 'path');
      response.json(await getRun(database, principalOf(response), id));
    },
  );

  return router;
}
