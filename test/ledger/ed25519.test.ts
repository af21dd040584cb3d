// node:crypto Ed25519 (the code under test) against @noble/curves, an independent implementation:
// the same signature bytes, each verifying the other's, and the same refusals.
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { ed25519SignerNode, ed25519VerifyNode } from '../../src/ledger/ed25519.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

// RFC 8032 section 7.1, TEST 2.
const rfcSeed = Buffer.from(
  '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  'hex',
);
const rfcPublicKey = Buffer.from(
  '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  'hex',
);
const rfcSignature = Buffer.from(
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
    '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  'hex',
);

describe('Ed25519 by node:crypto', () => {
  it('signs RFC 8032 test 2 byte for byte', () => {
    expect(Buffer.from(ed25519SignerNode(rfcSeed)(Uint8Array.of(0x72)))).toEqual(rfcSignature);
    expect(ed25519VerifyNode(rfcPublicKey, Uint8Array.of(0x72), rfcSignature)).toBe(true);
  });

  it('gives the signatures @noble/curves gives, and each verifies the other', () => {
    for (let round = 0; round < 20; round++) {
      const seed = ed25519.utils.randomSecretKey();
      const publicKey = ed25519.getPublicKey(seed);
      const message = utf8(`example.com/log\n${round}\nroot\n`);
      const signature = ed25519SignerNode(seed)(message);
      expect(signature).toEqual(ed25519.sign(message, seed));
      expect(ed25519.verify(signature, message, publicKey, { zip215: false })).toBe(true);
      expect(ed25519VerifyNode(publicKey, message, ed25519.sign(message, seed))).toBe(true);
    }
  });

  it('refuses what @noble/curves refuses: another message, key or signature, wrong lengths', () => {
    const seed = new Uint8Array(32).fill(7);
    const publicKey = ed25519.getPublicKey(seed);
    const otherKey = ed25519.getPublicKey(new Uint8Array(32).fill(8));
    const message = utf8('cosignature/v1\ntime 1\nexample.com/log\n1\n');
    const signature = ed25519.sign(message, seed);
    const flipped = signature.slice();
    flipped[10] = flipped[10]! ^ 1;
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [publicKey, utf8('another message\n'), signature],
      [otherKey, message, signature],
      [publicKey, message, flipped],
      [publicKey, message, signature.slice(0, 63)],
      [publicKey.slice(0, 31), message, signature],
    ];
    for (const [key, text, bytes] of cases) {
      expect(ed25519VerifyNode(key, text, bytes)).toBe(false);
      let nobleAccepts: boolean;
      try {
        nobleAccepts = ed25519.verify(bytes, text, key, { zip215: false });
      } catch {
        nobleAccepts = false;
      }
      expect(nobleAccepts).toBe(false);
    }
  });

  it('refuses a non-canonical S (S + L), as RFC 8032 strict verification does', () => {
    const seed = new Uint8Array(32).fill(9);
    const publicKey = ed25519.getPublicKey(seed);
    const message = utf8('malleable?\n');
    const signature = ed25519.sign(message, seed);
    // S is little-endian in the last 32 bytes; S + L is the same scalar modulo L.
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let index = 63; index >= 32; index--) s = (s << 8n) | BigInt(signature[index]!);
    let malleated = s + order;
    const bytes = signature.slice();
    for (let index = 32; index < 64; index++) {
      bytes[index] = Number(malleated & 0xffn);
      malleated >>= 8n;
    }
    expect(ed25519VerifyNode(publicKey, message, bytes)).toBe(false);
    expect(() => ed25519.verify(bytes, message, publicKey, { zip215: false })).not.toThrow();
    expect(ed25519.verify(bytes, message, publicKey, { zip215: false })).toBe(false);
  });

  it('refuses a public key that is not a curve point', () => {
    // y = 2 has no x on edwards25519 (2 is not (y^2 - 1) / (d y^2 + 1) of a square).
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    expect(ed25519VerifyNode(notAPoint, utf8('x\n'), new Uint8Array(64))).toBe(false);
  });
});
