// RFC 9162 proofs from stored tiles: the transparency-dev (CT) reference vectors, and every pair
// of sizes 1..64 against a literal transcription of the RFC's recursive definitions.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/ledger/hash.js';
import { merkleRoot } from '../../../src/ledger/merkle.js';
import {
  appendToTiles,
  partialTilesAt,
  proveConsistency,
  proveInclusion,
  subtreeReaderOverTiles,
  treeRootOf,
  type Tile,
} from '../../../src/ledger/tlog/tiles.js';
import {
  CompactRange,
  consistencyProofRanges,
  emptyTreeRoot,
  inclusionProofRanges,
  leafHashOf,
  nodeHashOf,
  rootFromInclusionProof,
  subtreesOfRange,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/ledger/tlog/tree.js';

// ---- transparency-dev/merkle testonly/constants.go and cmd/proofgen/main.go (Apache-2.0) ----
const leafInputs = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);
const roots = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Leaves are 1-based in the reference ({1, 8}); 0-based indices here.
const inclusionVectors = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    index: 2,
    size: 3,
    proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const consistencyVectors = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// ---- A literal transcription of RFC 9162 section 2.1, with node:crypto (not @noble/hashes) ----
const sha = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const refLeaf = (entry: Uint8Array) => sha(Uint8Array.of(0, ...entry));
const refNode = (left: Uint8Array, right: Uint8Array) => sha(Uint8Array.of(1, ...left, ...right));
const refSplit = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function refMth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  const k = refSplit(leaves.length);
  return refNode(refMth(leaves.slice(0, k)), refMth(leaves.slice(k)));
}
function refPath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = refSplit(leaves.length);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), refMth(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), refMth(leaves.slice(0, k))];
}
function refSubproof(m: number, leaves: Uint8Array[], whole: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return whole ? [] : [refMth(leaves)];
  const k = refSplit(n);
  return m <= k
    ? [...refSubproof(m, leaves.slice(0, k), whole), refMth(leaves.slice(k))]
    : [...refSubproof(m - k, leaves.slice(k), false), refMth(leaves.slice(0, k))];
}

/** An in-memory tile store grown by appendToTiles, as the log grows its table. */
function tileStore() {
  const tiles = new Map<string, Tile>();
  let size = 0;
  return {
    get size() {
      return size;
    },
    append(leafHashes: Uint8Array[]) {
      const partial = partialTilesAt(size).map((tile) => tiles.get(`${tile.level}/${tile.index}`)!);
      for (const tile of appendToTiles(size, partial, leafHashes)) {
        const known = tiles.get(`${tile.level}/${tile.index}`);
        // Tiles only grow: the stored prefix never changes.
        if (known)
          expect(toHex(tile.hashes.subarray(0, known.hashes.length))).toBe(toHex(known.hashes));
        tiles.set(`${tile.level}/${tile.index}`, tile);
      }
      size += leafHashes.length;
    },
    tiles,
    reader: subtreeReaderOverTiles((wanted) =>
      Promise.resolve(
        wanted.map((tile) => tiles.get(`${tile.level}/${tile.index}`)?.hashes ?? new Uint8Array(0)),
      ),
    ),
  };
}

const hexes = (hashes: Uint8Array[]) => hashes.map(toHex);

describe('RFC 9162 against the transparency-dev reference vectors', () => {
  const store = tileStore();
  store.append(leafInputs.map(leafHashOf));

  it('roots of sizes 0..8', async () => {
    for (let size = 0; size <= 8; size++) {
      expect(toHex(await treeRootOf(store.reader, size))).toBe(roots[size]);
    }
    expect(toHex(emptyTreeRoot())).toBe(roots[0]);
  });

  it('inclusion proofs are generated and verified', async () => {
    for (const vector of inclusionVectors) {
      const proof = await proveInclusion(store.reader, vector.index, vector.size);
      expect(hexes(proof)).toEqual(vector.proof);
      const leaf = leafHashOf(leafInputs[vector.index]!);
      expect(
        verifyInclusion(leaf, vector.index, vector.size, proof, fromHex(roots[vector.size]!)),
      ).toBe(true);
    }
  });

  it('consistency proofs are generated and verified', async () => {
    for (const vector of consistencyVectors) {
      const proof = await proveConsistency(store.reader, vector.from, vector.to);
      expect(hexes(proof)).toEqual(vector.proof);
      const fromRoot = fromHex(roots[vector.from]!);
      const toRoot = fromHex(roots[vector.to]!);
      expect(verifyConsistency(vector.from, vector.to, proof, fromRoot, toRoot)).toBe(true);
      expect(verifyConsistency(vector.from, vector.to, proof, toRoot, fromRoot)).toBe(
        vector.from === vector.to,
      );
    }
  });
});

