// RFC 6962 Merkle trees: roots and audit paths over a block's leaves; RFC 9162 inclusion checks.
import { sha256, sha256Bytes, sha256Into, sha256Text } from './hash.js';
import { verifyInclusion as verifyTreeInclusion } from './tlog/tree.js';

// Domain separation (RFC 6962 section 2.1): a leaf can never be mistaken for an interior node.
const leafPrefix = 0x00;
const nodePrefix = 0x01;

// For nodeHash, which the transparency tree calls once per leaf appended, and parentHashesOf:
// hashing is synchronous and the digest is copied out, so one 65-byte input serves every call.
const sharedNodeInput = new Uint8Array(1 + 2 * sha256Bytes);
sharedNodeInput[0] = nodePrefix;

// A tree of at most 2^53 leaves (the safe-integer range of treeSize) has paths of at most 53
// hashes; anything longer is garbage and is refused before any hashing.
export const auditPathLengthMax = 64;

/** SHA-256(0x00 || UTF-8(text)): the leaf of a text, without copying it into a byte array first. */
export function leafHashOfText(text: string): Uint8Array {
  // U+0000 is the single byte 0x00 in UTF-8, so this is exactly the 0x00 leaf prefix.
  return sha256Text(`\u0000${text}`);
}

/** SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = leafPrefix;
  input.set(data, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right), for two 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, 'left');
  assertHash(right, 'right');
  sharedNodeInput.set(left, 1);
  sharedNodeInput.set(right, 1 + sha256Bytes);
  return sha256(sharedNodeInput);
}

/**
 * One level up a run of concatenated hashes: SHA-256(0x01 || left || right) of each aligned pair,
 * concatenated in one array; a lone last hash has no pair and no parent here.
 */
export function parentHashesOf(hashes: Uint8Array): Uint8Array {
  if (hashes.length % sha256Bytes !== 0) {
    throw new RangeError(`parentHashesOf: ${hashes.length} bytes are not whole hashes`);
  }
  const pairs = Math.floor(hashes.length / (2 * sha256Bytes));
  const parents = new Uint8Array(pairs * sha256Bytes);
  for (let pair = 0; pair < pairs; pair++) {
    const left = 2 * pair * sha256Bytes;
    // Left and right are adjacent: one copy into the shared input.
    sharedNodeInput.set(hashes.subarray(left, left + 2 * sha256Bytes), 1);
    sha256Into(sharedNodeInput, parents, pair * sha256Bytes);
  }
  return parents;
}

/**
 * RFC 6962 MTH over already leaf-hashed entries; the empty tree's root is SHA-256 of "".
 *
 * Computed level by level: pair adjacent nodes, and promote a lone last node unchanged. This equals
 * the RFC's recursive "split at k, the largest power of two below n": the first k leaves start at
 * offset 0 and k is a power of two, so no pair ever straddles position k and after log2(k) levels
 * they are exactly MTH(D[0:k]). The rest start at offset k / 2^j on level j, which is even below
 * level log2(k), so they pair as they would alone and become MTH(D[k:n]) by induction; since
 * n - k <= k that takes no more levels, and the finished node is promoted unchanged until the left
 * side is done. The last level then pairs the two. Tests pin this to the CT reference vectors and
 * to a literal recursive implementation.
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfPacked(packedLeafHashes(leafHashes));
}

/** merkleRoot over leaf hashes packed end to end in one array (which is left as it is). */
export function merkleRootOfPacked(packedLeafHashes: Uint8Array): Uint8Array {
  if (packedLeafHashes.length % sha256Bytes !== 0) {
    throw new RangeError(
      `merkleRootOfPacked: ${packedLeafHashes.length} bytes are not whole hashes`,
    );
  }
  if (packedLeafHashes.length === 0) return sha256(new Uint8Array(0));
  if (packedLeafHashes.length === sha256Bytes) return packedLeafHashes.slice();
  let level = levelAbove(packedLeafHashes);
  while (level.length > sha256Bytes) level = levelAbove(level);
  return level;
}

/**
 * RFC 6962 PATH(m, D[n]): the sibling hashes from leaf `index` up to the root, lowest first.
 * Costs one full tree computation (n - 1 node hashes); a caller proving many leaves of one tree
 * keeps its MerkleLevels instead.
 */
export function auditPath(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  return new MerkleLevels(leafHashes).auditPath(index);
}

/**
 * Every level of an RFC 6962 tree over leaf hashes, each packed in one array (a lone last node
 * promoted unchanged, as merkleRoot pairs them), so that any leaf's audit path is a few copies:
 * what a process serving proofs of one block keeps (2n hashes, 640 KiB for 10,000 leaves).
 */
