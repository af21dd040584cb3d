// Running the engine: the HTTP API and the workers, in one process or split by flags. On
// SIGTERM or SIGINT it stops taking work (the server stops accepting connections, the workers
// stop taking jobs), lets the requests and jobs in flight finish, closes its connections and
// exits 0; a second signal, or SHUTDOWN_TIMEOUT_MS passing, makes it exit 1 at once.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { createApp } from '../api/app.js';
import { createMetricsApp } from '../api/observability.js';
import { createMetrics } from '../infra/metrics.js';
import { openObservingRedis, openRedis, type Redis } from '../infra/redis.js';
import { StoredTreeProofs } from '../ledger/transparency-log.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import type { Runtime } from './runtime.js';

/** How often a stopping server closes the keep-alive connections that have fallen idle. */
const IDLE_SWEEP_INTERVAL_MS = 100;

export interface Engine {
  /** The API's port, or the metrics port of a process without the API. */
  port: number;
  /** Stops taking work, waits for the requests and jobs in flight, closes connections. */
  stop(): Promise<void>;
}

export async function startEngine(
  runtime: Runtime,
  options: { api: boolean; workers: boolean },
): Promise<Engine> {
  const { config, database, logger } = runtime;
  const metrics = createMetrics();
  let workers: RunningWorkers | undefined;
  const connection = options.workers ? openRedis(config.redisUrl) : undefined;
  if (connection) workers = await startWorkers({ config, database, connection, logger, metrics });
  // The API looks at the queues through a connection of its own that fails fast; a process of
  // workers only serves its metrics and probes on METRICS_PORT.
  let observing: Redis | undefined;
  let treeProofs: StoredTreeProofs | undefined;
  let app: Express;
  let port: number;
  if (options.api) {
    observing = openObservingRedis(config.redisUrl);
    treeProofs = new StoredTreeProofs(database.pool);
    app = createApp({ config, database, logger, redis: observing, metrics, treeProofs });
    port = config.port;
  } else {
    app = createMetricsApp({ config, database, redis: connection!, metrics, logger });
    port = config.metricsPort;
  }
  // A port already taken (EADDRINUSE) fails the start, with the workers stopped again.
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  }).catch(async (error: unknown) => {
    await workers?.close();
    connection?.disconnect();
    observing?.disconnect();
    throw error;
  });
  // Keep-alive longer than typical load balancers' idle timeout.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : 0;
  logger.info({ port: boundPort, api: options.api, workers: options.workers }, 'engine started');
  // In the background: proofs are served meanwhile, reading the tiles they need themselves.
  const warming = (config.ledgerTileCacheWarm ? treeProofs : undefined)?.warm().then(
    (warmed) => logger.info(warmed, 'proof tile cache warmed'),
    (error: unknown) =>
      logger.warn({ err: error }, 'proof tile cache not warmed; tiles are read as proofs ask'),
  );
  return {
    port: boundPort,
    async stop() {
      await Promise.all([closeServer(server), workers?.close(), warming]);
      connection?.disconnect();
      observing?.disconnect();
    },
  };
}

/**
 * Stops accepting connections and resolves once every request in flight is answered. Idle
 * keep-alive connections are closed as they fall idle, so a client's open connection does not
 * hold the process for the keep-alive timeout.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
    server.close((error) => {
      clearInterval(sweep);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Stops cleanly on the first SIGTERM or SIGINT (exit 0, or 1 if stopping failed); a second
 * signal, or the shutdown timeout, exits 1 at once.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  { config, logger }: Pick<Runtime, 'config' | 'logger'>,
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info(
      { signal, timeoutMs: config.shutdownTimeoutMs },
      'stopping: no new work; finishing requests and jobs in flight',
    );
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
