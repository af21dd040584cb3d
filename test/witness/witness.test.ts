import { describe, expect, it } from 'vitest';
import { formatAddCheckpoint, parseAddCheckpoint } from '../../src/witness/protocol.js';
import { parseWitnessKey } from '../../src/witness/keys.js';
import { addCheckpoint, type CosignedCheckpoint } from '../../src/witness/witness.js';
import {
  base64Decode,
  parseNote,
  parseVerifierKey,
  signerKeyOf,
  utf8Bytes,
} from '../../src/ledger/tlog/note.js';
import { nobleEd25519Verify, ToyLog } from '../support/tlog-log.js';

const witnessKey = parseWitnessKey(signerKeyOf('witness.test/w1', new Uint8Array(32).fill(9)));
const now = new Date('2026-12-01T12:00:00.000Z');

function setup() {
  const log = new ToyLog();
  const logs = [{ origin: log.origin, keys: [parseVerifierKey(log.verifierKey)] }];
  const state = new Map<string, CosignedCheckpoint>();
  const submit = (body: string) => {
    const outcome = addCheckpoint({
      body,
      logs,
      cosigner: witnessKey,
      cosignedByOrigin: state,
      now,
    });
    if (outcome.status === 200) state.set(outcome.origin, outcome.cosigned);
    return outcome;
  };
  const offer = (oldSize: number, note = log.checkpoint(), proof = log.consistency(oldSize)) =>
    submit(formatAddCheckpoint({ oldSize, proof, note }));
  return { log, state, submit, offer };
}

describe('add-checkpoint body', () => {
  it('round-trips the spec layout: old line, proof lines, blank line, note', () => {
    const log = new ToyLog();
    log.append(5);
    const body = formatAddCheckpoint({
      oldSize: 3,
      proof: log.consistency(3),
      note: log.checkpoint(),
    });
    expect(body.startsWith('old 3\n')).toBe(true);
    expect(body.split('\n\n')[0]!.split('\n')).toHaveLength(1 + log.consistency(3).length);
    const parsed = parseAddCheckpoint(body);
    expect(parsed.oldSize).toBe(3);
    expect(parsed.note).toBe(log.checkpoint());
  });

  it('refuses leading zeros and more than 63 proof lines', () => {
    expect(() => parseAddCheckpoint('old 03\n\nx\n')).toThrow(/old <size>/);
    const hash = 'A'.repeat(43) + '=';
    expect(() => parseAddCheckpoint(`old 1\n${`${hash}\n`.repeat(64)}\nx\n`)).toThrow(/63/);
  });
});