export class MerkleLevels {
  private readonly levels: Uint8Array[] = [];

  constructor(leafHashes: readonly Uint8Array[]) {
    if (leafHashes.length === 0) throw new RangeError('MerkleLevels: a tree needs a leaf');
    let level = packedLeafHashes(leafHashes);
    this.levels.push(level);
    while (level.length > sha256Bytes) {
      level = levelAbove(level);
      this.levels.push(level);
    }
  }

  get size(): number {
    return this.levels[0]!.length / sha256Bytes;
  }

  root(): Uint8Array {
    return this.levels[this.levels.length - 1]!.slice();
  }

  /** PATH(index, D[n]), lowest first; copies, so callers never alias the kept levels. */
  auditPath(index: number): Uint8Array[] {
    if (!isLeafPosition(index, this.size)) {
      throw new RangeError(`auditPath: index ${index} is not a leaf of a ${this.size}-leaf tree`);
    }
    const path: Uint8Array[] = [];
    let position = index;
    for (const level of this.levels) {
      const width = level.length / sha256Bytes;
      if (width === 1) break;
      // A lone last node has no sibling on this level: it is promoted, and the path skips it.
      if (siblingExists(position, width)) {
        const sibling = siblingOf(position) * sha256Bytes;
        path.push(level.slice(sibling, sibling + sha256Bytes));
      }
      position = Math.floor(position / 2);
    }
    return path;
  }
}

/** How many hashes the audit path of leaf `index` in a `treeSize`-leaf tree has. */
export function auditPathLength(index: number, treeSize: number): number {
  if (!isLeafPosition(index, treeSize)) {
    throw new RangeError(
      `auditPathLength: index ${index} is not a leaf of a ${treeSize}-leaf tree`,
    );
  }
  let length = 0;
  let position = index;
  for (let width = treeSize; width > 1; width = Math.ceil(width / 2)) {
    if (siblingExists(position, width)) length++;
    position = Math.floor(position / 2);
  }
  return length;
}

/** The leaf hashes, checked, in one array (a copy: the levels never alias a caller's leaf). */
function packedLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  assertLeafHashes(leafHashes);
  const packed = new Uint8Array(leafHashes.length * sha256Bytes);
  leafHashes.forEach((leaf, position) => packed.set(leaf, position * sha256Bytes));
  return packed;
}

/**
 * The level above a packed level of an RFC 6962 tree: each pair hashed, and a lone last node
 * promoted unchanged (see merkleRoot for why this pairing is the RFC's split).
 */
function levelAbove(level: Uint8Array): Uint8Array {
  const parents = parentHashesOf(level);
  if ((level.length / sha256Bytes) % 2 === 0) return parents;
  const promoted = new Uint8Array(parents.length + sha256Bytes);
  promoted.set(parents);
  promoted.set(level.subarray(level.length - sha256Bytes), parents.length);
  return promoted;
}

/**
 * RFC 9162 section 2.1.3.2 (the transparency log's implementation, one for the whole ledger).
 * Returns false, never throws, for any proof that does not prove `leafHash` is leaf `index` of
 * the `treeSize`-leaf tree whose root is `expectedRoot`: wrong hashes, a path too short or too
 * long, index >= treeSize, malformed sizes or byte lengths.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  auditPath: readonly Uint8Array[],
  expectedRoot: Uint8Array,
): boolean {
  if (auditPath.length > auditPathLengthMax) return false;
  return verifyTreeInclusion(leafHash, index, treeSize, auditPath, expectedRoot);
}

function isLeafPosition(index: number, treeSize: number): boolean {
  return (
    Number.isSafeInteger(index) && Number.isSafeInteger(treeSize) && index >= 0 && index < treeSize
  );
}

function siblingOf(position: number): number {
  return position % 2 === 0 ? position + 1 : position - 1;
}

function siblingExists(position: number, width: number): boolean {
  return siblingOf(position) < width;
}

function isHash(value: Uint8Array): boolean {
  return value instanceof Uint8Array && value.length === sha256Bytes;
}

function assertHash(value: Uint8Array, name: string): void {
  if (!isHash(value)) throw new TypeError(`${name} must be a 32-byte SHA-256 hash`);
}

function assertLeafHashes(leafHashes: readonly Uint8Array[]): void {
  for (let index = 0; index < leafHashes.length; index++) {
    // Raw leaf data instead of leaf hashes is the likely mistake; catch it before it builds a tree.
    if (!isHash(leafHashes[index]!)) {
      throw new TypeError(`leaf ${index} must be a 32-byte leaf hash (see leafHash)`);
    }
  }
}
