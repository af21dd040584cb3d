// Manual review: the payer's queue of pended claims and a person's line-by-line decision.
import express, { Router } from 'express';
import { z } from 'zod';
import { decidePendedClaim, listReviewQueue } from '../domain/adjudication/review.js';
import { pageLimit, parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf, requireRole } from './auth.js';

export function reviewRouter(database: Database): Router {
  const router = Router();

  router.get(
    '/review-queue',
    requireRole('payer_adjudicator', 'admin'),
    async (request, response) => {
      const { limit } = parseOrThrow(
        z.strictObject({ limit: pageLimit(500, 100) }),
        request.query,
        'query',
      );
      response.json({ claims: await listReviewQueue(database, principalOf(response), limit) });
    },
  );

  router.post(
    '/claims/:id/decision',
    requireRole('payer_adjudicator'),
    express.json({ limit: '64kb' }),
    async (request, response) => {
      const { id } = parseOrThrow(
        z.object({ id: z.uuid('must be a UUID') }),
        request.params,
        'path',
      );
      const outcome = await decidePendedClaim(database, principalOf(response), id, request.body);
      response.status(201).json(outcome);
    },
  );

  return router;
}
