// A toy transparency log for witness and verifier tests: leaves in memory, checkpoints signed
// with a fixed Ed25519 key, roots and proofs computed by brute force from the leaves (RFC 9162's
// recursive definitions), independent of the tile store the real log uses.
import { ed25519 } from '@noble/curves/ed25519.js';
import { createPublicKey, verify } from 'node:crypto';
import { checkpointBody, cosign } from '../../src/ledger/tlog/checkpoint.js';
import {
  ed25519NoteSigner,
  formatNote,
  parseNote,
  signerKeyOf,
  signNote,
  verifierKeyOf,
  ed25519PublicKeyOf,
  signatureTypeEd25519,
} from '../../src/ledger/tlog/note.js';
import { parseWitnessKey } from '../../src/witness/keys.js';
import { emptyTreeRoot, leafHashOf, nodeHashOf, splitPoint } from '../../src/ledger/tlog/tree.js';

export const toyOrigin = 'claimchain.test/log';

export class ToyLog {
  readonly leaves: Uint8Array[] = [];
  readonly seed: Uint8Array;
  readonly verifierKey: string;

  constructor(
    readonly origin = toyOrigin,
    seed: number | Uint8Array = 7,
  ) {
    this.seed = typeof seed === 'number' ? new Uint8Array(32).fill(seed) : seed;
    this.verifierKey = verifierKeyOf(origin, signatureTypeEd25519, ed25519PublicKeyOf(this.seed));
  }

  append(count: number, tag = 'leaf'): void {
    for (let index = 0; index < count; index++) {
      this.leaves.push(leafHashOf(new TextEncoder().encode(`${tag} ${this.leaves.length}`)));
    }
  }

  root(size = this.leaves.length): Uint8Array {
    return size === 0 ? emptyTreeRoot() : mth(this.leaves.slice(0, size));
  }

  /** The signed checkpoint note of the tree of `size` leaves. */
  checkpoint(size = this.leaves.length): string {
    return this.sign(
      checkpointBody({ origin: this.origin, treeSize: size, rootHash: this.root(size) }),
    );
  }

  sign(text: string): string {
    return formatNote(signNote(text, [ed25519NoteSigner(this.origin, this.seed)]));
  }

  consistency(fromSize: number, toSize = this.leaves.length): Uint8Array[] {
    if (fromSize === 0 || fromSize === toSize) return [];
    return subproof(fromSize, this.leaves.slice(0, toSize), true);
  }

  inclusion(index: number, size = this.leaves.length): Uint8Array[] {
    return path(index, this.leaves.slice(0, size));
  }
}

function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHashOf(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function subproof(m: number, leaves: Uint8Array[], whole: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return whole ? [] : [mth(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), whole), mth(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

function path(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  return index < k
    ? [...path(index, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(index - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/**
 * Ed25519 verification by @noble/curves (RFC 8032 strict), independent of node:crypto, which the
 * witness cosigns with and the log verifies cosignatures with (src/ledger/ed25519.ts).
 */
export function nobleEd25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  return ed25519.verify(signature, message, publicKey, { zip215: false });
}

/** Ed25519 verification by node:crypto (OpenSSL), independent of @noble/curves. */
export function nodeEd25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return verify(null, message, key, signature);
}

/** A witness's key for tests: a fixed seed, its cosigner and its cosignature/v1 vkey. */
export function testWitness(name: string, seedByte: number) {
  return parseWitnessKey(signerKeyOf(name, new Uint8Array(32).fill(seedByte)));
}

/** The note `note` with each witness's cosignature added after the log's signature. */
export function cosignNote(
  note: string,
  witnesses: readonly ReturnType<typeof testWitness>[],
  timestampSeconds = 1_790_000_000n,
): string {
  const parsed = parseNote(note);
  const cosignatures = witnesses.map((witness) =>
    cosign(parsed.text, witness.keyName, witness.publicKey, timestampSeconds, witness.sign),
  );
  return formatNote({ text: parsed.text, signatures: [...parsed.signatures, ...cosignatures] });
}

/** A policy file naming `log`, the witnesses and the quorum. */
export function policyText(
  log: ToyLog,
  witnesses: readonly ReturnType<typeof testWitness>[],
  quorum: number,
): string {
  return [
    '# test policy',
    `log ${log.verifierKey}`,
    ...witnesses.map((witness) => `witness ${witness.keyName} ${witness.cosignerVerifierKey}`),
    `quorum ${quorum}`,
    '',
  ].join('\n');
}
