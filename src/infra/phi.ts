// Patient data at rest: AES-256-GCM under a versioned key, so keys can rotate without
// re-encrypting old rows, and an HMAC blind index so a member can be found without
// decrypting every claim.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface PhiKeys {
  keys: Map<number, Buffer>;
  currentVersion: number;
  indexKey: Buffer;
}

export interface Sealed {
  version: number;
  /** base64(iv) "." base64(tag) "." base64(ciphertext) */
  ciphertext: string;
}

export const PHI_IV_BYTES = 12; // the GCM standard nonce

/**
 * Encrypts under the current key. `iv` must be fresh random bytes never used before with
 * this key (callers encrypting many values draw them from one randomBytes call).
 */
export function encryptPhi(
  phiKeys: PhiKeys,
  plaintext: string,
  iv: Buffer = randomBytes(PHI_IV_BYTES),
): Sealed {
  if (iv.length !== PHI_IV_BYTES) throw new RangeError(`PHI IV must be ${PHI_IV_BYTES} bytes`);
  const key = phiKeys.keys.get(phiKeys.currentVersion)!;
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return {
    version: phiKeys.currentVersion,
    ciphertext: `${iv.toString('base64')}.${tag.toString('base64')}.${body.toString('base64')}`,
  };
}

export function decryptPhi(phiKeys: PhiKeys, sealed: Sealed): string {
  const key = phiKeys.keys.get(sealed.version);
  if (!key) throw new Error(`PHI key version ${sealed.version} is not configured`);
  const [iv, tag, body] = sealed.ciphertext.split('.').map((part) => Buffer.from(part, 'base64'));
  if (!iv || !tag || !body) throw new Error('malformed PHI ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/** Deterministic keyed digest of an identifier, for equality search without the plaintext. */
export function blindIndex(phiKeys: PhiKeys, value: string): string {
  return createHmac('sha256', phiKeys.indexKey).update(value, 'utf8').digest('hex');
}
