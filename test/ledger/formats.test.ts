// The ledger's hashed formats, pinned to bytes and hashes derived outside this code base.
//
// Every expected hash below was computed once, independently of src/ledger, with Python 3:
//   jcs = json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
//   hashlib.sha256(jcs.encode()).hexdigest()            # payload hash, block hash
//   hashlib.sha256(b'\x00' + jcs.encode()).hexdigest()   # leaf hash
// (for these ASCII-keyed, integer-only objects that is exactly RFC 8785), and confirmed with
// coreutils, e.g.  { printf '\x00'; printf '%s' '<envelope JCS>'; } | sha256sum
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/ledger/canonical.js';
import {
  envelopeJcs,
  GENESIS_PREV_HASH,
  blockHashOf,
  blockHeaderOf,
  blockHeaderProblem,
  envelopeOf,
  envelopeProblem,
  eventLeafHash,
  payloadHashOf,
  type BlockHeader,
  type EventEnvelope,
  type LedgerEvent,
} from '../../src/ledger/formats.js';
import { fromHex, sha256Hex, toHex } from '../../src/ledger/hash.js';

const payload = {
  claimId: 'clm_01HZX3',
  totalCharge: '123.45',
  lineCount: 2,
  frequencyCode: '1',
  note: 'café €',
};
const expectedPayloadJcs =
  '{"claimId":"clm_01HZX3","frequencyCode":"1","lineCount":2,"note":"café €","totalCharge":"123.45"}';
const expectedPayloadHash = '922f36e1c079fd0cd985c7c84710982f6454df3c7b61520c6c629a7cb7ce146a';

const event: LedgerEvent = {
  seq: 42n,
  id: '0b0e5c1e-7a4f-4c1b-9d1a-3f2e8c6b5a49',
  type: 'claim.submitted',
  aggregateId: 'clm_01HZX3',
  actorOrgId: 'org_provider_1',
  createdAt: new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 10)),
  payload,
  payloadHash: expectedPayloadHash,
};
const expectedEnvelopeJcs =
  '{"actorOrgId":"org_provider_1","aggregateId":"clm_01HZX3","createdAt":"2024-05-06T07:08:09.010Z",' +
  '"id":"0b0e5c1e-7a4f-4c1b-9d1a-3f2e8c6b5a49",' +
  '"payloadHash":"922f36e1c079fd0cd985c7c84710982f6454df3c7b61520c6c629a7cb7ce146a",' +
  '"seq":"42","type":"claim.submitted","v":1}';
const expectedLeafHash = '124a3dde661235dc16c15f6fb9b95a584077bde818c05358d20539146e1100f9';

// prevHash = sha256("block 6"), merkleRoot = sha256("root"): arbitrary but fixed.
const prevHash = 'a56e2a48b9d79b3b1e69ce262b5725591f340c427b75c8203fb9da5969bdb4e9';
const merkleRootHex = '4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2';
const sealedAt = new Date('2024-05-06T07:08:10.000Z');
const expectedHeaderJcs =
  '{"eventCount":5,"firstSeq":"40","height":7,"lastSeq":"44",' +
  '"merkleRoot":"4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2",' +
  '"prevHash":"a56e2a48b9d79b3b1e69ce262b5725591f340c427b75c8203fb9da5969bdb4e9",' +
  '"sealedAt":"2024-05-06T07:08:10.000Z","v":1}';
const expectedBlockHash = 'ef18eb2e04afa2f464c0635d046049c0bb65f3042c53097dd99f693377403440';
const expectedGenesisBlockHash = 'e984234d6745c266e8b6e77575af58421b107264ef96b33f79e436b56816e26d';

function header7(): BlockHeader {
  return blockHeaderOf({
    height: 7,
    prevHash,
    merkleRoot: merkleRootHex,
    firstSeq: 40n,
    lastSeq: 44n,
    eventCount: 5,
    sealedAt,
  });
}

