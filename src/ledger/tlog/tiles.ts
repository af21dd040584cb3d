// C2SP tlog-tiles: the stored form of the one tree. A tile at level L holds up to 256 consecutive
// hashes of complete subtrees of 256^L leaves (level 0: leaf hashes); a full tile is 8,192
// bytes, the last tile of each level is partial and only ever grows. Any complete subtree's hash
// is at most 127 hashings away from one tile, so proofs and roots of any size are computed from
// a handful of tiles, never from the leaves. Pure and browser-safe: a mirror reads tiles over
// HTTP with the same code the log uses over SQL.
import {
  foldSubtreeHashes,
  consistencyProofRanges,
  emptyTreeRoot,
  hashBytes,
  inclusionProofRanges,
  nodeHashOf,
  subtreesOfRange,
  type LeafRange,
  type SubtreeId,
} from './tree.js';

/** Tree levels per tile: a tile is a subtree of height 8 with its 256 bottom hashes stored. */
export const tileHeight = 8;
export const tileWidthMax = 2 ** tileHeight;
export const tileBytesMax = tileWidthMax * hashBytes;

/** Tile `index` of tile level `level`, holding its first `width` hashes (256 when full). */
export interface TileId {
  level: number;
  index: number;
  width: number;
}

export interface Tile extends TileId {
  /** width * 32 bytes: the hashes, in order. */
  hashes: Uint8Array;
}

/** Reads the complete-subtree hashes a proof needs, in the order asked. */
export type SubtreeHashReader = (subtrees: readonly SubtreeId[]) => Promise<Uint8Array[]>;

/** Reads tiles; each answer holds at least the width asked (a longer prefix of the tile is fine). */
export type TileReader = (tiles: readonly TileId[]) => Promise<Uint8Array[]>;

/** The tile path of C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], N in x-prefixed 3-digit groups. */
export function tilePath(tile: TileId): string {
  if (!isTileId(tile)) throw new RangeError(`not a tile: ${JSON.stringify(tile)}`);
  const partial = tile.width < tileWidthMax ? `.p/${tile.width}` : '';
  return `tile/${tile.level}/${tileIndexPath(tile.index)}${partial}`;
}

/** `1234067` → `x001/x234/067`. */
export function tileIndexPath(index: number): string {
  let text = String(index % 1000).padStart(3, '0');
  for (let rest = Math.floor(index / 1000); rest > 0; rest = Math.floor(rest / 1000)) {
    text = `x${String(rest % 1000).padStart(3, '0')}/${text}`;
  }
  return text;
}

