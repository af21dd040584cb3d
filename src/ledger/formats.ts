// The exact bytes the ledger hashes (ARCHITECTURE.md "Hashing"): payload hash, event envelope leaf,
// block header hash. Anyone holding these rules can verify the chain without our code.
import { canonicalJson, type JsonValue } from './canonical.js';
import { isSha256Hex, sha256Hex, toHex } from './hash.js';
import { leafHashOfText } from './merkle.js';

export const GENESIS_PREV_HASH = '0'.repeat(64);

// seq is a Postgres bigint; a seq outside it cannot come from our database.
export const seqMax = 2n ** 63n - 1n;

export interface LedgerEvent {
  seq: bigint;
  id: string;
  type: string;
  aggregateId: string;
  actorOrgId: string;
  createdAt: Date;
  payload: JsonValue;
  payloadHash: string;
}

/** What an event's leaf commits to: everything but the payload itself, which is in by its hash. */
export interface EventEnvelope {
  v: 1;
  seq: string;
  id: string;
  type: string;
  aggregateId: string;
  actorOrgId: string;
  createdAt: string;
  payloadHash: string;
}

export interface BlockHeader {
  v: 1;
  height: number;
  prevHash: string;
  merkleRoot: string;
  firstSeq: string;
  lastSeq: string;
  eventCount: number;
  sealedAt: string;
}

export interface BlockHeaderInput {
  height: number;
  prevHash: string;
  merkleRoot: Uint8Array | string;
  firstSeq: bigint;
  lastSeq: bigint;
  eventCount: number;
  sealedAt: Date;
}

/** Lowercase hex SHA-256 of JCS(payload). */
export function payloadHashOf(payload: JsonValue): string {
  return sha256Hex(canonicalJson(payload));
}

export function envelopeOf(event: LedgerEvent): EventEnvelope {
  const envelope: EventEnvelope = {
    v: 1,
    seq: event.seq.toString(10),
    id: event.id,
    type: event.type,
    aggregateId: event.aggregateId,
    actorOrgId: event.actorOrgId,
    createdAt: isoTimestampOf(event.createdAt, 'createdAt'),
    payloadHash: event.payloadHash,
  };
  throwIfProblem(envelopeProblem(envelope), 'envelopeOf');
  return envelope;
}

/** SHA-256(0x00 || UTF-8(JCS(envelope))): the event's leaf in its block's Merkle tree. */
export function eventLeafHash(envelope: EventEnvelope): Uint8Array {
  return leafHashOfText(envelopeJcs(envelope));
}

/**
 * JCS(envelope), spelled out because sealing and verification do it for every event: the
 * keys are fixed, so they are written here in RFC 8785 order (sorted by UTF-16 code units),
 * and strings are spelled exactly as RFC 8785 does (see jcsString). A test proves this equals
 * canonicalJson(envelope) for every field value tried.
 */
export function envelopeJcs(envelope: EventEnvelope): string {
  if (envelope.v !== 1) throw new Error(`envelope v must be 1, not ${String(envelope.v)}`);
  return (
    `{"actorOrgId":${jcsString(envelope.actorOrgId)}` +
    `,"aggregateId":${jcsString(envelope.aggregateId)}` +
    `,"createdAt":${jcsString(envelope.createdAt)}` +
    `,"id":${jcsString(envelope.id)}` +
    `,"payloadHash":${jcsString(envelope.payloadHash)}` +
    `,"seq":${jcsString(envelope.seq)}` +
    `,"type":${jcsString(envelope.type)}` +
    `,"v":1}`
  );
}

// What JSON.stringify escapes in a string (", \, U+0000-U+001F, and lone surrogates; any
// surrogate sends the string the slow way). Envelope fields are uuids, digits, hex and type
// names, which have none: quoting them directly measured half the cost of JSON.stringify
// (0.25 against 0.55 µs per envelope), and verification spells one per event.
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const escapeNeeded = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), the RFC 8785 spelling of a string. */
function jcsString(text: string): string {
  return escapeNeeded.test(text) ? JSON.stringify(text) : `"${text}"`;
}

export function blockHeaderOf(input: BlockHeaderInput): BlockHeader {
  const header: BlockHeader = {
    v: 1,
    height: input.height,
    prevHash: input.prevHash,
    merkleRoot: typeof input.merkleRoot === 'string' ? input.merkleRoot : toHex(input.merkleRoot),
    firstSeq: input.firstSeq.toString(10),
    lastSeq: input.lastSeq.toString(10),
    eventCount: input.eventCount,
    sealedAt: isoTimestampOf(input.sealedAt, 'sealedAt'),
  };
  throwIfProblem(blockHeaderProblem(header), 'blockHeaderOf');
  return header;
}

