// GET /v1/balances: an organization's double-entry balances, now or as of a block height.
import { z } from 'zod';
import { balancesOf } from '../domain/accounts/index.js';
import { INT4_MAX, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { principalOf } from './auth.js';
import { documentedRouter, moneyString, type DocumentedRouter } from './routes.js';

const balancesQuery = z.strictObject({
  asOfHeight: wholeNumberParameter(1, INT4_MAX).optional(),
});

const balancesSchema = z.object({
  organizationId: z.uuid(),
  asOfHeight: z.number().int().nullable(),
  accounts: z.array(
    z.object({ counterpartyId: z.string(), purpose: z.string(), balanceAmount: moneyString }),
  ),
});

export function balancesRouter(database: Database): DocumentedRouter {
  const router = documentedRouter('Balances');
  router.route(
    {
      method: 'get',
      path: '/balances',
      summary: "The caller's organization's account balances, now or as of a block height",
      roles: ['finance', 'auditor', 'admin'],
      query: balancesQuery,
      responses: {
        200: { description: 'Balances per account, as decimal strings', schema: balancesSchema },
      },
    },
    async (request, response) => {
      const { asOfHeight } = parseOrThrow(balancesQuery, request.query, 'query');
      const balances = await balancesOf(database, principalOf(response), asOfHeight);
      response.json(balances satisfies z.output<typeof balancesSchema>);
    },
  );
  return router;
}
