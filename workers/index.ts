// Starting and stopping every worker lives here, in one place.
import type { Config } from '../src/infra/config.js';
import type { Database } from '../src/infra/db.js';
import type { Logger } from '../src/infra/logger.js';
import { createMetrics, type Metrics } from '../src/infra/metrics.js';
import { reportConnectionState, type Redis } from '../src/infra/redis.js';
import { initAdjudicationWorker } from './adjudication.js';
import { initReconciliationWorker } from './reconciliation.js';
import { initSealingWorker } from './sealing.js';
import { initSettlementWorker } from './settlement.js';
import { initWitnessPushWorker } from './witness-push.js';

export interface WorkerDependencies {
  config: Config;
  database: Database;
  connection: Redis;
  logger: Logger;
  metrics: Metrics;
}

export interface RunningWorkers {
  /** Stops taking jobs and waits for the running ones to finish (BullMQ's Worker.close). */
  close(): Promise<void>;
}

/**
 * Starts every worker without waiting for Redis: while it is away they wait, and when it is
 * back (emptied or not) they recreate their job schedulers and carry on.
 */
export function startWorkers(
  started: Omit<WorkerDependencies, 'metrics'> & { metrics?: Metrics },
): Promise<RunningWorkers> {
  const dependencies = { ...started, metrics: started.metrics ?? createMetrics() };
  const stopReporting = reportConnectionState(dependencies.connection, dependencies.logger);
  const running = [
    initSealingWorker(dependencies),
    initAdjudicationWorker(dependencies),
    initSettlementWorker(dependencies),
    initReconciliationWorker(dependencies),
    initWitnessPushWorker(dependencies),
  ];
  return Promise.resolve({
    async close() {
      await Promise.all(running.map((worker) => worker.close()));
      stopReporting();
    },
  });
}
