// Manual review: the payer's queue of pended claims and a person's line-by-line decision.
import express from 'express';
import { z } from 'zod';
import {
  decidePendedClaim,
  listReviewQueue,
  manualDecisionSchema,
} from '../domain/adjudication/index.js';
import { pageLimit, parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

const queueQuery = z.strictObject({ limit: pageLimit(500, 100) });
const claimPath = z.object({ id: z.uuid('must be a UUID') });

export function reviewRouter(database: Database): DocumentedRouter {
  const router = documentedRouter('Review');

  router.route(
    {
      method: 'get',
      path: '/review-queue',
      summary: "The payer's pended claims awaiting a person's decision, oldest first",
      roles: ['payer_adjudicator', 'admin'],
      query: queueQuery,
      responses: { 200: { description: 'The queue' } },
    },
    async (request, response) => {
      const { limit } = parseOrThrow(queueQuery, request.query, 'query');
      response.json({ claims: await listReviewQueue(database, principalOf(response), limit) });
    },
  );

  router.route(
    {
      method: 'post',
      path: '/claims/:id/decision',
      summary: "Decide a pended claim's lines",
      roles: ['payer_adjudicator'],
      params: claimPath,
      body: manualDecisionSchema,
      responses: { 201: { description: 'The decision as recorded' } },
    },
    express.json({ limit: '64kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(claimPath, request.params, 'path');
      const outcome = await decidePendedClaim(database, principalOf(response), id, request.body);
      response.status(201).json(outcome);
    },
  );

  return router;
}
