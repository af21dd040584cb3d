// The transparency log's storage: the one tree's tiles, the log's signed checkpoints and the
// witnesses' cosignatures, in PostgreSQL. The algorithms are the pure modules in ./tlog/; this
// file only reads and writes rows. Leaf i of the tree is the event with seq i + 1.
import type pg from 'pg';
import type { Queryable } from '../infra/db.js';
import { InvalidInput, NotFound } from '../infra/errors.js';
import { ed25519VerifyNode } from './ed25519.js';
import { checkpointBody, parseCheckpointBody, verifyCosignature } from './tlog/checkpoint.js';
import {
  formatNote,
  parseNote,
  signatureLineOf,
  signNote,
  type NoteSignature,
  type NoteSigner,
  type VerifierKey,
} from './tlog/note.js';
import {
  appendToTiles,
  partialTilesAt,
  proveConsistency,
  proveInclusion,
  subtreeReaderOverTiles,
  treeRootOf,
  type SubtreeHashReader,
  type TileId,
  type TileReader,
} from './tlog/tiles.js';
import { hashBytes } from './tlog/tree.js';
import type { JsonValue } from './canonical.js';
import { eventLeafHash, type EventEnvelope } from './formats.js';
import { toHex } from './hash.js';
import { nodeHash } from './merkle.js';
import { readEnvelopes } from './read.js';
import { cachedSubtreeReader, TileCache, warmTileCache } from './tile-cache.js';

/** Cosignatures kept per checkpoint: the note format asks verifiers to accept at least 16. */
export const cosignaturesPerCheckpointMax = 32;

export class TreeCorrupt extends Error {}

/** Tiles as stored; each answer is the whole stored tile (a prefix of width `width` is asked). */
export function tileReaderOf(db: Queryable): TileReader {
  return async (tiles) => {
    if (tiles.length === 0) return [];
    const { rows } = await db.query<{ level: number; tile_index: string; hashes: Buffer }>(
      `SELECT level, tile_index::text, hashes FROM ledger_tree_tiles
        WHERE (level, tile_index) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))`,
      [tiles.map((tile) => tile.level), tiles.map((tile) => String(tile.index))],
    );
    const byKey = new Map(rows.map((row) => [`${row.level}/${row.tile_index}`, row.hashes]));
    return tiles.map((tile) => byKey.get(`${tile.level}/${tile.index}`) ?? new Uint8Array(0));
  };
}

export function subtreeReaderOf(db: Queryable): SubtreeHashReader {
  return subtreeReaderOverTiles(tileReaderOf(db), nodeHash);
}

/** The tile as a tree of `treeSize` leaves has it (a prefix of the stored one), or undefined. */
export async function readTile(db: Queryable, tile: TileId): Promise<Uint8Array | undefined> {
  const [hashes] = await tileReaderOf(db)([tile]);
  const bytes = tile.width * hashBytes;
  return hashes && hashes.length >= bytes ? hashes.subarray(0, bytes) : undefined;
}

/**
 * Appends leaf hashes to the stored tree of `treeSize` leaves and returns the new root. The
 * caller holds the sealing lock and its transaction, so the tiles and the block commit together.
 */
export async function extendTree(
  db: Queryable,
  treeSize: number,
  leafHashes: readonly Uint8Array[],
): Promise<Uint8Array> {
  const wanted = partialTilesAt(treeSize);
  const stored = await tileReaderOf(db)(wanted);
  const partial = wanted.map((tile, position) => {
    const hashes = stored[position]!;
    // A tile longer than the chain says is a tree ahead of its blocks: never extend past it.
    if (hashes.length !== tile.width * hashBytes) {
      throw new TreeCorrupt(
        `tree tile ${tile.level}/${tile.index} holds ${hashes.length / hashBytes} hashes; a tree of ${treeSize} leaves has ${tile.width}`,
      );
    }
    return { ...tile, hashes };
  });
  const changed = appendToTiles(treeSize, partial, leafHashes, nodeHash);
  if (changed.length > 0) {
    await db.query(
      `INSERT INTO ledger_tree_tiles (level, tile_index, hashes)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
       ON CONFLICT (level, tile_index) DO UPDATE SET hashes = EXCLUDED.hashes`,
      [
        changed.map((tile) => tile.level),
        changed.map((tile) => String(tile.index)),
        changed.map((tile) => Buffer.from(tile.hashes)),
      ],
    );
  }
  return treeRootOf(subtreeReaderOf(db), treeSize + leafHashes.length);
}

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: string;
  /** The checkpoint body (origin, size, base64 root), as signed. */
  body: string;
  /** The whole signed note: body, blank line, the log's signature, then each cosignature. */
  note: string;
  signedAt: string;
  cosignatureCount: number;
}

