// The transparency log on real PostgreSQL: sealing grows one RFC 9162 tree whose root equals a
// recomputation from the leaves, checkpoints are signed notes the log's key verifies, the API's
// inclusion and consistency proofs and tiles check out with the pure verifiers, cosignatures
// are verified before they are kept, and a chain sealed before the tree existed gets it built.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infra/db.js';
import { InvalidInput } from '../../src/infra/errors.js';
import { applyMigrations } from '../../src/infra/migrate.js';
import {
  blockHashOf,
  blockHeaderOf,
  eventLeafHash,
  GENESIS_PREV_HASH,
} from '../../src/ledger/formats.js';
import { fromHex, toHex } from '../../src/ledger/hash.js';
import { auditPath, merkleRoot } from '../../src/ledger/merkle.js';
import { readEnvelopes } from '../../src/ledger/read.js';
import { buildTransparencyTree, sealNextBlock, sealPending } from '../../src/ledger/seal.js';
import { cosign, parseCheckpointBody } from '../../src/ledger/tlog/checkpoint.js';
import {
  ed25519NoteSigner,
  noteSignedBy,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signatureTypeCosignatureV1,
  signerKeyOf,
  verifierKeyOf,
} from '../../src/ledger/tlog/note.js';
import { verifyConsistency, verifyInclusion } from '../../src/ledger/tlog/tree.js';
import { proveInclusion, treeRootOf } from '../../src/ledger/tlog/tiles.js';
import {
  addCosignature,
  readLatestCheckpoint,
  readTreeSize,
  StoredTreeProofs,
  subtreeReaderOf,
} from '../../src/ledger/transparency-log.js';
import { cosignaturesOfLatest } from '../../src/ledger/witness-cosignatures.js';
import { createLogger } from '../../src/infra/logger.js';
import {
  copyMigrations,
  createFreshDatabase,
  MIGRATIONS_DIRECTORY,
} from '../infra/fresh-database.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { appendSyntheticEvents, tamper } from '../support/ledger.js';
import pg from 'pg';
import { verifyChain } from '../../src/ledger/verify.js';

/** Leaf hashes of events 1..count, recomputed from the stored rows. */
async function leavesOf(pool: pg.Pool, count: number): Promise<Uint8Array[]> {
  return (await readEnvelopes(pool, 1n, BigInt(count))).map(eventLeafHash);
}

/** The checkpoint in a signed note, after checking the log's signature on it. */
function openCheckpoint(note: string, logVkey: string) {
  const parsed = parseNote(note);
  expect(noteSignedBy(parsed, parseVerifierKey(logVkey))).toBe(true);
  return { ...parseCheckpointBody(parsed.text), note: parsed };
}

