// RFC 9162 section 2.1 Merkle tree hashing, inclusion and consistency proofs, over the ledger's
// one tree of every sealed event. Pure and browser-safe (@noble/hashes, no Node APIs): the
// participant side (witness, verifier page, mirror) runs this same code.
//
// Proofs are generated without the leaves: every proof element is the hash of a range of
// leaves D[start:end], and every such range that RFC 9162's recursion produces is a run of
// aligned complete subtrees, whose hashes a log stores (see tiles.ts). Generation is therefore
// two pure steps around one read: which complete subtrees are needed, then the fold.
import { sha256 } from '@noble/hashes/sha2.js';

export const hashBytes = 32;

/** A tree of at most 2^53 leaves has proofs of at most 2 * 53 hashes; anything longer is refused. */
export const proofHashesMax = 128;

/** A complete subtree: leaves [index * 2^level, (index + 1) * 2^level). Level 0 is one leaf. */
export interface SubtreeId {
  level: number;
  index: number;
}

/** Leaves [start, end) of the tree. */
export interface LeafRange {
  start: number;
  end: number;
}

/** SHA-256(0x00 || entry): RFC 9162 leaf hash of a leaf entry. */
export function leafHashOf(entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + entry.length);
  input[0] = 0x00;
  input.set(entry, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right): RFC 9162 interior node. */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * hashBytes);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + hashBytes);
  return sha256(input);
}

/** SHA-256 of no bytes: the root of the empty tree (RFC 9162 section 2.1.1). */
export function emptyTreeRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** The largest power of two strictly less than n (n >= 2), as RFC 9162 splits. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete subtrees whose hashes, folded right to left, give MTH(D[start:end]), largest first.
 * Valid for the ranges RFC 9162's recursion produces: start is a multiple of the largest power of
 * two not above end - start (checked; anything else is a programming error).
 */
export function subtreesOfRange(range: LeafRange): SubtreeId[] {
  const { start, end } = range;
  if (!isSize(start) || !isSize(end) || end <= start) {
    throw new RangeError(`subtreesOfRange: [${start}, ${end}) is not a non-empty leaf range`);
  }
  const subtrees: SubtreeId[] = [];
  let position = start;
  let remaining = end - start;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (remaining < width) continue;
    if (position % width !== 0) {
      throw new RangeError(`subtreesOfRange: [${start}, ${end}) is not aligned as RFC 9162 splits`);
    }
    subtrees.push({ level, index: position / width });
    position += width;
    remaining -= width;
  }
  return subtrees;
}

/** Folds the hashes of subtreesOfRange(range), in that order, into MTH(D[start:end]). */
export function foldSubtreeHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError('foldSubtreeHashes: no hashes');
  let hash = hashes[hashes.length - 1]!;
  for (let position = hashes.length - 2; position >= 0; position--) {
    hash = nodeHashOf(hashes[position]!, hash);
  }
  return hash;
}

/**
 * The ranges whose hashes make RFC 9162 PATH(index, D[0:treeSize]), lowest first (section
 * 2.1.3.1).
 */
export function inclusionProofRanges(index: number, treeSize: number): LeafRange[] {
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) {
    throw new RangeError(`inclusion proof: leaf ${index} is not in a tree of size ${treeSize}`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = treeSize;
  // Descend from the root; each step records the sibling range, which is prepended (root first).
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
    }
  }
  return ranges.reverse();
}

/**
 * The ranges whose hashes make RFC 9162 PROOF(fromSize, D[0:toSize]) (section 2.1.4.1), in
 * proof order. Empty when fromSize is 0 or equals toSize.
 */
export function consistencyProofRanges(fromSize: number, toSize: number): LeafRange[] {
  if (!isSize(fromSize) || !isSize(toSize) || fromSize > toSize) {
    throw new RangeError(`consistency proof: size ${fromSize} is not within size ${toSize}`);
  }
  if (fromSize === 0 || fromSize === toSize) return [];
  const ranges: LeafRange[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled: the recursion only ever continues into one side.
  let start = 0;
  let end = toSize;
  let m = fromSize;
  let wholeOldTree = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      wholeOldTree = false;
    }
  }
  if (!wholeOldTree) ranges.push({ start, end });
  return ranges.reverse();
}

