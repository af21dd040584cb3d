// An event's leaf, SHA-256(0x00 || UTF-8(JCS(envelope))), written straight from the column bytes
// of a binary COPY row: what sealing and verification do for every event. Building the
// envelope's strings first (and having PostgreSQL format uuids, seqs and timestamps as text for
// it) measured most of verification's cost; here the only strings are the 64-hex digests. A test
// holds this to eventLeafHash(envelopeOf(…)) for every field value tried.
import { sha256Into } from './hash.js';

/** Where an envelope's fields sit in a buffer, as PostgreSQL's binary format holds them. */
export interface BinaryEnvelopeFields {
  bytes: Buffer;
  /** int8, big-endian. */
  seqAt: number;
  /** uuid, 16 bytes. */
  idAt: number;
  /** UTF-8 text in [typeStart, typeEnd). */
  typeStart: number;
  typeEnd: number;
  aggregateIdStart: number;
  aggregateIdEnd: number;
  /** uuid, 16 bytes. */
  actorOrgIdAt: number;
  /** timestamptz: int8 microseconds since 2000-01-01T00:00:00Z, big-endian. */
  createdAtAt: number;
  /** Lowercase hex text. */
  payloadHashStart: number;
  payloadHashEnd: number;
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');
// The envelope's keys in RFC 8785 order, as envelopeJcs writes them; 0x00 is the leaf prefix.
const OPEN_ACTOR_ORG_ID = latin1('\u0000{"actorOrgId":"');
const THEN_AGGREGATE_ID = latin1('","aggregateId":');
const THEN_CREATED_AT = latin1(',"createdAt":"');
const THEN_ID = latin1('","id":"');
const THEN_PAYLOAD_HASH = latin1('","payloadHash":');
const THEN_SEQ = latin1(',"seq":"');
const THEN_TYPE = latin1('","type":');
const CLOSE = latin1(',"v":1}');

const HEX_DIGITS = latin1('0123456789abcdef');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;

/** The envelope's own limits: seq a non-negative int8 spelled in decimal, years 0001-9999. */
export class EnvelopeFieldError extends Error {}

/** Milliseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for timestamps. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const MS_PER_DAY = 86_400_000;
const FIRST_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * Writes the event's leaf hash into `target` at `offset`. The text fields are copied as they are
 * stored when JCS spells them so (no quote, backslash or control character: true of every uuid,
 * type name and hex digest the engine writes); otherwise JSON.stringify spells them, as
 * envelopeJcs does. Throws EnvelopeFieldError for a seq or timestamp no envelope can hold.
 */
export class EnvelopeLeafWriter {
  private scratch = Buffer.alloc(512);
  private length = 0;
  // "YYYY-MM-DDT" of the day last written: consecutive events are mostly of one day.
  private cachedDay = Number.NaN;
  private readonly cachedDayText = Buffer.alloc(11);

  leafInto(fields: BinaryEnvelopeFields, target: Uint8Array, offset: number): void {
    const { bytes } = fields;
    this.length = 0;
    this.reserve(0);
    this.put(OPEN_ACTOR_ORG_ID);
    this.uuid(bytes, fields.actorOrgIdAt);
    this.put(THEN_AGGREGATE_ID);
    this.jcsString(bytes, fields.aggregateIdStart, fields.aggregateIdEnd);
    this.put(THEN_CREATED_AT);
    this.timestamp(bytes, fields.createdAtAt);
    this.put(THEN_ID);
    this.uuid(bytes, fields.idAt);
    this.put(THEN_PAYLOAD_HASH);
    this.jcsString(bytes, fields.payloadHashStart, fields.payloadHashEnd);
    this.put(THEN_SEQ);
    this.seq(bytes, fields.seqAt);
    this.put(THEN_TYPE);
    this.jcsString(bytes, fields.typeStart, fields.typeEnd);
    this.put(CLOSE);
    sha256Into(this.scratch.subarray(0, this.length), target, offset);
  }

  /** Room for `more` bytes beyond what is written, and for the fixed-width fields after it. */
  private reserve(more: number): void {
    const needed = this.length + more + 256;
    if (needed <= this.scratch.length) return;
    const grown = Buffer.alloc(Math.max(needed, 2 * this.scratch.length));
    this.scratch.copy(grown, 0, 0, this.length);
    this.scratch = grown;
  }

