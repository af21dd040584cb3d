// Test environments on the real PostgreSQL and Redis: each test file gets a fresh database
// (migrated by the project's own migration step) and its own queue prefix.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/infra/config.js';
import { inTransaction, openDatabase, type Database } from '../../src/infra/db.js';
import { createLogger } from '../../src/infra/logger.js';
import { openObservingRedis, type Redis } from '../../src/infra/redis.js';
import { applyMigrations, ensureDatabase } from '../../src/infra/migrate.js';
import { MIGRATIONS_DIRECTORY } from '../../src/cli/runtime.js';
import {
  createOrganization,
  issueApiKey,
  type Organization,
  type OrganizationKind,
  type Role,
} from '../../src/domain/organizations.js';
import { npiCheckDigit } from '../../src/domain/validation.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export interface TestEnvironment {
  config: Config;
  database: Database;
  /** The API's Redis connection (readiness, queue depths, the queue board). */
  redis: Redis;
  /** Superuser connection for tests that must go around the application (e.g. tampering). */
  databaseUrl: string;
  close(): Promise<void>;
}

/** A fresh, migrated database; dropped again by close(). */
export async function createTestEnvironment(
  overrides: Record<string, string> = {},
): Promise<TestEnvironment> {
  const name = `cc_test_${randomBytes(6).toString('hex')}`;
  const databaseUrl = `${SERVER_URL}/${name}`;
  await ensureDatabase(databaseUrl);
  await applyMigrations(databaseUrl, MIGRATIONS_DIRECTORY);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: name,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '20',
    ...overrides,
  });
  const database = openDatabase(config.databaseUrl, config.databasePoolSize);
  const redis = openObservingRedis(config.redisUrl);
  return {
    config,
    database,
    redis,
    databaseUrl,
    async close() {
      redis.disconnect();
      await database.close();
      await dropDatabase(name);
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function testApp(environment: TestEnvironment, logger = createLogger('silent')) {
  return createApp({
    config: environment.config,
    database: environment.database,
    redis: environment.redis,
    logger,
  });
}

export interface Actor {
  organization: Organization;
  key: string;
  keyId: string;
}

/** Creates an organization and one key of the given role for it. */
/**
 * An organization with a key of one role. A provider gets the NPI given, else a random valid
 * one: an NPI belongs to one organization.
 */
export async function createActor(
  environment: TestEnvironment,
  kind: OrganizationKind,
  role: Role,
  name = `${kind} ${randomBytes(3).toString('hex')}`,
  npi = kind === 'provider' ? randomNpi() : undefined,
): Promise<Actor> {
  const organization = await createOrganization(environment.database, { name, kind, npi });
  const issued = await issueApiKey(environment.database, { orgId: organization.id, role });
  return { organization, key: issued.key, keyId: issued.id };
}

/** A random NPI with a valid check digit. */
export function randomNpi(): string {
  const firstNine = String(100_000_000 + (randomBytes(4).readUInt32BE() % 900_000_000));
  return `${firstNine}${npiCheckDigit(firstNine)}`;
}

/** A complete, valid claim body; tests change one thing at a time. */
export function validClaim(payerId: string, overrides: Record<string, unknown> = {}) {
  return {
    payerId,
    patientControlNumber: `PCN-${randomBytes(4).toString('hex')}`,
    frequencyCode: '1',
    member: {
      memberId: 'W123456789',
      firstName: 'Jane',
      lastName: 'Doe',
      birthDate: '1980-02-29',
      gender: 'F',
    },
    diagnosisCodes: ['E11.9', 'I10'],
    serviceLines: [
      {
        procedureCode: '99213',
        modifiers: ['25'],
        units: 1,
        chargeAmount: '125.00',
        serviceDate: '2026-11-02',
        diagnosisPointers: [1, 2],
      },
      {
        procedureCode: '80053',
        units: 1,
        chargeAmount: '48.50',
        serviceDate: '2026-11-02',
      },
    ],
    ...overrides,
  };
}

/** Row counts of every table intake writes, to prove that a rejected request wrote nothing. */
export async function intakeRowCounts(environment: TestEnvironment) {
  const { rows } = await environment.database.pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM claims) AS claims, (SELECT count(*) FROM claim_lines) AS lines,
            (SELECT count(*) FROM ledger_events) AS events,
            (SELECT count(*) FROM idempotency_records) AS idempotency`,
  );
  return rows[0];
}

/**
 * Every table's row count and content hash, by table: equal before and after a request proves
 * that it wrote nothing anywhere (an UPDATE included), whatever tables later migrations add.
 */
export async function tableFingerprints(
  environment: TestEnvironment,
): Promise<Record<string, string>> {
  const { pool } = environment.database;
  const tables = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const { rows } = await pool.query<{ name: string; fingerprint: string }>(
    tables.rows
      .map(
        ({ table_name: table }) =>
          `SELECT '${table}' AS name, count(*) || ':' ||
                  coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS fingerprint
             FROM "${table}" t`,
      )
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.fingerprint]));
}

/**
 * Runs one statement in a transaction of its own: the error it was refused with (SQLSTATE and
 * message), or undefined when it ran and committed.
 */
export async function statementError(
  environment: TestEnvironment,
  sql: string,
  params: unknown[] = [],
): Promise<{ code?: string; message: string } | undefined> {
  return inTransaction(environment.database.pool, (client) => client.query(sql, params)).then(
    () => undefined,
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );
}
