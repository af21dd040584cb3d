// Checking an event's inclusion proof in the page with WebCrypto, from the published rules
// (ARCHITECTURE.md "Hashing"): payload hash = SHA-256(JCS(payload)); leaf = SHA-256(0x00 ||
// JCS(envelope)); Merkle nodes SHA-256(0x01 || left || right) walked as RFC 9162 2.1.3.2;
// block hash = SHA-256(JCS(header)), named by the next block as its prevHash. JCS is the ledger's
// own RFC 8785 module, pure and imported by Vite into this bundle: one implementation, checked
// against the RFC's examples and an independent library (test/ledger/canonical.test.ts). The
// rest of the ledger's hashing is node:crypto, so the hashes here are WebCrypto's.
import { CanonicalJsonError, canonicalJson } from '../../src/ledger/canonical.js';

export interface Envelope {
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

export interface Block {
  header: BlockHeader;
  hash: string;
}

export interface EventProof {
  envelope: Envelope;
  payload?: unknown;
  leafIndex: number;
  auditPath: string[];
  block: Block;
}

export interface Step {
  name: string;
  ok: boolean;
  detail: string;
}

export const GENESIS_PREV_HASH = '0'.repeat(64);

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${hex} is not 64 lowercase hex characters`);
  const bytes = new Uint8Array(32);
  for (let index = 0; index < 32; index += 1) {
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const input = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    input.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(utf8(text)));
}

export async function leafHashOf(envelope: Envelope): Promise<Uint8Array> {
  return sha256(new Uint8Array([0]), utf8(canonicalJson(envelope)));
}

export async function blockHashOf(header: BlockHeader): Promise<string> {
  return sha256Hex(canonicalJson(header));
}

/** RFC 9162 section 2.1.3.2: the root the audit path leads to, or undefined if it cannot. */
export async function rootFromAuditPath(
  leaf: Uint8Array,
  leafIndex: number,
  treeSize: number,
  auditPath: Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) return undefined;
  const node = new Uint8Array([1]);
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of auditPath) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(node, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(node, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** The blocks around the proof's, as read from the chain: what its hash links to. */
export interface Neighbours {
  /** The block before (undefined for height 1). */
  previous?: Block;
  /** The block after, or undefined while the proof's block is the head. */
  next?: Block;
}

/** Every check, each with its verdict; the proof holds when all pass. */
export async function verifyProofSteps(proof: EventProof, neighbours: Neighbours): Promise<Step[]> {
  const steps: Step[] = [];
  const { envelope, block } = proof;
  if (proof.payload !== undefined) steps.push(await payloadHashStep(proof.payload, envelope));
  const leaf = await leafHashOf(envelope);
  steps.push({
    name: 'Leaf hash',
    ok: true,
    detail: `SHA-256(0x00 || JCS(envelope)) = ${toHex(leaf)}`,
  });
  const position = BigInt(envelope.seq) - BigInt(block.header.firstSeq);
  steps.push({
    name: 'Position in the block',
    ok: position === BigInt(proof.leafIndex) && proof.leafIndex < block.header.eventCount,
    detail: `seq ${envelope.seq} is leaf ${position} of block ${block.header.height} (from seq ${block.header.firstSeq}); the proof says leaf ${proof.leafIndex} of ${block.header.eventCount}`,
  });
  let root: Uint8Array | undefined;
  try {
    root = await rootFromAuditPath(
      leaf,
      proof.leafIndex,
      block.header.eventCount,
      proof.auditPath.map(fromHex),
    );
  } catch {
    root = undefined;
  }
  steps.push({
    name: 'Merkle path to the root',
    ok: root !== undefined && toHex(root) === block.header.merkleRoot,
    detail: `${proof.auditPath.length} sibling hashes lead to ${root ? toHex(root) : '(no root: the path does not fit the tree)'}; the block's root is ${block.header.merkleRoot}`,
  });
  const headerHash = await blockHashOf(block.header);
  steps.push({
    name: 'Block hash',
    ok: headerHash === block.hash,
    detail: `SHA-256(JCS(header)) = ${headerHash}; the block says ${block.hash}`,
  });
  steps.push(chainLinkBack(block, neighbours.previous));
  steps.push(chainLinkForward(block, headerHash, neighbours.next));
  return steps;
}

async function payloadHashStep(payload: unknown, envelope: Envelope): Promise<Step> {
  const name = 'Payload hash';
  let payloadHash: string;
  try {
    payloadHash = await sha256Hex(canonicalJson(payload));
  } catch (error) {
    // A payload the ledger could never have hashed (say, a lone surrogate): a failed step.
    if (!(error instanceof CanonicalJsonError)) throw error;
    return { name, ok: false, detail: `the payload has no RFC 8785 form: ${error.message}` };
  }
  return {
    name,
    ok: payloadHash === envelope.payloadHash,
    detail: `SHA-256(JCS(payload)) = ${payloadHash}; the envelope says ${envelope.payloadHash}`,
  };
}

function chainLinkBack(block: Block, previous: Block | undefined): Step {
  const name = 'Chain link to the previous block';
  if (block.header.height === 1) {
    return {
      name,
      ok: block.header.prevHash === GENESIS_PREV_HASH,
      detail: `block 1 names prevHash ${block.header.prevHash}; the first block names 64 zeros`,
    };
  }
  if (!previous) return { name, ok: false, detail: 'the previous block could not be read' };
  return {
    name,
    ok: previous.hash === block.header.prevHash,
    detail: `block ${block.header.height} names prevHash ${block.header.prevHash}; block ${previous.header.height} has hash ${previous.hash}`,
  };
}

function chainLinkForward(block: Block, headerHash: string, next: Block | undefined): Step {
  const name = 'Chain link from the next block';
  if (!next) {
    return {
      name,
      ok: true,
      detail: `block ${block.header.height} is the head: no block names it yet`,
    };
  }
  return {
    name,
    ok: next.header.prevHash === headerHash,
    detail: `block ${next.header.height} names prevHash ${next.header.prevHash}; this block hashes to ${headerHash}`,
  };
}
