// The project's migration step against a real PostgreSQL: it must leave _prisma_migrations
// exactly as `prisma migrate deploy` would, apply each migration once, and never leave a
// half-applied schema behind.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMigrations, MigrationError, resolveRolledBack } from '../../src/infra/migrate.js';
import {
  copyMigrations,
  createFreshDatabase,
  MIGRATIONS_DIRECTORY,
  withClient,
} from './fresh-database.js';

const PRISMA_MIGRATE_LOCK_ID = 72707369;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FAILING_NAME = '20991231000000_half_done';
const FAILING_SQL = 'CREATE TABLE half_done (id int);\nSELECT 1/0;\n';

interface PrismaMigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function migrationNames(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Prisma's checksum: lowercase hex SHA-256 of the migration.sql file as it is on disk. */
async function fileChecksum(directory: string, name: string): Promise<string> {
  const bytes = await readFile(path.join(directory, name, 'migration.sql'));
  return createHash('sha256').update(bytes).digest('hex');
}

async function addMigration(directory: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(directory, name), { recursive: true });
  await writeFile(path.join(directory, name, 'migration.sql'), sql);
}

async function migrationRows(url: string): Promise<PrismaMigrationRow[]> {
  return withClient(url, async (client) => {
    const result = await client.query<PrismaMigrationRow>(
      'SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name',
    );
    return result.rows;
  });
}

