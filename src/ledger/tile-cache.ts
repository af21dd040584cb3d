// Stored tree tiles kept in memory by a process that serves proofs, each with every
// complete-subtree hash inside it already computed, so a proof of a cached tile costs neither a
// PostgreSQL round trip nor any hashing.
//
// Why a per-process cache is safe: a stored hash never changes. The tiles table only grows (its
// trigger refuses any UPDATE that does not keep the old bytes as a prefix, and any DELETE), so a
// tile of width W read once is, byte for byte, the first W hashes of that tile forever: a full
// tile is immutable, and a partial one is immutable up to its width. An entry answers only
// requests no wider than what it holds; a wider request reads the tile again. The cache holds
// only what was read over the pool (committed rows), never a sealing transaction's own tiles,
// which could still roll back.
//
// Changing stored hashes means getting around the trigger as a database superuser: exactly the
// history rewrite witnesses exist to catch, and they do, since their old checkpoints and any new
// one signed over the rewritten tree admit no consistency proof. A process holding tiles read
// before such a rewrite keeps answering from what the log stored and signed then; the rewrite
// still shows: a coherent rewrite of any leaf changes a hash at every level up to the top one,
// whose last tile is partial and is read again, wider, after the next block, and that read is
// checked against the prefix held here (StoredTileChanged: the cache is emptied, the API answers
// 503 and logs an alarm with the tile for the operator, the next request reads afresh); proofs for
// sizes signed after the rewrite do not verify against those checkpoints; and `verify` reads
// storage without any cache. The cache is bounded (least recently used out first).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ServiceUnavailable } from '../infra/errors.js';
import { parentHashesOf } from './merkle.js';
import {
  tileAtSize,
  tileLevelEntryCount,
  tilePath,
  tileSpanOf,
  tileWidthMax,
  type SubtreeHashReader,
  type TileId,
  type TileReader,
} from './tlog/tiles.js';
import { hashBytes } from './tlog/tree.js';

/**
 * Tiles kept by a serving process: 4,096 full tiles with their inner hashes take 64 MiB and
 * cover a tree of 1,048,576 leaves whole (its upper levels are 17 more tiles).
 */
export const tileCacheTilesMax = 4_096;

/**
 * A stored hash differs from the one read before: the trigger that forbids it was bypassed and
 * the log's history rewritten. The API answers 503 with the message only and logs the alarm
 * (the tile's coordinates) for the operator; the cache is emptied, so the next request reads
 * storage afresh.
 */
export class StoredTileChanged extends ServiceUnavailable {
  constructor(
    readonly tile: { level: number; index: number },
    readonly hashesHeld: number,
  ) {
    super(
      "the transparency log's stored tree changed since this server read it; the operator has been alerted",
      'log_tree_changed',
      { tileLevel: tile.level, tileIndex: tile.index, hashesHeld },
    );
  }
}

/**
 * One tile's hashes with every complete subtree inside it: `levels[r]` holds, in order, the
 * hashes of the floor(width / 2^r) aligned runs of 2^r entries (levels[0] is the tile itself).
 */
export interface TileSubtrees {
  width: number;
  levels: Uint8Array[];
}

/** The complete-subtree hashes of a tile's `hashes` (width * 32 bytes): 2 * width - 1 at most. */
export function tileSubtreesOf(hashes: Uint8Array): TileSubtrees {
  const width = hashes.length / hashBytes;
  if (!Number.isInteger(width) || width < 1 || width > tileWidthMax) {
    throw new RangeError(`a tile holds 1 to ${tileWidthMax} hashes, not ${hashes.length} bytes`);
  }
  const levels = [hashes];
  for (let below = hashes; below.length >= 2 * hashBytes;) {
    below = parentHashesOf(below);
    levels.push(below);
  }
  return { width, levels };
}

/** The hash of the `count` (a power of two) entries from `offset` (a multiple of it). */
export function subtreeHashIn(tile: TileSubtrees, offset: number, count: number): Uint8Array {
  const level = Math.log2(count);
  if (!Number.isInteger(level) || offset % count !== 0 || offset + count > tile.width) {
    throw new RangeError(`no subtree of ${count} from ${offset} in a tile of ${tile.width}`);
  }
  const start = (offset / count) * hashBytes;
  // A copy: callers own their proof hashes, and the cached bytes must never change.
  return tile.levels[level]!.slice(start, start + hashBytes);
}

function keyOf(tile: { level: number; index: number }): string {
  return `${tile.level}/${tile.index}`;
}

/** Tiles as read, least recently used first out, at most `tilesMax`. */
export class TileCache {
  private readonly tiles = new Map<string, TileSubtrees>();

  constructor(readonly tilesMax: number = tileCacheTilesMax) {
    if (!Number.isSafeInteger(tilesMax) || tilesMax < 1) {
      throw new RangeError(`tilesMax must be a positive integer, not ${tilesMax}`);
    }
  }

  get size(): number {
    return this.tiles.size;
  }

