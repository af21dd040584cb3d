// C2SP tlog-checkpoint (the signed tree head as a note body) and tlog-cosignature/v1 (a witness's
// timestamped Ed25519 statement that a checkpoint is consistent with all it has seen). Pure and
// browser-safe, shared by the log, the witnesses and every verifier.
import { hashBytes } from './tree.js';
import {
  base64Decode,
  base64Of,
  concatBytes,
  ed25519Verify,
  keyIdOf,
  NoteFormatError,
  signatureTypeCosignatureV1,
  utf8Bytes,
  type Ed25519Verifier,
  type NoteSignature,
  type VerifierKey,
} from './note.js';

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
  /** Optional extension lines; this log writes none. */
  extensions?: string[];
}

/** "<origin>\n<tree size>\n<base64 root>\n", then any extension lines. */
export function checkpointBody(checkpoint: Checkpoint): string {
  const { origin, treeSize, rootHash } = checkpoint;
  if (origin.length === 0 || origin.includes('\n'))
    throw new NoteFormatError('the origin is one non-empty line');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0)
    throw new NoteFormatError('the tree size is a whole number');
  if (rootHash.length !== hashBytes) throw new NoteFormatError('the root hash is 32 bytes');
  const extensions = checkpoint.extensions ?? [];
  for (const line of extensions) {
    if (line.length === 0 || line.includes('\n'))
      throw new NoteFormatError('an extension line is non-empty');
  }
  return [origin, String(treeSize), base64Of(rootHash), ...extensions]
    .map((line) => `${line}\n`)
    .join('');
}

/** Parses a checkpoint note body, in its one canonical spelling (no leading zeros, padded base64). */
export function parseCheckpointBody(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteFormatError('a checkpoint body ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line.length === 0)) {
    throw new NoteFormatError(
      'a checkpoint has at least three non-empty lines: origin, size, root hash',
    );
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new NoteFormatError(
      'the checkpoint tree size is not a decimal number without leading zeros',
    );
  }
  const rootHash = base64Decode(rootText);
  if (!rootHash || rootHash.length !== hashBytes) {
    throw new NoteFormatError('the checkpoint root hash is not base64 of 32 bytes');
  }
  const checkpoint: Checkpoint = { origin, treeSize: Number(sizeText), rootHash };
  if (extensions.length > 0) checkpoint.extensions = extensions;
  return checkpoint;
}

/** "cosignature/v1\ntime <T>\n" + the checkpoint body: the bytes a cosigner signs. */
export function cosignatureMessage(timestampSeconds: bigint, checkpointText: string): Uint8Array {
  assertTimestamp(timestampSeconds);
  return utf8Bytes(`cosignature/v1\ntime ${timestampSeconds.toString(10)}\n${checkpointText}`);
}

/** SHA-256(name || 0x0A || 0x04 || public key)[:4]: a cosigner's key ID. */
export function cosignerKeyIdOf(keyName: string, publicKey: Uint8Array): number {
  return keyIdOf(keyName, signatureTypeCosignatureV1, publicKey);
}

/** A cosignature line's signature bytes: u64 big-endian timestamp || Ed25519 signature. */
export function cosignatureBytes(timestampSeconds: bigint, signature: Uint8Array): Uint8Array {
  assertTimestamp(timestampSeconds);
  if (signature.length !== 64) throw new RangeError('an Ed25519 signature is 64 bytes');
  const timestamp = new Uint8Array(8);
  new DataView(timestamp.buffer).setBigUint64(0, timestampSeconds);
  return concatBytes([timestamp, signature]);
}

/** Cosigns a checkpoint body with `sign` (an Ed25519 signing function of the cosigner's seed). */
export function cosign(
  checkpointText: string,
  keyName: string,
  publicKey: Uint8Array,
  timestampSeconds: bigint,
  sign: (message: Uint8Array) => Uint8Array,
): NoteSignature {
  return {
    keyName,
    keyId: cosignerKeyIdOf(keyName, publicKey),
    signature: cosignatureBytes(
      timestampSeconds,
      sign(cosignatureMessage(timestampSeconds, checkpointText)),
    ),
  };
}

/**
 * Checks a cosignature/v1 line against a cosigner's key (vkey type 0x04). Returns its timestamp,
 * or undefined when the line is not by this key or does not verify. A Node process passes
 * node:crypto's `verify` (src/ledger/ed25519.ts); the default is browser-safe.
 */
export function verifyCosignature(
  checkpointText: string,
  cosigner: VerifierKey,
  signature: NoteSignature,
  verify: Ed25519Verifier = ed25519Verify,
): bigint | undefined {
  if (cosigner.signatureType !== signatureTypeCosignatureV1) return undefined;
  if (signature.keyName !== cosigner.keyName || signature.keyId !== cosigner.keyId)
    return undefined;
  if (signature.signature.length !== 72) return undefined;
  const timestamp = new DataView(
    signature.signature.buffer,
    signature.signature.byteOffset,
  ).getBigUint64(0);
  if (timestamp > 2n ** 63n - 1n) return undefined;
  const message = cosignatureMessage(timestamp, checkpointText);
  return verify(cosigner.publicKey, message, signature.signature.slice(8)) ? timestamp : undefined;
}

function assertTimestamp(timestampSeconds: bigint): void {
  if (timestampSeconds < 0n || timestampSeconds > 2n ** 63n - 1n) {
    throw new RangeError('a cosignature timestamp is between 0 and 2^63 - 1');
  }
}
