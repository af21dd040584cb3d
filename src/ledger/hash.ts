// SHA-256 and the byte/hex/UTF-8 conversions around it; hex is lowercase everywhere on the ledger.
import { hash } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';

export const sha256Bytes = 32;

const utf8Encoder = new TextEncoder();

// Node's one-shot crypto.hash is 2-3x faster than @noble/hashes on ledger-sized inputs
// (measured here: ~680k vs ~290k hashes/s of 330 bytes), and sealing and verification
// hash every event twice. The formats are plain SHA-256, so any implementation verifies.
export function sha256(data: Uint8Array): Uint8Array {
  return digestBytes(hash('sha256', data, 'binary'));
}

/**
 * SHA-256 of `data` written into `target` at `offset`, with no array per digest: for loops that
 * hash a whole level of a tree into one array (tile-cache.ts), where a digest array per node was
 * most of what the garbage collector had to sweep.
 */
export function sha256Into(data: Uint8Array, target: Uint8Array, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + sha256Bytes > target.length) {
    throw new RangeError(`no room for a digest at ${offset} in ${target.length} bytes`);
  }
  const digest = hash('sha256', data, 'binary');
  for (let index = 0; index < sha256Bytes; index++)
    target[offset + index] = digest.charCodeAt(index);
}

/** SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Text(text: string): Uint8Array {
  return digestBytes(hash('sha256', text, 'binary'));
}

// The digest comes out as a one-byte string ('binary' is Node's name for latin1) and is copied
// into a pooled Buffer: asked for a 'buffer', crypto.hash allocates a new ArrayBuffer per
// digest, which measured ~1 µs slower per hash (2.1 against 1.1 µs for a 65-byte node), and a
// tree hashes one per node. latin1 maps bytes 0-255 to U+0000-U+00FF one to one: no byte is lost.
function digestBytes(latin1Digest: string): Uint8Array {
  const digest = Buffer.from(latin1Digest, 'latin1');
  // A plain Uint8Array view, so digests compare equal to other byte arrays in tests.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

/** Lowercase hex SHA-256; a string argument is hashed as its UTF-8 bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex');
}

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/**
 * Bytes of a lowercase hex string. Uppercase is refused on purpose: hashes are compared as strings
 * elsewhere, and "AB" !== "ab" would turn a right hash into a mismatch far from its cause.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) {
    throw new Error(`fromHex: odd length ${hex.length}; hex needs two digits per byte`);
  }
  if (!/^[0-9a-f]*$/.test(hex)) {
    throw new Error('fromHex: only lowercase hex digits 0-9 and a-f are allowed');
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

/** True when `text` is the lowercase hex spelling of a SHA-256 digest. */
export function isSha256Hex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  // Accumulate instead of returning early: the inputs are public here, but a constant-time compare
  // costs nothing and keeps this helper safe if it is ever reused on secrets.
  let difference = 0;
  for (let index = 0; index < left.length; index++) {
    difference |= left[index]! ^ right[index]!;
  }
  return difference === 0;
}
