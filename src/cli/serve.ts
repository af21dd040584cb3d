// Running the engine: the HTTP API and the workers, in one process or split by flags,
// stopping cleanly on SIGINT/SIGTERM so no accepted request is cut off mid-transaction.
import type { Server } from 'node:http';
import { createApp } from '../api/app.js';
import { openRedis } from '../infra/redis.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import type { Runtime } from './runtime.js';

export interface Engine {
  port: number;
  stop(): Promise<void>;
}

export async function startEngine(
  runtime: Runtime,
  options: { api: boolean; workers: boolean },
): Promise<Engine> {
  const { config, database, logger } = runtime;
  let server: Server | undefined;
  let workers: RunningWorkers | undefined;
  const connection = options.workers ? openRedis(config.redisUrl) : undefined;
  if (connection) workers = await startWorkers({ config, database, connection, logger });
  if (options.api) {
    const app = createApp({ config, database, logger });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
    });
    // Keep-alive longer than typical load balancers' idle timeout.
    server.keepAliveTimeout = 65_000;
  }
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  logger.info({ port, api: options.api, workers: options.workers }, 'engine started');
  return {
    port,
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await workers?.close();
      connection?.disconnect();
    },
  };
}

export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
