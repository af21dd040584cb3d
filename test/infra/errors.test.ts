// dependencyOutageReason tells "PostgreSQL or Redis is away" from "this work is wrong", on the
// errors the real drivers throw: pg, Prisma through @prisma/adapter-pg, and ioredis, against a
// port where nothing listens, a server that hangs up, a session the server ends, a full pool.
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infra/db.js';
import {
  Conflict,
  dependencyOutageReason,
  InvalidInput,
  NotFound,
} from '../../src/infra/errors.js';
import { createTestEnvironment, type TestEnvironment } from '../support/environment.js';
import { freePort } from '../support/network.js';

async function rejectionOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
}

/** A server's error as pg builds it from the wire, with this SQLSTATE. */
function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('server says no', 0, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createTestEnvironment();
});

afterAll(async () => {
  await environment.close();
});

describe('dependencyOutageReason', () => {
  it('recognises pg and Prisma against a port where nothing listens', async () => {
    const closed = openDatabase(`postgresql://postgres@127.0.0.1:${await freePort()}/none`, 1);
    try {
      const fromPool = await rejectionOf(() => closed.pool.query('SELECT 1'));
      expect(dependencyOutageReason(fromPool)).toBe('ECONNREFUSED');
      const fromModel = await rejectionOf(() => closed.prisma.apiKey.findMany());
      expect(dependencyOutageReason(fromModel)).toBe('P1001');
      const fromTransaction = await rejectionOf(() =>
        closed.prisma.$transaction((transaction) => transaction.apiKey.findMany()),
      );
      expect(dependencyOutageReason(fromTransaction)).toBe('P1001');
    } finally {
      await closed.close();
    }
  });

  it('recognises a server that hangs up before answering', async () => {
    const hangUp = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    const { port } = hangUp.address() as net.AddressInfo;
    const database = openDatabase(`postgresql://postgres@127.0.0.1:${port}/none`, 1);
    try {
      for (const work of [
        () => database.pool.query('SELECT 1'),
        () => database.prisma.apiKey.findMany(),
      ]) {
        expect(dependencyOutageReason(await rejectionOf(work))).toBe('connection terminated');
      }
    } finally {
      await database.close();
      await new Promise((resolve) => hangUp.close(resolve));
    }
  });

  it('recognises a session the server ends (57P01), through pg and through Prisma', async () => {
    const { pool, prisma } = environment.database;
    const terminate = 'SELECT pg_terminate_backend(pg_backend_pid())';
    expect(dependencyOutageReason(await rejectionOf(() => pool.query(terminate)))).toBe('57P01');
    const fromPrisma = await rejectionOf(() => prisma.$queryRawUnsafe(terminate));
    expect(dependencyOutageReason(fromPrisma)).toBe('57P01');
  });

  it('recognises a pool that gives no connection in time', async () => {
    const pool = new pg.Pool({
      connectionString: environment.databaseUrl,
      max: 1,
      // Long enough for the first connection on a loaded machine; the second waits it out.
      connectionTimeoutMillis: 1_000,
    });
    const held = await pool.connect();
    try {
      const error = await rejectionOf(() => pool.query('SELECT 1'));
      expect(dependencyOutageReason(error)).toBe('pool connect timeout');
    } finally {
      held.release();
      await pool.end();
    }
  });

  it('recognises ioredis against a port where nothing listens', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      expect(dependencyOutageReason(await rejectionOf(() => redis.connect()))).toBeDefined();
      expect(dependencyOutageReason(await rejectionOf(() => redis.get('key')))).toBeDefined();
    } finally {
      redis.disconnect();
    }
  });

  it('recognises the SQLSTATEs of a server going away or full', () => {
    for (const code of ['08000', '08003', '08006', '08001', '08P01', '57P01', '57P02', '57P03']) {
      expect(dependencyOutageReason(databaseError(code)), code).toBe(code);
    }
    expect(dependencyOutageReason(databaseError('53300'))).toBe('53300');
  });

  it('leaves alone what is wrong with the work, not with a dependency', async () => {
    for (const code of ['23505', '23503', '40001', '40P01', '42P01', '22P02', '53100', '57014']) {
      expect(dependencyOutageReason(databaseError(code)), code).toBeUndefined();
    }
    const { pool, prisma } = environment.database;
    const divideByZero = 'SELECT 1 / 0';
    expect(dependencyOutageReason(await rejectionOf(() => pool.query(divideByZero)))).toBe(
      undefined,
    );
    const fromPrisma = await rejectionOf(() => prisma.$queryRawUnsafe(divideByZero));
    expect(fromPrisma).toMatchObject({ code: 'P2010' });
    expect(dependencyOutageReason(fromPrisma)).toBeUndefined();
    for (const error of [
      new InvalidInput('bad'),
      new NotFound('claim'),
      new Conflict('busy'),
      new Error('boom'),
      'a string',
      null,
      undefined,
    ]) {
      expect(dependencyOutageReason(error)).toBeUndefined();
    }
  });

  it('follows causes only so deep, even when they loop', () => {
    const looping = new Error('outer') as Error & { cause: unknown };
    looping.cause = looping;
    expect(dependencyOutageReason(looping)).toBeUndefined();
    const wrapped = new Error('outer', {
      cause: new Error('middle', { cause: databaseError('57P03') }),
    });
    expect(dependencyOutageReason(wrapped)).toBe('57P03');
  });
});
