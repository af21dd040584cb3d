// C2SP signed-note, tlog-checkpoint and tlog-cosignature/v1, byte for byte against the spec
// examples and Go's note package example; Ed25519 cross-checked with node:crypto (the code under
// test uses @noble/curves).
import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointBody,
  cosign,
  cosignatureMessage,
  cosignerKeyIdOf,
  parseCheckpointBody,
  verifyCosignature,
} from '../../../src/ledger/tlog/checkpoint.js';
import {
  base64Decode,
  ed25519NoteSigner,
  formatNote,
  keyIdOf,
  noteSignatureVerdict,
  noteSignedBy,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signatureTypeCosignatureV1,
  signerKeyOf,
  signNote,
  utf8Bytes,
  verifierKeyOf,
  NoteFormatError,
  type Ed25519Verifier,
  type VerifierKey,
} from '../../../src/ledger/tlog/note.js';

// c2sp.org/signed-note, "Verifier keys" example (CC BY 4.0).
const specVkey = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const specNote =
  'This is an example message.\n\n' +
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
// golang.org/x/mod/sumdb/note package documentation example (BSD-3-Clause).
const goSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const goVkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const goText =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const goNote =
  goText +
  '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
// c2sp.org/tlog-checkpoint and tlog-cosignature examples.
const specCheckpoint =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

/** node:crypto's Ed25519 key objects for a raw 32-byte seed or public key (PKCS#8/SPKI prefixes). */
const nodePrivateKey = (seed: Uint8Array) =>
  createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
const nodePublicKey = (publicKey: Uint8Array) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]),
    format: 'der',
    type: 'spki',
  });

describe('signed-note', () => {
  it('verifies the spec example with its vkey', () => {
    const key = parseVerifierKey(specVkey);
    expect(key).toMatchObject({ keyName: 'example.com/foo', keyId: 0x530d903a, signatureType: 1 });
    const note = parseNote(specNote);
    expect(note.text).toBe('This is an example message.\n');
    expect(noteSignedBy(note, key)).toBe(true);
    expect(formatNote(note)).toBe(specNote);
    expect(
      noteSignedBy(parseNote(specNote.replace('example message', 'example massage')), key),
    ).toBe(false);
  });

  it("reproduces Go's example note byte for byte from its signer key", () => {
    const signer = parseSignerKey(goSkey);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signer.verifierKey).toBe(goVkey);
    expect(
      signerKeyOf(
        'PeterNeumann',
        base64Decode('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')!.slice(1),
      ),
    ).toBe(goSkey);
    expect(formatNote(signNote(goText, [signer]))).toBe(goNote);
    expect(noteSignedBy(parseNote(goNote), parseVerifierKey(goVkey))).toBe(true);
  });

  it('signs what node:crypto verifies, and verifies what node:crypto signs', () => {
    const seed = new Uint8Array(32).map((_, index) => index * 3 + 1);
    const signer = ed25519NoteSigner('claimchain.example/log', seed);
    const message = utf8Bytes('claimchain.example/log\n7\nAAAA\n');
    const signature = signer.sign(message);
    expect(
      nodeVerify(
        null,
        message,
        nodePublicKey(parseSignerKey(signerKeyOf(signer.keyName, seed)).publicKey),
        signature,
      ),
    ).toBe(true);
    const nodeSignature = new Uint8Array(nodeSign(null, message, nodePrivateKey(seed)));
    expect(Buffer.from(nodeSignature).equals(Buffer.from(signature))).toBe(true); // Ed25519 is deterministic
  });

  it('refuses malformed notes and keys', () => {
    const bad = [
      'no final newline\n\n\u2014 a AAAAAAA=',
      'text\n\u2014 a AAAAAAAA\n',
      'text\n\n\u2014 a AAAA\n',
      'text\n\n- a AAAAAAAA\n',
      'te\u0007xt\n\n\u2014 a AAAAAAAA\n',
      'text\n\n\u2014 a+b AAAAAAAA\n',
    ];
    for (const note of bad)
      expect(() => parseNote(note), JSON.stringify(note)).toThrow(NoteFormatError);
    expect(() =>
      parseVerifierKey('example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'),
    ).toThrow(/key ID/);
    expect(() => parseSignerKey(goSkey.replace('c74f20a3', 'c74f20a4'))).toThrow(/key ID/);
  });
});