/**
 * Signs the checkpoint of the tree at `treeSize` with the log's key and stores it. Signing the
 * same size twice is a no-op when the root agrees; a different root is a fork, and refused.
 */
export async function signCheckpoint(
  db: Queryable,
  signer: NoteSigner,
  treeSize: number,
  rootHash: Uint8Array,
  now: Date,
): Promise<void> {
  const body = checkpointBody({ origin: signer.keyName, treeSize, rootHash });
  const note = signNote(body, [signer]);
  const { rows } = await db.query<{ root_hash: string }>(
    `WITH inserted AS (
       INSERT INTO ledger_checkpoints (tree_size, root_hash, body, log_signature, signed_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING RETURNING root_hash)
     SELECT root_hash FROM inserted
     UNION ALL SELECT root_hash FROM ledger_checkpoints WHERE tree_size = $1`,
    [treeSize, toHex(rootHash), body, signatureLineOf(note.signatures[0]!), now],
  );
  if (rows.some((row) => row.root_hash !== toHex(rootHash))) {
    throw new TreeCorrupt(`a checkpoint of size ${treeSize} with another root is already signed`);
  }
}

interface CheckpointRow {
  tree_size: string;
  root_hash: string;
  body: string;
  log_signature: string;
  signed_at: Date;
}

// Sort by the table's column, never the text alias of the same name ("9" > "305" as text).
const CHECKPOINT_COLUMNS = 'tree_size::text, root_hash, body, log_signature, signed_at';

async function withCosignatures(db: Queryable, row: CheckpointRow): Promise<StoredCheckpoint> {
  const { rows } = await db.query<{ key_name: string; key_id: string; signature: Buffer }>(
    `SELECT key_name, key_id::text, signature FROM ledger_cosignatures
      WHERE tree_size = $1 ORDER BY key_name, ledger_cosignatures.key_id LIMIT $2`,
    [row.tree_size, cosignaturesPerCheckpointMax],
  );
  const logSignature = parseNote(`${row.body}\n${row.log_signature}`).signatures[0]!;
  const cosignatures: NoteSignature[] = rows.map((each) => ({
    keyName: each.key_name,
    keyId: Number(each.key_id),
    signature: new Uint8Array(each.signature),
  }));
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash,
    body: row.body,
    note: formatNote({ text: row.body, signatures: [logSignature, ...cosignatures] }),
    signedAt: row.signed_at.toISOString(),
    cosignatureCount: cosignatures.length,
  };
}

export async function readLatestCheckpoint(db: Queryable): Promise<StoredCheckpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY ledger_checkpoints.tree_size DESC LIMIT 1`,
  );
  return rows[0] && withCosignatures(db, rows[0]);
}

export async function readCheckpoint(
  db: Queryable,
  treeSize: number,
): Promise<StoredCheckpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE tree_size = $1`,
    [treeSize],
  );
  return rows[0] && withCosignatures(db, rows[0]);
}

/** Checkpoints below `beforeSize`, newest first, at most `limit`. */
export async function readCheckpoints(
  db: Queryable,
  beforeSize: number,
  limit: number,
): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE tree_size < $1
      ORDER BY ledger_checkpoints.tree_size DESC LIMIT $2`,
    [String(beforeSize), limit],
  );
  const checkpoints: StoredCheckpoint[] = [];
  for (const row of rows) checkpoints.push(await withCosignatures(db, row));
  return checkpoints;
}

/**
 * Stores a witness's cosignature of the checkpoint at `treeSize` after verifying it against the
 * stored body with the witness's key (a vkey of type 0x04). Storing it again is a no-op.
 * The participant side's push job calls this with each witness's answer.
 */
export async function addCosignature(
  db: Queryable,
  treeSize: number,
  cosigner: VerifierKey,
  signature: NoteSignature,
  now: Date,
): Promise<{ timestamp: bigint }> {
  const { rows } = await db.query<{ body: string; count: string }>(
    `SELECT body, (SELECT count(*) FROM ledger_cosignatures WHERE tree_size = $1)::text AS count
       FROM ledger_checkpoints WHERE tree_size = $1`,
    [treeSize],
  );
  const checkpoint = rows[0];
  if (!checkpoint) throw new NotFound('checkpoint');
  const timestamp = verifyCosignature(checkpoint.body, cosigner, signature, ed25519VerifyNode);
  if (timestamp === undefined) {
    throw new InvalidInput('the cosignature does not verify', [
      {
        field: 'signature',
        message: `is not a cosignature/v1 of size ${treeSize} by ${cosigner.keyName}`,
      },
    ]);
  }
  if (Number(checkpoint.count) >= cosignaturesPerCheckpointMax) {
    throw new InvalidInput('too many cosignatures', [
      { field: 'signature', message: `a checkpoint keeps at most ${cosignaturesPerCheckpointMax}` },
    ]);
  }
  await db.query(
    `INSERT INTO ledger_cosignatures (tree_size, key_name, key_id, signed_at, signature, added_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [
      treeSize,
      signature.keyName,
      signature.keyId,
      timestamp.toString(),
      Buffer.from(signature.signature),
      now,
    ],
  );
  return { timestamp };
}

