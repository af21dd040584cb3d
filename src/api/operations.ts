// What the platform operator watches: claims the adjudication engine could not decide.
import { adjudicationFailureCounts } from '../domain/adjudication/index.js';
import { requireOperatorAdmin } from '../domain/organizations.js';
import type { Database } from '../infra/db.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

export function operationsRouter(database: Database): DocumentedRouter {
  const router = documentedRouter('Operations');
  router.route(
    {
      method: 'get',
      path: '/operations/adjudication-failures',
      summary: 'Claims the adjudication engine could not decide, counted by reason',
      description: "For the platform operator's admin keys only.",
      responses: { 200: { description: 'The counts' } },
    },
    async (_request, response) => {
      requireOperatorAdmin(principalOf(response));
      response.json(await adjudicationFailureCounts(database));
    },
  );
  return router;
}
