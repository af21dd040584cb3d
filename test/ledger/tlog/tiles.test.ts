// C2SP tlog-tiles: paths, which tiles a tree has (the spec's 70,000-leaf example), and proofs
// from tiles across tile levels, checked against the block Merkle code over the raw leaves.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/ledger/hash.js';
import { auditPath, merkleRoot, nodeHash } from '../../../src/ledger/merkle.js';
import {
  appendToTiles,
  parseTilePath,
  partialTilesAt,
  proveConsistency,
  proveInclusion,
  subtreeReaderOverTiles,
  tilePath,
  treeRootOf,
  type Tile,
} from '../../../src/ledger/tlog/tiles.js';
import { verifyConsistency, verifyInclusion } from '../../../src/ledger/tlog/tree.js';

describe('tile paths', () => {
  it('encodes as the spec: x-prefixed 3-digit groups, .p/<W> for partial tiles', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 0, width: 1 })).toBe('tile/2/000.p/1');
    expect(tilePath({ level: 1, index: 1000, width: 17 })).toBe('tile/1/x001/000.p/17');
  });

  it('parses only canonical paths', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('1/000.p/17')).toEqual({ level: 1, index: 0, width: 17 });
    for (const bad of [
      '0/1',
      '00/000',
      '0/x000/001',
      '0/000.p/256',
      '0/000.p/0',
      '0/000.p/07',
      '64/000',
      '0/001/',
    ]) {
      expect(parseTilePath(bad), bad).toBeUndefined();
    }
  });
});

const leafOf = (index: number) =>
  new Uint8Array(createHash('sha256').update(`leaf ${index}`).digest());

describe('a tree of 70,000 leaves, appended in blocks', () => {
  const size = 70_000;
  const leaves = Array.from({ length: size }, (_, index) => leafOf(index));
  const tiles = new Map<string, Tile>();
  let grown = 0;
  for (const blockSize of [1, 255, 1, 300, 65_000, 4_443]) {
    const partial = partialTilesAt(grown).map((tile) => tiles.get(`${tile.level}/${tile.index}`)!);
    for (const tile of appendToTiles(grown, partial, leaves.slice(grown, grown + blockSize))) {
      tiles.set(`${tile.level}/${tile.index}`, tile);
    }
    grown += blockSize;
  }
  const reader = subtreeReaderOverTiles((wanted) =>
    Promise.resolve(wanted.map((tile) => tiles.get(`${tile.level}/${tile.index}`)!.hashes)),
  );

  it('has exactly the tiles the spec lists for this size', () => {
    expect(grown).toBe(size);
    const widths = (level: number) =>
      [...tiles.values()].filter((tile) => tile.level === level).map((tile) => tile.width);
    expect(widths(0)).toHaveLength(274);
    expect(widths(0).filter((width) => width === 256)).toHaveLength(273);
    expect(widths(0)).toContain(112);
    expect(widths(1).sort((a, b) => a - b)).toEqual([17, 256]);
    expect(widths(2)).toEqual([1]);
    expect(partialTilesAt(size).map(tilePath)).toEqual([
      'tile/0/273.p/112',
      'tile/1/001.p/17',
      'tile/2/000.p/1',
    ]);
  });

  it('holds the same tiles, and gives the same roots, hashed with node:crypto as the log hashes them', async () => {
    const nodeTiles = new Map<string, Tile>();
    let nodeGrown = 0;
    for (const blockSize of [300, 65_536, 4_164]) {
      const partial = partialTilesAt(nodeGrown).map((tile) =>
        nodeTiles.get(`${tile.level}/${tile.index}`)!,
      );
      const slice = leaves.slice(nodeGrown, nodeGrown + blockSize);
      for (const tile of appendToTiles(nodeGrown, partial, slice, nodeHash)) {
        nodeTiles.set(`${tile.level}/${tile.index}`, tile);
      }
      nodeGrown += blockSize;
    }
    expect(nodeGrown).toBe(size);
    expect([...nodeTiles.keys()].sort()).toEqual([...tiles.keys()].sort());
    for (const [key, tile] of nodeTiles)
      expect(toHex(tile.hashes), key).toBe(toHex(tiles.get(key)!.hashes));
    const nodeReader = subtreeReaderOverTiles(
      (wanted) =>
        Promise.resolve(wanted.map((tile) => nodeTiles.get(`${tile.level}/${tile.index}`)!.hashes)),
      nodeHash,
    );
    for (const at of [257, 65_537, 70_000]) {
      expect(toHex(await treeRootOf(nodeReader, at))).toBe(toHex(merkleRoot(leaves.slice(0, at))));
    }
  });

  it('gives the root of every size sampled, equal to the Merkle root of the raw leaves', async () => {
    for (const at of [1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999, 70_000]) {
      expect(toHex(await treeRootOf(reader, at)), `size ${at}`).toBe(
        toHex(merkleRoot(leaves.slice(0, at))),
      );
    }
  });

  it('proves inclusion and consistency across tile levels', async () => {
    const root = merkleRoot(leaves);
    for (const index of [0, 255, 256, 65_535, 65_536, 69_999]) {
      const proof = await proveInclusion(reader, index, size);
      expect(proof.map(toHex)).toEqual(auditPath(leaves, index).map(toHex));
      expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
    }
    for (const from of [1, 256, 300, 65_536, 65_537]) {
      const proof = await proveConsistency(reader, from, size);
      expect(verifyConsistency(from, size, proof, merkleRoot(leaves.slice(0, from)), root)).toBe(
        true,
      );
    }
  });

  it('refuses to append without the partial tiles it extends', () => {
    expect(() => appendToTiles(size, [], [leaves[0]!])).toThrow(/tile\/0\/273\.p\/112.*missing/);
  });
});
