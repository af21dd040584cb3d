// GET /v1/balances: an organization's double-entry balances, now or as of a block height.
import { Router } from 'express';
import { z } from 'zod';
import { balancesOf } from '../domain/accounts/balances.js';
import { INT4_MAX, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf, requireRole } from './auth.js';

export function balancesRouter(database: Database): Router {
  const router = Router();
  router.get('/balances', requireRole('finance', 'auditor', 'admin'), async (request, response) => {
    const { asOfHeight } = parseOrThrow(
      z.strictObject({
        asOfHeight: wholeNumberParameter(1, INT4_MAX).optional(),
      }),
      request.query,
      'query',
    );
    response.json(await balancesOf(database, principalOf(response), asOfHeight));
  });
  return router;
}
