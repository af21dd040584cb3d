// What operators and their tools read: a request id on every request (in its answer's header,
// its log lines and its error body), HTTP metrics by route pattern, /healthz, /readyz and
// /metrics. None of it carries patient data: metrics are labelled by route pattern (never the
// URL, whose ids and query could identify a patient) and the request log line likewise.
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler, type Request, type Response } from 'express';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { readOperationalCounts, type OperationalCounts } from '../domain/operations.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import { Unauthenticated } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { secondsSince, type Metrics } from '../infra/metrics.js';
import { MIGRATIONS_DIRECTORY, readMigrations, unappliedMigrations } from '../infra/migrate.js';
import { JOB_STATES, type QueueViews } from '../infra/queues.js';
import type { Redis } from '../infra/redis.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { safeEqual } from './tokens.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

/** An incoming X-Request-Id is kept when it looks like an id; anything else is replaced. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Longest a readiness check waits for PostgreSQL or Redis. */
const READINESS_TIMEOUT_MS = 2_000;
/** Probes and scrapes come every few seconds: their request lines are logged at debug only. */
const QUIET_ROUTES = new Set(['/healthz', '/health', '/readyz', '/metrics']);

/** Gives the request its id and child logger, and counts and logs it when answered. */
export function requestContext(logger: Logger, metrics: Metrics): RequestHandler {
  return (request, response, next) => {
    const incoming = request.header('x-request-id');
    const requestId =
      incoming !== undefined && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    response.locals.requestId = requestId;
    response.locals.logger = log;
    response.set('X-Request-Id', requestId);
    const startedAt = process.hrtime.bigint();
    response.on('close', () => {
      const seconds = secondsSince(startedAt);
      const labels = {
        method: request.method,
        route: routePatternOf(request),
        // 499 (as nginx logs it): the client went away before the answer was sent.
        status: String(response.writableFinished ? response.statusCode : 499),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, seconds);
      const level = QUIET_ROUTES.has(labels.route) ? 'debug' : 'info';
      log[level]({ ...labels, durationMs: Math.round(seconds * 1000) }, 'request completed');
    });
    next();
  };
}

/** The request's child logger (its lines carry its id), or `fallback` outside a request. */
export function loggerOf(response: Response, fallback: Logger): Logger {
  return (response.locals.logger as Logger | undefined) ?? fallback;
}

export function requestIdOf(response: Response): string | undefined {
  return response.locals.requestId as string | undefined;
}

/**
 * The matched route as registered ("/v1/claims/:id"), or "unmatched" when no route answered
 * (an unknown path, or a refusal before routing, e.g. a missing key). The mount prefix is the
 * part of the path before the route's own segments: express forgets it once a router is left.
 * A route registered under several paths is labelled by the longest whose fixed segments match.
 */
export function routePatternOf(request: Request): string {
  const registered = (request.route as { path?: unknown } | undefined)?.path;
  // The longest first: "/" fits the end of every path.
  const patterns = (Array.isArray(registered) ? registered : [registered])
    .filter((pattern): pattern is string => typeof pattern === 'string')
    .sort((left, right) => right.split('/').length - left.split('/').length);
  const all = request.originalUrl.split('?')[0]!.split('/').filter(Boolean);
  for (const pattern of patterns) {
    const own = pattern.split('/').filter(Boolean);
    if (own.length > all.length) continue;
    const tail = all.slice(all.length - own.length);
    const fits = own.every((segment, index) => segment.startsWith(':') || segment === tail[index]);
    if (fits) return `/${[...all.slice(0, all.length - own.length), ...own].join('/')}`;
  }
  return 'unmatched';
}

export interface OperationsEndpointsDependencies {
  config: Config;
  database: Database;
  redis: Redis;
  metrics: Metrics;
  /** The API's view of the queues: given, /metrics also reads the database and queue gauges. */
  queues?: QueueViews;
}

const readinessSchema = z.object({
  status: z.enum(['ready', 'unready']),
  checks: z.object({ postgresql: z.string(), redis: z.string(), migrations: z.string() }),
});

/**
 * /healthz, /readyz and /metrics: no API key, nothing private. (GET /health, the older name of
 * /healthz, is the API reference's: referenceRoutes in openapi.ts.)
 */
export function operationsEndpoints(
  dependencies: OperationsEndpointsDependencies,
): DocumentedRouter {
  const { config, metrics, queues } = dependencies;
  if (queues) registerScrapeGauges(dependencies, queues);
  const router = documentedRouter('Operations');
  router.route(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: 200 while the process is up',
      public: true,
      responses: { 200: { description: '{"status":"ok"}' } },
    },
    (_request, response) => {
      response.json({ status: 'ok' });
    },
  );
  const readiness = readinessCheck(dependencies);
  router.route(
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: PostgreSQL and Redis reachable, every migration applied',
      description: '503 with the same body, naming what failed, when the process is not ready.',
      public: true,
      responses: { 200: { description: 'Ready', schema: readinessSchema } },
    },
    async (_request, response) => {
      const checks = await readiness();
      const ready = Object.values(checks).every((state) => state === 'ok');
      response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unready', checks });
    },
  );
  router.route(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text format 0.0.4)',
      description:
        'No API key; when METRICS_TOKEN is set, `Authorization: Bearer <METRICS_TOKEN>` is needed.',
      public: true,
      responses: { 200: { description: 'The metrics', contentType: 'text/plain' } },
    },
    async (request, response) => {
      const token = /^Bearer\s+(\S+)$/i.exec(request.header('authorization') ?? '')?.[1];
      if (config.metricsToken !== undefined && !safeEqual(token ?? '', config.metricsToken)) {
        throw new Unauthenticated(
          '/metrics needs the scrape token (Authorization: Bearer <token>)',
        );
      }
      const text = await metrics.registry.metrics();
      response.type(metrics.registry.contentType).send(text);
    },
  );
  return router;
}

