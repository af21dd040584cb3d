// Sealing: the next unsealed events, in seq order, become one block linked to the chain
// head. One sealer at a time holds the advisory lock; the block table's unique height and
// link trigger would reject a second one anyway, so a duplicate job cannot fork the chain.
// In the same transaction the block's events join the one transparency tree (its tiles grow)
// and, given the log's key, the log signs a checkpoint of the tree after the block.
import type pg from 'pg';
import { inTransaction, type Queryable } from '../infra/db.js';
import {
  blockHashOf,
  blockHeaderOf,
  eventLeafHash,
  GENESIS_PREV_HASH,
  type BlockHeader,
} from './formats.js';
import { fromHex, sha256Bytes, toHex } from './hash.js';
import { merkleRoot } from './merkle.js';
import { LeavesBySeq, readEnvelopes, readHead, streamEventBytes } from './read.js';
import type { NoteSigner } from './tlog/note.js';
import { extendTree, readLatestCheckpoint, signCheckpoint } from './transparency-log.js';

/** pg advisory lock key held by the one sealer extending the chain ("seal" in ASCII). */
export const SEAL_LOCK_ID = 0x7365616c;

export type SealOutcome =
  | { status: 'sealed'; height: number; eventCount: number; lastSeq: bigint }
  | { status: 'idle' }
  | { status: 'busy' };

export class ChainCorrupt extends Error {}

/**
 * Seals the next block. `signer` is the log's checkpoint key; without it (some tests) the tree
 * still grows but no checkpoint is signed.
 */
export async function sealNextBlock(
  pool: pg.Pool,
  blockEventsMax: number,
  now: () => Date = () => new Date(),
  signer?: NoteSigner,
): Promise<SealOutcome> {
  return inTransaction(pool, async (client) => {
    const lock = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [SEAL_LOCK_ID],
    );
    if (!lock.rows[0]!.locked) return { status: 'busy' };
    await buildTreeOfOldBlocks(client);
    const head = await readHead(client);
    const firstSeq = (head?.lastSeq ?? 0n) + 1n;
    const leaves = await readLeaves(client, firstSeq, blockEventsMax);
    if (leaves.length === 0) {
      if (signer && head) await signHeadIfUnsigned(client, signer, now());
      return { status: 'idle' };
    }
    const header = blockHeaderOf({
      height: (head?.height ?? 0) + 1,
      prevHash: head?.hash ?? GENESIS_PREV_HASH,
      merkleRoot: toHex(merkleRoot(leaves)),
      firstSeq,
      lastSeq: firstSeq + BigInt(leaves.length) - 1n,
      eventCount: leaves.length,
      sealedAt: now(),
    });
    const treeSize = Number(header.lastSeq);
    const treeRoot = await extendTree(client, Number(firstSeq - 1n), leaves);
    await insertBlock(client, header, treeRoot);
    if (signer) await signCheckpoint(client, signer, treeSize, treeRoot, new Date(header.sealedAt));
    return {
      status: 'sealed',
      height: header.height,
      eventCount: header.eventCount,
      lastSeq: BigInt(header.lastSeq),
    };
  });
}

/**
 * The leaves of the events from firstSeq on, at most `max`, in seq order: read as verification
 * reads them (one binary COPY, each leaf written from the stored bytes at its seq's place). The
 * events committed so far are a run without gaps (appends hold the sequence row until commit);
 * a gap with an event after it is a corrupt ledger.
 */
async function readLeaves(client: Queryable, firstSeq: bigint, max: number): Promise<Uint8Array[]> {
  const lastSeq = firstSeq + BigInt(max) - 1n;
  // Nothing reserved: an idle sealer polls often and finds no event.
  const placed = new LeavesBySeq(firstSeq, lastSeq, 0);
  await streamEventBytes(client, firstSeq, lastSeq, (event) => {
    const index = placed.place(event);
    event.leafInto(placed.leaves, index * sha256Bytes);
  });
  const missing = placed.arrived.indexOf(0);
  if (missing !== -1 && missing < placed.count) {
    throw new ChainCorrupt(`ledger seq gap: event ${firstSeq + BigInt(missing)} is missing`);
  }
  return Array.from({ length: placed.count }, (_, index) => placed.leafAt(index));
}

