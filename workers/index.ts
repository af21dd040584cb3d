// Starting and stopping every worker lives here, in one place.
import type { Config } from '../src/infra/config.js';
import type { Database } from '../src/infra/db.js';
import type { Logger } from '../src/infra/logger.js';
import type { Redis } from '../src/infra/redis.js';
import { initAdjudicationWorker } from './adjudication.js';
import { initReconciliationWorker } from './reconciliation.js';
import { initSealingWorker } from './sealing.js';
import { initSettlementWorker } from './settlement.js';

export interface WorkerDependencies {
  config: Config;
  database: Database;
  connection: Redis;
  logger: Logger;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

export async function startWorkers(dependencies: WorkerDependencies): Promise<RunningWorkers> {
  const running = [
    await initSealingWorker(dependencies),
    await initAdjudicationWorker(dependencies),
    await initSettlementWorker(dependencies),
    await initReconciliationWorker(dependencies),
  ];
  return {
    async close() {
      for (const { worker, queue } of running) {
        await worker.close();
        await queue.close();
      }
    },
  };
}