/**
 * What a process of workers only serves on METRICS_PORT: its own metrics (job and latency
 * histograms) and the probes. The gauges read from the database and the queues are the API's.
 */
export function createMetricsApp(
  dependencies: OperationsEndpointsDependencies & { logger: Logger },
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(dependencies.logger, dependencies.metrics));
  app.use(operationsEndpoints({ ...dependencies, queues: undefined }).router);
  app.use(notFoundHandler);
  app.use(errorHandler(dependencies.logger));
  return app;
}

/** "ok", "unreachable", "unknown", or for migrations "pending: <names>". */
type CheckState = string;

/** PostgreSQL and Redis answer, and every migration this build knows is applied. */
function readinessCheck({ database, redis }: OperationsEndpointsDependencies) {
  let migrationNames: Promise<string[]> | undefined;
  const postgresql = async (): Promise<{ postgresql: CheckState; migrations: CheckState }> => {
    try {
      migrationNames ??= readMigrations(MIGRATIONS_DIRECTORY).then((all) =>
        all.map((migration) => migration.name),
      );
      const names = await migrationNames;
      const pending = await withTimeout(unappliedMigrations(database.pool, names));
      return {
        postgresql: 'ok',
        migrations: pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`,
      };
    } catch {
      return { postgresql: 'unreachable', migrations: 'unknown' };
    }
  };
  const redisCheck = async (): Promise<CheckState> => {
    try {
      await withTimeout(redis.ping());
      return 'ok';
    } catch {
      return 'unreachable';
    }
  };
  return async () => {
    const [database_, redis_] = await Promise.all([postgresql(), redisCheck()]);
    return { postgresql: database_.postgresql, redis: redis_, migrations: database_.migrations };
  };
}

function withTimeout<T>(work: Promise<T>, timeoutMs = READINESS_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `load` once at a time (every gauge of one scrape shares the read in flight), and reuses
 * its result for `cacheMs`. Undefined when it failed, which the scrape reports as that source
 * being down; a failure is not kept, so the next scrape tries again.
 */
function cachedLoader<T>(load: () => Promise<T>, cacheMs: number): () => Promise<T | undefined> {
  let cached: { at: number; value: T } | undefined;
  let inFlight: Promise<T | undefined> | undefined;
  return () => {
    if (cached && Date.now() - cached.at < cacheMs) return Promise.resolve(cached.value);
    inFlight ??= load()
      .then(
        (value) => {
          cached = { at: Date.now(), value };
          return value;
        },
        () => undefined,
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/**
 * Gauges read at scrape time from PostgreSQL (claims, chain, reconciliation) and Redis. When a
 * source cannot be read its gauges keep the last values read, and claimchain_scrape_source_up
 * says 0 for it: alert on that, not on the gauges going quiet.
 */
function registerScrapeGauges(
  { config, database, metrics }: OperationsEndpointsDependencies,
  queues: QueueViews,
) {
  const counts = cachedLoader(() => readOperationalCounts(database), config.metricsDatabaseCacheMs);
  const jobCounts = cachedLoader(() => queues.jobCounts(), 0);
  const registers = [metrics.registry];
  const fromCounts = (name: string, help: string, read: (value: OperationalCounts) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const value = await counts();
        if (value) this.set(read(value));
      },
    });
  new Gauge({
    name: 'claimchain_claims',
    help: 'Claims by status (read from the database when scraped)',
    labelNames: ['status'],
    registers,
    async collect() {
      const value = await counts();
      for (const [status, count] of value?.claimsByStatus ?? []) this.set({ status }, count);
    },
  });
  fromCounts(
    'claimchain_ledger_block_height',
    'Height of the newest sealed block',
    (value) => value.blockHeight,
  );
  fromCounts(
    'claimchain_ledger_unsealed_events',
    'Ledger events not yet sealed into a block',
    (value) => value.unsealedEvents,
  );
  fromCounts(
    'claimchain_reconciliation_exceptions',
    'Exceptions found by the latest completed reconciliation run',
    (value) => value.reconciliationExceptions ?? 0,
  );
  new Gauge({
    name: 'claimchain_queue_jobs',
    help: 'Jobs in each queue by state (failed: kept for inspection, up to 1,000 per queue)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      const value = await jobCounts();
      for (const [queue, byState] of value ?? []) {
        for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'claimchain_scrape_source_up',
    help: 'Whether this scrape could read a source: 1 yes, 0 no (its gauges keep their last values)',
    labelNames: ['source'],
    registers,
    async collect() {
      const [database_, redis_] = await Promise.all([counts(), jobCounts()]);
      this.set({ source: 'postgresql' }, database_ === undefined ? 0 : 1);
      this.set({ source: 'redis' }, redis_ === undefined ? 0 : 1);
    },
  });
}
