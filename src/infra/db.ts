// Database access: one pg pool shared by Prisma (through the driver adapter) and by the
// few hot paths that need multi-row statements.
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/** A pool or a client inside a transaction: what a read that works in either takes. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface Database {
  pool: pg.Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * Longest wait for a connection (a new one, or a free one from a busy pool). Without it a
 * server that does not answer (a network partition, not a refusal) holds each request until
 * the operating system gives up on the socket, minutes later; with it the request answers
 * 503 and is retried.
 */
const CONNECT_TIMEOUT_MS = 15_000;

export function openDatabase(databaseUrl: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // No JIT: the engine's statements are short, and compiling only costs them. PostgreSQL
    // compiles a statement whose estimated cost passes jit_above_cost, and estimates run high
    // while a load outruns the statistics: intake's duplicate look-up, milliseconds of work,
    // was compiled with inlining and optimization and took 150-330 ms (auto_explain, pipeline
    // bench), and settlement's reads the same.
    options: '-c jit=off',
  });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    pool,
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * Runs `work` in one transaction on one pooled connection; rolls back on any error. `begin`
 * may ask for more than the default, e.g. a read-only snapshot (REPEATABLE READ READ ONLY).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
