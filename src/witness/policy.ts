// A client's trust policy, in the style of Sigsum's and Go's sumdb policy files: which log key
// signs checkpoints, which witnesses' cosignatures count, and how many are needed. One
// directive per line, '#' starts a comment:
//
//   log <log vkey>
//   witness <name> <cosignature/v1 vkey> [<add-checkpoint URL prefix>]
//   quorum <k>
//
// The same file configures the log's witnesses (the URLs) and the clients' verdicts (the keys
// and k). Pure but for loadWitnessList; the /verify page has its own copy in JavaScript.
import { readFileSync } from 'node:fs';
import {
  parseCheckpointBody,
  verifyCosignature,
  type Checkpoint,
} from '../ledger/tlog/checkpoint.js';
import {
  NoteFormatError,
  noteSignedBy,
  parseNote,
  parseVerifierKey,
  signatureTypeCosignatureV1,
  signatureTypeEd25519,
  signaturesBy,
  type Note,
  type VerifierKey,
} from '../ledger/tlog/note.js';

export const policyWitnessesMax = 64;
const policyBytesMax = 64 * 1024;

export interface PolicyWitness {
  name: string;
  key: VerifierKey;
  verifierKey: string;
  url?: string;
}

export interface Policy {
  log: VerifierKey;
  logVerifierKey: string;
  witnesses: PolicyWitness[];
  quorum: number;
}

export class PolicyError extends Error {}

export function parsePolicy(text: string): Policy {
  const { log, witnesses, quorum } = parseDirectives(text);
  if (!log) throw new PolicyError('the policy has no "log <vkey>" line');
  if (quorum === undefined) throw new PolicyError('the policy has no "quorum <k>" line');
  if (quorum > witnesses.length) {
    throw new PolicyError(`quorum ${quorum} is more than the ${witnesses.length} witnesses named`);
  }
  return { log: log.key, logVerifierKey: log.text, witnesses, quorum };
}

/** The witness lines of a policy-format file (its log and quorum lines, if any, are checked too). */
export function parseWitnessList(text: string): PolicyWitness[] {
  return parseDirectives(text).witnesses;
}

/** The log's witness list (LEDGER_WITNESSES_FILE), read once at start; none without a file. */
export function loadWitnessList(file: string | undefined): PolicyWitness[] {
  if (file === undefined) return [];
  try {
    return parseWitnessList(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicyError(`LEDGER_WITNESSES_FILE ${file}: ${(error as Error).message}`);
  }
}

function parseDirectives(text: string): {
  log?: { key: VerifierKey; text: string };
  witnesses: PolicyWitness[];
  quorum?: number;
} {
  if (text.length > policyBytesMax)
    throw new PolicyError(`the policy is over ${policyBytesMax} bytes`);
  let log: { key: VerifierKey; text: string } | undefined;
  let quorum: number | undefined;
  const witnesses: PolicyWitness[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `policy line ${index + 1}`;
    const [directive, ...fields] = line.split(/\s+/);
    if (directive === 'log') {
      if (log) throw new PolicyError(`${where}: a policy names one log`);
      if (fields.length !== 1) throw new PolicyError(`${where}: expected "log <vkey>"`);
      log = { key: verifierKeyOf(fields[0]!, signatureTypeEd25519, where), text: fields[0]! };
    } else if (directive === 'witness') {
      if (fields.length < 2 || fields.length > 3) {
        throw new PolicyError(`${where}: expected "witness <name> <vkey> [<url>]"`);
      }
      const [name, vkey, url] = fields as [string, string, string | undefined];
      if (witnesses.some((each) => each.name === name)) {
        throw new PolicyError(`${where}: witness ${name} is named twice`);
      }
      if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
        throw new PolicyError(`${where}: the witness URL must be http(s)://…`);
      }
      const key = verifierKeyOf(vkey, signatureTypeCosignatureV1, where);
      witnesses.push({ name, key, verifierKey: vkey, ...(url ? { url } : {}) });
      if (witnesses.length > policyWitnessesMax) {
        throw new PolicyError(`${where}: at most ${policyWitnessesMax} witnesses`);
      }
    } else if (directive === 'quorum') {
      if (quorum !== undefined) throw new PolicyError(`${where}: quorum is given twice`);
      if (fields.length !== 1 || !/^(0|[1-9][0-9]{0,2})$/.test(fields[0]!)) {
        throw new PolicyError(`${where}: expected "quorum <k>", k a whole number`);
      }
      quorum = Number(fields[0]);
    } else {
      throw new PolicyError(`${where}: unknown directive "${directive}" (log, witness, quorum)`);
    }
  });
  return { ...(log ? { log } : {}), witnesses, ...(quorum !== undefined ? { quorum } : {}) };
}

function verifierKeyOf(text: string, signatureType: number, where: string): VerifierKey {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(text);
  } catch (error) {
    if (error instanceof NoteFormatError) throw new PolicyError(`${where}: ${error.message}`);
    throw error;
  }
  if (key.signatureType !== signatureType) {
    const wanted =
      signatureType === signatureTypeEd25519 ? 'Ed25519 (0x01)' : 'cosignature/v1 (0x04)';
    throw new PolicyError(`${where}: the key must be of type ${wanted}`);
  }
  return key;
}

export type CheckpointVerdict =
  | { ok: true; checkpoint: Checkpoint; cosignedBy: string[] }
  | { ok: false; reason: string; cosignedBy: string[] };

/**
 * Accepts a signed checkpoint note only when it carries a valid signature by the policy's log
 * and valid cosignatures by at least `quorum` of its witnesses (each witness counted once).
 */
export function checkCheckpoint(noteText: string, policy: Policy): CheckpointVerdict {
  let note: Note;
  let checkpoint: Checkpoint;
  try {
    note = parseNote(noteText);
    checkpoint = parseCheckpointBody(note.text);
  } catch (error) {
    if (error instanceof NoteFormatError) {
      return { ok: false, reason: `the checkpoint is malformed: ${error.message}`, cosignedBy: [] };
    }
    throw error;
  }
  if (checkpoint.origin !== policy.log.keyName) {
    return {
      ok: false,
      reason: `the checkpoint is of log "${checkpoint.origin}", the policy's log is "${policy.log.keyName}"`,
      cosignedBy: [],
    };
  }
  if (!noteSignedBy(note, policy.log)) {
    return {
      ok: false,
      reason: "the checkpoint does not carry a valid signature by the policy's log",
      cosignedBy: [],
    };
  }
  const cosignedBy = policy.witnesses
    .filter((witness) =>
      signaturesBy(note, witness.key.keyName, witness.key.keyId).some(
        (line) => verifyCosignature(note.text, witness.key, line) !== undefined,
      ),
    )
    .map((witness) => witness.name);
  if (cosignedBy.length < policy.quorum) {
    return {
      ok: false,
      reason: `${cosignedBy.length} of the policy's witnesses cosigned the checkpoint (${cosignedBy.join(', ') || 'none'}); the quorum is ${policy.quorum}`,
      cosignedBy,
    };
  }
  return { ok: true, checkpoint, cosignedBy };
}
