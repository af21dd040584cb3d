// Offline checking of an event's inclusion proof, from a saved JSON file or an API response:
// pure, no I/O, nothing beyond the ledger's own hashing, so it can run in a CLI or a browser.
import { CanonicalJsonError, type JsonValue } from './canonical.js';
import {
  blockHashOf,
  blockHeaderProblem,
  envelopeProblem,
  eventLeafHash,
  payloadHashOf,
  type BlockHeader,
  type EventEnvelope,
} from './formats.js';
import { fromHex, isSha256Hex, toHex } from './hash.js';
import { auditPathLength, auditPathLengthMax, verifyInclusion } from './merkle.js';

export interface EventProof {
  envelope: EventEnvelope;
  /** Optional: when present, it must hash to envelope.payloadHash. */
  payload?: JsonValue;
  leafIndex: number;
  /** Lowercase hex, lowest level first (RFC 6962 PATH order). */
  auditPath: string[];
  block: { header: BlockHeader; hash: string };
}

export type ProofVerdict = { ok: true } | { ok: false; reason: string };

export interface VerifyEventProofOptions {
  /**
   * The block hash the verifier already trusts (from the chain it verified, or a published head).
   * Without it, ok means the proof is internally consistent: a forger who builds a whole fake block
   * can pass that, so a caller that cares must compare block.hash with something it trusts.
   */
  trustedBlockHash?: string;
}

/** Assembles the proof the API hands out; verifyEventProof accepts exactly this shape. */
export function eventProofOf(input: {
  envelope: EventEnvelope;
  payload?: JsonValue;
  leafIndex: number;
  auditPath: readonly Uint8Array[];
  header: BlockHeader;
}): EventProof {
  const proof: EventProof = {
    envelope: input.envelope,
    leafIndex: input.leafIndex,
    auditPath: input.auditPath.map(toHex),
    block: { header: input.header, hash: blockHashOf(input.header) },
  };
  if (input.payload !== undefined) proof.payload = input.payload;
  return proof;
}

/**
 * Checks everything a proof claims, naming the first thing that disagrees. Never throws: a
 * malformed file is a verdict too. The order goes from the block (the anchor a verifier trusts)
 * down to the event, so a reason points at the outermost thing that is wrong.
 */
export function verifyEventProof(
  proof: unknown,
  options: VerifyEventProofOptions = {},
): ProofVerdict {
  try {
    return checkProof(parseProof(proof), options);
  } catch (error) {
    if (error instanceof MalformedProof) return fail(error.message);
    // Not expected (every check above returns a verdict), but a verifier must answer, not crash.
    return fail(
      `proof could not be checked: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function checkProof(proof: EventProof, options: VerifyEventProofOptions): ProofVerdict {
  const { envelope, block } = proof;
  const envelopeIssue = envelopeProblem(envelope);
  if (envelopeIssue !== undefined) return fail(`proof.envelope.${envelopeIssue}`);
  const headerIssue = blockHeaderProblem(block.header);
  if (headerIssue !== undefined) return fail(`proof.block.header.${headerIssue}`);

  const headerHash = blockHashOf(block.header);
  if (headerHash !== block.hash) {
    return fail(
      `proof.block.hash ${block.hash} does not match proof.block.header, which hashes to ` +
        `${headerHash}: the header or its hash was altered`,
    );
  }
  const trusted = options.trustedBlockHash;
  if (trusted !== undefined && trusted !== block.hash) {
    return fail(`proof.block.hash ${block.hash} is not the trusted block hash ${trusted}`);
  }
  return checkPosition(proof) ?? checkPayload(proof) ?? checkInclusion(proof);
}

// The event's place in the block follows from its seq; a leafIndex that disagrees would prove some
// other event's slot.
function checkPosition({ envelope, leafIndex, block }: EventProof): ProofVerdict | undefined {
  const seq = BigInt(envelope.seq);
  const firstSeq = BigInt(block.header.firstSeq);
  const lastSeq = BigInt(block.header.lastSeq);
  if (seq < firstSeq || seq > lastSeq) {
    return fail(
      `proof.envelope.seq ${seq} is outside the block's seqs ` +
        `(proof.block.header.firstSeq ${firstSeq} .. lastSeq ${lastSeq})`,
    );
  }
  if (BigInt(leafIndex) !== seq - firstSeq) {
    return fail(
      `proof.leafIndex ${leafIndex} disagrees with proof.envelope.seq ${seq}, ` +
        `which is leaf ${seq - firstSeq} of a block starting at seq ${firstSeq}`,
    );
  }
  return undefined;
}

function checkPayload({ envelope, payload }: EventProof): ProofVerdict | undefined {
  if (payload === undefined) return undefined;
  let payloadHash: string;
  try {
    payloadHash = payloadHashOf(payload);
  } catch (error) {
    if (error instanceof CanonicalJsonError) {
      return fail(`proof.payload is not canonical JSON: ${error.message}`);
    }
    throw error;
  }
  if (payloadHash !== envelope.payloadHash) {
    return fail(
      `proof.payload hashes to ${payloadHash}, ` +
        `not proof.envelope.payloadHash ${envelope.payloadHash}`,
    );
  }
  return undefined;
}