describe('the transparency log', () => {
  let environment: TestEnvironment;
  let app: ReturnType<typeof testApp>;
  let provider: Actor;
  let payer: Actor;
  /** Events the actors' creation put on the ledger before ours: the tree starts with them. */
  let base = 0;
  const signer = () => parseSignerKey(environment.config.ledgerLogKey);
  const get = (url: string, actor: Actor = provider) =>
    request(app).get(url).set('authorization', `Bearer ${actor.key}`);

  beforeAll(async () => {
    environment = await createTestEnvironment();
    app = testApp(environment);
    provider = await createActor(environment, 'provider', 'provider_biller');
    payer = await createActor(environment, 'payer', 'payer_adjudicator');
    const { pool } = environment.database;
    await sealPending(pool, 1_000, 100, signer());
    base = Number((await readLatestCheckpoint(pool))?.treeSize ?? 0);
    await appendSyntheticEvents(pool, 5, 5, provider.organization.id);
    await sealPending(pool, 2, 100, signer()); // base + 2, 4, 5
    await appendSyntheticEvents(pool, 300 - base, 300, provider.organization.id);
    await sealPending(pool, 100, 100, signer()); // base + 105, 205, then 305 leaves in all
  });

  afterAll(() => environment.close());

  it('records after each block the size and root of the tree of every sealed event', async () => {
    const { pool } = environment.database;
    const leaves = await leavesOf(pool, 305);
    const { rows } = await pool.query<{ last_seq: string; tree_size: string; tree_root: string }>(
      'SELECT last_seq::text, tree_size::text, tree_root FROM ledger_blocks ORDER BY height',
    );
    const sizes = rows.map((row) => Number(row.tree_size));
    expect(sizes.slice(-6)).toEqual([base + 2, base + 4, base + 5, base + 105, base + 205, 305]);
    for (const row of rows) {
      expect(row.tree_size).toBe(row.last_seq);
      expect(row.tree_root).toBe(toHex(merkleRoot(leaves.slice(0, Number(row.tree_size)))));
    }
  });

  it('serves the latest checkpoint as a signed note, and lists the older ones', async () => {
    const response = await get('/v1/ledger/checkpoint');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    const checkpoint = openCheckpoint(response.text, signer().verifierKey);
    expect(checkpoint.origin).toBe(signer().keyName);
    expect(checkpoint.treeSize).toBe(305);
    const leaves = await leavesOf(environment.database.pool, 305);
    expect(toHex(checkpoint.rootHash)).toBe(toHex(merkleRoot(leaves)));

    const page = await get('/v1/ledger/checkpoints?limit=4');
    expect(page.status).toBe(200);
    const listed = page.body as {
      checkpoints: { treeSize: number; note: string }[];
      nextBeforeSize: number;
    };
    expect(listed.checkpoints.map((each) => each.treeSize)).toEqual([
      305,
      base + 205,
      base + 105,
      base + 5,
    ]);
    expect(listed.nextBeforeSize).toBe(base + 5);
    const rest = await get(`/v1/ledger/checkpoints?limit=4&beforeSize=${base + 5}`);
    const older = (rest.body as typeof listed).checkpoints.map((each) => each.treeSize);
    expect(older).toEqual([base + 4, base + 2, base].filter((size) => size > 0));
    expect((rest.body as typeof listed).nextBeforeSize).toBeNull();
    for (const each of listed.checkpoints) openCheckpoint(each.note, signer().verifierKey);
  });

  it('proves an event in the latest tree and in an older one; the proofs verify', async () => {
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id FROM ledger_events WHERE seq = $1',
      [base + 3],
    );
    const index = base + 2;
    for (const [query, size] of [
      ['', 305],
      [`?treeSize=${base + 5}`, base + 5],
    ] as const) {
      const response = await get(`/v1/ledger/events/${rows[0]!.id}/proof${query}`);
      expect(response.status).toBe(200);
      const proof = response.body as {
        envelope: Parameters<typeof eventLeafHash>[0];
        block: { header: { firstSeq: string } };
        tree: {
          leafIndex: number;
          treeSize: number;
          rootHash: string;
          inclusionProof: string[];
          checkpoint: string;
        };
      };
      expect(proof.block.header.firstSeq).toBe(String(base + 3)); // the block proof is still there
      expect(proof.tree).toMatchObject({ leafIndex: index, treeSize: size });
      const checkpoint = openCheckpoint(proof.tree.checkpoint, signer().verifierKey);
      expect(toHex(checkpoint.rootHash)).toBe(proof.tree.rootHash);
      const path = proof.tree.inclusionProof.map(fromHex);
      const leaf = eventLeafHash(proof.envelope);
      expect(verifyInclusion(leaf, index, size, path, checkpoint.rootHash)).toBe(true);
      expect(verifyInclusion(leaf, index + 1, size, path, checkpoint.rootHash)).toBe(false);
    }
    const tooBig = await get(`/v1/ledger/events/${rows[0]!.id}/proof?treeSize=306`);
    expect(tooBig.status).toBe(422);
    const tooSmall = await get(`/v1/ledger/events/${rows[0]!.id}/proof?treeSize=${index}`);
    expect(tooSmall.status).toBe(422);
    expect(tooSmall.text).toContain(`leaf index ${index}`);
    const notParty = await get(`/v1/ledger/events/${rows[0]!.id}/proof`, payer);
    expect(notParty.status).toBe(404);
  });

  it('warms a proof server at start: afterwards no proof of the tree reads storage', async () => {
    const { pool } = environment.database;
    let queries = 0;
    const counted = Object.create(pool, {
      query: {
        value: (...args: unknown[]) => {
          queries++;
          return (pool.query as (...each: unknown[]) => Promise<unknown>)(...args);
        },
      },
    }) as pg.Pool;
    const proofs = new StoredTreeProofs(counted);
    // 305 leaves: tiles 0/0 (256 wide), 0/1 (49) and 1/0 (1), in one tile query after the size.
    expect(await proofs.warm()).toEqual({ treeSize: 305, tilesRead: 3 });
    expect(queries).toBe(2);
    const leaves = await leavesOf(pool, 305);
    for (let index = 0; index < 305; index++) {
      const path = await proofs.inclusionProof(index, 305);
      expect(path.map(toHex)).toEqual(auditPath(leaves, index).map(toHex));
    }
    for (let from = 1; from < 305; from += 7) await proofs.consistencyProof(from, 305);
    expect(toHex(await proofs.rootAt(305))).toBe(toHex(merkleRoot(leaves)));
    expect(queries).toBe(2);
    expect(await proofs.warm()).toEqual({ treeSize: 305, tilesRead: 0 });
  });

  it('proves consistency between two checkpoints', async () => {
    const older = openCheckpoint(
      (await get(`/v1/ledger/checkpoints?beforeSize=${base + 6}&limit=1`)).body.checkpoints[0]
        .note as string,
      signer().verifierKey,
    );
    const from = base + 5;
    const response = await get(`/v1/ledger/consistency?from=${from}`);
    expect(response.status).toBe(200);
    const body = response.body as {
      fromSize: number;
      toSize: number;
      proof: string[];
      toCheckpoint: string;
    };
    expect(body).toMatchObject({ fromSize: from, toSize: 305 });
    const newer = openCheckpoint(body.toCheckpoint, signer().verifierKey);
    const proof = body.proof.map(fromHex);
    expect(verifyConsistency(from, 305, proof, older.rootHash, newer.rootHash)).toBe(true);
    expect(verifyConsistency(from, 305, proof, newer.rootHash, newer.rootHash)).toBe(false);
    expect((await get('/v1/ledger/consistency?from=306')).status).toBe(422);
    expect((await get(`/v1/ledger/consistency?from=${from}&to=${from - 1}`)).status).toBe(422);
    expect((await get('/v1/ledger/consistency')).status).toBe(422);
  });

  it('serves C2SP tiles: full, partial, and nothing the tree does not have', async () => {
    const leaves = await leavesOf(environment.database.pool, 305);
    const binary = (url: string) =>
      get(url)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });
    const full = await binary('/v1/ledger/tile/0/000');
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(toHex(full.body as Buffer)).toBe(leaves.slice(0, 256).map(toHex).join(''));
    const partial = await binary('/v1/ledger/tile/0/001.p/49');
    expect(toHex(partial.body as Buffer)).toBe(leaves.slice(256, 305).map(toHex).join(''));
    const older = await binary('/v1/ledger/tile/0/001.p/10');
    expect(toHex(older.body as Buffer)).toBe(leaves.slice(256, 266).map(toHex).join(''));
    const level1 = await binary('/v1/ledger/tile/1/000.p/1');
    expect(toHex(level1.body as Buffer)).toBe(toHex(merkleRoot(leaves.slice(0, 256))));
    expect((await get('/v1/ledger/tile/0/001.p/50')).status).toBe(404);
    expect((await get('/v1/ledger/tile/0/001')).status).toBe(404);
    expect((await get('/v1/ledger/tile/0/1')).status).toBe(422);
  });

  it('pages every leaf for mirrors, with envelopes and payloads only for parties', async () => {
    const leaves = await leavesOf(environment.database.pool, 305);
    const party = await get('/v1/ledger/entries?start=300&limit=10');
    expect(party.status).toBe(200);
    const page = party.body as {
      treeSize: number;
      nextStart: number | null;
      entries: {
        index: number;
        seq: string;
        leafHash: string;
        envelope?: object;
        payload?: unknown;
      }[];
    };
    expect(page.treeSize).toBe(305);
    expect(page.entries.map((entry) => entry.index)).toEqual([300, 301, 302, 303, 304]);
    expect(page.entries.map((entry) => entry.leafHash)).toEqual(leaves.slice(300).map(toHex));
    expect(page.entries[0]!.envelope).toMatchObject({ seq: '301' });
    expect(page.entries[0]!.payload).toBeDefined();
    expect(page.nextStart).toBeNull();
    const other = await get('/v1/ledger/entries?limit=2', payer);
    const otherPage = other.body as typeof page;
    expect(otherPage.nextStart).toBe(2);
    expect(otherPage.entries.map((entry) => entry.leafHash)).toEqual(leaves.slice(0, 2).map(toHex));
    expect(otherPage.entries[0]).not.toHaveProperty('envelope');
    expect(otherPage.entries[0]).not.toHaveProperty('payload');
    // Across seq 9 → 10 and 99 → 100 (where text order and number order part ways).
    const across = (await get('/v1/ledger/entries?start=5&limit=100')).body as typeof page;
    expect(across.entries.map((entry) => entry.leafHash)).toEqual(leaves.slice(5, 105).map(toHex));
  });

  it('keeps a verified witness cosignature and serves it with the checkpoint; refuses a bad one', async () => {
    const { pool } = environment.database;
    const seed = new Uint8Array(32).fill(7);
    const witness = ed25519NoteSigner('witness.example/one', seed);
    const publicKey = parseSignerKey(signerKeyOf(witness.keyName, seed)).publicKey;
    const vkey = parseVerifierKey(
      verifierKeyOf(witness.keyName, signatureTypeCosignatureV1, publicKey),
    );
    const latest = (await readLatestCheckpoint(pool))!;
    const line = cosign(latest.body, witness.keyName, publicKey, 1_790_000_000n, witness.sign);

    const forged = cosign(
      latest.body.replace('\n305\n', '\n306\n'),
      witness.keyName,
      publicKey,
      1_790_000_000n,
      witness.sign,
    );
    await expect(addCosignature(pool, 305, vkey, forged, new Date())).rejects.toBeInstanceOf(
      InvalidInput,
    );
    await expect(addCosignature(pool, 999, vkey, line, new Date())).rejects.toThrow(
      /checkpoint not found/,
    );
    expect((await readLatestCheckpoint(pool))!.cosignatureCount).toBe(0);
    // Another key of the same name is another witness: its ID differs, and so does its count.
    const namesake = { keyName: vkey.keyName, keyId: (vkey.keyId + 1) >>> 0 };
    const none = { treeSize: 0, addedAt: null };
    expect(await cosignaturesOfLatest(pool, [vkey, namesake])).toEqual({
      latestSize: 305,
      cosigned: [none, none],
    });

    const addedAt = new Date('2026-12-02T01:02:03.456Z');
    expect(await addCosignature(pool, 305, vkey, line, addedAt)).toEqual({
      timestamp: 1_790_000_000n,
    });
    await addCosignature(pool, 305, vkey, line, new Date()); // again: a no-op
    // Each key's size in the order asked, a key asked twice answered twice.
    const cosigned = { treeSize: 305, addedAt };
    expect(await cosignaturesOfLatest(pool, [namesake, vkey, vkey])).toEqual({
      latestSize: 305,
      cosigned: [none, cosigned, cosigned],
    });
    const note = parseNote((await get('/v1/ledger/checkpoint')).text);
    expect(note.signatures).toHaveLength(2);
    expect(noteSignedBy(note, parseVerifierKey(signer().verifierKey))).toBe(true);
    const served = note.signatures[1]!;
    expect(served.keyName).toBe('witness.example/one');
    // Checked with node:crypto, not the code under test.
    const message = Buffer.concat([
      Buffer.from('cosignature/v1\ntime 1790000000\n'),
      Buffer.from(note.text),
    ]);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify(null, message, key, served.signature.subarray(8))).toBe(true);
  });

  it('refuses to change a tile, a checkpoint or a block tree column once written', async () => {
    const { pool } = environment.database;
    await expect(
      pool.query("UPDATE ledger_tree_tiles SET hashes = '\\x00' WHERE level = 0"),
    ).rejects.toThrow(/only grow/);
    await expect(pool.query('DELETE FROM ledger_checkpoints')).rejects.toThrow(/append-only/);
    await expect(
      pool.query("UPDATE ledger_blocks SET tree_root = repeat('0', 64)"),
    ).rejects.toThrow(/append-only/);
    await appendSyntheticEvents(pool, 1);
    await expect(
      pool.query(
        `INSERT INTO ledger_blocks (height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash)
         SELECT height + 1, hash, merkle_root, last_seq + 1, last_seq + 1, 1, now(), repeat('a', 64)
           FROM ledger_blocks ORDER BY height DESC LIMIT 1`,
      ),
    ).rejects.toThrow(/tree size and root/);
  });
});