describe('witness', () => {
  it('cosigns a first checkpoint with a cosignature/v1 line that @noble/curves verifies', () => {
    const { log, offer } = setup();
    log.append(5);
    const outcome = offer(0);
    expect(outcome.status).toBe(200);
    if (outcome.status !== 200) return;
    const [line] = parseNote(`x\n\n${outcome.body}`).signatures;
    expect(line!.keyName).toBe('witness.test/w1');
    const key = parseVerifierKey(witnessKey.cosignerVerifierKey);
    expect(line!.keyId).toBe(key.keyId);
    const timestamp = new DataView(line!.signature.buffer).getBigUint64(0);
    expect(timestamp).toBe(BigInt(now.getTime() / 1000));
    const message = utf8Bytes(
      `cosignature/v1\ntime ${timestamp}\n${parseNote(log.checkpoint()).text}`,
    );
    // The witness signs with node:crypto; checked with @noble/curves.
    expect(nobleEd25519Verify(key.publicKey, message, line!.signature.slice(8))).toBe(true);
    expect(outcome.cosigned.treeSize).toBe(5);
  });

  it('answers 409 with its size when the old size is not the one it cosigned', () => {
    const { log, offer } = setup();
    log.append(5);
    offer(0);
    log.append(3);
    const outcome = offer(0);
    expect(outcome).toMatchObject({ status: 409, contentType: 'text/x.tlog.size', body: '5\n' });
    expect(offer(5)).toMatchObject({ status: 200 });
  });

  it('cosigns the same checkpoint again (old size = size, same root)', () => {
    const { log, offer } = setup();
    log.append(4);
    offer(0);
    expect(offer(4).status).toBe(200);
  });

  it('refuses a forked tree: a consistency proof that does not lead from its checkpoint (fork)', () => {
    const { log, offer } = setup();
    log.append(6);
    offer(0);
    const fork = new ToyLog();
    fork.append(6, 'rewritten');
    fork.append(4);
    const outcome = offer(6, fork.checkpoint(), fork.consistency(6));
    expect(outcome.status).toBe(422);
    expect(outcome).toMatchObject({ alarm: { kind: 'fork', origin: log.origin, oldSize: 6 } });
    expect(outcome.body).toMatch(/^fork: the checkpoint of size 10 is not consistent/);
  });

  it('raises a split view with both log-signed notes when one size has two roots', () => {
    const { log, offer } = setup();
    log.append(6);
    offer(0);
    const other = new ToyLog();
    other.append(6, 'other');
    const outcome = offer(6, other.checkpoint(), []);
    expect(outcome.status).toBe(422);
    if (outcome.status === 200 || !outcome.alarm) throw new Error('expected an alarm');
    expect(outcome.alarm.kind).toBe('split-view');
    expect(parseNote(outcome.alarm.cosigned!).text).toBe(parseNote(log.checkpoint()).text);
    expect(outcome.alarm.offered).toBe(other.checkpoint());
    // Offered with a stale old size, the split view is still seen (and answered 409).
    expect(offer(0, other.checkpoint(), [])).toMatchObject({
      status: 409,
      alarm: { kind: 'split-view' },
    });
  });

  it('raises a rollback when offered a smaller tree than it cosigned', () => {
    const { log, offer } = setup();
    log.append(8);
    offer(0);
    const outcome = offer(3, log.checkpoint(5), log.consistency(3, 5));
    expect(outcome).toMatchObject({ status: 409, body: '8\n', alarm: { kind: 'rollback' } });
  });

  it('answers 404 for an unknown origin, 403 without a log signature, 403 and an alarm for a forged one', () => {
    const { log, offer } = setup();
    log.append(2);
    const stranger = new ToyLog('someone.else/log');
    stranger.append(2);
    expect(offer(0, stranger.checkpoint(), []).status).toBe(404);
    const impostor = new ToyLog(log.origin, 8);
    impostor.append(2);
    const unsigned = offer(0, impostor.checkpoint(), []);
    expect(unsigned).toEqual({
      status: 403,
      contentType: 'text/plain',
      body: 'the checkpoint carries no signature by a key of this log\n',
    });
    const note = log.checkpoint();
    const lines = note.split('\n');
    const signatureLine = lines[lines.length - 2]!;
    const bytes = base64Decode(signatureLine.split(' ')[2]!)!;
    bytes[10] = bytes[10]! ^ 1;
    const forged = note.replace(
      signatureLine,
      `${signatureLine.split(' ').slice(0, 2).join(' ')} ${Buffer.from(bytes).toString('base64')}`,
    );
    const message = `the signature by log key ${log.origin} does not verify`;
    expect(offer(0, forged, [])).toEqual({
      status: 403,
      contentType: 'text/plain',
      body: `${message}\n`,
      alarm: {
        kind: 'bad-signature',
        origin: log.origin,
        detectedAt: now.toISOString(),
        message,
        offered: forged,
        oldSize: 0,
        proof: [],
      },
    });
    // Its good signature beside a bad one (the same key's) is still a forgery.
    const alsoSigned = note.replace(
      signatureLine,
      `${signatureLine}\n${forged.split('\n').at(-2)!}`,
    );
    expect(offer(0, alsoSigned, [])).toMatchObject({
      status: 403,
      alarm: { kind: 'bad-signature', message },
    });
    expect(offer(0, note, [])).toMatchObject({ status: 200 });
  });

  it('answers 400 when old size is above the checkpoint size, 422 for a proof from size 0', () => {
    const { log, offer } = setup();
    log.append(3);
    expect(offer(4, log.checkpoint(), []).status).toBe(400);
    expect(offer(0, log.checkpoint(), log.consistency(1)).status).toBe(422);
    expect(offer(0, 'not a note', []).status).toBe(400);
  });

  it('refuses a size-0 checkpoint whose root is not the empty tree root', () => {
    const { log, submit } = setup();
    const body = `${log.origin}\n0\n${Buffer.alloc(32, 1).toString('base64')}\n`;
    expect(
      submit(formatAddCheckpoint({ oldSize: 0, proof: [], note: log.sign(body) })).status,
    ).toBe(422);
  });
});

describe('key text', () => {
  it("reads a vkey whose base64 key holds '+' (Go splits at the first two '+' only)", () => {
    const key = testWitnessKey();
    expect(key.cosignerVerifierKey.split('+').length).toBeGreaterThan(3);
    expect(parseVerifierKey(key.cosignerVerifierKey).keyName).toBe('witness.test/w1');
  });
});

function testWitnessKey() {
  // Seed 21 gives a public key whose base64 holds '+': the case a naive split refuses.
  return parseWitnessKey(signerKeyOf('witness.test/w1', new Uint8Array(32).fill(21)));
}
