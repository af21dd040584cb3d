// The proof servers' tile cache: the subtree hashes it precomputes, that it never answers a
// request wider than what it holds, that a stored prefix changing under it is refused, its bound,
// and that proofs through it equal proofs read straight from the tiles, with fewer reads.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/ledger/hash.js';
import { auditPath, merkleRoot } from '../../src/ledger/merkle.js';
import {
  cachedSubtreeReader,
  StoredTileChanged,
  subtreeHashIn,
  TileCache,
  tilesToWarm,
  tileSubtreesOf,
  warmTileCache,
} from '../../src/ledger/tile-cache.js';
import {
  appendToTiles,
  partialTilesAt,
  proveConsistency,
  proveInclusion,
  subtreeReaderOverTiles,
  treeRootOf,
  type Tile,
  type TileId,
} from '../../src/ledger/tlog/tiles.js';

/** Entry i of a test tile: 32 bytes of the value i + 1. */
const entry = (index: number) => new Uint8Array(32).fill(index + 1);
const tileOf = (width: number) => {
  const bytes = new Uint8Array(width * 32);
  for (let index = 0; index < width; index++) bytes.set(entry(index), index * 32);
  return bytes;
};
/** SHA-256(0x01 || left || right), spelled out here rather than taken from the code under test. */
const node = (left: Uint8Array, right: Uint8Array) =>
  new Uint8Array(
    createHash('sha256')
      .update(Buffer.from([1]))
      .update(left)
      .update(right)
      .digest(),
  );

describe('tileSubtreesOf', () => {
  it('holds every aligned power-of-two run of a partial tile, and nothing past its width', () => {
    const tile = tileSubtreesOf(tileOf(5));
    expect(tile.width).toBe(5);
    expect(tile.levels.map((level) => level.length / 32)).toEqual([5, 2, 1]);
    const left = node(entry(0), entry(1));
    const right = node(entry(2), entry(3));
    expect(toHex(subtreeHashIn(tile, 0, 2))).toBe(toHex(left));
    expect(toHex(subtreeHashIn(tile, 2, 2))).toBe(toHex(right));
    expect(toHex(subtreeHashIn(tile, 0, 4))).toBe(toHex(node(left, right)));
    expect(toHex(subtreeHashIn(tile, 0, 4))).toBe(
      'c3e6c58c4802de670cf839d693e04ffc7c0e91c32ea81586e0dcb9433a9a2c30',
    );
    expect(toHex(subtreeHashIn(tile, 4, 1))).toBe(toHex(entry(4)));
    expect(() => subtreeHashIn(tile, 4, 2)).toThrow(RangeError);
    expect(() => subtreeHashIn(tile, 2, 4)).toThrow(RangeError);
  });

  it('gives a full tile 256 + 128 + ... + 1 hashes, its top one the Merkle root of its entries', () => {
    const bytes = tileOf(256);
    const tile = tileSubtreesOf(bytes);
    expect(tile.levels.map((level) => level.length / 32)).toEqual([
      256, 128, 64, 32, 16, 8, 4, 2, 1,
    ]);
    const entries = Array.from({ length: 256 }, (_, index) => entry(index));
    expect(toHex(subtreeHashIn(tile, 0, 256))).toBe(toHex(merkleRoot(entries)));
    expect(toHex(subtreeHashIn(tile, 128, 64))).toBe(toHex(merkleRoot(entries.slice(128, 192))));
  });

  it('refuses what is not 1 to 256 whole hashes', () => {
    expect(() => tileSubtreesOf(new Uint8Array(0))).toThrow(RangeError);
    expect(() => tileSubtreesOf(new Uint8Array(33))).toThrow(RangeError);
    expect(() => tileSubtreesOf(new Uint8Array(257 * 32))).toThrow(RangeError);
  });
});