describe('a stored tile rewritten around the trigger after a proof was served from it', () => {
  it('answers 503 without internals, alarms once with the tile, and reads afresh next time', async () => {
    const logLines: string[] = [];
    const environment = await createTestEnvironment();
    try {
      const { pool } = environment.database;
      const app = testApp(
        environment,
        createLogger('info', { write: (line: string) => logLines.push(line) }),
      );
      const provider = await createActor(environment, 'provider', 'provider_biller');
      const signer = parseSignerKey(environment.config.ledgerLogKey);
      const proofOf = (id: string, treeSize: number) =>
        request(app)
          .get(`/v1/ledger/events/${id}/proof?treeSize=${treeSize}`)
          .set('authorization', `Bearer ${provider.key}`);
      await appendSyntheticEvents(pool, 300, 300, provider.organization.id);
      await sealPending(pool, 1_000, 100, signer);
      const smaller = await readTreeSize(pool);
      // Leaf 260 is in tile 0/1 (leaves 256..511), which the smaller tree holds partly.
      const { rows } = await pool.query<{ id: string }>(
        'SELECT id FROM ledger_events WHERE seq = 261',
      );
      const eventId = rows[0]!.id;
      expect((await proofOf(eventId, smaller)).status).toBe(200);
      await appendSyntheticEvents(pool, 100, 100, provider.organization.id);
      await sealPending(pool, 1_000, 100, signer);
      const bigger = await readTreeSize(pool);
      expect(smaller).toBeGreaterThan(261);
      expect(bigger).toBeLessThan(512); // tile 0/1 is partial in both, wider in the bigger tree

      // Around the grow-only trigger, as only the database's superuser could: leaf 260's hash.
      await tamper(
        environment.databaseUrl,
        `UPDATE ledger_tree_tiles SET hashes = overlay(hashes PLACING $1 FROM ${4 * 32 + 1} FOR 32)
          WHERE level = 0 AND tile_index = 1`,
        [Buffer.alloc(32, 0xab)],
      );

      const refused = await proofOf(eventId, bigger);
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toEqual({
        type: 'https://claimchain.dev/problems/log_tree_changed',
        title: 'log_tree_changed',
        status: 503,
        detail:
          "the transparency log's stored tree changed since this server read it; the operator has been alerted",
        requestId: expect.any(String) as string,
      });
      const alarms = logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.alarm !== undefined);
      expect(alarms).toHaveLength(1);
      expect(alarms[0]).toMatchObject({
        level: 50,
        alarm: 'log_tree_changed',
        tileLevel: 0,
        tileIndex: 1,
        hashesHeld: smaller - 256,
      });

      // The cache was emptied: the next request reads the stored tiles as they now are.
      const fresh = await proofOf(eventId, bigger);
      expect(fresh.status).toBe(200);
      const stored = subtreeReaderOf(pool);
      const tree = (fresh.body as { tree: { inclusionProof: string[]; rootHash: string } }).tree;
      expect(tree.inclusionProof).toEqual(
        (await proveInclusion(stored, 260, bigger)).map((hash) => toHex(hash)),
      );
      expect(tree.rootHash).toBe(toHex(await treeRootOf(stored, bigger)));
      // …which is not the root the log signed when it sealed: witnesses would catch it there.
      const signed = await pool.query<{ tree_root: string }>(
        'SELECT tree_root FROM ledger_blocks WHERE tree_size = $1',
        [bigger],
      );
      expect(tree.rootHash).not.toBe(signed.rows[0]!.tree_root);
      expect(logLines.filter((line) => line.includes('"alarm"'))).toHaveLength(1);
    } finally {
      await environment.close();
    }
  });
});

