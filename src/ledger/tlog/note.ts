// C2SP signed-note (c2sp.org/signed-note): text signed by Ed25519 keys, each signature line
// naming its key by name and a 4-byte key ID. Also the key encodings of Go's note package that
// the transparency-log ecosystem shares: verifier keys (vkeys) "name+hexID+base64(type||key)"
// and signer keys "PRIVATE+KEY+name+hexID+base64(type||seed)". Pure and browser-safe.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Signature type bytes (signed-note "Signature types"). */
export const signatureTypeEd25519 = 0x01;
export const signatureTypeCosignatureV1 = 0x04;

/** Bounds a verifier applies before any work (the spec asks at least 16 signatures be accepted). */
export const noteSignaturesMax = 64;
export const noteBytesMax = 64 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface NoteSignature {
  keyName: string;
  /** The 4-byte key ID, as the unsigned 32-bit big-endian number. */
  keyId: number;
  /** The signature bytes after the key ID (64 for Ed25519, 72 for a cosignature/v1). */
  signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in a newline, without the blank line before the signatures. */
  text: string;
  signatures: NoteSignature[];
}

export interface NoteSigner {
  keyName: string;
  keyId: number;
  sign: (message: Uint8Array) => Uint8Array;
}

export class NoteFormatError extends Error {}

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function keyIdOf(keyName: string, signatureType: number, publicKey: Uint8Array): number {
  assertKeyName(keyName);
  const name = utf8Bytes(keyName);
  const input = new Uint8Array(name.length + 2 + publicKey.length);
  input.set(name, 0);
  input[name.length] = 0x0a;
  input[name.length + 1] = signatureType;
  input.set(publicKey, name.length + 2);
  const digest = sha256(input);
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** Key names are non-empty and hold no Unicode space and no plus. */
export function isKeyName(keyName: string): boolean {
  return (
    keyName.length > 0 &&
    !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(keyName) &&
    !hasControl(keyName)
  );
}

export function ed25519PublicKeyOf(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** Ed25519 verification of `signature` over `message` by `publicKey`; false when it fails. */
export type Ed25519Verifier = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => boolean;

/** An Ed25519 signing function of a 32-byte seed. */
export type Ed25519SignerOf = (seed: Uint8Array) => (message: Uint8Array) => Uint8Array;

/** RFC 8032 verification (strict, not ZIP 215); false for malformed keys or signatures. */
export function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** @noble/curves signing, the browser-safe default of the signers below. */
export const ed25519SignerOfSeed: Ed25519SignerOf = (seed) => (message) =>
  ed25519.sign(message, seed);

/**
 * A note signer for a 32-byte Ed25519 seed (signature type 0x01); `signerOf` lets a Node process
 * sign with node:crypto (src/ledger/ed25519.ts): the signature bytes are the same.
 */
export function ed25519NoteSigner(
  keyName: string,
  seed: Uint8Array,
  signerOf: Ed25519SignerOf = ed25519SignerOfSeed,
): NoteSigner {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const publicKey = ed25519.getPublicKey(seed);
  return {
    keyName,
    keyId: keyIdOf(keyName, signatureTypeEd25519, publicKey),
    sign: signerOf(seed),
  };
}

/** "name+hexID+base64(type||publicKey)", the vkey of signed-note. */
export function verifierKeyOf(
  keyName: string,
  signatureType: number,
  publicKey: Uint8Array,
): string {
  const keyId = keyIdOf(keyName, signatureType, publicKey);
  return `${keyName}+${keyIdHex(keyId)}+${base64Of(concatBytes([Uint8Array.of(signatureType), publicKey]))}`;
}

export interface VerifierKey {
  keyName: string;
  keyId: number;
  signatureType: number;
  publicKey: Uint8Array;
}

/** Parses a vkey, checking that its key ID is the one its name and key give. */
export function parseVerifierKey(vkey: string): VerifierKey {
  // The base64 key may itself hold plus signs: only the first two pluses separate fields.
  const parts = splitFields(vkey, 3);
  if (!parts) throw new NoteFormatError('a verifier key is name+id+key');
  const [keyName, idHex, keyBase64] = parts as [string, string, string];
  const material = parseKeyMaterial(keyName, idHex, keyBase64);
  return { keyName, keyId: material.keyId, signatureType: material.type, publicKey: material.key };
}

/** "PRIVATE+KEY+name+hexID+base64(0x01||seed)", Go's note signer key encoding. */
export function signerKeyOf(keyName: string, seed: Uint8Array): string {
  const publicKey = ed25519.getPublicKey(seed);
  const keyId = keyIdOf(keyName, signatureTypeEd25519, publicKey);
  return `PRIVATE+KEY+${keyName}+${keyIdHex(keyId)}+${base64Of(concatBytes([Uint8Array.of(signatureTypeEd25519), seed]))}`;
}

/** Parses a signer key; its key ID must be the one the seed's public key gives. */
export function parseSignerKey(
  text: string,
  signerOf: Ed25519SignerOf = ed25519SignerOfSeed,
): NoteSigner & { publicKey: Uint8Array; verifierKey: string } {
  const parts = splitFields(text, 5);
  if (!parts || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new NoteFormatError('a signer key is PRIVATE+KEY+name+id+key');
  }
  const [, , keyName, idHex, keyBase64] = parts as [string, string, string, string, string];
  const seedMaterial = parseKeyMaterial(keyName, idHex, keyBase64, true);
  if (seedMaterial.type !== signatureTypeEd25519 || seedMaterial.key.length !== 32) {
    throw new NoteFormatError('a signer key must be an Ed25519 seed (type 0x01, 32 bytes)');
  }
  const signer = ed25519NoteSigner(keyName, seedMaterial.key, signerOf);
  if (signer.keyId !== seedMaterial.keyId)
    throw new NoteFormatError('the signer key ID does not match its key');
  const publicKey = ed25519.getPublicKey(seedMaterial.key);
  return {
    ...signer,
    publicKey,
    verifierKey: verifierKeyOf(keyName, signatureTypeEd25519, publicKey),
  };
}

/** Splits at the first count - 1 pluses; undefined when there are fewer. */
function splitFields(text: string, count: number): string[] | undefined {
  const fields: string[] = [];
  let rest = text;
  for (let field = 1; field < count; field++) {
    const plus = rest.indexOf('+');
    if (plus < 0) return undefined;
    fields.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  fields.push(rest);
  return fields;
}

function parseKeyMaterial(
  keyName: string,
  idHex: string,
  keyBase64: string,
  isSeed = false,
): { keyId: number; type: number; key: Uint8Array } {
  if (!isKeyName(keyName))
    throw new NoteFormatError('the key name is empty or has a space or plus');
  if (!/^[0-9a-f]{8}$/.test(idHex))
    throw new NoteFormatError('the key ID must be 8 lowercase hex digits');
  const bytes = base64Decode(keyBase64);
  if (!bytes || bytes.length < 2) throw new NoteFormatError('the key is not base64 of type||key');
  const type = bytes[0]!;
  const key = bytes.slice(1);
  const keyId = Number.parseInt(idHex, 16);
  if (!isSeed) {
    if (type === signatureTypeEd25519 || type === signatureTypeCosignatureV1) {
      if (key.length !== 32) throw new NoteFormatError('an Ed25519 public key is 32 bytes');
    }
    if (keyIdOf(keyName, type, key) !== keyId)
      throw new NoteFormatError('the key ID does not match the key');
  }
  return { keyId, type, key };
}

/** The note: text, a blank line, then one "— name base64(keyID||signature)" line per signature. */
export function formatNote(note: Note): string {
  assertNoteText(note.text);
  if (note.signatures.length === 0)
    throw new NoteFormatError('a note needs at least one signature');
  const lines = note.signatures.map((each) => signatureLineOf(each));
  return `${note.text}\n${lines.join('')}`;
}

export function signatureLineOf(signature: NoteSignature): string {
  assertKeyName(signature.keyName);
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, signature.keyId);
  return `\u2014 ${signature.keyName} ${base64Of(concatBytes([id, signature.signature]))}\n`;
}

/** Signs `text` with each signer (Ed25519 over the text's bytes). */
export function signNote(text: string, signers: readonly NoteSigner[]): Note {
  assertNoteText(text);
  const message = utf8Bytes(text);
  return {
    text,
    signatures: signers.map((signer) => ({
      keyName: signer.keyName,
      keyId: signer.keyId,
      signature: signer.sign(message),
    })),
  };
}

/** Splits a note into text and signature lines; checks the format, verifies nothing. */
export function parseNote(note: string): Note {
  if (note.length > noteBytesMax)
    throw new NoteFormatError(`the note is longer than ${noteBytesMax} bytes`);
  if (hasControl(note.replaceAll('\n', '')))
    throw new NoteFormatError('the note has a control character');
  if (!note.endsWith('\n')) throw new NoteFormatError('the note does not end in a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteFormatError('the note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > noteSignaturesMax)
    throw new NoteFormatError(`the note has more than ${noteSignaturesMax} signatures`);
  const signatures = lines.map(parseSignatureLine);
  return { text, signatures };
}

function parseSignatureLine(line: string): NoteSignature {
  const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
  const bytes = match ? base64Decode(match[2]!) : undefined;
  if (!match || !bytes || bytes.length < 5 || !isKeyName(match[1]!)) {
    throw new NoteFormatError('a signature line is not "— <key name> <base64 signature>"');
  }
  return {
    keyName: match[1]!,
    keyId: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0),
    signature: bytes.slice(4),
  };
}

/** The signatures of `note` by the named key ID: what a verifier checks (others are ignored). */
export function signaturesBy(note: Note, keyName: string, keyId: number): NoteSignature[] {
  return note.signatures.filter((each) => each.keyName === keyName && each.keyId === keyId);
}

/** What the keys of one signer (a log's, say) make of a note; the key named is the one seen. */
export type NoteSignatureVerdict =
  { kind: 'signed'; keyName: string } | { kind: 'forged'; keyName: string } | { kind: 'unsigned' };

/**
 * Whether `note` is signed by one of `keys`. `signed` when an Ed25519 (type 0x01) key has at
 * least one line and every line of each such key verifies; `forged` when a line names one of them
 * (name and key ID) but does not verify, which the spec calls a malformed note and a witness
 * raises an alarm for; `unsigned` when no line names any. Lines of other keys, and of keys of
 * another type, are ignored. Each line is verified once, with `verify`: a Node process passes
 * node:crypto's (src/ledger/ed25519.ts), since verifying is most of a witness's work.
 */
export function noteSignatureVerdict(
  note: Note,
  keys: readonly VerifierKey[],
  verify: Ed25519Verifier = ed25519Verify,
): NoteSignatureVerdict {
  const message = utf8Bytes(note.text);
  let signedBy: string | undefined;
  for (const key of keys) {
    if (key.signatureType !== signatureTypeEd25519) continue;
    const lines = signaturesBy(note, key.keyName, key.keyId);
    for (const line of lines) {
      if (!verify(key.publicKey, message, line.signature)) {
        return { kind: 'forged', keyName: key.keyName };
      }
    }
    if (lines.length > 0) signedBy ??= key.keyName;
  }
  return signedBy === undefined ? { kind: 'unsigned' } : { kind: 'signed', keyName: signedBy };
}

/** True when `note` carries a valid Ed25519 (type 0x01) signature by `key` and no bad one. */
export function noteSignedBy(
  note: Note,
  key: VerifierKey,
  verify: Ed25519Verifier = ed25519Verify,
): boolean {
  return noteSignatureVerdict(note, [key], verify).kind === 'signed';
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

export function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard padded base64 (RFC 4648 section 4) in its one canonical spelling, else undefined. */
export function base64Decode(text: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
    return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  // Non-zero padding bits would let two spellings carry one signature; refuse all but one.
  return base64Of(bytes) === text ? bytes : undefined;
}

export function hexOf(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

export function bytesOfHex(hex: string): Uint8Array {
  return hexToBytes(hex);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

export function textOfUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteFormatError('note text must end in a newline');
  if (hasControl(text.replaceAll('\n', '')))
    throw new NoteFormatError('note text has a control character');
}

function assertKeyName(keyName: string): void {
  if (!isKeyName(keyName))
    throw new NoteFormatError('a key name is non-empty with no space or plus');
}

function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) < 0x20) return true;
  return false;
}