/** Lowercase hex SHA-256 of JCS(header): the block hash, which the next block names as prevHash. */
export function blockHashOf(header: BlockHeader): string {
  return sha256Hex(canonicalJson(blockHeaderFields(header)));
}

/** Why `envelope` breaks the format's rules, or undefined when it keeps them. */
export function envelopeProblem(envelope: EventEnvelope): string | undefined {
  if (envelope.v !== 1) return `v must be 1, not ${String(envelope.v)}`;
  const seqProblem = decimalSeqProblem(envelope.seq);
  if (seqProblem !== undefined) return `seq ${seqProblem}`;
  for (const name of ['id', 'type', 'aggregateId', 'actorOrgId'] as const) {
    if (envelope[name].length === 0) return `${name} must not be empty`;
  }
  if (!isIsoTimestamp(envelope.createdAt))
    return 'createdAt must be ISO 8601 UTC with milliseconds';
  if (!isSha256Hex(envelope.payloadHash)) return 'payloadHash must be 64 lowercase hex characters';
  return undefined;
}

/**
 * Why `header` breaks the format's rules, or undefined when it keeps them. Seqs are gap-free and a
 * block holds a consecutive run of them, so eventCount must equal lastSeq - firstSeq + 1.
 */
export function blockHeaderProblem(header: BlockHeader): string | undefined {
  if (header.v !== 1) return `v must be 1, not ${String(header.v)}`;
  if (!Number.isSafeInteger(header.height) || header.height < 1) {
    return `height must be an integer >= 1, not ${header.height}`;
  }
  if (!isSha256Hex(header.prevHash)) return 'prevHash must be 64 lowercase hex characters';
  if ((header.height === 1) !== (header.prevHash === GENESIS_PREV_HASH)) {
    return 'prevHash must be 64 zeros for block 1 and only for block 1';
  }
  if (!isSha256Hex(header.merkleRoot)) return 'merkleRoot must be 64 lowercase hex characters';
  return blockRangeProblem(header) ?? timestampProblem(header.sealedAt, 'sealedAt');
}

function blockRangeProblem(header: BlockHeader): string | undefined {
  const firstSeqProblem = decimalSeqProblem(header.firstSeq);
  if (firstSeqProblem !== undefined) return `firstSeq ${firstSeqProblem}`;
  const lastSeqProblem = decimalSeqProblem(header.lastSeq);
  if (lastSeqProblem !== undefined) return `lastSeq ${lastSeqProblem}`;
  const firstSeq = BigInt(header.firstSeq);
  const lastSeq = BigInt(header.lastSeq);
  if (lastSeq < firstSeq) return `lastSeq ${lastSeq} is before firstSeq ${firstSeq}`;
  if (!Number.isSafeInteger(header.eventCount) || header.eventCount < 1) {
    return `eventCount must be an integer >= 1, not ${header.eventCount}`;
  }
  if (BigInt(header.eventCount) !== lastSeq - firstSeq + 1n) {
    return `eventCount ${header.eventCount} does not cover seqs ${firstSeq}..${lastSeq}`;
  }
  return undefined;
}

function timestampProblem(text: string, name: string): string | undefined {
  return isIsoTimestamp(text) ? undefined : `${name} must be ISO 8601 UTC with milliseconds`;
}

function decimalSeqProblem(text: string): string | undefined {
  // No sign, no leading zeros: one spelling per number, since the string is what gets hashed.
  if (!/^(0|[1-9][0-9]{0,18})$/.test(text))
    return `must be a decimal string, not ${JSON.stringify(text)}`;
  if (BigInt(text) > seqMax) return `${text} exceeds the largest bigint seq ${seqMax}`;
  return undefined;
}

// Date.toISOString spells years past 9999 as "+010000-..."; the format allows only four digits.
function isIsoTimestamp(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text)) return false;
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text; // rejects 2024-02-30 etc.
}

function isoTimestampOf(date: Date, name: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
  return date.toISOString();
}

function throwIfProblem(problem: string | undefined, where: string): void {
  if (problem !== undefined) throw new RangeError(`${where}: ${problem}`);
}

// Exactly the format's fields, in a fresh object: an extra property on the argument at run time
// (a LedgerEvent passed where an envelope was meant, say) must not slip into the hashed bytes.
function blockHeaderFields(header: BlockHeader): BlockHeader {
  return {
    v: header.v,
    height: header.height,
    prevHash: header.prevHash,
    merkleRoot: header.merkleRoot,
    firstSeq: header.firstSeq,
    lastSeq: header.lastSeq,
    eventCount: header.eventCount,
    sealedAt: header.sealedAt,
  };
}
