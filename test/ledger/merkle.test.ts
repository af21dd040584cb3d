// RFC 6962 Merkle trees against the Certificate Transparency reference vectors and a recursive
// reference implementation; RFC 9162 inclusion checking against every corruption we can think of.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/ledger/hash.js';
import {
  auditPath,
  auditPathLength,
  leafHash,
  MerkleLevels,
  merkleRoot,
  nodeHash,
  parentHashesOf,
  verifyInclusion,
} from '../../src/ledger/merkle.js';

// ---- Reference data: transparency-dev/merkle proof/verify_test.go (CT's merkle_tree_test set) ----

const ctLeafInputs = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);

// Root of the tree over the first n inputs, n = 0..8.
const ctRoots = [
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

// The reference lists leaves 1-based ({1, 8}, {6, 8}, ...); here they are 0-based indices.
const ctInclusionProofs: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    index: 2,
    size: 3,
    path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const ctLeafHashes = ctLeafInputs.map(leafHash);
const someHash = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');

// ---- Reference implementation: RFC 6962 section 2.1 read literally, hashed with node:crypto ----

function refSha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]) over leaf hashes.
function refRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return refSha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return refSha256(Uint8Array.of(1), refRoot(leaves.slice(0, k)), refRoot(leaves.slice(k)));
}

// PATH(m, D[n]).
function refPath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  if (m < k) return [...refPath(m, leaves.slice(0, k)), refRoot(leaves.slice(k))];
  return [...refPath(m - k, leaves.slice(k)), refRoot(leaves.slice(0, k))];
}

function syntheticLeaves(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) =>
    refSha256(Uint8Array.of(0), new TextEncoder().encode(`leaf ${index}`)),
  );
}

function flipBit(hash: Uint8Array, byteIndex: number, bit: number): Uint8Array {
  const copy = hash.slice();
  copy[byteIndex]! ^= 1 << bit;
  return copy;
}

// ---- Tests ----

describe('leafHash and nodeHash', () => {
  it('prefix 0x00 for leaves and 0x01 for nodes (RFC 6962 section 2.1)', () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(ctRoots[1]);
    expect(toHex(nodeHash(ctLeafHashes[0]!, ctLeafHashes[1]!))).toBe(ctRoots[2]);
    expect(leafHash(Uint8Array.of(1, 2))).toEqual(refSha256(Uint8Array.of(0, 1, 2)));
  });

  it('refuses node inputs that are not 32-byte hashes', () => {
    expect(() => nodeHash(new Uint8Array(31), someHash)).toThrow(/left must be a 32-byte/);
    expect(() => nodeHash(someHash, new Uint8Array(33))).toThrow(/right must be a 32-byte/);
  });
});

