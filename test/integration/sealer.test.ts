// Sealing under concurrency and crashes: one chain, every event sealed exactly once.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infra/db.js';
import { ChainCorrupt, sealNextBlock, sealPending } from '../../src/ledger/seal.js';
import { verifyChain } from '../../src/ledger/verify.js';
import { appendSyntheticEvents, tamper } from '../support/ledger.js';
import { createTestEnvironment, type TestEnvironment } from '../support/environment.js';

async function chainShape(environment: TestEnvironment) {
  const { rows } = await environment.database.pool.query<{
    blocks: string;
    sealed: string | null;
    heights_ok: boolean;
  }>(
    `SELECT count(*) AS blocks, sum(event_count) AS sealed,
            bool_and(height = row_number) AS heights_ok
       FROM (SELECT height, event_count, row_number() OVER (ORDER BY height) FROM ledger_blocks) b`,
  );
  return rows[0]!;
}

describe('sealing', () => {
  let environment: TestEnvironment;
  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(async () => {
    await environment.close();
  });

  it('four sealers started at once build one chain with every event sealed once', async () => {
    await appendSyntheticEvents(environment.database.pool, 20_000);
    const sealers = Array.from({ length: 4 }, () => openDatabase(environment.databaseUrl, 2));
    try {
      // Each sealer loops until nothing is pending; the busy ones retry, so all finish.
      const runs = sealers.map(async (sealer) => {
        let total = 0;
        for (let attempt = 0; attempt < 200; attempt++) {
          const result = await sealPending(sealer.pool, 1_500);
          total += result.events;
          if (!result.busy) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return total;
      });
      const sealedBySealer = await Promise.all(runs);
      expect(sealedBySealer.reduce((sum, count) => sum + count, 0)).toBe(20_000);
    } finally {
      await Promise.all(sealers.map((sealer) => sealer.close()));
    }
    const shape = await chainShape(environment);
    expect(Number(shape.blocks)).toBe(Math.ceil(20_000 / 1_500));
    expect(Number(shape.sealed)).toBe(20_000);
    expect(shape.heights_ok).toBe(true);
    const report = await verifyChain(environment.database.pool);
    expect(report).toMatchObject({ ok: true, eventsChecked: 20_000, unsealedEvents: 0 });
  });

  it('verifies a live ledger: blocks sealed and events appended while the chain is walked', async () => {
    await appendSyntheticEvents(environment.database.pool, 3_000);
    await sealPending(environment.database.pool, 1_000);
    let growing: Promise<unknown> | undefined;
    const report = await verifyChain(environment.database.pool, () => {
      // On the first block checked: another block is sealed and more events wait for the next.
      growing ??= appendSyntheticEvents(environment.database.pool, 1_500)
        .then(() => sealPending(environment.database.pool, 1_000, 1))
        .then(() => appendSyntheticEvents(environment.database.pool, 7));
    });
    expect(growing).toBeDefined();
    expect(report.ok).toBe(true);
    // The walk may finish first (it is faster than the appends): the next check waits for them.
    await growing;
    const settled = await verifyChain(environment.database.pool);
    expect(settled).toMatchObject({ ok: true, unsealedEvents: 507 });
    await sealPending(environment.database.pool, 10_000);
  });

  it('a sealer killed mid-batch leaves a chain that verifies after a restart', async () => {
    const before = await verifyChain(environment.database.pool);
    await appendSyntheticEvents(environment.database.pool, 100_000);
    // node itself, not npx, so that SIGKILL reaches the process that holds the transaction.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/seal-child.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: environment.databaseUrl,
        SEAL_BLOCK_EVENTS_MAX: '4000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Kill it (SIGKILL: no cleanup) right after its first block, while it works on the second.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('sealed')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((resolve) => child.on('close', resolve));
    const afterCrash = await chainShape(environment);
    expect(Number(afterCrash.sealed)).toBeLessThan(before.eventsChecked + 100_000);

    const restarted = await sealPending(environment.database.pool, 20_000);
    expect(restarted.busy).toBe(false);
    const report = await verifyChain(environment.database.pool);
    expect(report).toMatchObject({
      ok: true,
      eventsChecked: before.eventsChecked + 100_000,
      unsealedEvents: 0,
    });
    const shape = await chainShape(environment);
    expect(Number(shape.sealed)).toBe(before.eventsChecked + 100_000);
    expect(shape.heights_ok).toBe(true);
  });

  it('the database rejects a block that would fork the chain or reseal events', async () => {
    const { rows } = await environment.database.pool.query<{
      height: number;
      hash: string;
      last_seq: string;
    }>('SELECT height, hash, last_seq FROM ledger_blocks ORDER BY height DESC LIMIT 1');
    const head = rows[0]!;
    const insert = (height: number, prevHash: string, firstSeq: number) =>
      environment.database.pool.query(
        `INSERT INTO ledger_blocks (height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash)
         VALUES ($1, $2, $3, $4, $4, 1, now(), $5)`,
        [height, prevHash, 'a'.repeat(64), firstSeq, 'b'.repeat(64)],
      );
    // A second block at an existing height (a fork).
    await expect(insert(head.height, head.hash, Number(head.last_seq) + 1)).rejects.toThrow();
    // A block re-sealing the head's last event.
    await expect(insert(head.height + 1, head.hash, Number(head.last_seq))).rejects.toThrow(
      /does not extend/,
    );
    // A block linked to the wrong parent.
    await expect(
      insert(head.height + 1, 'c'.repeat(64), Number(head.last_seq) + 1),
    ).rejects.toThrow(/does not extend/);
    // A block over events that do not exist yet.
    await expect(insert(head.height + 1, head.hash, Number(head.last_seq) + 1)).rejects.toThrow(
      /do not exist/,
    );
  });

  it('refuses to seal past an event missing from the ledger, and seals nothing', async () => {
    const other = await createTestEnvironment();
    try {
      const pool = other.database.pool;
      await appendSyntheticEvents(pool, 10);
      await tamper(other.databaseUrl, 'DELETE FROM ledger_events WHERE seq = 5');
      await expect(sealNextBlock(pool, 100)).rejects.toThrow(
        new ChainCorrupt('ledger seq gap: event 5 is missing'),
      );
      const { rows } = await pool.query<{ blocks: string }>(
        'SELECT count(*) AS blocks FROM ledger_blocks',
      );
      expect(rows[0]!.blocks).toBe('0');
      // A block ends where the committed events end: a gap after the last is not one.
      await tamper(other.databaseUrl, 'DELETE FROM ledger_events WHERE seq > 4');
      expect(await sealNextBlock(pool, 100)).toMatchObject({ status: 'sealed', eventCount: 4 });
    } finally {
      await other.close();
    }
  });
});