describe('every tree of 1..64 leaves, every leaf and every pair of sizes, against the RFC recursion', () => {
  const entries = Array.from({ length: 64 }, (_, index) => Uint8Array.of(index, index * 7 + 1));
  const leaves = entries.map(refLeaf);
  const store = tileStore();
  // Grown in uneven steps, as blocks of different sizes seal.
  for (let start = 0, step = 1; start < 64; start += step, step = (step % 5) + 1) {
    store.append(leaves.slice(start, Math.min(64, start + step)));
  }
  const refRoots = Array.from({ length: 65 }, (_, size) => refMth(leaves.slice(0, size)));

  it('leaf hashes and roots', async () => {
    expect(toHex(leafHashOf(entries[3]!))).toBe(toHex(leaves[3]!));
    expect(toHex(nodeHashOf(leaves[0]!, leaves[1]!))).toBe(toHex(refNode(leaves[0]!, leaves[1]!)));
    for (let size = 1; size <= 64; size++) {
      expect(toHex(await treeRootOf(store.reader, size))).toBe(toHex(refRoots[size]!));
      expect(toHex(merkleRoot(leaves.slice(0, size)))).toBe(toHex(refRoots[size]!));
    }
  });

  it('inclusion: equal to PATH(m, D[n]), verifies, and fails for any other leaf, index or size', async () => {
    for (let size = 1; size <= 64; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await proveInclusion(store.reader, index, size);
        expect(hexes(proof)).toEqual(hexes(refPath(index, leaves.slice(0, size))));
        expect(inclusionProofRanges(index, size)).toHaveLength(proof.length);
        expect(verifyInclusion(leaves[index]!, index, size, proof, refRoots[size]!)).toBe(true);
        expect(
          verifyInclusion(leaves[(index + 1) % 64]!, index, size, proof, refRoots[size]!),
        ).toBe(false);
        if (size > 1) {
          expect(
            verifyInclusion(leaves[index]!, (index + 1) % size, size, proof, refRoots[size]!),
          ).toBe(false);
        }
        expect(
          verifyInclusion(
            leaves[index]!,
            index,
            size + 1,
            proof,
            refRoots[size + 1] ?? refRoots[size]!,
          ),
        ).toBe(false);
      }
    }
  });

  it('consistency: equal to PROOF(m, D[n]), verifies, and fails against another root', async () => {
    for (let to = 1; to <= 64; to++) {
      for (let from = 1; from <= to; from++) {
        const proof = await proveConsistency(store.reader, from, to);
        const expected = from === to ? [] : refSubproof(from, leaves.slice(0, to), true);
        expect(hexes(proof)).toEqual(hexes(expected));
        expect(consistencyProofRanges(from, to)).toHaveLength(proof.length);
        expect(verifyConsistency(from, to, proof, refRoots[from]!, refRoots[to]!)).toBe(true);
        const otherFrom = refRoots[from === 1 ? 2 : from - 1]!;
        expect(verifyConsistency(from, to, proof, otherFrom, refRoots[to]!)).toBe(false);
        if (from < to) {
          expect(verifyConsistency(from, to, proof, refRoots[from]!, refRoots[to - 1]!)).toBe(
            false,
          );
          const tampered = proof.map((hash) => hash.slice());
          tampered[tampered.length - 1]![0]! ^= 1;
          expect(verifyConsistency(from, to, tampered, refRoots[from]!, refRoots[to]!)).toBe(false);
        }
      }
    }
  });

  it('consistency from 0 is the empty proof; malformed arguments are false, never a throw', () => {
    expect(consistencyProofRanges(0, 5)).toEqual([]);
    expect(verifyConsistency(0, 5, [], refRoots[0]!, refRoots[5]!)).toBe(true);
    expect(verifyConsistency(0, 5, [refRoots[1]!], refRoots[0]!, refRoots[5]!)).toBe(false);
    expect(verifyConsistency(5, 4, [], refRoots[5]!, refRoots[4]!)).toBe(false);
    expect(verifyConsistency(3, 5, [new Uint8Array(31)], refRoots[3]!, refRoots[5]!)).toBe(false);
    expect(verifyInclusion(leaves[0]!, -1, 4, [], refRoots[4]!)).toBe(false);
    expect(verifyInclusion(leaves[0]!, 0, 2, Array(200).fill(leaves[0]!), refRoots[2]!)).toBe(
      false,
    );
    expect(rootFromInclusionProof(leaves[0]!, 0, 1, [])).toEqual(leaves[0]);
  });
});

describe('CompactRange', () => {
  const leaves = Array.from({ length: 300 }, (_, index) =>
    refLeaf(Uint8Array.of(index % 256, index >> 8)),
  );

  it('gives the RFC 9162 root after every append, from empty and from a stored prefix', () => {
    const range = new CompactRange();
    expect(toHex(range.root())).toBe(roots[0]);
    for (const [index, leaf] of leaves.entries()) {
      range.append(leaf);
      expect(range.size).toBe(index + 1);
      expect(toHex(range.root()), `size ${index + 1}`).toBe(
        toHex(merkleRoot(leaves.slice(0, index + 1))),
      );
    }
    for (const size of [1, 5, 64, 255, 256, 299]) {
      const hashes = subtreesOfRange({ start: 0, end: size }).map((subtree) =>
        refMth(
          leaves.slice(
            subtree.index * 2 ** subtree.level,
            (subtree.index + 1) * 2 ** subtree.level,
          ),
        ),
      );
      const resumed = CompactRange.of(size, hashes);
      for (const leaf of leaves.slice(size)) resumed.append(leaf);
      expect(toHex(resumed.root())).toBe(toHex(merkleRoot(leaves)));
    }
    expect(() => CompactRange.of(5, [leaves[0]!])).toThrow(/2 subtree hashes/);
  });
});
