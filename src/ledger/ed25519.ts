// Ed25519 for the Node processes that sign and verify notes many times a minute: the log (each
// block's checkpoint, each witness cosignature it stores) and the witness (the log's signature
// and its own cosignature on every add-checkpoint). node:crypto (OpenSSL) does in tens of
// microseconds what @noble/curves does in milliseconds, on the cores sealing uses. The
// browser-safe tlog modules (note.ts, checkpoint.ts) keep @noble/curves and take these as their
// sign and verify functions; Ed25519 is deterministic, so either gives the same signature bytes.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The DER prefixes that wrap a raw Ed25519 key as SPKI (public) and PKCS #8 (seed), RFC 8410. */
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Keys parsed for verification, by hex public key: a log and its witnesses are a handful. */
const publicKeysMax = 256;
const publicKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const hex = Buffer.from(publicKey).toString('hex');
  let key = publicKeys.get(hex);
  if (!key) {
    key = createPublicKey({
      key: Buffer.concat([spkiPrefix, publicKey]),
      format: 'der',
      type: 'spki',
    });
    if (publicKeys.size >= publicKeysMax) publicKeys.clear();
    publicKeys.set(hex, key);
  }
  return key;
}

/**
 * RFC 8032 verification: false for a malformed key or signature, or a non-canonical S. OpenSSL
 * checks the cofactorless equation, as Go's crypto/ed25519 (the tlog ecosystem's) does.
 */
export function ed25519VerifyNode(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    // A public key that is not a curve point.
    return false;
  }
}

/** An Ed25519 signing function of a 32-byte seed. */
export function ed25519SignerNode(seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const key = createPrivateKey({
    key: Buffer.concat([pkcs8Prefix, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return (message) => {
    const signature = sign(null, message, key);
    return new Uint8Array(signature.buffer, signature.byteOffset, signature.length);
  };
}
