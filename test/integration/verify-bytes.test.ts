// Verification hashes each event from the bytes of a binary COPY row; sealing and proofs hash the
// envelope PostgreSQL spells as text (to_char for createdAt). The two must give the same leaf for
// every row the database can hold: timestamps before 1970, past 2142, in the years 1 and 9999,
// written with more digits than the column keeps (timestamptz(3) rounds them to the millisecond),
// and text fields JSON has to escape. A timestamp no envelope can spell is named by
// verification, never hashed as something else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLeafHash } from '../../src/ledger/formats.js';
import { toHex } from '../../src/ledger/hash.js';
import { readEnvelopes, streamEventBytes } from '../../src/ledger/read.js';
import { sealPending } from '../../src/ledger/seal.js';
import { verifyChain } from '../../src/ledger/verify.js';
import { createTestEnvironment, type TestEnvironment } from '../support/environment.js';
import { appendSyntheticEvents, tamper } from '../support/ledger.js';

const EVENTS = 40;

const STORED_CHANGES: [seq: number, sql: string, value: string][] = [
  [2, 'created_at', '2024-05-06 07:08:09.010999+00'],
  [3, 'created_at', '1999-12-31 23:59:59.999999+00'],
  [4, 'created_at', '1900-02-28 23:59:59.9995+00'],
  [5, 'created_at', '2024-02-29 23:59:59.999999+00'],
  [6, 'created_at', '2500-03-01 12:00:00.001001+00'],
  [7, 'created_at', '0001-01-01 00:00:00+00'],
  [8, 'created_at', '9999-12-31 23:59:59.999+00'],
  [9, 'created_at', '2026-12-02 23:30:00.5+05:30'],
  [10, 'type', 'say "hi"\\now'],
  [11, 'aggregate_id', 'tab\there\u0001 é € 😀'],
];

describe('leaves from binary COPY bytes', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    await appendSyntheticEvents(environment.database.pool, EVENTS);
  });
  afterAll(async () => {
    await environment.close();
  });

  it('equal the leaves of the envelopes PostgreSQL spells as text, for every stored value', async () => {
    for (const [seq, column, value] of STORED_CHANGES) {
      await tamper(
        environment.databaseUrl,
        `UPDATE ledger_events SET ${column} = $1 WHERE seq = $2`,
        [value, seq],
      );
    }
    const pool = environment.database.pool;
    const fromText = (await readEnvelopes(pool, 1n, BigInt(EVENTS))).map((envelope) =>
      toHex(eventLeafHash(envelope)),
    );
    const fromBytes: string[] = [];
    const seqs: (number | bigint)[] = [];
    const leaf = new Uint8Array(32);
    await streamEventBytes(pool, 1n, BigInt(EVENTS), (event) => {
      seqs.push(event.seq());
      event.leafInto(leaf, 0);
      fromBytes.push(toHex(leaf));
    });
    expect(seqs).toEqual(Array.from({ length: EVENTS }, (_, index) => index + 1));
    expect(fromBytes).toEqual(fromText);
    // The values are stored as written, rounded to the column's milliseconds.
    const { rows } = await pool.query<{ text: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS text
         FROM ledger_events WHERE seq IN (2, 4, 9) ORDER BY seq`,
    );
    expect(rows.map((row) => row.text)).toEqual([
      '2024-05-06T07:08:09.011Z',
      '1900-02-28T23:59:59.999Z',
      '2026-12-02T18:00:00.500Z',
    ]);
  });

  it('name an event whose timestamp no envelope can spell, and hash nothing in its place', async () => {
    const other = await createTestEnvironment();
    try {
      await appendSyntheticEvents(other.database.pool, 10);
      await sealPending(other.database.pool, 100);
      expect((await verifyChain(other.database.pool)).ok).toBe(true);
      // The last microsecond of 9999, rounded by the column to the first millisecond of 10000.
      await tamper(other.databaseUrl, `UPDATE ledger_events SET created_at = $1 WHERE seq = 7`, [
        '9999-12-31 23:59:59.999999+00',
      ]);
      const report = await verifyChain(other.database.pool);
      const { rows } = await other.database.pool.query<{ id: string }>(
        'SELECT id::text FROM ledger_events WHERE seq = 7',
      );
      expect(report.ok).toBe(false);
      expect(report.blocksChecked).toBe(0);
      expect(report.failure).toEqual({
        height: 1,
        eventSeq: '7',
        eventId: rows[0]!.id,
        reason: 'createdAt is outside the years 0001-9999',
      });
    } finally {
      await other.close();
    }
  });

  it('verify rows PostgreSQL returns out of seq order, and name the first bad event among them', async () => {
    const other = await createTestEnvironment();
    try {
      const pool = other.database.pool;
      await appendSyntheticEvents(pool, 3_000);
      await sealPending(pool, 1_000);
      // A new version of each of the first 1,500 rows, written after the others: the table's
      // pages now hold seqs 1501-3000 before 1-1500, and a heap scan reads them so.
      await tamper(other.databaseUrl, 'UPDATE ledger_events SET type = type WHERE seq <= 1500');
      const { rows } = await pool.query<{ moved: boolean }>(
        `SELECT (SELECT ctid FROM ledger_events WHERE seq = 1)
              > (SELECT ctid FROM ledger_events WHERE seq = 3000) AS moved`,
      );
      expect(rows[0]!.moved).toBe(true);
      expect(await verifyChain(pool)).toMatchObject({
        ok: true,
        blocksChecked: 3,
        eventsChecked: 3_000,
      });

      const idOf = async (seq: number) =>
        (
          await pool.query<{ id: string }>('SELECT id::text FROM ledger_events WHERE seq = $1', [
            seq,
          ])
        ).rows[0]!.id;
      const changeStoredBytes = (seq: number) =>
        tamper(
          other.databaseUrl,
          `UPDATE ledger_events SET payload_canonical = replace(payload_canonical, 'synthetic', 'synthetiC')
            WHERE seq = $1`,
          [seq],
        );
      // Read after it, but the lower seq: the one named.
      await changeStoredBytes(1_700);
      await changeStoredBytes(1_200);
      expect((await verifyChain(pool)).failure).toEqual({
        height: 2,
        eventSeq: '1200',
        eventId: await idOf(1_200),
        reason: 'payload does not match its payloadHash',
      });
      await tamper(other.databaseUrl, 'DELETE FROM ledger_events WHERE seq = 1100');
      expect(await verifyChain(pool)).toMatchObject({
        ok: false,
        blocksChecked: 1,
        failure: { height: 2, eventSeq: '1100', reason: 'event missing' },
      });
    } finally {
      await other.close();
    }
  });
});