describe('payloadHashOf', () => {
  it('is the SHA-256 of the JCS text', () => {
    expect(canonicalJson(payload)).toBe(expectedPayloadJcs);
    expect(payloadHashOf(payload)).toBe(expectedPayloadHash);
  });

  it('ignores key order and refuses what JSON cannot hold', () => {
    const reordered = { note: 'café €', lineCount: 2, totalCharge: '123.45', frequencyCode: '1' };
    expect(payloadHashOf({ ...reordered, claimId: 'clm_01HZX3' })).toBe(expectedPayloadHash);
    expect(() => payloadHashOf({ amount: NaN })).toThrow(/\$\.amount is NaN/);
  });
});

describe('envelopeOf and eventLeafHash', () => {
  it('spells seq as a decimal string and createdAt as UTC with milliseconds', () => {
    expect(envelopeOf(event)).toEqual({
      v: 1,
      seq: '42',
      id: '0b0e5c1e-7a4f-4c1b-9d1a-3f2e8c6b5a49',
      type: 'claim.submitted',
      aggregateId: 'clm_01HZX3',
      actorOrgId: 'org_provider_1',
      createdAt: '2024-05-06T07:08:09.010Z',
      payloadHash: expectedPayloadHash,
    });
  });

  it('has the exact JCS text and leaf hash', () => {
    const envelope = envelopeOf(event);
    expect(canonicalJson(envelope)).toBe(expectedEnvelopeJcs);
    expect(toHex(eventLeafHash(envelope))).toBe(expectedLeafHash);
  });

  it('hashes only the envelope fields, whatever else the object carries', () => {
    const withExtras = { ...envelopeOf(event), payload, note: 'not hashed' } as EventEnvelope;
    expect(toHex(eventLeafHash(withExtras))).toBe(expectedLeafHash);
  });

  it('changes the leaf when any field changes', () => {
    const envelope = envelopeOf(event);
    const variants: EventEnvelope[] = [
      { ...envelope, seq: '43' },
      { ...envelope, id: `${envelope.id.slice(0, -1)}a` },
      { ...envelope, type: 'claim.voided' },
      { ...envelope, aggregateId: 'clm_01HZX4' },
      { ...envelope, actorOrgId: 'org_provider_2' },
      { ...envelope, createdAt: '2024-05-06T07:08:09.011Z' },
      { ...envelope, payloadHash: sha256Hex('other') },
    ];
    const leaves = new Set(variants.map((variant) => toHex(eventLeafHash(variant))));
    expect(leaves.size).toBe(variants.length);
    expect(leaves.has(expectedLeafHash)).toBe(false);
  });

  it('keeps a seq beyond 2^53 exact', () => {
    const envelope = envelopeOf({ ...event, seq: 9007199254740993n });
    expect(envelope.seq).toBe('9007199254740993');
    expect(canonicalJson(envelope)).toContain('"seq":"9007199254740993"');
    // Independently computed as above, with "seq":"9007199254740993".
    expect(toHex(eventLeafHash(envelope))).toBe(
      'c04a01505ab2dac63064e8a1024bae636c58a62fa725a6879a395046d03aac58',
    );
    expect(envelopeOf({ ...event, seq: 2n ** 63n - 1n }).seq).toBe('9223372036854775807');
  });

  it('refuses events that cannot be spelled in the format', () => {
    expect(() => envelopeOf({ ...event, seq: -1n })).toThrow(/seq must be a decimal string/);
    expect(() => envelopeOf({ ...event, seq: 2n ** 63n })).toThrow(/exceeds the largest/);
    expect(() => envelopeOf({ ...event, createdAt: new Date(NaN) })).toThrow(/valid Date/);
    expect(() => envelopeOf({ ...event, createdAt: new Date('+010000-01-01T00:00:00Z') })).toThrow(
      /createdAt must be ISO 8601/,
    );
    expect(() => envelopeOf({ ...event, payloadHash: 'ABC' })).toThrow(/payloadHash/);
    expect(() => envelopeOf({ ...event, aggregateId: '' })).toThrow(
      /aggregateId must not be empty/,
    );
  });
});