/** The tile a path names (the part after tile/), or undefined when it is not a canonical path. */
export function parseTilePath(path: string): TileId | undefined {
  const match = /^(0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(
    path,
  );
  if (!match) return undefined;
  const groups = match[2]!.split('/').filter((group) => group.length > 0);
  // Leading x000 groups would give one tile two names; the spec's encoding has none.
  if (groups.length > 0 && groups[0] === 'x000') return undefined;
  let index = 0;
  for (const group of groups) index = index * 1000 + Number(group.slice(1));
  index = index * 1000 + Number(match[3]);
  const tile: TileId = {
    level: Number(match[1]),
    index,
    width: match[4] === undefined ? tileWidthMax : Number(match[4]),
  };
  return isTileId(tile) && tile.width <= tileWidthMax - (match[4] === undefined ? 0 : 1)
    ? tile
    : undefined;
}

/** How many hashes tile level `level` holds in a tree of `treeSize` leaves. */
export function tileLevelEntryCount(level: number, treeSize: number): number {
  return Math.floor(treeSize / tileWidthMax ** level);
}

/** The tile `index` at `level` as it is in a tree of `treeSize` leaves, or undefined if empty. */
export function tileAtSize(level: number, index: number, treeSize: number): TileId | undefined {
  const entries = tileLevelEntryCount(level, treeSize);
  const width = Math.min(tileWidthMax, entries - index * tileWidthMax);
  return width > 0 ? { level, index, width } : undefined;
}

/** Where a complete subtree's hash comes from: a run of 2^r hashes inside one tile. */
export function tileSpanOf(subtree: SubtreeId): { tile: TileId; offset: number; count: number } {
  const level = Math.floor(subtree.level / tileHeight);
  const count = 2 ** (subtree.level % tileHeight);
  const first = subtree.index * count;
  const offset = first % tileWidthMax;
  return {
    tile: { level, index: Math.floor(first / tileWidthMax), width: offset + count },
    offset,
    count,
  };
}

/**
 * SHA-256(0x01 || left || right). @noble/hashes by default, which runs anywhere; the log passes
 * node:crypto's, which hashes a node ~10x faster and sealing hashes a tree's worth per block.
 */
export type NodeHasher = (left: Uint8Array, right: Uint8Array) => Uint8Array;

/** A SubtreeHashReader over a TileReader: one tile read for all the subtrees of a proof. */
export function subtreeReaderOverTiles(
  readTiles: TileReader,
  hashNode: NodeHasher = nodeHashOf,
): SubtreeHashReader {
  return async (subtrees) => {
    const spans = subtrees.map(tileSpanOf);
    const wanted = new Map<string, TileId>();
    for (const { tile } of spans) {
      const key = `${tile.level}/${tile.index}`;
      const known = wanted.get(key);
      if (!known || known.width < tile.width) wanted.set(key, tile);
    }
    const tiles = [...wanted.values()];
    const contents = await readTiles(tiles);
    const byKey = new Map<string, Uint8Array>();
    tiles.forEach((tile, position) => {
      const hashes = contents[position];
      if (!hashes || hashes.length < tile.width * hashBytes || hashes.length % hashBytes !== 0) {
        throw new Error(`tile ${tilePath(tile)} is missing or shorter than ${tile.width} hashes`);
      }
      byKey.set(`${tile.level}/${tile.index}`, hashes);
    });
    return spans.map(({ tile, offset, count }) => {
      const hashes = byKey.get(`${tile.level}/${tile.index}`)!;
      return perfectTreeHash(hashes, offset, count, hashNode);
    });
  };
}

/** MTH of `count` (a power of two) consecutive hashes of a tile, starting at `offset`. */
function perfectTreeHash(
  hashes: Uint8Array,
  offset: number,
  count: number,
  hashNode: NodeHasher,
): Uint8Array {
  let level: Uint8Array[] = [];
  for (let position = 0; position < count; position++) {
    const start = (offset + position) * hashBytes;
    level.push(hashes.subarray(start, start + hashBytes));
  }
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let pair = 0; pair < level.length; pair += 2)
      next.push(hashNode(level[pair]!, level[pair + 1]!));
    level = next;
  }
  return level[0]!.slice();
}

/** The hashes of `ranges`, with one read of all their complete subtrees. */
async function rangeHashes(
  read: SubtreeHashReader,
  ranges: readonly LeafRange[],
): Promise<Uint8Array[]> {
  const parts = ranges.map(subtreesOfRange);
  const hashes = await read(parts.flat());
  let cursor = 0;
  return parts.map((subtrees) => {
    const slice = hashes.slice(cursor, cursor + subtrees.length);
    cursor += subtrees.length;
    return foldSubtreeHashes(slice);
  });
}

/** MTH(D[0:treeSize]) from stored hashes. */
export async function treeRootOf(read: SubtreeHashReader, treeSize: number): Promise<Uint8Array> {
  if (treeSize === 0) return emptyTreeRoot();
  const [root] = await rangeHashes(read, [{ start: 0, end: treeSize }]);
  return root!;
}

/** RFC 9162 inclusion proof of leaf `index` in the tree of `treeSize` leaves, lowest first. */
export function proveInclusion(
  read: SubtreeHashReader,
  index: number,
  treeSize: number,
): Promise<Uint8Array[]> {
  return rangeHashes(read, inclusionProofRanges(index, treeSize));
}