  // Byte by byte: for a dozen bytes a loop measured faster than Buffer.copy's call into C++.
  private put(literal: Buffer): void {
    const out = this.scratch;
    let position = this.length;
    for (let index = 0; index < literal.length; index++) out[position++] = literal[index]!;
    this.length = position;
  }

  private uuid(bytes: Buffer, at: number): void {
    const out = this.scratch;
    let position = this.length;
    for (let index = 0; index < 16; index++) {
      if (index === 4 || index === 6 || index === 8 || index === 10) out[position++] = 0x2d;
      const byte = bytes[at + index]!;
      out[position++] = HEX_DIGITS[byte >> 4]!;
      out[position++] = HEX_DIGITS[byte & 0x0f]!;
    }
    this.length = position;
  }

  private jcsString(bytes: Buffer, start: number, end: number): void {
    this.reserve(end - start + 2);
    const out = this.scratch;
    let position = this.length;
    out[position++] = QUOTE;
    for (let index = start; index < end; index++) {
      const byte = bytes[index]!;
      if (byte < SPACE || byte === QUOTE || byte === BACKSLASH) {
        // Rare: spelled as JSON.stringify does, so the bytes match envelopeJcs.
        const spelled = Buffer.from(JSON.stringify(bytes.toString('utf8', start, end)), 'utf8');
        this.reserve(spelled.length);
        this.put(spelled);
        return;
      }
      out[position++] = byte;
    }
    out[position++] = QUOTE;
    this.length = position;
  }

  private seq(bytes: Buffer, at: number): void {
    const high = bytes.readInt32BE(at);
    if (high < 0) throw new EnvelopeFieldError('seq is negative');
    // Exact as a double below 2^53; past it (never reached by a real ledger) through BigInt.
    const text =
      high < 0x200000
        ? String(high * 0x1_0000_0000 + bytes.readUInt32BE(at + 4))
        : bytes.readBigInt64BE(at).toString();
    this.length += this.scratch.write(text, this.length, 'latin1');
  }

  /** ISO 8601 UTC with milliseconds, as PostgreSQL's to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'). */
  private timestamp(bytes: Buffer, at: number): void {
    const ms = millisecondsOf(bytes, at) + POSTGRES_EPOCH_MS;
    if (!(ms >= FIRST_MS && ms <= LAST_MS)) {
      throw new EnvelopeFieldError('createdAt is outside the years 0001-9999');
    }
    const day = Math.floor(ms / MS_PER_DAY);
    if (day !== this.cachedDay) {
      this.cachedDayText.write(new Date(day * MS_PER_DAY).toISOString().slice(0, 11), 0, 'latin1');
      this.cachedDay = day;
    }
    this.put(this.cachedDayText);
    let rest = ms - day * MS_PER_DAY;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    this.digits(hours, 2);
    this.scratch[this.length++] = 0x3a;
    this.digits(minutes, 2);
    this.scratch[this.length++] = 0x3a;
    this.digits(seconds, 2);
    this.scratch[this.length++] = 0x2e;
    this.digits(rest - seconds * 1000, 3);
    this.scratch[this.length++] = 0x5a;
  }

  private digits(value: number, width: number): void {
    let rest = value;
    for (let index = width - 1; index >= 0; index--) {
      this.scratch[this.length + index] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.length += width;
  }
}

/**
 * The whole milliseconds of a timestamp's microseconds since 2000, rounded towards the earlier
 * millisecond as to_char's MS is. In integers: a double divided by 1000 can round up to the next
 * millisecond once the count passes 2^43 (about 2278).
 */
function millisecondsOf(bytes: Buffer, at: number): number {
  const high = bytes.readInt32BE(at);
  if (high >= -0x100000 && high < 0x100000) {
    // Below 2^52 in magnitude (the years 1858-2142): exact as a double, and so is each step.
    const micros = high * 0x1_0000_0000 + bytes.readUInt32BE(at + 4);
    const underMs = ((micros % 1000) + 1000) % 1000;
    return (micros - underMs) / 1000;
  }
  const micros = bytes.readBigInt64BE(at);
  return Number((micros - (((micros % 1000n) + 1000n) % 1000n)) / 1000n);
}
