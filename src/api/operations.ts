// What the platform operator watches: claims the adjudication engine could not decide.
import { Router } from 'express';
import { adjudicationFailureCounts } from '../domain/adjudication/failures.js';
import { requireOperatorAdmin } from '../domain/organizations.js';
import type { Database } from '../infra/db.js';
import { principalOf } from './auth.js';

export function operationsRouter(database: Database): Router {
  const router = Router();
  router.get('/operations/adjudication-failures', async (_request, response) => {
    requireOperatorAdmin(principalOf(response));
    response.json(await adjudicationFailureCounts(database));
  });
  return router;
}
