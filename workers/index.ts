// Starting and stopping every worker lives here, in one place.
import type { Config } from '../src/infra/config.js';
import type { Database } from '../src/infra/db.js';
import type { Logger } from '../src/infra/logger.js';
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
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/**
 * Starts every worker without waiting for Redis: while it is away they wait, and when it is
 * back (emptied or not) they recreate their job schedulers and carry on.
 */
export function startWorkers(dependencies: WorkerDependencies): Promise<RunningWorkers> {
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
      for (const worker of running) await worker.close();
      stopReporting();
    },
  });
}