describe('signed-note: whose signature a note carries (noteSignatureVerdict)', () => {
  const text = 'claimchain.example/log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const signerA = ed25519NoteSigner('log.example/a', new Uint8Array(32).fill(1));
  const signerB = ed25519NoteSigner('log.example/b', new Uint8Array(32).fill(2));
  const keyOf = (signer: typeof signerA, seed: number): VerifierKey =>
    parseVerifierKey(
      parseSignerKey(signerKeyOf(signer.keyName, new Uint8Array(32).fill(seed))).verifierKey,
    );
  const keyA = keyOf(signerA, 1);
  const keyB = keyOf(signerB, 2);
  const bothSigned = () => signNote(text, [signerA, signerB]);
  const withFlippedBit = (note: ReturnType<typeof signNote>, position: number) => {
    const signatures = note.signatures.map((each) => ({
      ...each,
      signature: each.signature.slice(),
    }));
    signatures[position]!.signature[10]! ^= 1;
    return { ...note, signatures };
  };

  it('the spec example: signed by its key, forged once the text changes, unsigned for another key', () => {
    const key = parseVerifierKey(specVkey);
    expect(noteSignatureVerdict(parseNote(specNote), [key])).toEqual({
      kind: 'signed',
      keyName: 'example.com/foo',
    });
    expect(
      noteSignatureVerdict(parseNote(specNote.replace('example message', 'example massage')), [
        key,
      ]),
    ).toEqual({ kind: 'forged', keyName: 'example.com/foo' });
    expect(noteSignatureVerdict(parseNote(specNote), [parseVerifierKey(goVkey)])).toEqual({
      kind: 'unsigned',
    });
    expect(noteSignatureVerdict(parseNote(specNote), [])).toEqual({ kind: 'unsigned' });
  });

  it('names the first key that signed; one bad line of any key is a forgery, a good one beside it notwithstanding', () => {
    expect(noteSignatureVerdict(bothSigned(), [keyA, keyB])).toEqual({
      kind: 'signed',
      keyName: 'log.example/a',
    });
    expect(noteSignatureVerdict(bothSigned(), [keyB, keyA])).toEqual({
      kind: 'signed',
      keyName: 'log.example/b',
    });
    const forgedB = withFlippedBit(bothSigned(), 1);
    expect(noteSignatureVerdict(forgedB, [keyA, keyB])).toEqual({
      kind: 'forged',
      keyName: 'log.example/b',
    });
    expect(noteSignedBy(forgedB, keyA)).toBe(true);
    expect(noteSignedBy(forgedB, keyB)).toBe(false);
    // A second line of the same key that does not verify spoils the good first one.
    const twice = signNote(text, [signerA, signerA]);
    expect(noteSignatureVerdict(withFlippedBit(twice, 1), [keyA])).toEqual({
      kind: 'forged',
      keyName: 'log.example/a',
    });
  });

  it('ignores lines that name a key with another key ID, and keys that are not Ed25519 (type 0x01)', () => {
    const note = signNote(text, [signerA]);
    const otherId = {
      ...note,
      signatures: [
        { ...note.signatures[0]!, keyId: (keyA.keyId ^ 1) >>> 0, signature: new Uint8Array(64) },
      ],
    };
    expect(noteSignatureVerdict(otherId, [keyA])).toEqual({ kind: 'unsigned' });
    const cosignerTyped: VerifierKey = { ...keyA, signatureType: signatureTypeCosignatureV1 };
    expect(noteSignatureVerdict(withFlippedBit(note, 0), [cosignerTyped])).toEqual({
      kind: 'unsigned',
    });
    expect(noteSignedBy(note, cosignerTyped)).toBe(false);
  });

  it('verifies each line of the keys once, with the verify function it is given', () => {
    const note = signNote(text, [signerA, signerB, signerA]);
    let calls = 0;
    const counting: Ed25519Verifier = (publicKey, message, signature) => {
      calls++;
      return nodeVerify(null, message, nodePublicKey(publicKey), signature);
    };
    expect(noteSignatureVerdict(note, [keyA, keyB], counting)).toEqual({
      kind: 'signed',
      keyName: 'log.example/a',
    });
    expect(calls).toBe(3);
    expect(noteSignatureVerdict(note, [keyA], () => false)).toEqual({
      kind: 'forged',
      keyName: 'log.example/a',
    });
    expect(noteSignedBy(note, keyB, () => false)).toBe(false);
  });
});