/**
 * RFC 9162 section 2.1.3.2. False, never an exception, for anything that does not prove leafHash
 * is leaf `index` of the tree of size treeSize with root `root`.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(leafHash, index, treeSize, proof);
  return computed !== undefined && hashesEqual(computed, root);
}

/** The root an inclusion proof leads to, or undefined when the proof is malformed. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return undefined;
  if (proof.length > proofHashesMax || !isHash(leafHash) || !proof.every(isHash)) return undefined;
  // Plain numbers, not 32-bit bitwise operators: sizes may pass 2^32.
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHashOf(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHashOf(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * RFC 9162 section 2.1.4.2: proof shows the tree of size fromSize with root fromRoot is a prefix
 * of the tree of size toSize with root toRoot. From size 0 every tree is consistent (with an
 * empty proof); equal sizes need equal roots and an empty proof. False, never an exception.
 */
export function verifyConsistency(
  fromSize: number,
  toSize: number,
  proof: readonly Uint8Array[],
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
): boolean {
  if (!isSize(fromSize) || !isSize(toSize) || fromSize > toSize) return false;
  if (proof.length > proofHashesMax || !proof.every(isHash)) return false;
  if (!isHash(fromRoot) || !isHash(toRoot)) return false;
  if (fromSize === 0) return proof.length === 0;
  if (fromSize === toSize) return proof.length === 0 && hashesEqual(fromRoot, toRoot);
  // Step 2: if the old tree is a complete subtree of the new, the proof omits its root.
  const path = isPowerOfTwo(fromSize) ? [fromRoot, ...proof] : proof.slice();
  if (path.length === 0) return false;
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHashOf(c, fr);
      sr = nodeHashOf(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHashOf(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hashesEqual(fr, fromRoot) && hashesEqual(sr, toRoot);
}

export function hashesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index++) difference |= left[index]! ^ right[index]!;
  return difference === 0;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === hashBytes;
}

function isSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function isPowerOfTwo(value: number): boolean {
  let power = 1;
  while (power < value) power *= 2;
  return power === value;
}

/**
 * The root of a growing tree in O(log n) memory: the hashes of the complete subtrees of its
 * binary decomposition (what subtreesOfRange({ start: 0, end: size }) names), largest first.
 * Verifiers and mirrors stream leaves through it and compare each root with a signed one.
 */
export class CompactRange {
  private readonly levels: number[] = [];
  private readonly hashes: Uint8Array[] = [];
  private leafCount = 0;

  /** `nodeHash` may be swapped for a faster SHA-256(0x01 ‖ l ‖ r) where one exists (Node). */
  constructor(
    private readonly nodeHash: (left: Uint8Array, right: Uint8Array) => Uint8Array = nodeHashOf,
  ) {}

  /** A range over a tree of `size` leaves, given its subtrees' hashes (largest first). */
  static of(
    size: number,
    subtreeHashes: readonly Uint8Array[],
    nodeHash?: (left: Uint8Array, right: Uint8Array) => Uint8Array,
  ): CompactRange {
    const range = new CompactRange(nodeHash);
    if (size === 0) return range;
    const subtrees = subtreesOfRange({ start: 0, end: size });
    if (subtrees.length !== subtreeHashes.length || !subtreeHashes.every(isHash)) {
      throw new RangeError(`a tree of ${size} leaves has ${subtrees.length} subtree hashes`);
    }
    subtrees.forEach((subtree, position) => {
      range.levels.push(subtree.level);
      range.hashes.push(subtreeHashes[position]!.slice());
    });
    range.leafCount = size;
    return range;
  }

  get size(): number {
    return this.leafCount;
  }

  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) throw new TypeError('CompactRange.append: a leaf hash is 32 bytes');
    let level = 0;
    let hash = leafHash;
    // Two complete subtrees of one height merge, as a binary counter carries.
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      hash = this.nodeHash(this.hashes.pop()!, hash);
      level += 1;
    }
    this.levels.push(level);
    this.hashes.push(hash);
    this.leafCount += 1;
  }

  root(): Uint8Array {
    return this.hashes.length === 0 ? emptyTreeRoot() : foldSubtreeHashes(this.hashes);
  }
}
