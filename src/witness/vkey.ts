// Key text parsing as Go's note package does it: the name and the key ID end at the first two
// '+' signs and the base64 key is the rest, which may itself hold '+'. (The ledger's
// parseVerifierKey/parseSignerKey split on every '+', so they refuse about half of all keys;
// these are used here until that is fixed there.)
import {
  base64Decode,
  ed25519NoteSigner,
  isKeyName,
  keyIdOf,
  NoteFormatError,
  signatureTypeEd25519,
  verifierKeyOf,
  type NoteSigner,
  type VerifierKey,
} from '../ledger/tlog/note.js';
import { ed25519 } from '@noble/curves/ed25519.js';

/** "name+hexID+base64(type||key)", its key ID checked against its name, type and key. */
export function parseVerifierKeyText(text: string): VerifierKey {
  const [keyName, idHex, keyBase64] = chop(text, 2);
  const bytes = base64Decode(keyBase64);
  if (!isKeyName(keyName))
    throw new NoteFormatError('the key name is empty or has a space or plus');
  if (!/^[0-9a-f]{8}$/.test(idHex))
    throw new NoteFormatError('the key ID must be 8 lowercase hex digits');
  if (!bytes || bytes.length !== 33)
    throw new NoteFormatError('the key is not base64 of a type byte and 32 bytes');
  const signatureType = bytes[0]!;
  const publicKey = bytes.slice(1);
  const keyId = Number.parseInt(idHex, 16);
  if (keyIdOf(keyName, signatureType, publicKey) !== keyId) {
    throw new NoteFormatError('the key ID does not match the key');
  }
  return { keyName, keyId, signatureType, publicKey };
}

/** "PRIVATE+KEY+name+hexID+base64(0x01||seed)", Go's note signer key. */
export function parseSignerKeyText(
  text: string,
): NoteSigner & { publicKey: Uint8Array; verifierKey: string } {
  if (!text.startsWith('PRIVATE+KEY+'))
    throw new NoteFormatError('a signer key is PRIVATE+KEY+name+id+key');
  const [keyName, idHex, keyBase64] = chop(text.slice('PRIVATE+KEY+'.length), 2);
  const bytes = base64Decode(keyBase64);
  if (!isKeyName(keyName) || !/^[0-9a-f]{8}$/.test(idHex)) {
    throw new NoteFormatError('a signer key is PRIVATE+KEY+name+id+key');
  }
  if (!bytes || bytes.length !== 33 || bytes[0] !== signatureTypeEd25519) {
    throw new NoteFormatError('a signer key must be an Ed25519 seed (type 0x01, 32 bytes)');
  }
  const signer = ed25519NoteSigner(keyName, bytes.slice(1));
  if (signer.keyId !== Number.parseInt(idHex, 16)) {
    throw new NoteFormatError('the signer key ID does not match its key');
  }
  const publicKey = ed25519.getPublicKey(bytes.slice(1));
  return {
    ...signer,
    publicKey,
    verifierKey: verifierKeyOf(keyName, signatureTypeEd25519, publicKey),
  };
}

function chop(text: string, cuts: number): [string, string, string] {
  const parts: string[] = [];
  let rest = text;
  for (let cut = 0; cut < cuts; cut++) {
    const plus = rest.indexOf('+');
    if (plus < 0) throw new NoteFormatError('a key is name+id+key');
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  return [parts[0]!, parts[1]!, rest];
}