describe('blockHeaderOf and blockHashOf', () => {
  it('has the exact JCS text and block hash', () => {
    const header = header7();
    expect(canonicalJson(header)).toBe(expectedHeaderJcs);
    expect(blockHashOf(header)).toBe(expectedBlockHash);
  });

  it('takes the merkle root as bytes or hex', () => {
    const fromBytes = blockHeaderOf({
      height: 7,
      prevHash,
      merkleRoot: fromHex(merkleRootHex),
      firstSeq: 40n,
      lastSeq: 44n,
      eventCount: 5,
      sealedAt,
    });
    expect(fromBytes).toEqual(header7());
  });

  it('hashes block 1 with the genesis prevHash', () => {
    const genesis = blockHeaderOf({
      height: 1,
      prevHash: GENESIS_PREV_HASH,
      merkleRoot: merkleRootHex,
      firstSeq: 1n,
      lastSeq: 1n,
      eventCount: 1,
      sealedAt,
    });
    expect(GENESIS_PREV_HASH).toBe('0'.repeat(64));
    expect(blockHashOf(genesis)).toBe(expectedGenesisBlockHash);
  });

  it('hashes only the header fields', () => {
    const withExtras = { ...header7(), hash: 'not hashed' } as BlockHeader;
    expect(blockHashOf(withExtras)).toBe(expectedBlockHash);
  });

  it('keeps seqs beyond 2^53 exact', () => {
    const header = blockHeaderOf({
      height: 2,
      prevHash,
      merkleRoot: merkleRootHex,
      firstSeq: 9007199254740993n,
      lastSeq: 9007199254740997n,
      eventCount: 5,
      sealedAt,
    });
    expect(header.firstSeq).toBe('9007199254740993');
    expect(header.lastSeq).toBe('9007199254740997');
  });

  const valid = {
    height: 7,
    prevHash,
    merkleRoot: merkleRootHex,
    firstSeq: 40n,
    lastSeq: 44n,
    eventCount: 5,
    sealedAt,
  };
  it.each([
    ['height 0', { ...valid, height: 0 }, /height must be an integer >= 1/],
    ['fractional height', { ...valid, height: 1.5 }, /height must be an integer >= 1/],
    ['genesis prevHash above block 1', { ...valid, prevHash: GENESIS_PREV_HASH }, /64 zeros/],
    ['block 1 without the genesis prevHash', { ...valid, height: 1 }, /64 zeros/],
    ['uppercase prevHash', { ...valid, prevHash: prevHash.toUpperCase() }, /prevHash must be 64/],
    ['short merkle root', { ...valid, merkleRoot: 'abcd' }, /merkleRoot must be 64/],
    ['short merkle root bytes', { ...valid, merkleRoot: new Uint8Array(31) }, /merkleRoot/],
    ['lastSeq before firstSeq', { ...valid, lastSeq: 39n }, /lastSeq 39 is before firstSeq 40/],
    [
      'eventCount off by one',
      { ...valid, eventCount: 4 },
      /eventCount 4 does not cover seqs 40\.\.44/,
    ],
    ['eventCount 0', { ...valid, eventCount: 0 }, /eventCount must be an integer >= 1/],
    ['negative firstSeq', { ...valid, firstSeq: -1n }, /firstSeq must be a decimal string/],
    ['invalid sealedAt', { ...valid, sealedAt: new Date(NaN) }, /sealedAt must be a valid Date/],
  ])('refuses %s', (_label, input, message) => {
    expect(() => blockHeaderOf(input)).toThrow(message);
  });
});

