// Starting and stopping every worker lives here, in one place.
import type { Config } from '../src/infra/config.js';
import type { Database } from '../src/infra/db.js';
import type { Logger } from '../src/infra/logger.js';
import type { Redis } from '../src/infra/redis.js';
import { initSealingWorker } from './sealing.js';

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
  const sealing = await initSealingWorker(dependencies);
  return {
    async close() {
      await sealing.worker.close();
      await sealing.queue.close();
    },
  };
}
