// SHA-256 and the byte/hex/UTF-8 conversions around it; hex is lowercase everywhere on the ledger.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const sha256Bytes = 32;

const utf8Encoder = new TextEncoder();

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** Lowercase hex SHA-256; a string argument is hashed as its UTF-8 bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return toHex(sha256(typeof data === 'string' ? utf8(data) : data));
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
