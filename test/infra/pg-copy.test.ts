// Binary COPY reading against the real PostgreSQL: field bytes as the format defines them
// (int8 big-endian, text as its UTF-8, NULL as length -1), every row of a long stream in order,
// and after every way a COPY can fail the connection answers the next statement.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBinaryRows, CopyFormatError, type BinaryCopyRow } from '../../src/infra/pg-copy.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';

function fieldBytes(row: BinaryCopyRow, field: number): Buffer | null {
  return row.isNull(field)
    ? null
    : Buffer.from(row.bytes.subarray(row.start(field), row.end(field)));
}

async function collect(db: pg.Pool | pg.Client, statement: string, fieldsMax = 8) {
  const rows: (Buffer | null)[][] = [];
  await copyBinaryRows(db, statement, fieldsMax, (row) => {
    rows.push(Array.from({ length: row.fieldCount }, (_, field) => fieldBytes(row, field)));
  });
  return rows;
}

describe('copyBinaryRows', () => {
  // A pool of one connection: a client a COPY kept checked out would leave the next query waiting.
  const pool = new pg.Pool({ connectionString: `${SERVER_URL}/postgres`, max: 1 });
  const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await pool.end();
  });

  const stillAnswers = async (db: pg.Pool | pg.Client) => {
    const { rows } = await db.query<{ answer: number }>('SELECT 41 + 1 AS answer');
    expect(rows[0]!.answer).toBe(42);
  };

  it('hands over each field as its binary bytes, and NULL as null', async () => {
    const rows = await collect(
      client,
      `COPY (SELECT i::int8 AS n, 'é' || i, NULL::text, '\\x00ff'::bytea, i::int4
               FROM generate_series(1, 2) AS i ORDER BY n) TO STDOUT (FORMAT binary)`,
    );
    expect(rows).toEqual([
      [
        Buffer.from('0000000000000001', 'hex'),
        Buffer.from('c3a931', 'hex'),
        null,
        Buffer.from('00ff', 'hex'),
        Buffer.from('00000001', 'hex'),
      ],
      [
        Buffer.from('0000000000000002', 'hex'),
        Buffer.from('c3a932', 'hex'),
        null,
        Buffer.from('00ff', 'hex'),
        Buffer.from('00000002', 'hex'),
      ],
    ]);
  });

  it('reads nothing from an empty result, and an empty text as zero bytes, not null', async () => {
    expect(await collect(client, `COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT binary)`)).toEqual(
      [],
    );
    expect(await collect(client, `COPY (SELECT ''::text) TO STDOUT (FORMAT binary)`)).toEqual([
      [Buffer.alloc(0)],
    ]);
  });

  it('reads every row of a long stream, in order, through a pool', async () => {
    let count = 0;
    let outOfOrder = 0;
    await copyBinaryRows(
      pool,
      `COPY (SELECT i::int8 AS n, repeat('x', 300) FROM generate_series(1, 200000) AS i ORDER BY n)
         TO STDOUT (FORMAT binary)`,
      2,
      (row) => {
        count += 1;
        if (Number(row.bytes.readBigInt64BE(row.start(0))) !== count) outOfOrder += 1;
        if (row.end(1) - row.start(1) !== 300) outOfOrder += 1;
      },
    );
    expect(count).toBe(200_000);
    expect(outOfOrder).toBe(0);
    // The pool holds one connection: it was given back, or this would wait forever.
    await stillAnswers(pool);
  });

  it("rejects with the server's error part way through, and the connection answers after", async () => {
    let rowsBefore = 0;
    const copy = copyBinaryRows(
      client,
      `COPY (SELECT 10 / (5 - i) FROM generate_series(1, 10) AS i)
         TO STDOUT (FORMAT binary)`,
      1,
      () => {
        rowsBefore += 1;
      },
    );
    await expect(copy).rejects.toThrow('division by zero');
    expect(rowsBefore).toBeLessThan(5);
    await stillAnswers(client);
    await expect(
      copyBinaryRows(pool, `COPY (SELECT 1 / 0) TO STDOUT (FORMAT binary)`, 1, () => {}),
    ).rejects.toThrow('division by zero');
    await stillAnswers(pool);
  });

  it('rejects with the first error the callback throws, drains the rest, and stays usable', async () => {
    let calls = 0;
    const copy = copyBinaryRows(
      client,
      `COPY (SELECT i FROM generate_series(1, 50000) AS i) TO STDOUT (FORMAT binary)`,
      1,
      () => {
        calls += 1;
        if (calls >= 3) throw new Error(`row ${calls} refused`);
      },
    );
    await expect(copy).rejects.toThrow('row 3 refused');
    expect(calls).toBe(3);
    await stillAnswers(client);
  });

  it('refuses a row of more fields than it was told to expect', async () => {
    await expect(
      copyBinaryRows(client, `COPY (SELECT 1, 2, 3) TO STDOUT (FORMAT binary)`, 2, () => {}),
    ).rejects.toThrow(new CopyFormatError('a row of 3 fields, more than 2'));
    await stillAnswers(client);
  });

  it('refuses what is not a binary COPY out: text format, plain rows, COPY FROM', async () => {
    await expect(
      copyBinaryRows(client, `COPY (SELECT 1) TO STDOUT`, 1, () => {}),
    ).rejects.toBeInstanceOf(CopyFormatError);
    await stillAnswers(client);
    await expect(copyBinaryRows(client, `SELECT 1`, 1, () => {})).rejects.toThrow(
      'the statement returned rows, not COPY data',
    );
    await stillAnswers(client);
    await client.query('CREATE TEMP TABLE copy_target (n int)');
    await expect(
      copyBinaryRows(client, `COPY copy_target FROM STDIN (FORMAT binary)`, 1, () => {}),
    ).rejects.toThrow();
    await stillAnswers(client);
    const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM copy_target');
    expect(rows[0]!.count).toBe('0');
  });
});
