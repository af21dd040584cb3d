import { describe, expect, it } from 'vitest';
import {
  checkCheckpoint,
  parsePolicy,
  parseWitnessList,
  PolicyError,
} from '../../src/witness/policy.js';
import { cosignNote, policyText, testWitness, ToyLog } from '../support/tlog-log.js';

const log = new ToyLog();
log.append(9);
const witnesses = [1, 2, 3].map((n) => testWitness(`witness.test/w${n}`, 60 + n));

describe('policy file', () => {
  it('reads log, witness and quorum lines, comments and blank lines', () => {
    const policy = parsePolicy(
      `# who we trust\nlog ${log.verifierKey}\n\nwitness a ${witnesses[0]!.cosignerVerifierKey} http://127.0.0.1:3100  # payer\nwitness b ${witnesses[1]!.cosignerVerifierKey}\nquorum 1\n`,
    );
    expect(policy.log.keyName).toBe('claimchain.test/log');
    expect(policy.witnesses.map((w) => [w.name, w.key.keyName, w.url])).toEqual([
      ['a', 'witness.test/w1', 'http://127.0.0.1:3100'],
      ['b', 'witness.test/w2', undefined],
    ]);
    expect(policy.quorum).toBe(1);
  });

  it.each([
    ['quorum 1\n', 'the policy has no "log <vkey>" line'],
    [`log ${log.verifierKey}\n`, 'the policy has no "quorum <k>" line'],
    [`log ${log.verifierKey}\nquorum 1\n`, 'quorum 1 is more than the 0 witnesses named'],
    [
      `log ${log.verifierKey}\nquorum 01\n`,
      'policy line 2: expected "quorum <k>", k a whole number',
    ],
    [
      `log ${log.verifierKey}\nwitnes a b\n`,
      'policy line 2: unknown directive "witnes" (log, witness, quorum)',
    ],
    [
      `log ${witnesses[0]!.cosignerVerifierKey}\n`,
      'policy line 1: the key must be of type Ed25519 (0x01)',
    ],
    [
      `log ${log.verifierKey}\nwitness a ${log.verifierKey}\n`,
      'policy line 2: the key must be of type cosignature/v1 (0x04)',
    ],
    [
      `log ${log.verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')}\n`,
      'policy line 1: the key ID does not match the key',
    ],
    [
      `log ${log.verifierKey}\nwitness a ${witnesses[0]!.cosignerVerifierKey}\nwitness a ${witnesses[1]!.cosignerVerifierKey}\n`,
      'policy line 3: witness a is named twice',
    ],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(new PolicyError(message));
  });

  it('reads a witness list without log or quorum (the log side)', () => {
    expect(
      parseWitnessList(`witness a ${witnesses[0]!.cosignerVerifierKey} http://w.example`),
    ).toHaveLength(1);
  });
});

describe('checkCheckpoint', () => {
  const policy = parsePolicy(policyText(log, witnesses, 2));

  it('accepts the log signature and a quorum of cosignatures, naming the cosigners', () => {
    const verdict = checkCheckpoint(cosignNote(log.checkpoint(), witnesses.slice(1)), policy);
    expect(verdict).toMatchObject({ ok: true, cosignedBy: ['witness.test/w2', 'witness.test/w3'] });
  });

  it('counts a witness once however many lines it has', () => {
    const twice = cosignNote(
      cosignNote(log.checkpoint(), [witnesses[0]!]),
      [witnesses[0]!],
      1_790_000_001n,
    );
    expect(checkCheckpoint(twice, policy)).toEqual({
      ok: false,
      reason:
        "1 of the policy's witnesses cosigned the checkpoint (witness.test/w1); the quorum is 2",
      cosignedBy: ['witness.test/w1'],
    });
  });

  it('ignores a cosignature of another checkpoint and one by a key the policy does not name', () => {
    const other = new ToyLog();
    other.append(10);
    const stranger = testWitness('witness.test/w1', 99); // same name, other key
    const cosignedOther = cosignNote(other.checkpoint(), witnesses);
    const moved = `${log.checkpoint()}${cosignedOther.split('\n').slice(5).join('\n')}`;
    expect(checkCheckpoint(moved, policy)).toMatchObject({ ok: false, cosignedBy: [] });
    expect(checkCheckpoint(cosignNote(log.checkpoint(), [stranger]), policy)).toMatchObject({
      ok: false,
      cosignedBy: [],
    });
  });

  it('refuses a checkpoint of another log, or not signed by the log', () => {
    const impostor = new ToyLog(log.origin, 8);
    impostor.append(9);
    expect(checkCheckpoint(cosignNote(impostor.checkpoint(), witnesses), policy)).toMatchObject({
      ok: false,
      reason: "the checkpoint does not carry a valid signature by the policy's log",
    });
    const elsewhere = new ToyLog('other.test/log');
    elsewhere.append(1);
    expect(checkCheckpoint(elsewhere.checkpoint(), policy)).toMatchObject({
      ok: false,
      reason:
        'the checkpoint is of log "other.test/log", the policy\'s log is "claimchain.test/log"',
    });
  });
});