describe('verify and the transparency tree', () => {
  it('checks every block recorded the root of all events so far, and names one that does not', async () => {
    const environment = await createTestEnvironment();
    try {
      const { pool } = environment.database;
      await appendSyntheticEvents(pool, 30);
      await sealPending(pool, 7);
      const clean = await verifyChain(pool);
      expect(clean.ok).toBe(true);
      // Resumed from a block verified before, the tree is rebuilt from the stored tiles.
      await appendSyntheticEvents(pool, 5);
      await sealPending(pool, 7);
      expect((await verifyChain(pool, undefined, clean.head)).ok).toBe(true);

      // Around the triggers, as only someone with the database's superuser could.
      await tamper(
        environment.databaseUrl,
        `UPDATE ledger_blocks SET tree_root = (SELECT tree_root FROM ledger_blocks WHERE height = 2)
          WHERE height = 3`,
      );
      const report = await verifyChain(pool);
      expect(report.ok).toBe(false);
      expect(report.failure).toMatchObject({ height: 3 });
      expect(report.failure!.reason).toMatch(/transparency tree root after the block \(size 21\)/);
    } finally {
      await environment.close();
    }
  });
});

describe('a chain sealed before the transparency log', () => {
  it('gets its tree built by migrate, each block root checked, then grows and is signed', async () => {
    const database = await createFreshDatabase();
    const oldMigrations = await copyMigrations();
    // The tree's migration and the later one that indexes its tables.
    const treeMigrations = [
      '202612021100_transparency_log',
      '202612051000_cosignatures_by_witness',
    ];
    for (const name of treeMigrations) {
      await rm(path.join(oldMigrations, name), { recursive: true });
    }
    await applyMigrations(database.url, oldMigrations);
    const opened = openDatabase(database.url, 4);
    const { pool } = opened;
    try {
      await appendSyntheticEvents(pool, 40);
      // Three blocks as the sealer before the tree wrote them.
      let previous = GENESIS_PREV_HASH;
      for (const [height, first, last] of [
        [1, 1, 10],
        [2, 11, 33],
        [3, 34, 40],
      ] as const) {
        const envelopes = await readEnvelopes(pool, BigInt(first), BigInt(last));
        const header = blockHeaderOf({
          height,
          prevHash: previous,
          merkleRoot: merkleRoot(envelopes.map(eventLeafHash)),
          firstSeq: BigInt(first),
          lastSeq: BigInt(last),
          eventCount: last - first + 1,
          sealedAt: new Date(),
        });
        previous = blockHashOf(header);
        await pool.query(
          `INSERT INTO ledger_blocks (height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            height,
            header.prevHash,
            header.merkleRoot,
            first,
            last,
            header.eventCount,
            new Date(header.sealedAt),
            previous,
          ],
        );
      }
      expect(await applyMigrations(database.url, MIGRATIONS_DIRECTORY)).toEqual(treeMigrations);
      expect(await buildTransparencyTree(pool)).toBe(3);
      expect(await buildTransparencyTree(pool)).toBe(0);
      // A tree but no signed checkpoint yet: nothing to offer witnesses.
      expect(
        await cosignaturesOfLatest(pool, [{ keyName: 'witness.example/one', keyId: 1 }]),
      ).toBeUndefined();
      const leaves = await leavesOf(pool, 40);
      const { rows } = await pool.query<{ tree_size: string; tree_root: string }>(
        'SELECT tree_size::text, tree_root FROM ledger_blocks ORDER BY height',
      );
      expect(rows).toEqual(
        [10, 33, 40].map((size) => ({
          tree_size: String(size),
          tree_root: toHex(merkleRoot(leaves.slice(0, size))),
        })),
      );

      // The first sealing with the key signs the migrated head, even with nothing to seal.
      const logSigner = parseSignerKey(
        signerKeyOf('log.example/migrated', new Uint8Array(32).fill(3)),
      );
      expect(await sealNextBlock(pool, 100, undefined, logSigner)).toEqual({ status: 'idle' });
      const migrated = (await readLatestCheckpoint(pool))!;
      expect(migrated.treeSize).toBe(40);
      expect(toHex(openCheckpoint(migrated.note, logSigner.verifierKey).rootHash)).toBe(
        rows[2]!.tree_root,
      );

      await appendSyntheticEvents(pool, 9);
      await sealPending(pool, 100, 10, logSigner);
      expect((await verifyChain(pool)).ok).toBe(true);
      const grown = (await readLatestCheckpoint(pool))!;
      expect(grown.treeSize).toBe(49);
      const all = await leavesOf(pool, 49);
      expect(grown.rootHash).toBe(toHex(merkleRoot(all)));
    } finally {
      await opened.close();
    }
  });
});