  /** The tile when at least `tile.width` of its hashes are held; never a narrower one. */
  get(tile: TileId): TileSubtrees | undefined {
    const key = keyOf(tile);
    const held = this.tiles.get(key);
    if (!held || held.width < tile.width) return undefined;
    this.tiles.delete(key);
    this.tiles.set(key, held);
    return held;
  }

  /**
   * Keeps the tile as read from storage (`hashes`, any width) and returns what is now held. A
   * read narrower than the entry changes nothing; a wider one must start with the held hashes.
   */
  put(tile: { level: number; index: number }, hashes: Uint8Array): TileSubtrees {
    const key = keyOf(tile);
    const held = this.tiles.get(key);
    if (held && !startsWith(hashes, held.levels[0]!)) {
      this.tiles.clear();
      throw new StoredTileChanged({ level: tile.level, index: tile.index }, held.width);
    }
    if (held && held.width >= hashes.length / hashBytes) return held;
    // A copy: the driver's buffer may be a view into a larger one that would stay alive with it.
    const subtrees = tileSubtreesOf(new Uint8Array(hashes));
    this.tiles.delete(key);
    this.tiles.set(key, subtrees);
    while (this.tiles.size > this.tilesMax) {
      this.tiles.delete(this.tiles.keys().next().value!);
    }
    return subtrees;
  }

  clear(): void {
    this.tiles.clear();
  }
}

/** Whether `bytes` starts with `prefix` or is a prefix of it (the shorter one decides). */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  const length = Math.min(bytes.length, prefix.length);
  return Buffer.compare(bytes.subarray(0, length), prefix.subarray(0, length)) === 0;
}

/**
 * A SubtreeHashReader answering from `cache`, with one read of every tile it lacks (or holds too
 * narrow); those tiles join the cache at the width storage has.
 */
export function cachedSubtreeReader(readTiles: TileReader, cache: TileCache): SubtreeHashReader {
  return async (subtrees) => {
    const spans = subtrees.map(tileSpanOf);
    // The widest span of each tile decides whether the entry held is wide enough.
    const widest = new Map<string, TileId>();
    for (const { tile } of spans) {
      const known = widest.get(keyOf(tile));
      if (!known || known.width < tile.width) widest.set(keyOf(tile), tile);
    }
    const found = new Map<string, TileSubtrees>();
    const missing: TileId[] = [];
    for (const [key, tile] of widest) {
      const held = cache.get(tile);
      if (held) found.set(key, held);
      else missing.push(tile);
    }
    const contents = missing.length > 0 ? await readTiles(missing) : [];
    missing.forEach((tile, position) => {
      found.set(keyOf(tile), putRead(cache, tile, contents[position]));
    });
    return spans.map(({ tile, offset, count }) =>
      subtreeHashIn(found.get(keyOf(tile))!, offset, count),
    );
  };
}

/** Keeps a tile as storage answered it, once it holds at least the width asked. */
function putRead(cache: TileCache, tile: TileId, hashes: Uint8Array | undefined): TileSubtrees {
  if (!hashes || hashes.length < tile.width * hashBytes || hashes.length % hashBytes !== 0) {
    throw new Error(`tile ${tilePath(tile)} is missing or shorter than ${tile.width} hashes`);
  }
  return cache.put(tile, hashes);
}

/**
 * The tiles of a tree of `treeSize` leaves in the order a warm-up reads them, at most `tilesMax`:
 * every tile above level 0 first (few, and on the path of every proof), then level 0 from the
 * newest tile back, since recent events are the ones participants ask about.
 */
export function tilesToWarm(treeSize: number, tilesMax: number): TileId[] {
  const tiles: TileId[] = [];
  const levelTiles = (level: number) =>
    Math.ceil(tileLevelEntryCount(level, treeSize) / tileWidthMax);
  let top = 0;
  while (levelTiles(top + 1) > 0) top++;
  for (let level = top; level >= 0 && tiles.length < tilesMax; level--) {
    for (let index = levelTiles(level) - 1; index >= 0 && tiles.length < tilesMax; index--) {
      tiles.push(tileAtSize(level, index, treeSize)!);
    }
  }
  return tiles;
}

/**
 * Reads the tiles of the tree of `treeSize` leaves into `cache` (tilesToWarm's order, as many as
 * it holds), `tilesPerRead` a query, yielding to the event loop between reads so requests served
 * meanwhile are not held up. A serving process runs it once at start: without it the first
 * proof in each level-0 tile pays a PostgreSQL round trip and its tile's 255 inner hashes
 * (p99 3-5 ms against ~0.1 ms cached, docs/performance.md). Tiles already held wide enough are
 * not read again. Returns how many tiles were read.
 */
export async function warmTileCache(
  readTiles: TileReader,
  cache: TileCache,
  treeSize: number,
  tilesPerRead = 256,
): Promise<number> {
  const missing = tilesToWarm(treeSize, cache.tilesMax).filter((tile) => !cache.get(tile));
  for (let start = 0; start < missing.length; start += tilesPerRead) {
    const chunk = missing.slice(start, start + tilesPerRead);
    const contents = await readTiles(chunk);
    chunk.forEach((tile, position) => putRead(cache, tile, contents[position]));
    await yieldToEventLoop();
  }
  return missing.length;
}
