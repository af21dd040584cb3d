// What a witness decides about one add-checkpoint request (C2SP tlog-witness), as a pure function
// of its configuration, the checkpoint it last cosigned for the log, the request and the time.
// It never cosigns a checkpoint that is not consistent with the one it cosigned before; when a
// log-signed checkpoint contradicts that one it also returns an alarm carrying both notes, which
// is the evidence a third party needs (two log signatures over incompatible trees).
import { cosign, parseCheckpointBody, type Checkpoint } from '../ledger/tlog/checkpoint.js';
import { ed25519VerifyNode } from '../ledger/ed25519.js';
import {
  base64Of,
  formatNote,
  NoteFormatError,
  noteSignatureVerdict,
  parseNote,
  signatureLineOf,
  signaturesBy,
  type Note,
  type VerifierKey,
} from '../ledger/tlog/note.js';
import { emptyTreeRoot, hashesEqual, verifyConsistency } from '../ledger/tlog/tree.js';
import { parseAddCheckpoint, ProtocolError, treeSizeContentType } from './protocol.js';

/** A log this witness follows: its origin line and the key(s) it signs checkpoints with. */
export interface WitnessedLog {
  origin: string;
  keys: VerifierKey[];
}

/** The witness's own Ed25519 cosigning key. */
export interface Cosigner {
  keyName: string;
  publicKey: Uint8Array;
  sign: (message: Uint8Array) => Uint8Array;
}

/** The last checkpoint cosigned for one log: the note with the log's and this witness's lines. */
export interface CosignedCheckpoint {
  note: string;
  treeSize: number;
  /** Base64, as in the checkpoint. */
  rootHash: string;
  cosignedAt: string;
}

export type AlarmKind = 'split-view' | 'fork' | 'rollback' | 'bad-signature';

/** What a witness reports when a log misbehaves, with the notes that show it. */
export interface Alarm {
  kind: AlarmKind;
  origin: string;
  detectedAt: string;
  message: string;
  /** The note this witness cosigned before (log signature and cosignature), if any. */
  cosigned?: string;
  /** The note offered now, exactly as received. */
  offered: string;
  oldSize: number;
  /** The consistency proof offered with it, base64. */
  proof: string[];
}

export type AddCheckpointOutcome =
  | {
      status: 200;
      contentType: 'text/plain';
      body: string;
      origin: string;
      cosigned: CosignedCheckpoint;
    }
  | { status: 409; contentType: typeof treeSizeContentType; body: string; alarm?: Alarm }
  | { status: 400 | 403 | 404 | 422; contentType: 'text/plain'; body: string; alarm?: Alarm };

export interface AddCheckpointInput {
  body: string;
  logs: readonly WitnessedLog[];
  cosigner: Cosigner;
  /** The last checkpoint this witness cosigned for each origin. */
  cosignedByOrigin: ReadonlyMap<string, CosignedCheckpoint>;
  now: Date;
}

