// Offline event proofs: honest proofs verify, and every alteration or malformation is a verdict
// naming what disagreed, never an exception.
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/ledger/canonical.js';
import {
  GENESIS_PREV_HASH,
  blockHeaderOf,
  envelopeOf,
  eventLeafHash,
  payloadHashOf,
  type BlockHeader,
  type EventEnvelope,
  type LedgerEvent,
} from '../../src/ledger/formats.js';
import { sha256Hex } from '../../src/ledger/hash.js';
import { auditPath, merkleRoot } from '../../src/ledger/merkle.js';
import { eventProofOf, verifyEventProof, type EventProof } from '../../src/ledger/proof.js';

const firstSeq = 40n;

function eventAt(offset: number): LedgerEvent {
  const payload: JsonValue = {
    claimId: `clm_${offset}`,
    paidAmount: `${100 + offset}.25`,
    lines: [1, 2],
  };
  return {
    seq: firstSeq + BigInt(offset),
    id: `00000000-0000-4000-8000-00000000000${offset % 10}`,
    type: offset % 2 === 0 ? 'claim.submitted' : 'claim.adjudicated',
    aggregateId: `clm_${offset}`,
    actorOrgId: 'org_payer_1',
    createdAt: new Date(Date.UTC(2024, 4, 6, 7, 8, 9, offset)),
    payload,
    payloadHash: payloadHashOf(payload),
  };
}

interface Block {
  events: LedgerEvent[];
  envelopes: EventEnvelope[];
  header: BlockHeader;
  proofs: EventProof[];
}

function sealBlock(eventCount: number, height = 7): Block {
  const events = Array.from({ length: eventCount }, (_, offset) => eventAt(offset));
  const envelopes = events.map(envelopeOf);
  const leaves = envelopes.map(eventLeafHash);
  const header = blockHeaderOf({
    height,
    prevHash: height === 1 ? GENESIS_PREV_HASH : sha256Hex(`block ${height - 1}`),
    merkleRoot: merkleRoot(leaves),
    firstSeq,
    lastSeq: firstSeq + BigInt(eventCount - 1),
    eventCount,
    sealedAt: new Date('2024-05-06T07:08:10.000Z'),
  });
  const proofs = envelopes.map((envelope, leafIndex) =>
    eventProofOf({
      envelope,
      payload: events[leafIndex]!.payload,
      leafIndex,
      auditPath: auditPath(leaves, leafIndex),
      header,
    }),
  );
  return { events, envelopes, header, proofs };
}

// A proof as a CLI would read it: parsed from a saved file, and free to be edited by the test.
function savedCopy(proof: EventProof): Record<string, unknown> & EventProof {
  return JSON.parse(JSON.stringify(proof)) as Record<string, unknown> & EventProof;
}

function reasonOf(proof: unknown, trustedBlockHash?: string): string {
  const verdict = verifyEventProof(proof, { trustedBlockHash });
  if (verdict.ok) throw new Error('expected the proof to be rejected');
  return verdict.reason;
}

function flipHexDigit(hex: string, position = 0): string {
  const digit = hex[position] === '0' ? '1' : '0';
  return hex.slice(0, position) + digit + hex.slice(position + 1);
}

const block = sealBlock(5);

