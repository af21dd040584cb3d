// SHA-256 against the FIPS 180-2 examples, and the strict hex/UTF-8 conversions.
import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  fromHex,
  isSha256Hex,
  sha256,
  sha256Hex,
  sha256Into,
  toHex,
  utf8,
} from '../../src/ledger/hash.js';

describe('sha256', () => {
  it('matches the FIPS 180-2 vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes a string as its UTF-8 bytes', () => {
    expect(sha256Hex('café €')).toBe(sha256Hex(utf8('café €')));
    expect(toHex(sha256(utf8('abc')))).toBe(sha256Hex('abc'));
  });

  it('returns 32 bytes', () => {
    expect(sha256(new Uint8Array(1000)).length).toBe(32);
  });
});

describe('sha256Into', () => {
  it('writes the digest at the offset and nothing else', () => {
    const target = new Uint8Array(70).fill(7);
    sha256Into(utf8('abc'), target, 33);
    expect(toHex(target.subarray(33, 65))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect([...target.subarray(0, 33), ...target.subarray(65)].every((byte) => byte === 7)).toBe(
      true,
    );
  });

  it('refuses an offset without room for 32 bytes', () => {
    expect(() => sha256Into(utf8('abc'), new Uint8Array(64), 33)).toThrow(RangeError);
    expect(() => sha256Into(utf8('abc'), new Uint8Array(64), -1)).toThrow(RangeError);
  });
});

describe('utf8', () => {
  it('encodes multi-byte characters', () => {
    expect(Array.from(utf8('é€😀'))).toEqual([
      0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
    ]);
  });
});

describe('hex', () => {
  it('round-trips every byte value, lowercase', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    const hex = toHex(bytes);
    expect(hex).toMatch(/^[0-9a-f]{512}$/);
    expect(hex.slice(0, 8)).toBe('00010203');
    expect(hex.slice(-4)).toBe('feff');
    expect(fromHex(hex)).toEqual(bytes);
  });

  it('round-trips the empty string', () => {
    expect(toHex(new Uint8Array(0))).toBe('');
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it('refuses odd length', () => {
    expect(() => fromHex('abc')).toThrow(/odd length 3/);
  });

  it.each(['zz', '0g', ' 00', '00 ', '0x00', 'AB', 'aB', '-1'])('refuses %j', (bad) => {
    expect(() => fromHex(bad)).toThrow(/fromHex/);
  });

  it('recognizes SHA-256 hex', () => {
    expect(isSha256Hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(
      true,
    );
    expect(isSha256Hex('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855')).toBe(
      false,
    );
    expect(isSha256Hex('e3b0')).toBe(false);
    expect(isSha256Hex(`${'0'.repeat(64)}\n`)).toBe(false);
  });
});

describe('bytesEqual', () => {
  it('compares content and length', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