/** RFC 9162 consistency proof from the tree of `fromSize` leaves to that of `toSize`. */
export function proveConsistency(
  read: SubtreeHashReader,
  fromSize: number,
  toSize: number,
): Promise<Uint8Array[]> {
  return rangeHashes(read, consistencyProofRanges(fromSize, toSize));
}

/**
 * The tiles to read before appending to a tree of `treeSize` leaves: the partial (non-empty,
 * not full) last tile of each level, whose hashes the new leaves extend.
 */
export function partialTilesAt(treeSize: number): TileId[] {
  const tiles: TileId[] = [];
  for (let level = 0; tileLevelEntryCount(level, treeSize) > 0; level++) {
    const entries = tileLevelEntryCount(level, treeSize);
    const width = entries % tileWidthMax;
    if (width > 0) tiles.push({ level, index: Math.floor(entries / tileWidthMax), width });
  }
  return tiles;
}

/**
 * Appends leaf hashes to a tree of `treeSize` leaves whose partial tiles (partialTilesAt) are
 * given, and returns every tile that is new or grew, each with its whole contents. A tile that
 * fills up at level L adds its root (the hash of 256^(L+1) leaves) to level L + 1.
 */
export function appendToTiles(
  treeSize: number,
  partialTiles: readonly Tile[],
  leafHashes: readonly Uint8Array[],
  hashNode: NodeHasher = nodeHashOf,
): Tile[] {
  const expected = partialTilesAt(treeSize);
  const open: Uint8Array[][] = [];
  for (const tile of expected) {
    const given = partialTiles.find(
      (each) => each.level === tile.level && each.index === tile.index,
    );
    if (!given || given.hashes.length < tile.width * hashBytes) {
      throw new Error(
        `appendToTiles: tile ${tilePath(tile)} of the tree of size ${treeSize} is missing`,
      );
    }
    open[tile.level] = splitHashes(given.hashes.subarray(0, tile.width * hashBytes));
  }
  // Each touched tile's hash list, by reference: joined into bytes once, at the end.
  const changed = new Map<string, { level: number; index: number; entries: Uint8Array[] }>();
  const entryCounts: number[] = [];
  const push = (level: number, hash: Uint8Array): void => {
    const count = (entryCounts[level] ??= tileLevelEntryCount(level, treeSize));
    const entries = (open[level] ??= []);
    entries.push(hash);
    const index = Math.floor(count / tileWidthMax);
    entryCounts[level] = count + 1;
    changed.set(`${level}/${index}`, { level, index, entries });
    if (entries.length === tileWidthMax) {
      open[level] = [];
      push(level + 1, perfectTreeHash(joinHashes(entries), 0, tileWidthMax, hashNode));
    }
  };
  for (const leafHash of leafHashes) {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== hashBytes) {
      throw new TypeError('appendToTiles: a leaf hash is not 32 bytes');
    }
    push(0, leafHash);
  }
  return [...changed.values()].map(({ level, index, entries }) => ({
    level,
    index,
    width: entries.length,
    hashes: joinHashes(entries),
  }));
}

function splitHashes(bytes: Uint8Array): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += hashBytes)
    hashes.push(bytes.slice(start, start + hashBytes));
  return hashes;
}

function joinHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(hashes.length * hashBytes);
  hashes.forEach((hash, position) => bytes.set(hash, position * hashBytes));
  return bytes;
}

function isTileId(tile: TileId): boolean {
  return (
    Number.isSafeInteger(tile.level) &&
    tile.level >= 0 &&
    tile.level <= 63 &&
    Number.isSafeInteger(tile.index) &&
    tile.index >= 0 &&
    Number.isSafeInteger(tile.width) &&
    tile.width >= 1 &&
    tile.width <= tileWidthMax
  );
}
