// The HTTP API: every /v1 route is authenticated; errors go through one handler.
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import {
  IntakeGroup,
  type IntakeUnit,
  type UnitResult,
  writeIntakeUnits,
} from '../domain/claims/index.js';
import { ConcurrencyLimit } from '../infra/concurrency.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import { createMetrics, type Metrics } from '../infra/metrics.js';
import type { PhiKeys } from '../infra/phi.js';
import { QueueViews } from '../infra/queues.js';
import type { Redis } from '../infra/redis.js';
import { StoredTreeProofs } from '../ledger/transparency-log.js';
import { authenticate, PrincipalCache } from './auth.js';
import { balancesRouter } from './balances.js';
import { reconciliationRouter } from './reconciliation.js';
import { claimsRouter, responseOfUnit } from './claims.js';
import { consoleAssets } from './console.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { fhirRouter } from './fhir.js';
import { inquiriesRouter } from './inquiries.js';
import { ledgerRouter } from './ledger.js';
import { operationsEndpoints, requestContext } from './observability.js';
import { QUEUE_BOARD_PATH, queueBoard } from './queue-board.js';
import { operationsRouter } from './operations.js';
import { organizationsRouter } from './organizations.js';
import { payersRouter } from './payers.js';
import { reviewRouter } from './review.js';
import { settlementRouter } from './settlement.js';
import { x12Router } from './x12.js';
import { apiReferenceAssets, buildOpenApiDocument, referenceRoutes } from './openapi.js';
import { witnessesRouter } from './witnesses.js';
import { loadWitnessList } from '../witness/policy.js';

export interface AppDependencies {
  config: Config;
  database: Database;
  logger: Logger;
  /** For readiness, queue depths and the queue board (openObservingRedis: fails fast). */
  redis: Redis;
  /** The process's metrics, shared with its workers when they run in it. */
  metrics?: Metrics;
  /** The proof routes' tree and tile cache, for a server that warms it at start (serve.ts). */
  treeProofs?: StoredTreeProofs;
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

export function createApp(dependencies: AppDependencies): Express {
  const { config, database, logger, redis, metrics = createMetrics() } = dependencies;
  const treeProofs = dependencies.treeProofs ?? new StoredTreeProofs(database.pool);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(logger, metrics));
  const phiKeys = phiKeysOf(config);
  // Every way a claim comes in shares one limit of intake transactions at once (see
  // intakeWritesMax); single claims wait in their group, which then grows.
  const intakeWrites = new ConcurrencyLimit(config.intakeWritesMax);
  const writeUnits = (units: IntakeUnit[]) =>
    intakeWrites.run(() => writeIntakeUnits(database, phiKeys, units, responseOfUnit));
  const intakeGroup = new IntakeGroup<IntakeUnit, UnitResult>(
    writeUnits,
    config.intakeGroupWindowMs,
    config.intakeGroupClaimsMax,
    config.intakeWritesMax,
  );
  const writeUnit = async (unit: IntakeUnit) => (await writeUnits([unit]))[0]!;
  const cache = new PrincipalCache();

  const queues = new QueueViews(config, redis);
  const operations = operationsEndpoints({ config, database, redis, queues, metrics });
  app.use(operations.router);
  app.use(QUEUE_BOARD_PATH, queueBoard(database, cache, queues));

  const reference = referenceRoutes(() => document);
  const fhir = fhirRouter({ database, phiKeys, intakeGroup, cache, logger });
  const v1Routers = [
    claimsRouter({ database, phiKeys, intakeGroup, writeUnit }),
    x12Router({ database, writeUnit }),
    ledgerRouter(database, treeProofs),
    witnessesRouter(database, loadWitnessList(config.ledgerWitnessesFile)),
    reviewRouter(database),
    settlementRouter({ database, phiKeys, x12UsageIndicator: config.x12UsageIndicator }),
    balancesRouter(database),
    reconciliationRouter(database),
    organizationsRouter(database, cache),
    payersRouter({ database, phiKeys }),
    operationsRouter(database),
    inquiriesRouter({ database, phiKeys }),
  ];
  // The document of the routers as mounted below, built now: a schema that JSON Schema cannot
  // express stops the start rather than a request for /openapi.json.
  const document = buildOpenApiDocument([
    { prefix: '', routers: [reference, operations] },
    { prefix: '/v1/fhir', routers: [fhir] },
    { prefix: '/v1', routers: v1Routers },
  ]);

  app.use(reference.router);
  app.use('/verify', express.static(VERIFY_PAGE_DIRECTORY, { index: 'index.html', maxAge: 0 }));
  app.use(apiReferenceAssets());
  app.use('/v1/fhir', fhir.router);
  const v1Router = express.Router();
  v1Router.use(authenticate(database, cache));
  for (const router of v1Routers) v1Router.use(router.router);
  app.use('/v1', v1Router);
  app.use(consoleAssets());
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