describe('TileCache', () => {
  const at = (width: number): TileId => ({ level: 0, index: 7, width });

  it('never answers a request wider than the width it holds', () => {
    const cache = new TileCache(4);
    cache.put(at(64), tileOf(64));
    expect(cache.get(at(1))?.width).toBe(64);
    expect(cache.get(at(64))?.width).toBe(64);
    expect(cache.get(at(65))).toBeUndefined();
    expect(cache.get(at(256))).toBeUndefined();
    expect(cache.get({ level: 1, index: 7, width: 1 })).toBeUndefined();
    expect(cache.get({ level: 0, index: 6, width: 1 })).toBeUndefined();
  });

  it('keeps the wider of two reads of a tile, and refuses a read whose prefix changed', () => {
    const cache = new TileCache(4);
    cache.put(at(64), tileOf(64));
    expect(cache.put(at(200), tileOf(200)).width).toBe(200);
    expect(cache.put(at(10), tileOf(10)).width).toBe(200);
    expect(cache.get(at(200))?.width).toBe(200);

    const rewritten = tileOf(256);
    rewritten[5 * 32] = 0xff; // entry 5 is 32 bytes of 6, inside the 200 hashes read before
    expect(() => cache.put(at(256), rewritten)).toThrow(StoredTileChanged);
    expect(cache.size).toBe(0);
  });

  it('names the changed tile for the operator, and tells a client only that the tree changed', () => {
    const cache = new TileCache(4);
    cache.put(at(200), tileOf(200));
    const rewritten = tileOf(256);
    const lastByteHeld = 200 * 32 - 1;
    rewritten[lastByteHeld] = rewritten[lastByteHeld]! ^ 1;
    const thrown = (() => {
      try {
        cache.put(at(256), rewritten);
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(StoredTileChanged);
    expect(thrown).toMatchObject({
      status: 503,
      code: 'log_tree_changed',
      message:
        "the transparency log's stored tree changed since this server read it; the operator has been alerted",
      alarm: { tileLevel: 0, tileIndex: 7, hashesHeld: 200 },
    });
    // Emptied: the same bytes are now simply read afresh.
    expect(cache.put(at(256), rewritten).width).toBe(256);
  });

  it('holds at most tilesMax tiles, dropping the least recently used', () => {
    const cache = new TileCache(2);
    const tile = (index: number): TileId => ({ level: 0, index, width: 1 });
    cache.put(tile(1), tileOf(1));
    cache.put(tile(2), tileOf(1));
    expect(cache.get(tile(1))).toBeDefined();
    cache.put(tile(3), tileOf(1));
    expect(cache.size).toBe(2);
    expect(cache.get(tile(2))).toBeUndefined();
    expect(cache.get(tile(1))).toBeDefined();
    expect(cache.get(tile(3))).toBeDefined();
    expect(() => new TileCache(0)).toThrow(RangeError);
  });
});

describe('cachedSubtreeReader over a growing tree', () => {
  const leafOf = (index: number) =>
    new Uint8Array(createHash('sha256').update(`leaf ${index}`).digest());
  const leaves = Array.from({ length: 70_000 }, (_, index) => leafOf(index));
  const stored = new Map<string, Tile>();
  const grow = (from: number, to: number) => {
    const partial = partialTilesAt(from).map((tile) => stored.get(`${tile.level}/${tile.index}`)!);
    for (const tile of appendToTiles(from, partial, leaves.slice(from, to))) {
      stored.set(`${tile.level}/${tile.index}`, tile);
    }
  };
  /** Every read, as the tiles and widths asked. */
  const reads: TileId[][] = [];
  const readTiles = (wanted: readonly TileId[]) => {
    reads.push([...wanted]);
    return Promise.resolve(
      wanted.map((tile) => stored.get(`${tile.level}/${tile.index}`)?.hashes ?? new Uint8Array()),
    );
  };
  const direct = subtreeReaderOverTiles(readTiles);
  const cache = new TileCache();
  const cached = cachedSubtreeReader(readTiles, cache);

  it('gives the same proofs and roots as the tiles read directly, reading each tile once', async () => {
    grow(0, 65_600);
    for (const index of [0, 255, 256, 65_535, 65_536, 65_599]) {
      const proof = await proveInclusion(cached, index, 65_600);
      expect(proof.map(toHex)).toEqual(auditPath(leaves.slice(0, 65_600), index).map(toHex));
      expect(proof.map(toHex)).toEqual((await proveInclusion(direct, index, 65_600)).map(toHex));
    }
    for (const from of [1, 256, 300, 65_536, 65_537]) {
      expect((await proveConsistency(cached, from, 65_600)).map(toHex)).toEqual(
        (await proveConsistency(direct, from, 65_600)).map(toHex),
      );
    }
    expect(toHex(await treeRootOf(cached, 65_600))).toBe(
      toHex(merkleRoot(leaves.slice(0, 65_600))),
    );
    reads.length = 0;
    await proveInclusion(cached, 65_535, 65_600);
    await treeRootOf(cached, 65_600);
    expect(reads).toEqual([]);
  });

  it('reads again only the partial tiles a bigger tree needs wider, and proves the bigger tree', async () => {
    grow(65_600, 70_000);
    reads.length = 0;
    const proof = await proveInclusion(cached, 100, 70_000);
    expect(proof.map(toHex)).toEqual(auditPath(leaves, 100).map(toHex));
    // Tiles 0/0, 1/0 and 2/0 (width 1) are held; 1/1 and 0/273 are new in the bigger tree.
    expect(reads).toEqual([
      [
        { level: 1, index: 1, width: 17 },
        { level: 0, index: 273, width: 112 },
      ],
    ]);
    // Tile 0/256 was held at its width in the smaller tree, 64: now the whole tile is read.
    reads.length = 0;
    const edge = await proveInclusion(cached, 65_599, 70_000);
    expect(edge.map(toHex)).toEqual(auditPath(leaves, 65_599).map(toHex));
    expect(reads).toEqual([[{ level: 0, index: 256, width: 256 }]]);
    expect(toHex(await treeRootOf(cached, 70_000))).toBe(toHex(merkleRoot(leaves)));
  });
});

describe('warming the cache', () => {
  it('lists the tiles above level 0 first, then level 0 from the newest back, up to the bound', () => {
    // 256 * 256 + 3 * 256 + 5 = 66,309 leaves: level 0 has 259 tiles (the last 5 wide), level 1
    // has 259 entries (tile 1/0 full, 1/1 of 3), level 2 one entry.
    const all = tilesToWarm(66_309, 1_000);
    expect(all.slice(0, 6)).toEqual([
      { level: 2, index: 0, width: 1 },
      { level: 1, index: 1, width: 3 },
      { level: 1, index: 0, width: 256 },
      { level: 0, index: 259, width: 5 },
      { level: 0, index: 258, width: 256 },
      { level: 0, index: 257, width: 256 },
    ]);
    expect(all).toHaveLength(3 + 260);
    expect(all.at(-1)).toEqual({ level: 0, index: 0, width: 256 });
    expect(tilesToWarm(66_309, 4).map(({ level, index }) => `${level}/${index}`)).toEqual([
      '2/0',
      '1/1',
      '1/0',
      '0/259',
    ]);
    expect(tilesToWarm(255, 10)).toEqual([{ level: 0, index: 0, width: 255 }]);
    expect(tilesToWarm(0, 10)).toEqual([]);
  });

  it('reads every tile once, in reads of the size asked, after which proofs read nothing', async () => {
    const leaves = Array.from(
      { length: 2_000 },
      (_, index) => new Uint8Array(createHash('sha256').update(`leaf ${index}`).digest()),
    );
    const stored = new Map<string, Tile>();
    for (const tile of appendToTiles(0, [], leaves))
      stored.set(`${tile.level}/${tile.index}`, tile);
    const reads: TileId[][] = [];
    const readTiles = (wanted: readonly TileId[]) => {
      reads.push([...wanted]);
      return Promise.resolve(
        wanted.map((tile) => stored.get(`${tile.level}/${tile.index}`)!.hashes),
      );
    };
    const cache = new TileCache();
    // 2,000 leaves: tiles 0/0..0/7 (0/7 is 208 wide) and 1/0 (7 wide).
    expect(await warmTileCache(readTiles, cache, 2_000, 4)).toBe(9);
    expect(reads.map((read) => read.length)).toEqual([4, 4, 1]);
    expect(cache.size).toBe(9);
    reads.length = 0;
    const reader = cachedSubtreeReader(readTiles, cache);
    for (const index of [0, 999, 1_999]) {
      const proof = await proveInclusion(reader, index, 2_000);
      expect(proof.map(toHex)).toEqual(auditPath(leaves, index).map(toHex));
    }
    expect(reads).toEqual([]);
    expect(await warmTileCache(readTiles, cache, 2_000, 4)).toBe(0);
    expect(reads).toEqual([]);
  });
});