function checkInclusion({ envelope, leafIndex, auditPath, block }: EventProof): ProofVerdict {
  const treeSize = block.header.eventCount;
  const expectedLength = auditPathLength(leafIndex, treeSize);
  if (auditPath.length !== expectedLength) {
    return fail(
      `proof.auditPath has ${auditPath.length} hashes, but leaf ${leafIndex} of a ` +
        `${treeSize}-leaf block needs exactly ${expectedLength}`,
    );
  }
  const leaf = eventLeafHash(envelope);
  const path = auditPath.map(fromHex);
  if (!verifyInclusion(leaf, leafIndex, treeSize, path, fromHex(block.header.merkleRoot))) {
    return fail(
      `proof.auditPath does not lead from the leaf of proof.envelope (${toHex(leaf)}) to ` +
        `proof.block.header.merkleRoot: the envelope or the audit path was altered`,
    );
  }
  return { ok: true };
}

function fail(reason: string): ProofVerdict {
  return { ok: false, reason };
}

// ---- Shape: unknown JSON to an EventProof, or a MalformedProof naming the first bad field ----

class MalformedProof extends Error {}

const envelopeKeys = [
  'v',
  'seq',
  'id',
  'type',
  'aggregateId',
  'actorOrgId',
  'createdAt',
  'payloadHash',
] as const;
const headerKeys = [
  'v',
  'height',
  'prevHash',
  'merkleRoot',
  'firstSeq',
  'lastSeq',
  'eventCount',
  'sealedAt',
] as const;

function parseProof(value: unknown): EventProof {
  const proof = objectAt(value, 'proof');
  const envelope = parseEnvelope(fieldAt(proof, 'envelope', 'proof'));
  const leafIndex = indexAt(proof, 'leafIndex', 'proof');
  const auditPath = parseAuditPath(fieldAt(proof, 'auditPath', 'proof'));
  const block = objectAt(fieldAt(proof, 'block', 'proof'), 'proof.block');
  const parsed: EventProof = {
    envelope,
    leafIndex,
    auditPath,
    block: {
      header: parseHeader(fieldAt(block, 'header', 'proof.block')),
      hash: hashAt(block, 'hash', 'proof.block'),
    },
  };
  // JSON has no undefined, so presence is what matters: `"payload": null` is a payload to check.
  if (Object.hasOwn(proof, 'payload') && proof.payload !== undefined) {
    parsed.payload = proof.payload as JsonValue; // checked by canonicalJson in checkPayload
  }
  return parsed;
}

// Unknown fields are refused inside the hashed structures: they would look like signed content to
// a reader while the hash ignores them. Elsewhere they are tolerated, so the API can add context.
function parseEnvelope(value: unknown): EventEnvelope {
  const path = 'proof.envelope';
  const record = exactObjectAt(value, path, envelopeKeys);
  return {
    v: versionAt(record, path),
    seq: stringAt(record, 'seq', path),
    id: stringAt(record, 'id', path),
    type: stringAt(record, 'type', path),
    aggregateId: stringAt(record, 'aggregateId', path),
    actorOrgId: stringAt(record, 'actorOrgId', path),
    createdAt: stringAt(record, 'createdAt', path),
    payloadHash: stringAt(record, 'payloadHash', path),
  };
}

function parseHeader(value: unknown): BlockHeader {
  const path = 'proof.block.header';
  const record = exactObjectAt(value, path, headerKeys);
  return {
    v: versionAt(record, path),
    height: indexAt(record, 'height', path),
    prevHash: stringAt(record, 'prevHash', path),
    merkleRoot: stringAt(record, 'merkleRoot', path),
    firstSeq: stringAt(record, 'firstSeq', path),
    lastSeq: stringAt(record, 'lastSeq', path),
    eventCount: indexAt(record, 'eventCount', path),
    sealedAt: stringAt(record, 'sealedAt', path),
  };
}

function parseAuditPath(value: unknown): string[] {
  if (!Array.isArray(value)) throw new MalformedProof('proof.auditPath must be an array');
  if (value.length > auditPathLengthMax) {
    throw new MalformedProof(
      `proof.auditPath has ${value.length} hashes; no tree needs more than ${auditPathLengthMax}`,
    );
  }
  return value.map((element: unknown, index) => {
    if (typeof element !== 'string' || !isSha256Hex(element)) {
      throw new MalformedProof(`proof.auditPath[${index}] must be 64 lowercase hex characters`);
    }
    return element;
  });
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedProof(`${path} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function exactObjectAt(
  value: unknown,
  path: string,
  keys: readonly string[],
): Record<string, unknown> {
  const record = objectAt(value, path);
  const unexpected = Object.keys(record).find((key) => !keys.includes(key));
  if (unexpected !== undefined) {
    throw new MalformedProof(`${path} has an unexpected field ${JSON.stringify(unexpected)}`);
  }
  return record;
}

function fieldAt(record: Record<string, unknown>, key: string, path: string): unknown {
  if (!Object.hasOwn(record, key) || record[key] === undefined) {
    throw new MalformedProof(`${path}.${key} is missing`);
  }
  return record[key];
}

function stringAt(record: Record<string, unknown>, key: string, path: string): string {
  const value = fieldAt(record, key, path);
  if (typeof value !== 'string') throw new MalformedProof(`${path}.${key} must be a string`);
  return value;
}

function hashAt(record: Record<string, unknown>, key: string, path: string): string {
  const value = stringAt(record, key, path);
  if (!isSha256Hex(value)) {
    throw new MalformedProof(`${path}.${key} must be 64 lowercase hex characters`);
  }
  return value;
}

function indexAt(record: Record<string, unknown>, key: string, path: string): number {
  const value = fieldAt(record, key, path);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedProof(`${path}.${key} must be a non-negative integer`);
  }
  return value;
}

function versionAt(record: Record<string, unknown>, path: string): 1 {
  if (fieldAt(record, 'v', path) !== 1) {
    throw new MalformedProof(`${path}.v must be 1, the only format version`);
  }
  return 1;
}