describe('envelopeProblem and blockHeaderProblem (as used on untrusted proofs)', () => {
  const envelope = envelopeOf(event);
  it.each([
    ['seq with a leading zero', { seq: '042' }, /seq must be a decimal string/],
    ['seq with a sign', { seq: '+42' }, /seq must be a decimal string/],
    ['seq in exponent form', { seq: '4.2e1' }, /seq must be a decimal string/],
    ['createdAt without milliseconds', { createdAt: '2024-05-06T07:08:09Z' }, /createdAt/],
    ['createdAt with an offset', { createdAt: '2024-05-06T09:08:09.010+02:00' }, /createdAt/],
    ['createdAt on 30 February', { createdAt: '2024-02-30T07:08:09.010Z' }, /createdAt/],
    ['v 2', { v: 2 }, /v must be 1/],
    ['empty type', { type: '' }, /type must not be empty/],
  ])('envelope: %s', (_label, change, message) => {
    expect(envelopeProblem({ ...envelope, ...change } as EventEnvelope)).toMatch(message);
  });

  it('accepts a well-formed envelope and header', () => {
    expect(envelopeProblem(envelope)).toBeUndefined();
    expect(blockHeaderProblem(header7())).toBeUndefined();
  });

  it('header: a sealedAt that is not UTC with milliseconds', () => {
    expect(blockHeaderProblem({ ...header7(), sealedAt: '2024-05-06 07:08:10' })).toMatch(
      /sealedAt must be ISO 8601 UTC with milliseconds/,
    );
  });
});

describe('envelopeJcs (the hand-spelled JCS used on the hot path)', () => {
  // Field values chosen to hit JCS's string rules: escapes, control characters, non-ASCII,
  // characters outside the BMP (surrogate pairs), and long seqs.
  const samples = [
    '',
    'a',
    'ClaimSubmitted',
    'quote " backslash \\ slash /',
    '\u0000\u001f\u007f',
    'é€😀',
    '\u2028\u2029',
  ];
  it('equals canonicalJson(envelope) for every combination tried', () => {
    for (const [index, text] of samples.entries()) {
      const envelope = {
        v: 1 as const,
        seq: String(2n ** 62n + BigInt(index)),
        id: `id-${text}`,
        type: text,
        aggregateId: text + 'x',
        actorOrgId: `org ${text}`,
        createdAt: '2026-11-25T12:00:00.123Z',
        payloadHash: 'ab'.repeat(32),
      };
      expect(envelopeJcs(envelope)).toBe(canonicalJson(envelope));
    }
  });

  // Any UTF-16 code unit, lone surrogates included, and the characters JSON escapes, often.
  const codeUnit = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\ud83d', '\ude00', '😀', 'é', 'a'),
  );
  const text = fc.string({ unit: codeUnit, maxLength: 40 });
  const envelopeOfTexts = (texts: string[]): EventEnvelope => ({
    v: 1,
    seq: '42',
    id: texts[0]!,
    type: texts[1]!,
    aggregateId: texts[2]!,
    actorOrgId: texts[3]!,
    createdAt: texts[4]!,
    payloadHash: texts[5]!,
  });

  it('equals canonicalJson(envelope) for random field values', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 6, maxLength: 6 }), (texts) => {
        const envelope = envelopeOfTexts(texts);
        // canonicalJson refuses lone surrogates (no JCS form); envelopeJcs escapes them as
        // JSON.stringify does, which no stored field can contain (PostgreSQL text is UTF-8).
        if (!texts.some((value) => /\p{Surrogate}/u.test(value))) {
          expect(envelopeJcs(envelope)).toBe(canonicalJson(envelope));
        }
        expect(JSON.parse(envelopeJcs(envelope))).toEqual(envelope);
        expect(envelopeJcs(envelope)).toBe(
          `{"actorOrgId":${JSON.stringify(texts[3])},"aggregateId":${JSON.stringify(texts[2])},` +
            `"createdAt":${JSON.stringify(texts[4])},"id":${JSON.stringify(texts[0])},` +
            `"payloadHash":${JSON.stringify(texts[5])},"seq":"42","type":${JSON.stringify(texts[1])},"v":1}`,
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
