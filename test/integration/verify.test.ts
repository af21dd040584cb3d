// Chain verification over several blocks, each tampered the way an attacker with the database's
// superuser could: verify must name the first bad block and event, and count only the blocks
// before it, whichever check finds it (this process's hashes, or PostgreSQL's jsonb comparison,
// made once the blocks' events are read). The jsonb column is generated from the hashed text
// until an attacker drops its expression to change the JSON alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/infra/db.js';
import { sealPending } from '../../src/ledger/seal.js';
import { verifyChain, type VerifyReport } from '../../src/ledger/verify.js';
import { describeReport, PAYLOAD_JSON_NOT_GENERATED_WARNING } from '../../src/cli/verify.js';
import { createTestEnvironment, type TestEnvironment } from '../support/environment.js';
import {
  appendSyntheticEvents,
  MAKE_PAYLOAD_JSON_WRITABLE,
  tamper as tamperAsAttacker,
} from '../support/ledger.js';

// Blocks 1..4: seqs 1-4500, 4501-9000, 9001-13500, 13501-18000, all read in one COPY: a change
// in a later block must not hide one in an earlier block, nor one read later in the same block.
const EVENTS = 18_000;
const BLOCK_EVENTS = 4_500;

describe('verifyChain over several blocks', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    await appendSyntheticEvents(environment.database.pool, EVENTS);
    await sealPending(environment.database.pool, BLOCK_EVENTS);
  });
  afterAll(async () => {
    await environment.close();
  });

  const tamper = (sql: string, ...values: unknown[]) =>
    tamperAsAttacker(environment.databaseUrl, sql, values);

  async function eventId(seq: number): Promise<string> {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id::text FROM ledger_events WHERE seq = $1',
      [seq],
    );
    return rows[0]!.id;
  }

  /** Verified on the pool, and on one client inside a read-only snapshot (as reconciliation). */
  async function verifyBothWays(): Promise<VerifyReport> {
    const report = await verifyChain(environment.database.pool);
    const inSnapshot = await inTransaction(
      environment.database.pool,
      (client) => verifyChain(client),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    expect(inSnapshot).toEqual(report);
    return report;
  }

  function verifiedThrough(height: number) {
    return {
      ok: false,
      blocksChecked: height,
      eventsChecked: height * BLOCK_EVENTS,
      head: { height, lastSeq: BigInt(height * BLOCK_EVENTS) },
    };
  }

  const CHANGE_JSON_ALONE = `UPDATE ledger_events SET payload = jsonb_set(payload, '{note}', '"changed"')
                              WHERE seq = $1`;
  const CHANGE_STORED_BYTES = `UPDATE ledger_events
                                  SET payload_canonical = replace(payload_canonical, 'synthetic', 'synthetiC')
                                WHERE seq = $1`;

  // Each test tampers earlier than the one before, so verify names the new change.
  it('verifies the untouched chain', async () => {
    const report = await verifyBothWays();
    expect(report).toMatchObject({
      ok: true,
      blocksChecked: 4,
      eventsChecked: EVENTS,
      unsealedEvents: 0,
      head: { height: 4, lastSeq: BigInt(EVENTS) },
      payloadJson: 'generated',
    });
    expect(describeReport(report)).toBe(
      `chain OK: 4 blocks, ${EVENTS} events verified; 0 events waiting to be sealed`,
    );
  });

  it('while the JSON is generated from the stored bytes, refuses a change to it alone', async () => {
    await expect(tamper(CHANGE_JSON_ALONE, 17_000)).rejects.toThrow(
      /column "payload" can only be updated to DEFAULT/,
    );
    await expect(
      tamper("UPDATE ledger_events SET payload_canonical = '{not json' WHERE seq = $1", 17_000),
    ).rejects.toThrow(/invalid input syntax for type json/);
    // A change to the stored bytes changes the JSON with them, and the hash names it.
    await tamper(CHANGE_STORED_BYTES, 17_500);
    const { rows } = await environment.database.pool.query<{ note: string }>(
      "SELECT payload->>'note' AS note FROM ledger_events WHERE seq = 17500",
    );
    expect(rows[0]!.note).toBe('synthetiC');
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(3),
      failure: {
        height: 4,
        eventSeq: '17500',
        eventId: await eventId(17_500),
        reason: 'payload does not match its payloadHash',
      },
    });
  });

  it('names a change to the JSON alone in the last block, once its expression is dropped', async () => {
    await tamper(MAKE_PAYLOAD_JSON_WRITABLE);
    await tamper(CHANGE_JSON_ALONE, 17_000);
    const report = await verifyBothWays();
    expect(describeReport(report)).toBe(
      `chain BROKEN at block 4 event seq 17000 (id ${await eventId(17_000)}): payload JSON no longer matches the canonical text that was hashed\n${PAYLOAD_JSON_NOT_GENERATED_WARNING}`,
    );
    expect(report).toMatchObject({
      ...verifiedThrough(3),
      payloadJson: 'compared',
      failure: {
        height: 4,
        eventSeq: '17000',
        eventId: await eventId(17_000),
        reason: 'payload JSON no longer matches the canonical text that was hashed',
      },
    });
  });

  it('names a change to the stored bytes in the block before', async () => {
    await tamper(CHANGE_STORED_BYTES, 12_000);
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(2),
      failure: {
        height: 3,
        eventSeq: '12000',
        eventId: await eventId(12_000),
        reason: 'payload does not match its payloadHash',
      },
    });
  });

  it('names a change to the JSON alone read before the stored bytes changed in its block', async () => {
    await tamper(CHANGE_JSON_ALONE, 9_500);
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(2),
      failure: {
        height: 3,
        eventSeq: '9500',
        eventId: await eventId(9_500),
        reason: 'payload JSON no longer matches the canonical text that was hashed',
      },
    });
  });

  it('names a change to the JSON alone before a block whose stored bytes were changed', async () => {
    await tamper(CHANGE_JSON_ALONE, 6_600);
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(1),
      failure: {
        height: 2,
        eventSeq: '6600',
        eventId: await eventId(6_600),
        reason: 'payload JSON no longer matches the canonical text that was hashed',
      },
    });
  });

  it('names a broken link before it', async () => {
    await tamper(`UPDATE ledger_blocks SET prev_hash = repeat('a', 64) WHERE height = 2`);
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(1),
      failure: { height: 2, reason: 'prevHash does not match the hash of block 1' },
    });
  });

  it('names an envelope field changed in the first block', async () => {
    await tamper(`UPDATE ledger_events SET type = 'TestEvenT' WHERE seq = $1`, 3_000);
    const report = await verifyBothWays();
    expect(report).toMatchObject({
      ...verifiedThrough(0),
      failure: {
        height: 1,
        reason:
          'Merkle root of the events does not match the block (an envelope field was changed)',
      },
    });
    expect(report.failure?.eventSeq).toBeUndefined();
  });

  // The last event of the block's first read: the next read starts one seq late.
  it('names a missing event before it', async () => {
    await tamper('DELETE FROM ledger_events WHERE seq = $1', 2_000);
    expect(await verifyBothWays()).toMatchObject({
      ...verifiedThrough(0),
      failure: { height: 1, eventSeq: '2000', reason: 'event missing' },
    });
  });
});
