// The transparency-log half of an offline proof check: the event's leaf is in the tree whose
// checkpoint the policy's log signed and a quorum of its witnesses cosigned. The block half is
// verifyEventProof (ledger/proof.ts); `verify --proof --policy` runs both.
import { envelopeProblem, eventLeafHash, type EventEnvelope } from '../ledger/formats.js';
import { isSha256Hex, fromHex } from '../ledger/hash.js';
import { proofHashesMax, verifyInclusion } from '../ledger/tlog/tree.js';
import { checkCheckpoint, type Policy } from './policy.js';

export type TreeProofVerdict =
  | { ok: true; treeSize: number; leafIndex: number; cosignedBy: string[] }
  | { ok: false; reason: string };

/** Checks `proof.tree` (GET /v1/ledger/events/:id/proof) against `policy`. Never throws. */
export function verifyTreeProof(proof: unknown, policy: Policy): TreeProofVerdict {
  const { envelope, tree } = (proof ?? {}) as { envelope?: unknown; tree?: unknown };
  if (!envelope || typeof envelope !== 'object') {
    return { ok: false, reason: 'the proof has no "envelope"' };
  }
  const envelopeIssue = envelopeProblem(envelope as EventEnvelope);
  if (envelopeIssue !== undefined) return { ok: false, reason: `proof.envelope.${envelopeIssue}` };
  if (!tree || typeof tree !== 'object')
    return { ok: false, reason: 'the proof has no "tree" part' };
  const { leafIndex, treeSize, inclusionProof, checkpoint } = tree as Record<string, unknown>;
  if (typeof checkpoint !== 'string') {
    return {
      ok: false,
      reason: 'proof.tree.checkpoint is missing: the tree size has no signed checkpoint',
    };
  }
  const verdict = checkCheckpoint(checkpoint, policy);
  if (!verdict.ok) return { ok: false, reason: verdict.reason };
  if (treeSize !== verdict.checkpoint.treeSize) {
    return {
      ok: false,
      reason: `proof.tree.treeSize is not the checkpoint's size ${verdict.checkpoint.treeSize}`,
    };
  }
  const expectedIndex = Number((envelope as EventEnvelope).seq) - 1;
  if (leafIndex !== expectedIndex) {
    return {
      ok: false,
      reason: `proof.tree.leafIndex must be the event's seq - 1 (${expectedIndex})`,
    };
  }
  if (
    !Array.isArray(inclusionProof) ||
    inclusionProof.length > proofHashesMax ||
    !inclusionProof.every((hash) => typeof hash === 'string' && isSha256Hex(hash))
  ) {
    return { ok: false, reason: 'proof.tree.inclusionProof is not a list of hex SHA-256 hashes' };
  }
  const path = (inclusionProof as string[]).map(fromHex);
  const leaf = eventLeafHash(envelope as EventEnvelope);
  if (!verifyInclusion(leaf, expectedIndex, treeSize, path, verdict.checkpoint.rootHash)) {
    return {
      ok: false,
      reason: `the event is not leaf ${expectedIndex} of the checkpoint's tree: the event or its inclusion proof was altered`,
    };
  }
  return { ok: true, treeSize, leafIndex: expectedIndex, cosignedBy: verdict.cosignedBy };
}