describe('honest proofs', () => {
  it.each([0, 1, 2, 3, 4])(
    'the proof of leaf %i verifies, as built and after a JSON round trip',
    (index) => {
      const proof = block.proofs[index]!;
      expect(verifyEventProof(proof)).toEqual({ ok: true });
      expect(verifyEventProof(savedCopy(proof))).toEqual({ ok: true });
      expect(verifyEventProof(proof, { trustedBlockHash: proof.block.hash })).toEqual({ ok: true });
    },
  );

  it('verifies without the payload, which is optional', () => {
    const proof = savedCopy(block.proofs[2]!);
    delete proof.payload;
    expect(verifyEventProof(proof)).toEqual({ ok: true });
  });

  it('verifies every leaf of blocks of 1..33 events, and of a genesis block', () => {
    for (let size = 1; size <= 33; size++) {
      for (const proof of sealBlock(size).proofs) {
        expect(verifyEventProof(savedCopy(proof)), `${proof.leafIndex} of ${size}`).toEqual({
          ok: true,
        });
      }
    }
    expect(verifyEventProof(sealBlock(3, 1).proofs[1])).toEqual({ ok: true });
  });

  it('checks a null payload too, since null is a JSON payload', () => {
    const proof = savedCopy(block.proofs[0]!);
    proof.payload = null;
    expect(reasonOf(proof)).toMatch(
      /^proof\.payload hashes to .* not proof\.envelope\.payloadHash/,
    );
  });

  it('carries the block hash of its header', () => {
    expect(block.proofs[0]!.block.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(block.proofs[0]!.auditPath).toHaveLength(3);
  });
});

describe('tampering is caught and named', () => {
  const original = block.proofs[1]!; // seq 41, leaf 1 of 5

  function tampered(edit: (proof: Record<string, unknown> & EventProof) => void): unknown {
    const copy = savedCopy(original);
    edit(copy);
    return copy;
  }

  it.each([
    ['id', (e: EventEnvelope) => (e.id = '00000000-0000-4000-8000-000000000009')],
    ['type', (e: EventEnvelope) => (e.type = 'claim.voided')],
    ['aggregateId', (e: EventEnvelope) => (e.aggregateId = 'clm_9')],
    ['actorOrgId', (e: EventEnvelope) => (e.actorOrgId = 'org_payer_2')],
    ['createdAt', (e: EventEnvelope) => (e.createdAt = '2024-05-06T07:08:09.999Z')],
  ])('envelope.%s', (_field, edit) => {
    const reason = reasonOf(tampered((proof) => edit(proof.envelope)));
    expect(reason).toMatch(/proof\.auditPath does not lead from the leaf of proof\.envelope/);
  });

  it('envelope.payloadHash, with the payload present', () => {
    const reason = reasonOf(tampered((proof) => (proof.envelope.payloadHash = sha256Hex('x'))));
    expect(reason).toMatch(
      /^proof\.payload hashes to [0-9a-f]{64}, not proof\.envelope\.payloadHash/,
    );
  });

  it('envelope.payloadHash, without the payload', () => {
    const reason = reasonOf(
      tampered((proof) => {
        proof.envelope.payloadHash = sha256Hex('x');
        delete proof.payload;
      }),
    );
    expect(reason).toMatch(/proof\.auditPath does not lead from the leaf of proof\.envelope/);
  });

  it('envelope.seq inside the block', () => {
    const reason = reasonOf(tampered((proof) => (proof.envelope.seq = '42')));
    expect(reason).toBe(
      'proof.leafIndex 1 disagrees with proof.envelope.seq 42, which is leaf 2 of a block starting at seq 40',
    );
  });

  it('envelope.seq outside the block', () => {
    const reason = reasonOf(tampered((proof) => (proof.envelope.seq = '45')));
    expect(reason).toBe(
      "proof.envelope.seq 45 is outside the block's seqs (proof.block.header.firstSeq 40 .. lastSeq 44)",
    );
  });

  it('payload', () => {
    const reason = reasonOf(
      tampered((proof) => ((proof.payload as Record<string, JsonValue>).paidAmount = '999.99')),
    );
    expect(reason).toMatch(
      /^proof\.payload hashes to [0-9a-f]{64}, not proof\.envelope\.payloadHash/,
    );
  });

  it.each([0, 1, 2])('auditPath[%i]', (position) => {
    const reason = reasonOf(
      tampered(
        (proof) => (proof.auditPath[position] = flipHexDigit(proof.auditPath[position]!, 7)),
      ),
    );
    expect(reason).toMatch(/^proof\.auditPath does not lead from the leaf of proof\.envelope/);
  });

  it('auditPath too short or too long', () => {
    expect(reasonOf(tampered((proof) => proof.auditPath.pop()))).toBe(
      'proof.auditPath has 2 hashes, but leaf 1 of a 5-leaf block needs exactly 3',
    );
    expect(reasonOf(tampered((proof) => proof.auditPath.push(sha256Hex('x'))))).toBe(
      'proof.auditPath has 4 hashes, but leaf 1 of a 5-leaf block needs exactly 3',
    );
  });

  it('leafIndex', () => {
    expect(reasonOf(tampered((proof) => (proof.leafIndex = 2)))).toBe(
      'proof.leafIndex 2 disagrees with proof.envelope.seq 41, which is leaf 1 of a block starting at seq 40',
    );
  });

  it("another event's envelope with this event's path", () => {
    const reason = reasonOf(tampered((proof) => (proof.envelope = block.envelopes[3]!)));
    expect(reason).toMatch(/^proof\.leafIndex 1 disagrees with proof\.envelope\.seq 43/);
  });

  const headerEdits: [string, (header: BlockHeader) => void][] = [
    ['height', (h) => (h.height = 8)],
    ['prevHash', (h) => (h.prevHash = flipHexDigit(h.prevHash))],
    ['merkleRoot', (h) => (h.merkleRoot = flipHexDigit(h.merkleRoot))],
    ['sealedAt', (h) => (h.sealedAt = '2024-05-06T07:08:11.000Z')],
    ['firstSeq and lastSeq, shifted together', (h) => ((h.firstSeq = '41'), (h.lastSeq = '45'))],
  ];
  it.each(headerEdits)('block.header.%s', (_field, edit) => {
    const reason = reasonOf(tampered((proof) => edit(proof.block.header)));
    expect(reason).toMatch(
      /^proof\.block\.hash [0-9a-f]{64} does not match proof\.block\.header, which hashes to [0-9a-f]{64}: the header or its hash was altered$/,
    );
  });

  it('block.header.eventCount, which must agree with the seq range', () => {
    expect(reasonOf(tampered((proof) => (proof.block.header.eventCount = 6)))).toBe(
      'proof.block.header.eventCount 6 does not cover seqs 40..44',
    );
  });

  it('block.header with the genesis prevHash above height 1', () => {
    expect(reasonOf(tampered((proof) => (proof.block.header.prevHash = GENESIS_PREV_HASH)))).toBe(
      'proof.block.header.prevHash must be 64 zeros for block 1 and only for block 1',
    );
  });

  it('block.hash', () => {
    const reason = reasonOf(
      tampered((proof) => (proof.block.hash = flipHexDigit(proof.block.hash))),
    );
    expect(reason).toMatch(/^proof\.block\.hash [0-9a-f]{64} does not match proof\.block\.header/);
  });

  it('a whole consistent block that is not the trusted one', () => {
    const forged = sealBlock(5).proofs[1]!;
    const trusted = sha256Hex('the block hash the verifier trusts');
    expect(reasonOf(forged, trusted)).toBe(
      `proof.block.hash ${forged.block.hash} is not the trusted block hash ${trusted}`,
    );
  });
});

describe('malformed proofs get a clear reason, never a throw', () => {
  const good = block.proofs[0]!;

  function edited(edit: (proof: Record<string, unknown> & EventProof) => void): unknown {
    const copy = savedCopy(good);
    edit(copy);
    return copy;
  }

  const untyped = (value: unknown) => value as never;

  const cases: [string, unknown, string | RegExp][] = [
    ['null', null, 'proof must be a JSON object'],
    ['a number', 42, 'proof must be a JSON object'],
    ['a string', '{"envelope":{}}', 'proof must be a JSON object'],
    ['an array', [good], 'proof must be a JSON object'],
    ['an empty object', {}, 'proof.envelope is missing'],
    [
      'no envelope',
      edited((p) => delete (p as Partial<EventProof>).envelope),
      'proof.envelope is missing',
    ],
    ['no block', edited((p) => delete (p as Partial<EventProof>).block), 'proof.block is missing'],
    [
      'block is an array',
      edited((p) => (p.block = untyped([]))),
      'proof.block must be a JSON object',
    ],
    [
      'no header',
      edited((p) => delete (p.block as Partial<EventProof['block']>).header),
      'proof.block.header is missing',
    ],
    [
      'no block hash',
      edited((p) => delete (p.block as Partial<EventProof['block']>).hash),
      'proof.block.hash is missing',
    ],
    [
      'envelope is null',
      edited((p) => (p.envelope = untyped(null))),
      'proof.envelope must be a JSON object',
    ],
    [
      'numeric seq',
      edited((p) => (p.envelope.seq = untyped(40))),
      'proof.envelope.seq must be a string',
    ],
    [
      'seq with a leading zero',
      edited((p) => (p.envelope.seq = '040')),
      /^proof\.envelope\.seq must be a decimal string/,
    ],
    [
      'missing envelope.type',
      edited((p) => delete (p.envelope as Partial<EventEnvelope>).type),
      'proof.envelope.type is missing',
    ],
    [
      'an extra envelope field',
      edited((p) => ((p.envelope as unknown as Record<string, unknown>).amount = '1000.00')),
      'proof.envelope has an unexpected field "amount"',
    ],
    [
      'envelope v 2',
      edited((p) => (p.envelope.v = untyped(2))),
      'proof.envelope.v must be 1, the only format version',
    ],
    [
      'uppercase payloadHash',
      edited((p) => (p.envelope.payloadHash = p.envelope.payloadHash.toUpperCase())),
      'proof.envelope.payloadHash must be 64 lowercase hex characters',
    ],
    [
      'createdAt without milliseconds',
      edited((p) => (p.envelope.createdAt = '2024-05-06T07:08:09Z')),
      'proof.envelope.createdAt must be ISO 8601 UTC with milliseconds',
    ],
    [
      'an extra header field',
      edited((p) => ((p.block.header as unknown as Record<string, unknown>).chainId = 'x')),
      'proof.block.header has an unexpected field "chainId"',
    ],
    [
      'string eventCount',
      edited((p) => (p.block.header.eventCount = untyped('5'))),
      'proof.block.header.eventCount must be a non-negative integer',
    ],
    [
      'header height 0',
      edited((p) => (p.block.header.height = 0)),
      'proof.block.header.height must be an integer >= 1, not 0',
    ],
    [
      'non-hex merkleRoot',
      edited((p) => (p.block.header.merkleRoot = 'z'.repeat(64))),
      'proof.block.header.merkleRoot must be 64 lowercase hex characters',
    ],
    [
      'non-hex block hash',
      edited((p) => (p.block.hash = 'nothex')),
      'proof.block.hash must be 64 lowercase hex characters',
    ],
    [
      'auditPath not an array',
      edited((p) => (p.auditPath = untyped('abc'))),
      'proof.auditPath must be an array',
    ],
    [
      'non-hex path element',
      edited((p) => (p.auditPath[1] = 'xyz')),
      'proof.auditPath[1] must be 64 lowercase hex characters',
    ],
    [
      'numeric path element',
      edited((p) => (p.auditPath[0] = untyped(7))),
      'proof.auditPath[0] must be 64 lowercase hex characters',
    ],
    [
      'uppercase path element',
      edited((p) => (p.auditPath[2] = p.auditPath[2]!.toUpperCase())),
      'proof.auditPath[2] must be 64 lowercase hex characters',
    ],
    [
      'a path longer than any tree',
      edited((p) => (p.auditPath = Array.from({ length: 65 }, () => sha256Hex('x')))),
      'proof.auditPath has 65 hashes; no tree needs more than 64',
    ],
    [
      'negative leafIndex',
      edited((p) => (p.leafIndex = -1)),
      'proof.leafIndex must be a non-negative integer',
    ],
    [
      'string leafIndex',
      edited((p) => (p.leafIndex = untyped('0'))),
      'proof.leafIndex must be a non-negative integer',
    ],
    [
      'fractional leafIndex',
      edited((p) => (p.leafIndex = 0.5)),
      'proof.leafIndex must be a non-negative integer',
    ],
    [
      'missing leafIndex',
      edited((p) => delete (p as Partial<EventProof>).leafIndex),
      'proof.leafIndex is missing',
    ],
    [
      'a payload JSON cannot hold',
      edited((p) => (p.payload = untyped({ amount: NaN }))),
      /^proof\.payload is not canonical JSON: canonicalJson: \$\.amount is NaN/,
    ],
    [
      'a bigint payload',
      edited((p) => (p.payload = untyped(5n))),
      /^proof\.payload is not canonical JSON: .*bigint/,
    ],
  ];

  it.each(cases)('%s', (_label, proof, expected) => {
    let verdict: ReturnType<typeof verifyEventProof> | undefined;
    expect(() => (verdict = verifyEventProof(proof))).not.toThrow();
    expect(verdict?.ok).toBe(false);
    const reason = (verdict as { reason: string }).reason;
    if (typeof expected === 'string') expect(reason).toBe(expected);
    else expect(reason).toMatch(expected);
  });

  it('tolerates extra fields outside the hashed structures', () => {
    const proof = edited((p) => {
      (p as Record<string, unknown>).eventId = p.envelope.id;
      (p.block as unknown as Record<string, unknown>).height = 7;
    });
    expect(verifyEventProof(proof)).toEqual({ ok: true });
  });

  it('answers even when reading the input throws', () => {
    const hostile = Object.defineProperty({}, 'envelope', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(verifyEventProof(hostile)).toEqual({
      ok: false,
      reason: 'proof could not be checked: boom',
    });
  });
});
