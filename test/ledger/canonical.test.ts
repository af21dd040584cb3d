// RFC 8785 conformance of canonicalJson, from the RFC's own examples, its refusals, and
// agreement with an independent implementation on random values.
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from '../../src/ledger/canonical.js';

function doubleFromBits(bitsHex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bitsHex}`));
  return view.getFloat64(0);
}

describe('canonicalJson: RFC 8785 section 3.2.2 sample', () => {
  // The RFC's input text verbatim, parsed by JSON.parse, so its number spellings reach us as the
  // doubles any JSON reader would make of them.
  const sampleText = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;
  const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;

  it('produces the RFC canonical text', () => {
    expect(canonicalJson(JSON.parse(sampleText))).toBe(expected);
  });

  it('produces the RFC section 3.2.4 UTF-8 bytes', () => {
    const rfcBytes = [
      '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72',
      '75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a',
      '5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31',
      '65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37',
      '5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30',
      '30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
    ]
      .join(' ')
      .split(' ')
      .map((byte) => parseInt(byte, 16));
    const utf8 = new TextEncoder().encode(canonicalJson(JSON.parse(sampleText)));
    expect(Array.from(utf8)).toEqual(rfcBytes);
  });
});

describe('canonicalJson: RFC 8785 section 3.2.3 property sorting', () => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };

  it('sorts keys by UTF-16 code units, in the RFC order', () => {
    const values = Object.values(JSON.parse(canonicalJson(input)) as Record<string, string>);
    // Object.values would reorder integer-like keys ("1"), so read the order from the text instead.
    const text = canonicalJson(input);
    const order = values
      .map((value) => ({ value, at: text.indexOf(`"${value}"`) }))
      .sort((left, right) => left.at - right.at)
      .map(({ value }) => value);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('produces the exact canonical text', () => {
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts nested objects too, and keeps array order', () => {
    expect(canonicalJson({ b: [3, 1, { z: 1, a: 2 }], a: { d: null, c: true } })).toBe(
      '{"a":{"c":true,"d":null},"b":[3,1,{"a":2,"z":1}]}',
    );
  });
});

describe('canonicalJson: RFC 8785 Appendix B number serialization', () => {
  const appendixB: [bitsHex: string, expected: string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(appendixB)('IEEE-754 %s serializes as %s', (bitsHex, expected) => {
    expect(canonicalJson(doubleFromBits(bitsHex))).toBe(expected);
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [-0, '0'],
    [9007199254740991, '9007199254740991'],
    [333333333.3333333, '333333333.3333333'],
    [4.5, '4.5'],
    [100, '100'],
  ])('%d serializes as %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
    expect(canonicalJson([value])).toBe(`[${expected}]`);
  });
});

describe('canonicalJson: strings', () => {
  it('escapes only what JSON requires, with lowercase \\u00xx for other controls', () => {
    expect(canonicalJson('\b\t\n\f\r"\\/\u0001\u001f\u007f\u2028é')).toBe(
      '"\\b\\t\\n\\f\\r\\"\\\\/\\u0001\\u001f\u007f\u2028é"',
    );
  });

  it('keeps a correctly paired surrogate as the character it encodes', () => {
    expect(canonicalJson('\ud83d\ude00')).toBe('"\ud83d\ude00"');
  });
});

describe('canonicalJson: refusals', () => {
  const refused: [label: string, value: unknown, path: string][] = [
    ['undefined at the top level', undefined, '$'],
    ['NaN', NaN, '$'],
    ['Infinity', Infinity, '$'],
    ['-Infinity', -Infinity, '$'],
    ['a nested NaN', { a: [1, NaN] }, '$.a[1]'],
    ['a nested Infinity', { amounts: { paid: Infinity } }, '$.amounts.paid'],
    ['a bigint', 10n, '$'],
    ['a nested bigint', { seq: 10n }, '$.seq'],
    ['a function', () => 1, '$'],
    ['a function member', { f: () => 1 }, '$.f'],
    ['a symbol', Symbol('s'), '$'],
    ['undefined in an array', [1, undefined], '$[1]'],
    ['a hole in a sparse array', [1, , 3], '$[1]'], // eslint-disable-line no-sparse-arrays
    ['a Date', new Date(0), '$'],
    ['a Map', { m: new Map() }, '$.m'],
    ['a class instance', new (class Money {})(), '$'],
    ['a lone high surrogate', 'a\ud800b', '$'],
    ['a lone low surrogate in a key', { ['\udc00']: 1 }, '$["\\udc00"]'],
    ['an object with toJSON', { toJSON: () => 'x' }, '$.toJSON'],
  ];

  it.each(refused)('throws for %s', (_label, value, path) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).path).toBe(path);
    expect((caught as CanonicalJsonError).message).toMatch(/^canonicalJson: /);
  });

  it('throws for a cycle instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(/\$\.self\.back is a circular reference/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('throws for nesting beyond the depth limit', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 300; level++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/nests deeper than 256 levels/);
  });

  it('names the kind of number it refuses', () => {
    expect(() => canonicalJson(NaN)).toThrow(
      'canonicalJson: $ is NaN, which JSON cannot represent',
    );
    expect(() => canonicalJson(1n)).toThrow(/bigint; encode it as a decimal string/);
  });
});

describe('canonicalJson: accepted edge cases', () => {
  it('omits members whose value is undefined, as JSON.stringify and jsonb do', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, number>;
    bare.b = 2;
    bare.a = 1;
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });

  it('serializes the empty containers and literals', () => {
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson('')).toBe('""');
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });
});

describe('canonicalJson against the canonicalize library (an independent RFC 8785 implementation)', () => {
  it('spells every JSON value as the library does, and refuses what it refuses', () => {
    fc.assert(
      fc.property(
        // Any UTF-16 code units in strings and keys, lone surrogates included.
        fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }),
        fc.double(),
        (value, number) => {
          for (const candidate of [value, { number, value }, [value, number]]) {
            let expected: string | undefined;
            try {
              expected = canonicalize(candidate);
            } catch {
              expected = undefined;
            }
            if (expected === undefined) {
              expect(() => canonicalJson(candidate)).toThrow(CanonicalJsonError);
            } else {
              expect(canonicalJson(candidate)).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 2_000, seed: 8785 },
    );
  });

  // Keys are sorted two ways (in place for up to 32 keys, by Array.prototype.sort beyond):
  // objects of up to 60 keys of any UTF-16 code units cross the line.
  it('orders the keys of small and large objects as the library does', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary-ascii', maxLength: 4 }), fc.integer(), {
          maxKeys: 60,
        }),
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 3 }), fc.boolean(), {
          minKeys: 20,
          maxKeys: 60,
        }),
        (ascii, unicode) => {
          for (const candidate of [ascii, unicode]) {
            expect(canonicalJson(candidate)).toBe(canonicalize(candidate));
          }
        },
      ),
      { numRuns: 500, seed: 8785 },
    );
  });
});
