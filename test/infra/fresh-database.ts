// Helpers for the infra tests: a uniquely named PostgreSQL database per test and a temp
// directory per test, each removed when the test finishes, pass or fail.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { onTestFinished } from 'vitest';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';

/** The project's real migrations, resolved from this file so the working directory does not matter. */
export const MIGRATIONS_DIRECTORY = fileURLToPath(
  new URL('../../prisma/migrations', import.meta.url),
);

export interface FreshDatabase {
  name: string;
  url: string;
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Creates an empty database for the running test and drops it when the test finishes. */
export async function createFreshDatabase(): Promise<FreshDatabase> {
  const name = `cc_infra_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  onTestFinished(async () => {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });
  return { name, url: `${SERVER_URL}/${name}` };
}

/** Runs work on one connection to the database, closing it afterwards. */
export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A temp copy of the real migrations that a test may add to or edit; removed afterwards. */
export async function copyMigrations(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'cc-migrations-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIRECTORY, directory, { recursive: true });
  return directory;
}
