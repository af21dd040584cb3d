// The console's in-page proof check (console/src/proof.ts, WebCrypto) against the ledger's own
// hashing: every proof the server would hand out passes each step, and each kind of tampering
// fails the step that names it. Node's global WebCrypto is the browser's API.
import { describe, expect, it } from 'vitest';
import {
  blockHashOf as consoleBlockHashOf,
  leafHashOf,
  rootFromAuditPath,
  verifyProofSteps,
  type Block,
  type EventProof,
} from '../../console/src/proof.js';
import {
  blockHashOf,
  blockHeaderOf,
  envelopeOf,
  eventLeafHash,
  GENESIS_PREV_HASH,
  payloadHashOf,
} from '../../src/ledger/formats.js';
import { toHex } from '../../src/ledger/hash.js';
import { auditPath, merkleRoot } from '../../src/ledger/merkle.js';

const ORG = '00000000-0000-4000-8000-000000000001';

function envelopes(firstSeq: bigint, count: number) {
  return Array.from({ length: count }, (_, index) => {
    const payload = {
      index,
      amount: `${index}.50`,
      note: 'é ✓ "quoted"',
      nested: { b: 1, a: [true, null] },
    };
    const envelope = envelopeOf({
      seq: firstSeq + BigInt(index),
      id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      type: 'TestEvent',
      aggregateId: `aggregate-${index}`,
      actorOrgId: ORG,
      createdAt: new Date(Date.UTC(2026, 11, 1, 2, 0, 0, index)),
      payload,
      payloadHash: payloadHashOf(payload),
    });
    return { envelope, payload };
  });
}

/** A block of `count` events after `previousHash`, and the server-shaped proof of each. */
function blockWithProofs(height: number, prevHash: string, firstSeq: bigint, count: number) {
  const events = envelopes(firstSeq, count);
  const leaves = events.map(({ envelope }) => eventLeafHash(envelope));
  const header = blockHeaderOf({
    height,
    prevHash,
    merkleRoot: merkleRoot(leaves),
    firstSeq,
    lastSeq: firstSeq + BigInt(count - 1),
    eventCount: count,
    sealedAt: new Date(Date.UTC(2026, 11, 1, 3)),
  });
  const block: Block = { header, hash: blockHashOf(header) };
  const proofs: EventProof[] = events.map(({ envelope, payload }, leafIndex) => ({
    envelope,
    payload,
    leafIndex,
    auditPath: auditPath(leaves, leafIndex).map(toHex),
    block,
  }));
  return { block, proofs };
}

const allPass = (steps: { ok: boolean }[]) => steps.every((step) => step.ok);
const failed = (steps: { name: string; ok: boolean }[]) =>
  steps.filter((step) => !step.ok).map((step) => step.name);

describe('console proof check', () => {
  it('hashes a leaf as RFC 6962 does: SHA-256(0x00 || JCS(envelope))', async () => {
    for (const { envelope } of envelopes(1n, 5)) {
      expect(toHex(await leafHashOf(envelope))).toBe(toHex(eventLeafHash(envelope)));
    }
  });

  it('hashes a block header as the ledger does: SHA-256(JCS(header))', async () => {
    const { block } = blockWithProofs(4, 'ab'.repeat(32), 10n, 3);
    expect(await consoleBlockHashOf(block.header)).toBe(blockHashOf(block.header));
  });

  it('fails the payload step, naming why, for a payload with no RFC 8785 form', async () => {
    const proof = structuredClone(blockWithProofs(1, GENESIS_PREV_HASH, 1n, 2).proofs[1]!);
    // What JSON.parse makes of "\ud800": a lone surrogate, which has no UTF-8 and no JCS form.
    (proof.payload as { note: string }).note = '\ud800';
    const steps = await verifyProofSteps(proof, {});
    expect(steps[0]).toEqual({
      name: 'Payload hash',
      ok: false,
      detail:
        'the payload has no RFC 8785 form: canonicalJson: $.note is a string with a lone UTF-16 surrogate',
    });
    expect(failed(steps)).toEqual(['Payload hash']);
  });

  it('walks every audit path of trees of 1 to 9 leaves to the root', async () => {
    for (let count = 1; count <= 9; count += 1) {
      const { proofs } = blockWithProofs(1, GENESIS_PREV_HASH, 1n, count);
      for (const proof of proofs) {
        const steps = await verifyProofSteps(proof, {});
        expect(failed(steps), `leaf ${proof.leafIndex} of ${count}`).toEqual([]);
        expect(steps).toHaveLength(7);
      }
    }
  });

  it('checks the chain link both ways', async () => {
    const first = blockWithProofs(1, GENESIS_PREV_HASH, 1n, 3);
    const second = blockWithProofs(2, first.block.hash, 4n, 5);
    const third = blockWithProofs(3, second.block.hash, 9n, 2);
    const proof = second.proofs[3]!;
    expect(
      allPass(await verifyProofSteps(proof, { previous: first.block, next: third.block })),
    ).toBe(true);
    const forged = blockWithProofs(1, GENESIS_PREV_HASH, 1n, 4).block;
    expect(failed(await verifyProofSteps(proof, { previous: forged, next: third.block }))).toEqual([
      'Chain link to the previous block',
    ]);
    const unlinked = blockWithProofs(3, forged.hash, 9n, 2).block;
    expect(
      failed(await verifyProofSteps(proof, { previous: first.block, next: unlinked })),
    ).toEqual(['Chain link from the next block']);
    // A block past the first without its predecessor cannot be linked.
    expect(failed(await verifyProofSteps(proof, {}))).toEqual(['Chain link to the previous block']);
  });

  it('names the step each kind of tampering breaks', async () => {
    const { proofs } = blockWithProofs(1, GENESIS_PREV_HASH, 1n, 6);
    const proof = proofs[2]!;
    const tampered = async (change: (copy: EventProof) => void) => {
      const copy = structuredClone(proof);
      change(copy);
      return failed(await verifyProofSteps(copy, {}));
    };
    expect(await tampered((p) => ((p.payload as { amount: string }).amount = '9.50'))).toEqual([
      'Payload hash',
    ]);
    expect(await tampered((p) => (p.envelope.type = 'OtherEvent'))).toEqual([
      'Merkle path to the root',
    ]);
    expect(await tampered((p) => (p.auditPath[0] = '0'.repeat(64)))).toEqual([
      'Merkle path to the root',
    ]);
    expect(await tampered((p) => p.auditPath.pop())).toEqual(['Merkle path to the root']);
    expect(await tampered((p) => (p.leafIndex = 3))).toEqual([
      'Position in the block',
      'Merkle path to the root',
    ]);
    expect(await tampered((p) => (p.block.header.sealedAt = '2026-12-01T03:00:00.001Z'))).toEqual([
      'Block hash',
    ]);
  });

  it('gives no root for a leaf outside the tree or a path longer than the tree is deep', async () => {
    const leaf = new Uint8Array(32);
    expect(await rootFromAuditPath(leaf, 4, 4, [])).toBeUndefined();
    expect(await rootFromAuditPath(leaf, 0, 1, [new Uint8Array(32)])).toBeUndefined();
    // A one-leaf tree's root is its leaf.
    expect(await rootFromAuditPath(leaf, 0, 1, [])).toEqual(leaf);
  });
});
