// Opening and closing what a command needs: configuration, database, Redis, logger.
import { loadConfig, type Config } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/db.js';
import { createLogger, type Logger } from '../infra/logger.js';
import { applyMigrations, ensureDatabase, MIGRATIONS_DIRECTORY } from '../infra/migrate.js';

export { MIGRATIONS_DIRECTORY };

export interface Runtime {
  config: Config;
  database: Database;
  logger: Logger;
  close(): Promise<void>;
}

export function openRuntime(config: Config = loadConfig()): Runtime {
  const database = openDatabase(config.databaseUrl, config.databasePoolSize);
  return {
    config,
    database,
    logger: createLogger(config.logLevel),
    close: () => database.close(),
  };
}

/** Creates the database if needed and applies pending migrations; returns those applied. */
export async function prepareDatabase(config: Config): Promise<string[]> {
  await ensureDatabase(config.databaseUrl);
  return applyMigrations(config.databaseUrl, MIGRATIONS_DIRECTORY);
}