export function addCheckpoint(input: AddCheckpointInput): AddCheckpointOutcome {
  let request;
  let note: Note;
  let checkpoint: Checkpoint;
  try {
    request = parseAddCheckpoint(input.body);
    note = parseNote(request.note);
    checkpoint = parseCheckpointBody(note.text);
  } catch (error) {
    if (error instanceof ProtocolError || error instanceof NoteFormatError) {
      return refuse(400, `malformed request: ${error.message}`);
    }
    throw error;
  }
  const log = input.logs.find((each) => each.origin === checkpoint.origin);
  if (!log) return refuse(404, `unknown log origin "${checkpoint.origin}"`);
  const { oldSize, proof } = request;
  const cosigned = input.cosignedByOrigin.get(log.origin);
  const alarmOf = (kind: AlarmKind, message: string): Alarm => ({
    kind,
    origin: log.origin,
    detectedAt: input.now.toISOString(),
    message,
    ...(cosigned ? { cosigned: cosigned.note } : {}),
    offered: request.note,
    oldSize,
    proof: proof.map(base64Of),
  });

  const signature = noteSignatureVerdict(note, log.keys, ed25519VerifyNode);
  if (signature.kind === 'forged') {
    const message = `the signature by log key ${signature.keyName} does not verify`;
    return refuse(403, message, alarmOf('bad-signature', message));
  }
  if (signature.kind === 'unsigned') {
    return refuse(403, 'the checkpoint carries no signature by a key of this log');
  }
  if (oldSize > checkpoint.treeSize) {
    return refuse(400, `old size ${oldSize} is larger than the checkpoint size`);
  }
  const storedSize = cosigned?.treeSize ?? 0;
  if (cosigned && checkpoint.treeSize === storedSize) {
    if (base64Of(checkpoint.rootHash) !== cosigned.rootHash) {
      const message = `split view: the log signed two different trees of size ${storedSize}`;
      const alarm = alarmOf('split-view', message);
      return oldSize === storedSize ? refuse(422, message, alarm) : sizeConflict(storedSize, alarm);
    }
  }
  if (checkpoint.treeSize < storedSize) {
    const message = `rollback: the log offered size ${checkpoint.treeSize} after this witness cosigned size ${storedSize}`;
    return sizeConflict(storedSize, alarmOf('rollback', message));
  }
  if (oldSize !== storedSize) return sizeConflict(storedSize);
  if (checkpoint.treeSize === 0 && !hashesEqual(checkpoint.rootHash, emptyTreeRoot())) {
    return refuse(422, 'a checkpoint of size 0 must have the root of the empty tree');
  }
  if (oldSize === 0 && proof.length > 0) {
    return refuse(422, 'the consistency proof from size 0 must be empty');
  }
  if (cosigned && oldSize > 0) {
    const storedRoot = parseCheckpointBody(parseNote(cosigned.note).text).rootHash;
    if (!verifyConsistency(oldSize, checkpoint.treeSize, proof, storedRoot, checkpoint.rootHash)) {
      const message = `fork: the checkpoint of size ${checkpoint.treeSize} is not consistent with the checkpoint of size ${storedSize} this witness cosigned`;
      return refuse(422, message, alarmOf('fork', message));
    }
  }
  return cosignCheckpoint(note, log, input.cosigner, input.now);
}

function cosignCheckpoint(
  note: Note,
  log: WitnessedLog,
  cosigner: Cosigner,
  now: Date,
): AddCheckpointOutcome {
  // The spec forbids a zero timestamp; a clock before 1970 is a broken clock.
  const timestampSeconds = BigInt(Math.max(1, Math.floor(now.getTime() / 1000)));
  const checkpoint = parseCheckpointBody(note.text);
  const cosignature = cosign(
    note.text,
    cosigner.keyName,
    cosigner.publicKey,
    timestampSeconds,
    cosigner.sign,
  );
  // Kept with the log's own signatures only: what a monitor may fetch from this witness.
  const logSignatures = log.keys.flatMap((key) => signaturesBy(note, key.keyName, key.keyId));
  const stored = formatNote({ text: note.text, signatures: [...logSignatures, cosignature] });
  return {
    status: 200,
    contentType: 'text/plain',
    body: signatureLineOf(cosignature),
    origin: log.origin,
    cosigned: {
      note: stored,
      treeSize: checkpoint.treeSize,
      rootHash: base64Of(checkpoint.rootHash),
      cosignedAt: now.toISOString(),
    },
  };
}

function refuse(
  status: 400 | 403 | 404 | 422,
  message: string,
  alarm?: Alarm,
): AddCheckpointOutcome {
  return { status, contentType: 'text/plain', body: `${message}\n`, ...(alarm ? { alarm } : {}) };
}

function sizeConflict(storedSize: number, alarm?: Alarm): AddCheckpointOutcome {
  return {
    status: 409,
    contentType: treeSizeContentType,
    body: `${storedSize}\n`,
    ...(alarm ? { alarm } : {}),
  };
}
