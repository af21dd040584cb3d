// How the ledger's payloads are stored (migration 202612081000): a row too long for TOAST's
// threshold has its payload compressed with lz4, not pglz, and verification reads and hashes the
// stored text through the compression, naming a one-byte change in it as it would in any other.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/infra/db.js';
import { appendEvents } from '../../src/ledger/append.js';
import type { JsonValue } from '../../src/ledger/canonical.js';
import { sealPending } from '../../src/ledger/seal.js';
import { verifyChain } from '../../src/ledger/verify.js';
import { createTestEnvironment, type TestEnvironment } from '../support/environment.js';
import { appendSyntheticEvents, syntheticEvent, tamper } from '../support/ledger.js';

/** A decision-like payload of about 3 kB: lines of codes and amounts, as a long claim has. */
function longPayload() {
  return {
    claimId: randomUUID(),
    lines: Array.from({ length: 24 }, (_, index) => ({
      lineNumber: index + 1,
      procedureCode: '99213',
      allowedAmount: '85.00',
      paidAmount: '68.00',
      adjustments: [{ group: 'CO', reason: '45', amount: '15.00' }],
    })),
  };
}

describe('ledger payload storage', () => {
  let environment: TestEnvironment;
  let longSeq: string;
  let shortSeq: string;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    await appendSyntheticEvents(environment.database.pool, 3);
    const [long, short] = await inTransaction(environment.database.pool, (client) =>
      appendEvents(client, [
        { ...syntheticEvent(3), type: 'TestLongEvent', payload: longPayload() },
        syntheticEvent(4),
      ]),
    );
    longSeq = long!.seq.toString();
    shortSeq = short!.seq.toString();
    await appendSyntheticEvents(environment.database.pool, 3);
    await sealPending(environment.database.pool, 100);
  });
  afterAll(async () => {
    await environment.close();
  });

  it('compresses a long payload with lz4, both the hashed text and its jsonb, and a short one not at all', async () => {
    const { rows } = await environment.database.pool.query<{
      seq: string;
      text_length: number;
      text_compression: string | null;
      json_compression: string | null;
    }>(
      `SELECT seq::text, octet_length(payload_canonical) AS text_length,
              pg_column_compression(payload_canonical) AS text_compression,
              pg_column_compression(payload) AS json_compression
         FROM ledger_events WHERE seq IN ($1, $2) ORDER BY seq`,
      [longSeq, shortSeq],
    );
    expect(rows[0]).toMatchObject({
      seq: longSeq,
      text_compression: 'lz4',
      json_compression: 'lz4',
    });
    expect(rows[0]!.text_length).toBeGreaterThan(2_000);
    expect(rows[1]).toMatchObject({
      seq: shortSeq,
      text_compression: null,
      json_compression: null,
    });
  });

  it("stores decisions' results with lz4 too", async () => {
    const { rows } = await environment.database.pool.query<{ name: string; method: string }>(
      `SELECT attname AS name, attcompression AS method FROM pg_attribute
        WHERE attrelid = 'claim_decisions'::regclass AND attname IN ('result', 'config_versions')
        ORDER BY attname`,
    );
    expect(rows).toEqual([
      { name: 'config_versions', method: 'l' },
      { name: 'result', method: 'l' },
    ]);
  });

  it('verifies the compressed payload, and names a one-byte change to it', async () => {
    const clean = await verifyChain(environment.database.pool);
    expect(clean).toMatchObject({ ok: true, eventsChecked: 8 });

    await tamper(
      environment.databaseUrl,
      `UPDATE ledger_events SET payload_canonical = replace(payload_canonical, '"lineNumber":17', '"lineNumber":18')
        WHERE seq = $1`,
      [longSeq],
    );
    const { rows } = await environment.database.pool.query<{ compression: string }>(
      'SELECT pg_column_compression(payload_canonical) AS compression FROM ledger_events WHERE seq = $1',
      [longSeq],
    );
    expect(rows[0]!.compression).toBe('lz4');
    const report = await verifyChain(environment.database.pool);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({
      height: 1,
      eventSeq: longSeq,
      reason: 'payload does not match its payloadHash',
    });
  });
});

// appendEvents sends the canonical texts of a statement's events as one bytea, each cut out by
// its byte range: a range off by one byte would shift every later event's text.
describe('appending payloads', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    await environment.close();
  });

  it('stores each text as hashed, byte for byte, beside texts of two-, three- and four-byte characters', async () => {
    const payloads: JsonValue[] = [
      { note: 'plain', n: 1 },
      { note: 'Zoë Müller, "quoted" \\ back-slashed' },
      { note: '東京 clinic', codes: ['A', 'B'] },
      { note: 'a 🩺 and a \u0007 control' },
      { empty: {} },
      { note: 'après' },
    ];
    const appended = await inTransaction(environment.database.pool, (client) =>
      appendEvents(
        client,
        payloads.map((payload, index) => ({ ...syntheticEvent(index), payload })),
      ),
    );
    // PostgreSQL's own sha256 of the stored bytes, not ours.
    const { rows } = await environment.database.pool.query<{
      payload_canonical: string;
      payload_hash: string;
      stored_hash: string;
      payload: unknown;
    }>(
      `SELECT payload_canonical, payload_hash, payload,
              encode(sha256(convert_to(payload_canonical, 'UTF8')), 'hex') AS stored_hash
         FROM ledger_events WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
      [appended.map((event) => event.seq.toString())],
    );
    expect(rows.map((row) => row.payload)).toEqual(payloads);
    expect(rows[1]!.payload_canonical).toBe(
      '{"note":"Zoë Müller, \\"quoted\\" \\\\ back-slashed"}',
    );
    expect(rows[3]!.payload_canonical).toBe('{"note":"a 🩺 and a \\u0007 control"}');
    for (const row of rows) expect(row.payload_hash).toBe(row.stored_hash);
    expect(new Set(rows.map((row) => row.payload_hash)).size).toBe(payloads.length);
  });
});
