// The leaf written from a binary COPY row's bytes must be the leaf of the envelope the engine
// seals: eventLeafHash over the same field values, spelled as strings. The rows are laid out
// here by hand as PostgreSQL's binary format defines each type (int8 and timestamptz as
// big-endian int64, the timestamp in microseconds since 2000-01-01, a uuid as its 16 bytes, text
// as UTF-8), and the expected createdAt is to_char's: the microseconds cut to the millisecond
// below, never rounded. test/integration/verify-bytes.test.ts holds the same to PostgreSQL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EnvelopeFieldError,
  EnvelopeLeafWriter,
  type BinaryEnvelopeFields,
} from '../../src/ledger/envelope-bytes.js';
import { eventLeafHash } from '../../src/ledger/formats.js';
import { toHex } from '../../src/ledger/hash.js';

interface FieldValues {
  seq: bigint;
  id: string;
  type: string;
  aggregateId: string;
  actorOrgId: string;
  /** Microseconds since 2000-01-01T00:00:00Z. */
  createdAtMicros: bigint;
  payloadHash: string;
}

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** Lays the values out as one buffer, the text fields at the end, in a row's order. */
function binaryFields(values: FieldValues): BinaryEnvelopeFields {
  const texts = [values.type, values.aggregateId, values.payloadHash].map((text) =>
    Buffer.from(text, 'utf8'),
  );
  const fixed = Buffer.alloc(8 + 16 + 16 + 8);
  fixed.writeBigInt64BE(values.seq, 0);
  Buffer.from(values.id.replaceAll('-', ''), 'hex').copy(fixed, 8);
  Buffer.from(values.actorOrgId.replaceAll('-', ''), 'hex').copy(fixed, 24);
  fixed.writeBigInt64BE(values.createdAtMicros, 40);
  // A few bytes in front, so no offset is zero by accident.
  const bytes = Buffer.concat([Buffer.from('prefix'), fixed, ...texts]);
  const at = 6;
  let textAt = at + fixed.length;
  const [type, aggregateId, payloadHash] = texts.map((text) => {
    const range = { start: textAt, end: textAt + text.length };
    textAt += text.length;
    return range;
  });
  return {
    bytes,
    seqAt: at,
    idAt: at + 8,
    actorOrgIdAt: at + 24,
    createdAtAt: at + 40,
    typeStart: type!.start,
    typeEnd: type!.end,
    aggregateIdStart: aggregateId!.start,
    aggregateIdEnd: aggregateId!.end,
    payloadHashStart: payloadHash!.start,
    payloadHashEnd: payloadHash!.end,
  };
}

/** to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'): the millisecond at or below. */
function createdAtText(micros: bigint): string {
  const floorMs = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  return new Date(Number(floorMs) + POSTGRES_EPOCH_MS).toISOString();
}

function expectedLeaf(values: FieldValues): string {
  return toHex(
    eventLeafHash({
      v: 1,
      seq: values.seq.toString(),
      id: values.id,
      type: values.type,
      aggregateId: values.aggregateId,
      actorOrgId: values.actorOrgId,
      createdAt: createdAtText(values.createdAtMicros),
      payloadHash: values.payloadHash,
    }),
  );
}

function writtenLeaf(values: FieldValues, writer = new EnvelopeLeafWriter()): string {
  const target = new Uint8Array(64).fill(0xee);
  writer.leafInto(binaryFields(values), target, 16);
  // Only the 32 bytes at the offset are written.
  expect(toHex(target.subarray(0, 16))).toBe('ee'.repeat(16));
  expect(toHex(target.subarray(48))).toBe('ee'.repeat(16));
  return toHex(target.subarray(16, 48));
}

const micros = (iso: string, extraMicros = 0n) =>
  BigInt(Date.parse(iso) - POSTGRES_EPOCH_MS) * 1000n + extraMicros;

