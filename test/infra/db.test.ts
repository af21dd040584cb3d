// The engine's connections, as openDatabase makes them, against the real PostgreSQL.
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infra/db.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';

describe('openDatabase', () => {
  const database = openDatabase(`${SERVER_URL}/postgres`, 2);
  afterAll(() => database.close());

  // Whatever the server's default: statements of milliseconds were compiled for 150-330 ms.
  it('turns JIT compilation off on every connection, Prisma’s included', async () => {
    const [first, second] = await Promise.all([
      database.pool.query<{ jit: string }>('SHOW jit'),
      database.pool.query<{ jit: string }>('SHOW jit'),
    ]);
    expect([first.rows[0]!.jit, second.rows[0]!.jit]).toEqual(['off', 'off']);
    const viaPrisma = await database.prisma.$queryRawUnsafe<{ jit: string }[]>('SHOW jit');
    expect(viaPrisma[0]!.jit).toBe('off');
  });
});