/** The tree size and root a stored checkpoint names, parsed back from its signed body. */
export function checkpointOf(stored: StoredCheckpoint) {
  return parseCheckpointBody(stored.body);
}

/**
 * Proofs and roots as the API and the witness push serve them: from the stored tiles through a
 * TileCache this process keeps (tile-cache.ts says why that is safe). Over a pool, never a
 * transaction's client: only committed tiles may be cached. Sealing and `verify` read storage
 * directly (subtreeReaderOf).
 */
export class StoredTreeProofs {
  private readonly read: SubtreeHashReader;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: TileCache = new TileCache(),
  ) {
    this.read = cachedSubtreeReader(tileReaderOf(pool), cache);
  }

  /**
   * Reads the tiles of the stored tree into the cache (warmTileCache), so proofs are served
   * from memory from the first request on; returns the tree size warmed and the tiles read.
   */
  async warm(): Promise<{ treeSize: number; tilesRead: number }> {
    const treeSize = await readTreeSize(this.pool);
    const tilesRead = await warmTileCache(tileReaderOf(this.pool), this.cache, treeSize);
    return { treeSize, tilesRead };
  }

  inclusionProof(index: number, treeSize: number): Promise<Uint8Array[]> {
    return proveInclusion(this.read, index, treeSize);
  }

  consistencyProof(fromSize: number, toSize: number): Promise<Uint8Array[]> {
    return proveConsistency(this.read, fromSize, toSize);
  }

  rootAt(treeSize: number): Promise<Uint8Array> {
    return treeRootOf(this.read, treeSize);
  }
}

/** The size of the stored tree: the head block's tree size (0 before the first block). */
export async function readTreeSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ tree_size: string | null }>(
    'SELECT tree_size::text FROM ledger_blocks ORDER BY height DESC LIMIT 1',
  );
  return Number(rows[0]?.tree_size ?? 0);
}

/** One leaf of the tree for a mirror: always its hash; the envelope and payload for parties. */
export interface LeafEntry {
  index: number;
  seq: string;
  id: string;
  leafHash: string;
  envelope?: EventEnvelope;
  payload?: JsonValue;
}

/**
 * Leaves start.. of the tree of `treeSize` leaves, at most `limit`. `mayRead(partyOrgIds)` says
 * whether the caller may see an event's envelope and payload; everyone sees ids and hashes.
 */
export async function readLeafEntries(
  db: Queryable,
  start: number,
  limit: number,
  treeSize: number,
  mayRead: (partyOrgIds: readonly string[]) => boolean,
): Promise<LeafEntry[]> {
  const end = Math.min(treeSize, start + limit);
  if (end <= start) return [];
  const envelopes = await readEnvelopes(db, BigInt(start + 1), BigInt(end));
  const { rows } = await db.query<{
    seq: string;
    party_org_ids: string[] | null;
    payload: JsonValue;
  }>(
    `SELECT seq::text, party_org_ids, payload FROM ledger_events WHERE seq BETWEEN $1 AND $2 ORDER BY ledger_events.seq`,
    [start + 1, end],
  );
  return envelopes.map((envelope, position) => {
    const row = rows[position]!;
    if (row.seq !== envelope.seq) throw new TreeCorrupt(`ledger seq gap at ${envelope.seq}`);
    const entry: LeafEntry = {
      index: start + position,
      seq: envelope.seq,
      id: envelope.id,
      leafHash: toHex(eventLeafHash(envelope)),
    };
    if (mayRead(row.party_org_ids ?? [])) {
      entry.envelope = envelope;
      entry.payload = row.payload;
    }
    return entry;
  });
}
