// A witness's key: an Ed25519 seed in Go's note signer encoding
// (PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)); it cosigns as cosignature/v1, so the key
// others configure for it is the vkey of type 0x04: <name>+<hex id>+base64(0x04 || public key).
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519SignerNode } from '../ledger/ed25519.js';
import {
  parseSignerKey,
  signatureTypeCosignatureV1,
  signerKeyOf,
  verifierKeyOf,
} from '../ledger/tlog/note.js';
import type { Cosigner } from './witness.js';

export interface WitnessKey extends Cosigner {
  /** The cosignature/v1 vkey to put in log configurations and client policies. */
  cosignerVerifierKey: string;
}

export function parseWitnessKey(text: string): WitnessKey {
  // A witness is a Node process: it cosigns with node:crypto (the same signature bytes).
  const signer = parseSignerKey(text.trim(), ed25519SignerNode);
  return {
    keyName: signer.keyName,
    publicKey: signer.publicKey,
    sign: signer.sign,
    cosignerVerifierKey: verifierKeyOf(
      signer.keyName,
      signatureTypeCosignatureV1,
      signer.publicKey,
    ),
  };
}

/** A fresh witness key: the signer key text (keep it secret) and the vkey to publish. */
export function generateWitnessKey(keyName: string): { signerKey: string; verifierKey: string } {
  const seed = ed25519.utils.randomSecretKey();
  const signerKey = signerKeyOf(keyName, seed);
  return { signerKey, verifierKey: parseWitnessKey(signerKey).cosignerVerifierKey };
}
