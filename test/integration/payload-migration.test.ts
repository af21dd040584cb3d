// Migration 202612051100 on a ledger written before it: the jsonb payload becomes a column
// PostgreSQL generates from the hashed text, events older than that text keep their jsonb, and a
// ledger whose JSON was already changed alone is not healed silently: the migration stops.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inTransaction, openDatabase } from '../../src/infra/db.js';
import { applyMigrations } from '../../src/infra/migrate.js';
import { appendEvents } from '../../src/ledger/append.js';
import { canonicalJson } from '../../src/ledger/canonical.js';
import { sha256Hex } from '../../src/ledger/hash.js';
import { payloadJsonGeneratedFromHashedText } from '../../src/ledger/read.js';
import { sealPending } from '../../src/ledger/seal.js';
import { verifyChain } from '../../src/ledger/verify.js';
import {
  copyMigrations,
  createFreshDatabase,
  MIGRATIONS_DIRECTORY,
} from '../infra/fresh-database.js';
import { tamper } from '../support/ledger.js';

const MIGRATION = '202612051100_ledger_payload_from_hashed_text';
const ORG = '00000000-0000-4000-8000-000000000001';

/** A database migrated up to the one before MIGRATION, holding three events written as then. */
async function ledgerBeforeMigration() {
  const database = await createFreshDatabase();
  const before = await copyMigrations();
  await rm(path.join(before, MIGRATION), { recursive: true });
  await applyMigrations(database.url, before);
  const opened = openDatabase(database.url, 2);
  const payloads = [
    { claim: 'legacy', amount: '12.50', codes: ['CO-45', 'PR-1'] },
    { claim: 'second', amount: '100.00', note: 'é' },
    { claim: 'third', amount: '0.10', nested: { b: 1, a: [true, null] } },
  ];
  // As the append of the day wrote them: the jsonb and, except for the oldest event (appended
  // before the hashed text was kept), the text that was hashed.
  for (const [index, payload] of payloads.entries()) {
    const canonical = canonicalJson(payload);
    await opened.pool.query(
      `INSERT INTO ledger_events (seq, id, type, aggregate_id, actor_org_id, created_at, payload,
                                  payload_canonical, payload_hash, party_org_ids)
       VALUES ($1, gen_random_uuid(), 'TestEvent', $2, $3, now(), $4::jsonb, $5, $6, ARRAY[$3]::uuid[])`,
      [
        index + 1,
        `aggregate-${index}`,
        ORG,
        canonical,
        index === 0 ? null : canonical,
        sha256Hex(canonical),
      ],
    );
  }
  await opened.pool.query('UPDATE ledger_sequence SET next_seq = 4 WHERE id = 1');
  return { database, opened, payloads };
}

describe('migration 202612051100 (payload generated from the hashed text)', () => {
  it('keeps every payload, the oldest event its jsonb, and the chain still verifies', async () => {
    const { database, opened, payloads } = await ledgerBeforeMigration();
    try {
      expect(await applyMigrations(database.url, MIGRATIONS_DIRECTORY)).toEqual([MIGRATION]);
      const { rows } = await opened.pool.query<{
        payload: unknown;
        payload_legacy: unknown;
        payload_canonical: string | null;
      }>('SELECT payload, payload_legacy, payload_canonical FROM ledger_events ORDER BY seq');
      expect(rows).toEqual([
        { payload: payloads[0], payload_legacy: payloads[0], payload_canonical: null },
        {
          payload: payloads[1],
          payload_legacy: null,
          payload_canonical: canonicalJson(payloads[1]),
        },
        {
          payload: payloads[2],
          payload_legacy: null,
          payload_canonical: canonicalJson(payloads[2]),
        },
      ]);
      // The engine appends as before; PostgreSQL writes the jsonb.
      const appended = { claim: 'after', amount: '7.00' };
      await inTransaction(opened.pool, (client) =>
        appendEvents(client, [
          {
            type: 'TestEvent',
            aggregateId: 'after',
            actorOrgId: ORG,
            payload: appended,
            partyOrgIds: [ORG],
          },
        ]),
      );
      const after = await opened.pool.query<{ payload: unknown; payload_legacy: unknown }>(
        'SELECT payload, payload_legacy FROM ledger_events WHERE seq = 4',
      );
      expect(after.rows[0]).toEqual({ payload: appended, payload_legacy: null });
      // An event has its hashed text or its legacy jsonb: never neither (no payload to
      // generate), never both.
      const insert = (columns: string, values: string) =>
        opened.pool.query(
          `INSERT INTO ledger_events (seq, id, type, aggregate_id, actor_org_id, created_at,
                                      payload_hash, party_org_ids${columns})
           VALUES (5, gen_random_uuid(), 'TestEvent', 'x', $1, now(), $2, ARRAY[$1]::uuid[]${values})`,
          [ORG, '0'.repeat(64)],
        );
      await expect(insert('', '')).rejects.toThrow(/null value in column "payload"/);
      await expect(
        insert(', payload_canonical, payload_legacy', `, '{"a":1}', '{"a":1}'::jsonb`),
      ).rejects.toThrow(/ledger_events_payload_source_check/);

      expect(await payloadJsonGeneratedFromHashedText(opened.pool)).toBe(true);
      await sealPending(opened.pool, 10);
      expect(await verifyChain(opened.pool)).toMatchObject({ ok: true, eventsChecked: 4 });
    } finally {
      await opened.close();
    }
  });

  it('stops on a ledger whose JSON already says something else than its hashed text', async () => {
    const { database, opened } = await ledgerBeforeMigration();
    try {
      await tamper(
        database.url,
        `UPDATE ledger_events SET payload = jsonb_set(payload, '{amount}', '"1000.00"') WHERE seq = 2`,
      );
      await expect(applyMigrations(database.url, MIGRATIONS_DIRECTORY)).rejects.toThrow(
        /ledger event seq 2: its payload JSON differs from the text that was hashed/,
      );
      // Rolled back whole: the column is as it was.
      const { rows } = await opened.pool.query<{ amount: string }>(
        "SELECT payload->>'amount' AS amount FROM ledger_events WHERE seq = 2",
      );
      expect(rows[0]!.amount).toBe('1000.00');
      expect(await payloadJsonGeneratedFromHashedText(opened.pool)).toBe(false);
    } finally {
      await opened.close();
    }
  });
});