describe('parentHashesOf', () => {
  const joined = (hashes: readonly Uint8Array[]) => {
    const bytes = new Uint8Array(hashes.length * 32);
    hashes.forEach((hash, position) => bytes.set(hash, position * 32));
    return bytes;
  };

  it('hashes each aligned pair into one array, up to the CT reference roots', () => {
    const four = parentHashesOf(joined(ctLeafHashes.slice(0, 4)));
    expect(four.length).toBe(64);
    expect(toHex(four.subarray(0, 32))).toBe(ctRoots[2]);
    expect(toHex(four.subarray(32))).toBe(
      toHex(refSha256(Uint8Array.of(1, ...ctLeafHashes[2]!, ...ctLeafHashes[3]!))),
    );
    expect(toHex(parentHashesOf(four))).toBe(ctRoots[4]);
    expect(toHex(parentHashesOf(parentHashesOf(parentHashesOf(joined(ctLeafHashes)))))).toBe(
      ctRoots[8],
    );
  });

  it('gives a lone last hash no parent, and refuses bytes that are not whole hashes', () => {
    const five = parentHashesOf(joined(ctLeafHashes.slice(0, 5)));
    expect(toHex(five)).toBe(toHex(parentHashesOf(joined(ctLeafHashes.slice(0, 4)))));
    expect(parentHashesOf(joined(ctLeafHashes.slice(0, 1))).length).toBe(0);
    expect(() => parentHashesOf(new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('merkleRoot', () => {
  it('matches the CT reference root for every size 0..8', () => {
    for (let size = 0; size <= 8; size++) {
      expect(toHex(merkleRoot(ctLeafHashes.slice(0, size))), `size ${size}`).toBe(ctRoots[size]);
    }
  });

  it('equals the recursive RFC 6962 definition for n = 1..300', () => {
    const leaves = syntheticLeaves(300);
    for (let size = 1; size <= 300; size++) {
      const slice = leaves.slice(0, size);
      expect(toHex(merkleRoot(slice)), `size ${size}`).toBe(toHex(refRoot(slice)));
    }
  });

  it('neither mutates nor aliases its input', () => {
    const leaves = syntheticLeaves(5);
    const before = leaves.map(toHex);
    merkleRoot(leaves);
    expect(leaves.map(toHex)).toEqual(before);
    const single = merkleRoot(leaves.slice(0, 1));
    expect(single).toEqual(leaves[0]);
    expect(single).not.toBe(leaves[0]);
  });

  it('refuses entries that are not 32-byte leaf hashes', () => {
    expect(() => merkleRoot([someHash, new Uint8Array(5)])).toThrow(/leaf 1 must be a 32-byte/);
  });
});

describe('auditPath: CT reference inclusion proofs', () => {
  it.each(ctInclusionProofs)('leaf $index of $size', ({ index, size, path }) => {
    const leaves = ctLeafHashes.slice(0, size);
    const root = fromHex(ctRoots[size]!);
    expect(auditPath(leaves, index).map(toHex)).toEqual(path);
    expect(verifyInclusion(leaves[index]!, index, size, path.map(fromHex), root)).toBe(true);
  });

  // The corruptions transparency-dev/merkle's verifierCheck tries against each reference proof.
  it.each(ctInclusionProofs)(
    'rejects corruptions of leaf $index of $size',
    ({ index, size, path }) => {
      const leaf = ctLeafHashes[index]!;
      const root = fromHex(ctRoots[size]!);
      const proof = path.map(fromHex);
      const probes: [string, Uint8Array, number, number, Uint8Array[], Uint8Array][] = [
        ['index - 1', leaf, index - 1, size, proof, root],
        ['index + 1', leaf, index + 1, size, proof, root],
        ['index ^ 2', leaf, index ^ 2, size, proof, root],
        ['size * 2', leaf, index, size * 2, proof, root],
        ['size / 2', leaf, index, Math.floor(size / 2), proof, root],
        ['wrong leaf', new TextEncoder().encode('WrongLeaf'), index, size, proof, root],
        ['empty root', leaf, index, size, proof, fromHex(ctRoots[0]!)],
        ['random root', leaf, index, size, proof, someHash],
        ['trailing garbage', leaf, index, size, [...proof, new Uint8Array(0)], root],
        ['trailing root', leaf, index, size, [...proof, root], root],
        ['preceding garbage', leaf, index, size, [new Uint8Array(0), ...proof], root],
        ['preceding root', leaf, index, size, [root, ...proof], root],
      ];
      proof.forEach((_, position) => {
        const bad = proof.slice();
        bad[position] = flipBit(proof[position]!, 0, 3);
        probes.push([`proof[${position}] bit 3`, leaf, index, size, bad, root]);
      });
      if (proof.length > 0) probes.push(['removed', leaf, index, size, proof.slice(0, -1), root]);
      if (proof.length > 1) {
        probes.push([
          'inserted',
          leaf,
          index,
          size,
          [proof[0]!, someHash, ...proof.slice(1)],
          root,
        ]);
      }
      for (const [label, probeLeaf, probeIndex, probeSize, probePath, probeRoot] of probes) {
        expect(verifyInclusion(probeLeaf, probeIndex, probeSize, probePath, probeRoot), label).toBe(
          false,
        );
      }
    },
  );
});

describe('auditPath and verifyInclusion for every leaf of every tree of 1..64 leaves', () => {
  const leaves = syntheticLeaves(64);

  it('auditPath equals the recursive PATH(m, D[n]) and its length is predicted', () => {
    for (let size = 1; size <= 64; size++) {
      const tree = leaves.slice(0, size);
      for (let index = 0; index < size; index++) {
        const path = auditPath(tree, index);
        expect(path.map(toHex), `leaf ${index} of ${size}`).toEqual(
          refPath(index, tree).map(toHex),
        );
        expect(auditPathLength(index, size)).toBe(path.length);
      }
    }
  });

  it('one MerkleLevels serves every leaf: the recursive PATH and MTH, and copies only', () => {
    for (let size = 1; size <= 64; size++) {
      const tree = leaves.slice(0, size);
      const levels = new MerkleLevels(tree);
      expect(levels.size).toBe(size);
      expect(toHex(levels.root())).toBe(toHex(refRoot(tree)));
      for (let index = 0; index < size; index++) {
        expect(levels.auditPath(index).map(toHex), `leaf ${index} of ${size}`).toEqual(
          refPath(index, tree).map(toHex),
        );
      }
    }
    const levels = new MerkleLevels(leaves.slice(0, 5));
    levels.auditPath(0)[0]!.fill(0);
    levels.root().fill(0);
    expect(levels.auditPath(0).map(toHex)).toEqual(refPath(0, leaves.slice(0, 5)).map(toHex));
    expect(toHex(levels.root())).toBe(toHex(refRoot(leaves.slice(0, 5))));
    expect(() => levels.auditPath(5)).toThrow(RangeError);
    expect(() => new MerkleLevels([])).toThrow(RangeError);
  });

  it('round-trips, and rejects every tampering', () => {
    for (let size = 1; size <= 64; size++) {
      const tree = leaves.slice(0, size);
      const root = merkleRoot(tree);
      for (let index = 0; index < size; index++) {
        const path = auditPath(tree, index);
        expect(verifyInclusion(tree[index]!, index, size, path, root)).toBe(true);
        // Collected, then asserted once: a per-probe expect() would dominate the run time.
        const accepted = tamperedProofs(tree, index, path, root).filter((probe) =>
          verifyInclusion(probe.leaf, probe.index, probe.size, probe.path, probe.root),
        );
        expect(
          accepted.map((probe) => probe.label),
          `leaf ${index} of ${size}`,
        ).toEqual([]);
      }
    }
  });

  interface Probe {
    label: string;
    leaf: Uint8Array;
    index: number;
    size: number;
    path: Uint8Array[];
    root: Uint8Array;
  }

  function tamperedProofs(
    tree: Uint8Array[],
    index: number,
    path: Uint8Array[],
    root: Uint8Array,
  ): Probe[] {
    const size = tree.length;
    const good = { leaf: tree[index]!, index, size, path, root };
    const probes: Probe[] = [];
    // A flipped bit anywhere in any path element: first, middle and last byte, low and high bit.
    path.forEach((element, position) => {
      for (const [byteIndex, bit] of [
        [0, 0],
        [17, 3],
        [31, 7],
      ] as const) {
        const bad = path.slice();
        bad[position] = flipBit(element, byteIndex, bit);
        probes.push({
          ...good,
          label: `path[${position}] byte ${byteIndex} bit ${bit}`,
          path: bad,
        });
      }
    });
    // The path fixes the leaf's position: with the tree size known, no other index fits it.
    for (let other = 0; other < size; other++) {
      if (other !== index) probes.push({ ...good, label: `index ${other}`, index: other });
    }
    // A tree size that needs a path of another length cannot accept this one. (A size with the same
    // shape around this leaf can: see the test on tree sizes below.)
    for (const otherSize of [index, size - 1, size + 1, size * 2, index + 1]) {
      if (otherSize > index && auditPathLength(index, otherSize) === path.length) continue;
      probes.push({ ...good, label: `size ${otherSize}`, size: otherSize });
    }
    if (path.length > 0) {
      probes.push({ ...good, label: 'last element cut', path: path.slice(0, -1) });
      probes.push({ ...good, label: 'first element cut', path: path.slice(1) });
    }
    probes.push({ ...good, label: 'root appended', path: [...path, root] });
    probes.push({ ...good, label: 'hash appended', path: [...path, someHash] });
    probes.push({ ...good, label: 'hash prepended', path: [someHash, ...path] });
    probes.push({ ...good, label: 'leaf altered', leaf: flipBit(good.leaf, 5, 0) });
    probes.push({ ...good, label: 'root altered', root: flipBit(root, 5, 0) });
    return probes;
  }
});

describe('verifyInclusion and the tree size', () => {
  // RFC 9162 proves a position in a tree of the given size; trees of other sizes can share the
  // shape around a leaf. Leaf 0 of 5 and of 6 both climb three right siblings, so the same path and
  // root pass with either size. Only the signed root binds the size, which is why the block header
  // (hashed into block.hash) carries eventCount next to merkleRoot.
  it('accepts one path for two sizes of the same shape, so the size must come from the header', () => {
    const leaves = ctLeafHashes.slice(0, 5);
    const root = merkleRoot(leaves);
    const path = auditPath(leaves, 0);
    expect(verifyInclusion(leaves[0]!, 0, 5, path, root)).toBe(true);
    expect(verifyInclusion(leaves[0]!, 0, 6, path, root)).toBe(true);
    expect(verifyInclusion(leaves[0]!, 0, 9, path, root)).toBe(false);
  });
});

describe('verifyInclusion: malformed arguments are false, never a throw', () => {
  const leaves = ctLeafHashes.slice(0, 5);
  const root = merkleRoot(leaves);
  const path = auditPath(leaves, 1);
  const leaf = leaves[1]!;

  it.each([
    ['index = treeSize', 5, 5],
    ['index > treeSize', 6, 5],
    ['negative index', -1, 5],
    ['fractional index', 1.5, 5],
    ['NaN index', NaN, 5],
    ['treeSize 0', 0, 0],
    ['fractional treeSize', 1, 5.5],
    ['treeSize beyond safe integers', 1, 2 ** 60],
  ])('%s', (_label, index, treeSize) => {
    expect(verifyInclusion(leaf, index, treeSize, path, root)).toBe(false);
  });

  it('wrong byte lengths', () => {
    expect(verifyInclusion(leaf.subarray(1), 1, 5, path, root)).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, path, root.subarray(1))).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, [path[0]!, path[1]!.subarray(1), path[2]!], root)).toBe(
      false,
    );
  });

  it('a path longer than any tree is refused before hashing', () => {
    expect(
      verifyInclusion(
        leaf,
        1,
        5,
        Array.from({ length: 65 }, () => someHash),
        root,
      ),
    ).toBe(false);
  });

  it('a one-leaf tree: the root is the leaf and the path is empty', () => {
    const only = ctLeafHashes[3]!;
    expect(verifyInclusion(only, 0, 1, [], only)).toBe(true);
    expect(verifyInclusion(only, 0, 1, [only], only)).toBe(false);
    expect(verifyInclusion(only, 0, 1, [], someHash)).toBe(false);
  });
});

describe('verifyInclusion beyond 32-bit tree sizes', () => {
  // Trees too big to build, checked through their shape: with 2^33 + 1 leaves, the last leaf is a
  // lone right child of the root, and leaf 0 climbs a perfect 2^33 subtree on the left.
  const treeSize = 2 ** 33 + 1;
  const leaf = syntheticLeaves(1)[0]!;
  const filler = syntheticLeaves(40).slice(1);

  it('last leaf: one sibling, the left subtree', () => {
    const root = refSha256(Uint8Array.of(1), someHash, leaf);
    expect(verifyInclusion(leaf, treeSize - 1, treeSize, [someHash], root)).toBe(true);
    expect(verifyInclusion(leaf, treeSize - 2, treeSize, [someHash], root)).toBe(false);
    expect(auditPathLength(treeSize - 1, treeSize)).toBe(1);
  });

  it('first leaf: 33 left-side climbs, then the lone last leaf', () => {
    const path = filler.slice(0, 34);
    let expected = leaf;
    for (const sibling of path) expected = refSha256(Uint8Array.of(1), expected, sibling);
    expect(verifyInclusion(leaf, 0, treeSize, path, expected)).toBe(true);
    expect(verifyInclusion(leaf, 0, treeSize, path.slice(0, 33), expected)).toBe(false);
    expect(auditPathLength(0, treeSize)).toBe(34);
  });
});

describe('auditPath and auditPathLength argument checks', () => {
  it('refuses an index outside the tree', () => {
    expect(() => auditPath(ctLeafHashes, 8)).toThrow(RangeError);
    expect(() => auditPath(ctLeafHashes, -1)).toThrow(RangeError);
    expect(() => auditPath([], 0)).toThrow(RangeError);
    expect(() => auditPathLength(3, 3)).toThrow(RangeError);
  });

  it('copies path elements rather than handing out the caller leaves', () => {
    const leaves = ctLeafHashes.slice(0, 2);
    const [sibling] = auditPath(leaves, 0);
    expect(sibling).toEqual(leaves[1]);
    expect(sibling).not.toBe(leaves[1]);
  });
});