const engineEvent: FieldValues = {
  seq: 42n,
  id: '0b0e5c1e-7a4f-4c1b-9d1a-3f2e8c6b5a49',
  type: 'claim.submitted',
  aggregateId: 'b9a3c1d2-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  actorOrgId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  createdAtMicros: micros('2024-05-06T07:08:09.010Z', 999n),
  payloadHash: '922f36e1c079fd0cd985c7c84710982f6454df3c7b61520c6c629a7cb7ce146a',
};

describe('EnvelopeLeafWriter', () => {
  it("writes an engine event's leaf, its microseconds cut to the millisecond", () => {
    expect(createdAtText(engineEvent.createdAtMicros)).toBe('2024-05-06T07:08:09.010Z');
    expect(writtenLeaf(engineEvent)).toBe(expectedLeaf(engineEvent));
  });

  it.each([
    ['one microsecond before 2000', -1n, '1999-12-31T23:59:59.999Z'],
    ['2000 itself', 0n, '2000-01-01T00:00:00.000Z'],
    ['before 1970', micros('1900-02-28T23:59:59.999Z', 999n), '1900-02-28T23:59:59.999Z'],
    ['a leap day', micros('2024-02-29T23:59:59.999Z', 999n), '2024-02-29T23:59:59.999Z'],
    [
      'past 2142 (beyond 2^52 microseconds)',
      micros('2500-03-01T12:00:00.001Z', 1n),
      '2500-03-01T12:00:00.001Z',
    ],
    ['the first instant of year 1', micros('0001-01-01T00:00:00.000Z'), '0001-01-01T00:00:00.000Z'],
    ['the last of 9999', micros('9999-12-31T23:59:59.999Z', 999n), '9999-12-31T23:59:59.999Z'],
  ])('spells a timestamp of %s as to_char does', (_, createdAtMicros, text) => {
    expect(createdAtText(createdAtMicros)).toBe(text);
    const values = { ...engineEvent, createdAtMicros };
    expect(writtenLeaf(values)).toBe(expectedLeaf(values));
  });

  it('spells seqs past 2^53 exactly', () => {
    for (const seq of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n]) {
      const values = { ...engineEvent, seq };
      expect(writtenLeaf(values)).toBe(expectedLeaf(values));
    }
  });

  it('escapes text fields as JSON does when they need it', () => {
    const values = {
      ...engineEvent,
      type: 'say "hi"\\now',
      aggregateId: 'tab\there\u0001 é € 😀',
    };
    expect(writtenLeaf(values)).toBe(expectedLeaf(values));
  });

  it('refuses a negative seq and a timestamp outside the years 0001-9999', () => {
    const writer = new EnvelopeLeafWriter();
    const refused = (values: FieldValues) => () =>
      writer.leafInto(binaryFields(values), new Uint8Array(32), 0);
    expect(refused({ ...engineEvent, seq: -1n })).toThrow(EnvelopeFieldError);
    expect(
      refused({ ...engineEvent, createdAtMicros: micros('+010000-01-01T00:00:00.000Z') }),
    ).toThrow(new EnvelopeFieldError('createdAt is outside the years 0001-9999'));
    expect(
      refused({ ...engineEvent, createdAtMicros: micros('0001-01-01T00:00:00.000Z', -1n) }),
    ).toThrow(EnvelopeFieldError);
    // A refusal leaves the writer as good as new.
    expect(writtenLeaf(engineEvent, writer)).toBe(expectedLeaf(engineEvent));
  });

  it('equals eventLeafHash for any fields, one writer reused across them all', () => {
    const writer = new EnvelopeLeafWriter();
    const anyText = fc.string({ unit: 'grapheme', maxLength: 300 });
    const values = fc.record({
      seq: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      id: fc.uuid(),
      type: anyText,
      aggregateId: fc.oneof(fc.uuid(), anyText),
      actorOrgId: fc.uuid(),
      createdAtMicros: fc.bigInt({
        min: micros('0001-01-01T00:00:00.000Z'),
        max: micros('9999-12-31T23:59:59.999Z', 999n),
      }),
      payloadHash: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), anyText),
    });
    fc.assert(
      fc.property(values, (event) => {
        expect(writtenLeaf(event, writer)).toBe(expectedLeaf(event));
      }),
      { numRuns: 2_000 },
    );
  });
});