describe('tlog-checkpoint', () => {
  it('parses and re-encodes the spec example byte for byte', () => {
    const note = parseNote(specCheckpoint);
    const checkpoint = parseCheckpointBody(note.text);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.treeSize).toBe(20852163);
    expect(Buffer.from(checkpoint.rootHash).toString('base64')).toBe(
      'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
    );
    expect(checkpointBody(checkpoint)).toBe(note.text);
    expect(formatNote(note)).toBe(specCheckpoint);
  });

  it('refuses sizes with leading zeros, short roots and missing lines', () => {
    for (const body of [
      'o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'o\n1\nAAAA\n',
      'o\n1\n',
      'o\n\n1\nAAAA\n',
    ]) {
      expect(() => parseCheckpointBody(body), body).toThrow(NoteFormatError);
    }
  });
});

describe('tlog-cosignature/v1', () => {
  it("the spec example's cosignature line: key ID, timestamp 1679315147 and the signed message", () => {
    const note = parseNote(specCheckpoint);
    const witness = note.signatures[1]!;
    expect(witness.keyName).toBe('witness.example.com/w1');
    expect(witness.keyId).toBe(0x8d66cf3f);
    expect(witness.signature).toHaveLength(72);
    expect(Buffer.from(witness.signature.subarray(0, 8)).readBigUInt64BE()).toBe(1679315147n);
    expect(new TextDecoder().decode(cosignatureMessage(1679315147n, note.text))).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  it('cosigns with the 0x04 key ID; node:crypto verifies; the verifier checks key, time and text', () => {
    const seed = new Uint8Array(32).fill(9);
    const signer = ed25519NoteSigner('witness.example/w9', seed);
    const publicKey = parseSignerKey(signerKeyOf('witness.example/w9', seed)).publicKey;
    const body = 'claimchain.example/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const line = cosign(body, 'witness.example/w9', publicKey, 1_700_000_000n, signer.sign);
    expect(line.keyId).toBe(cosignerKeyIdOf('witness.example/w9', publicKey));
    expect(line.keyId).toBe(keyIdOf('witness.example/w9', 0x04, publicKey));
    expect(line.keyId).not.toBe(signer.keyId);
    const message = Buffer.concat([
      Buffer.from('cosignature/v1\ntime 1700000000\n'),
      Buffer.from(body),
    ]);
    expect(nodeVerify(null, message, nodePublicKey(publicKey), line.signature.subarray(8))).toBe(
      true,
    );
    const vkey = parseVerifierKey(
      verifierKeyOf('witness.example/w9', signatureTypeCosignatureV1, publicKey),
    );
    expect(verifyCosignature(body, vkey, line)).toBe(1_700_000_000n);
    expect(verifyCosignature(body.replace('\n3\n', '\n4\n'), vkey, line)).toBeUndefined();
    const otherTime = { ...line, signature: line.signature.slice() };
    otherTime.signature[7]! ^= 1;
    expect(verifyCosignature(body, vkey, otherTime)).toBeUndefined();
    // A log (type 0x01) key cannot stand in for a cosigner key.
    expect(
      verifyCosignature(
        body,
        parseVerifierKey(verifierKeyOf('witness.example/w9', 1, publicKey)),
        line,
      ),
    ).toBeUndefined();
  });
});
