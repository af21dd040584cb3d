// The HTTP API: every /v1 route is authenticated; errors go through one handler.
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { IntakeGroup } from '../domain/claims/group.js';
import { writeIntakeUnits, type IntakeUnit, type UnitResult } from '../domain/claims/intake.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import type { PhiKeys } from '../infra/phi.js';
import { authenticate, PrincipalCache } from './auth.js';
import { balancesRouter } from './balances.js';
import { reconciliationRouter } from './reconciliation.js';
import { claimsRouter, responseOfUnit } from './claims.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { fhirRouter } from './fhir.js';
import { inquiriesRouter } from './inquiries.js';
import { ledgerRouter } from './ledger.js';
import { operationsRouter } from './operations.js';
import { organizationsRouter } from './organizations.js';
import { payersRouter } from './payers.js';
import { reviewRouter } from './review.js';
import { settlementRouter } from './settlement.js';
import { x12Router } from './x12.js';
import { witnessesRouter } from './witnesses.js';
import { loadWitnessList } from '../witness/policy.js';

export interface AppDependencies {
  config: Config;
  database: Database;
  logger: Logger;
}

/** The in-browser proof verifier: static files, no server calls once loaded (README "/verify"). */
const VERIFY_PAGE_DIRECTORY = fileURLToPath(new URL('../../public/verify', import.meta.url));

export function phiKeysOf(config: Config): PhiKeys {
  return {
    keys: config.phiKeys,
    currentVersion: config.phiKeyVersion,
    indexKey: config.phiIndexKey,
  };
}

export function createApp({ config, database, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const phiKeys = phiKeysOf(config);
  const writeUnits = (units: IntakeUnit[]) =>
    writeIntakeUnits(database, phiKeys, units, responseOfUnit);
  const intakeGroup = new IntakeGroup<IntakeUnit, UnitResult>(
    writeUnits,
    config.intakeGroupWindowMs,
    config.intakeGroupClaimsMax,
  );
  const writeUnit = async (unit: IntakeUnit) => (await writeUnits([unit]))[0]!;
  const cache = new PrincipalCache();

  app.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.use('/verify', express.static(VERIFY_PAGE_DIRECTORY, { index: 'index.html', maxAge: 0 }));
  app.use('/v1/fhir', fhirRouter({ database, phiKeys, intakeGroup, cache, logger }));
  const v1 = express.Router();
  v1.use(authenticate(database, cache));
  v1.use(claimsRouter({ database, phiKeys, intakeGroup, writeUnit }));
  v1.use(x12Router({ database, writeUnit }));
  v1.use(ledgerRouter(database));
  v1.use(witnessesRouter(database, loadWitnessList(config.ledgerWitnessesFile)));
  v1.use(reviewRouter(database));
  v1.use(settlementRouter({ database, phiKeys, x12UsageIndicator: config.x12UsageIndicator }));
  v1.use(balancesRouter(database));
  v1.use(reconciliationRouter(database));
  v1.use(organizationsRouter(database, cache));
  v1.use(payersRouter({ database, phiKeys }));
  v1.use(operationsRouter(database));
  v1.use(inquiriesRouter({ database, phiKeys }));
  app.use('/v1', v1);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
