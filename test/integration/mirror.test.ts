// `mirror` against a real log: a participant's copy is fetched in pages, every signed checkpoint
// is rebuilt from the leaves, later runs fetch only what is new, and both a local copy altered
// on disk and a history rewritten in the log's database are named.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMirror } from '../../src/cli/witness.js';
import { sealPending } from '../../src/ledger/seal.js';
import { parseSignerKey } from '../../src/ledger/tlog/note.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { appendSyntheticEvents, tamper } from '../support/ledger.js';

describe('mirror', () => {
  let environment: TestEnvironment;
  let server: Server;
  let url: string;
  let auditor: Actor;
  let directory: string;
  const signer = () => parseSignerKey(environment.config.ledgerLogKey);
  const mirror = (dir: string, verifyOnly = false) =>
    runMirror({ url, dir, log: signer().verifierKey, apiKey: auditor.key, verifyOnly });

  async function sealMore(count: number) {
    await appendSyntheticEvents(environment.database.pool, count);
    await sealPending(environment.database.pool, 25, 1_000, signer());
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'claimchain-mirror-'));
    environment = await createTestEnvironment();
    auditor = await createActor(environment, 'operator', 'auditor');
    await sealMore(0); // the auditor's two organization events: checkpoint 2
    server = testApp(environment).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await environment?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('mirrors the log, rebuilding every signed checkpoint, then fetches only what is new', async () => {
    await sealMore(100); // four blocks of 25: checkpoints 27, 52, 77, 102
    const copy = path.join(directory, 'copy');
    expect(await mirror(copy)).toEqual({
      ok: true,
      message: 'mirror OK: 102 leaves (102 fetched), 5 signed checkpoints rebuilt and matched',
    });
    await sealMore(30);
    expect(await mirror(copy)).toEqual({
      ok: true,
      message: 'mirror OK: 132 leaves (30 fetched), 2 signed checkpoints rebuilt and matched',
    });
    expect(await mirror(copy, true)).toEqual({
      ok: true,
      message: 'mirror OK: 132 leaves match the saved signed checkpoint',
    });
    const events = (await readFile(path.join(copy, 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(events).toHaveLength(132); // the auditor is party to every event's envelope
  });

  it('names a local copy altered on disk', async () => {
    const copy = path.join(directory, 'copy');
    const leaves = await readFile(path.join(copy, 'leaves.bin'));
    leaves[32 * 17 + 3] = leaves[32 * 17 + 3]! ^ 0x01;
    await writeFile(path.join(copy, 'leaves.bin'), leaves);
    expect(await mirror(copy, true)).toEqual({
      ok: false,
      message:
        'mirror MISMATCH: the root of the 132 local leaves is not the root of the saved checkpoint: the local copy was altered',
    });
  });

  it("names a history rewritten in the log's database: the rebuilt root is not the signed one", async () => {
    await tamper(
      environment.databaseUrl,
      `UPDATE ledger_events SET type = 'Rewritten' WHERE seq = 60`,
    );
    const result = await mirror(path.join(directory, 'fresh'));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /^mirror MISMATCH: checkpoint 77: the root rebuilt from the leaves \([0-9a-f]{64}\) is not the signed root \([0-9a-f]{64}\)$/,
    );
  });
});