async function tableExists(url: string, table: string): Promise<boolean> {
  return withClient(url, async (client) => {
    const result = await client.query<{ oid: string | null }>('SELECT to_regclass($1) AS oid', [
      `public.${table}`,
    ]);
    return result.rows[0]?.oid !== null;
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('applyMigrations', () => {
  it('applies every migration to a fresh database and records each in _prisma_migrations as Prisma does', async () => {
    const database = await createFreshDatabase();
    const names = await migrationNames(MIGRATIONS_DIRECTORY);
    expect(names.length).toBeGreaterThan(0);

    expect(await applyMigrations(database.url, MIGRATIONS_DIRECTORY)).toEqual(names);

    const rows = await migrationRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      expect(row.id, row.migration_name).toMatch(UUID);
      expect(row.checksum, row.migration_name).toBe(
        await fileChecksum(MIGRATIONS_DIRECTORY, row.migration_name),
      );
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at, row.migration_name).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row, row.migration_name).toMatchObject({
        rolled_back_at: null,
        applied_steps_count: 1,
        logs: null,
      });
    }
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    expect(await tableExists(database.url, 'organizations')).toBe(true);

    // The table itself, column by column, as prisma-engines creates it.
    const { columns, primaryKey } = await withClient(database.url, async (client) => {
      const columns = await client.query<{
        name: string;
        type: string;
        notNull: boolean;
        default: string | null;
      }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS default
           FROM pg_attribute a
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = 'public._prisma_migrations'::regclass AND a.attnum > 0
            AND NOT a.attisdropped
          ORDER BY a.attnum`,
      );
      const primaryKey = await client.query<{ column: string }>(
        `SELECT a.attname AS column
           FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
          WHERE x.indrelid = 'public._prisma_migrations'::regclass AND x.indisprimary`,
      );
      return { columns: columns.rows, primaryKey: primaryKey.rows.map((row) => row.column) };
    });
    expect(columns).toEqual([
      { name: 'id', type: 'character varying(36)', notNull: true, default: null },
      { name: 'checksum', type: 'character varying(64)', notNull: true, default: null },
      { name: 'finished_at', type: 'timestamp with time zone', notNull: false, default: null },
      { name: 'migration_name', type: 'character varying(255)', notNull: true, default: null },
      { name: 'logs', type: 'text', notNull: false, default: null },
      { name: 'rolled_back_at', type: 'timestamp with time zone', notNull: false, default: null },
      { name: 'started_at', type: 'timestamp with time zone', notNull: true, default: 'now()' },
      { name: 'applied_steps_count', type: 'integer', notNull: true, default: '0' },
    ]);
    expect(primaryKey).toEqual(['id']);
  });

  it('does nothing when run again: returns [] and writes no row', async () => {
    const database = await createFreshDatabase();
    await applyMigrations(database.url, MIGRATIONS_DIRECTORY);
    const before = await migrationRows(database.url);

    expect(await applyMigrations(database.url, MIGRATIONS_DIRECTORY)).toEqual([]);
    expect(await migrationRows(database.url)).toEqual(before);
  });

  it('rolls a failing migration back, records it, refuses to go on until resolved, then applies the fix', async () => {
    const database = await createFreshDatabase();
    const directory = await copyMigrations();
    const realNames = await migrationNames(MIGRATIONS_DIRECTORY);
    await addMigration(directory, FAILING_NAME, FAILING_SQL);

    const failure = await rejection(applyMigrations(database.url, directory));
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure.message).toContain(FAILING_NAME);
    expect(failure.message).toContain('division by zero');
    expect(await tableExists(database.url, 'half_done')).toBe(false);

    const rows = await migrationRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual([...realNames, FAILING_NAME]);
    expect(rows.slice(0, -1).every((row) => row.finished_at !== null)).toBe(true);
    expect(rows.at(-1)).toMatchObject({
      migration_name: FAILING_NAME,
      checksum: await fileChecksum(directory, FAILING_NAME),
      finished_at: null,
      rolled_back_at: null,
      applied_steps_count: 0,
    });
    expect(rows.at(-1)!.logs).toContain('division by zero');

    const refusal = await rejection(applyMigrations(database.url, directory));
    expect(refusal).toBeInstanceOf(MigrationError);
    expect(refusal.message).toMatch(new RegExp(`${FAILING_NAME} failed earlier and is unresolved`));
    expect(refusal.message).toContain(`--resolve-rolled-back ${FAILING_NAME}`);
    expect(await migrationRows(database.url)).toEqual(rows);

    await resolveRolledBack(database.url, FAILING_NAME);
    expect(await rejection(resolveRolledBack(database.url, FAILING_NAME))).toBeInstanceOf(
      MigrationError,
    );
    await writeFile(
      path.join(directory, FAILING_NAME, 'migration.sql'),
      'CREATE TABLE half_done (id int);\n',
    );

    expect(await applyMigrations(database.url, directory)).toEqual([FAILING_NAME]);
    expect(await tableExists(database.url, 'half_done')).toBe(true);
    const attempts = (await migrationRows(database.url)).filter(
      (row) => row.migration_name === FAILING_NAME,
    );
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ finished_at: null, applied_steps_count: 0 });
    expect(attempts[0]!.rolled_back_at).toBeInstanceOf(Date);
    expect(attempts[1]).toMatchObject({
      checksum: await fileChecksum(directory, FAILING_NAME),
      rolled_back_at: null,
      applied_steps_count: 1,
      logs: null,
    });
    expect(attempts[1]!.finished_at).toBeInstanceOf(Date);
    expect(await applyMigrations(database.url, directory)).toEqual([]);
  });

  it('refuses, changing nothing, when an applied migration file was edited afterwards', async () => {
    const database = await createFreshDatabase();
    const directory = await copyMigrations();
    const [firstName] = await migrationNames(directory);
    await applyMigrations(database.url, directory);
    const before = await migrationRows(database.url);

    await appendFile(path.join(directory, firstName!, 'migration.sql'), '\n-- edited later\n');
    // Pending migrations on either side of the edited one (as after a branch merge) must not run.
    await addMigration(directory, '00000000000000_earlier', 'CREATE TABLE earlier (id int);\n');
    await addMigration(directory, '29991231000000_later', 'CREATE TABLE later (id int);\n');

    const refusal = await rejection(applyMigrations(database.url, directory));
    expect(refusal).toBeInstanceOf(MigrationError);
    expect(refusal.message).toContain(
      `migration ${firstName} was changed after it was applied (checksum differs)`,
    );
    expect(await migrationRows(database.url)).toEqual(before);
    expect(await tableExists(database.url, 'earlier')).toBe(false);
    expect(await tableExists(database.url, 'later')).toBe(false);
  });

  it('applies each migration exactly once when two runs start together on a fresh database', async () => {
    const database = await createFreshDatabase();
    const directory = await copyMigrations();
    // The last migration waits for a lock this test holds, so the two runs certainly overlap.
    const gateLockId = 4242;
    await addMigration(
      directory,
      '29991231000000_gated',
      `SELECT pg_advisory_xact_lock(${gateLockId});\n`,
    );
    const names = await migrationNames(directory);

    const results = await withClient(database.url, async (observer) => {
      await observer.query('SELECT pg_advisory_lock($1)', [gateLockId]);
      const runs = Promise.allSettled([
        applyMigrations(database.url, directory),
        applyMigrations(database.url, directory),
      ]);
      // One run holds Prisma's migrate lock and the other queues behind it.
      await waitFor('one run to hold and one to wait on the migrate lock', async () => {
        const { rows } = await observer.query<{ granted: boolean }>(
          `SELECT granted FROM pg_locks
            WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [PRISMA_MIGRATE_LOCK_ID],
        );
        return (
          rows.length === 2 && rows.some((row) => row.granted) && rows.some((row) => !row.granted)
        );
      });
      await observer.query('SELECT pg_advisory_unlock($1)', [gateLockId]);
      return runs;
    });

    const applied = results.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    expect(applied.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, names.length]);
    expect(applied.flat()).toEqual(names);
    const rows = await migrationRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    expect(rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(
      true,
    );
  });
});