/** Stores a block with its hash and the tree after it (its size is the block's last seq). */
export async function insertBlock(
  client: Queryable,
  header: BlockHeader,
  treeRoot: Uint8Array,
): Promise<void> {
  await client.query(
    `INSERT INTO ledger_blocks (height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash, tree_size, tree_root)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5, $9)`,
    [
      header.height,
      header.prevHash,
      header.merkleRoot,
      header.firstSeq,
      header.lastSeq,
      header.eventCount,
      new Date(header.sealedAt),
      blockHashOf(header),
      toHex(treeRoot),
    ],
  );
}

/** Seals until no event is pending (bounded by blocksMax), for a worker job or a CLI. */
export async function sealPending(
  pool: pg.Pool,
  blockEventsMax: number,
  blocksMax = 1_000,
  signer?: NoteSigner,
): Promise<{ blocks: number; events: number; busy: boolean }> {
  let blocks = 0;
  let events = 0;
  for (let round = 0; round < blocksMax; round++) {
    const outcome = await sealNextBlock(pool, blockEventsMax, undefined, signer);
    if (outcome.status === 'busy') return { blocks, events, busy: true };
    if (outcome.status === 'idle') break;
    blocks += 1;
    events += outcome.eventCount;
  }
  return { blocks, events, busy: false };
}

/** Old blocks taken into the tree per query page, while building it for a migrated chain. */
const oldBlocksPageSize = 100;

/**
 * Builds the tree for blocks sealed before it existed (tree_size NULL), oldest first, checking
 * each block's Merkle root against its recomputed leaves on the way. A no-op once built. The
 * caller holds the sealing lock. Returns how many blocks it took in.
 */
export async function buildTreeOfOldBlocks(client: Queryable): Promise<number> {
  // Blocks get their tree in height order and every new block carries one (a trigger says so),
  // so a head with a tree means every block has one: one indexed row instead of a scan.
  const head = await client.query<{ built: boolean }>(
    'SELECT tree_size IS NOT NULL AS built FROM ledger_blocks ORDER BY height DESC LIMIT 1',
  );
  if (head.rows[0]?.built !== false) return 0;
  let built = 0;
  for (;;) {
    const { rows } = await client.query<{
      height: number;
      first_seq: string;
      last_seq: string;
      merkle_root: string;
      previous_tree_size: string | null;
    }>(
      `SELECT b.height, b.first_seq::text, b.last_seq::text, b.merkle_root,
              (SELECT p.tree_size::text FROM ledger_blocks p WHERE p.height = b.height - 1) AS previous_tree_size
         FROM ledger_blocks b WHERE b.tree_size IS NULL ORDER BY b.height LIMIT $1`,
      [oldBlocksPageSize],
    );
    if (rows.length === 0) return built;
    for (const block of rows) {
      const firstSeq = BigInt(block.first_seq);
      if (block.height > 1 && built === 0 && block.previous_tree_size !== String(firstSeq - 1n)) {
        throw new ChainCorrupt(
          `block ${block.height} has no tree but the block before it does not end the tree`,
        );
      }
      const envelopes = await readEnvelopes(client, firstSeq, BigInt(block.last_seq));
      const leaves = envelopes.map(eventLeafHash);
      if (toHex(merkleRoot(leaves)) !== block.merkle_root) {
        throw new ChainCorrupt(`block ${block.height}: its events no longer give its Merkle root`);
      }
      const treeRoot = await extendTree(client, Number(firstSeq - 1n), leaves);
      await client.query(
        'UPDATE ledger_blocks SET tree_size = last_seq, tree_root = $2 WHERE height = $1',
        [block.height, toHex(treeRoot)],
      );
      built += 1;
    }
  }
}

/** Signs the head block's tree when no checkpoint covers it yet (a migrated chain, a new key). */
async function signHeadIfUnsigned(client: Queryable, signer: NoteSigner, now: Date): Promise<void> {
  const { rows } = await client.query<{ tree_size: string; tree_root: string }>(
    'SELECT tree_size::text, tree_root FROM ledger_blocks ORDER BY height DESC LIMIT 1',
  );
  const head = rows[0];
  if (!head) return;
  const latest = await readLatestCheckpoint(client);
  if (latest && latest.treeSize >= Number(head.tree_size)) return;
  await signCheckpoint(client, signer, Number(head.tree_size), fromHex(head.tree_root), now);
}

/** For `migrate`: builds the tree of a chain sealed before it existed, waiting for the lock. */
export async function buildTransparencyTree(pool: pg.Pool): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SEAL_LOCK_ID]);
    return buildTreeOfOldBlocks(client);
  });
}
