// The wire format of C2SP tlog-witness add-checkpoint: "old <size>", up to 63 consistency proof
// lines (base64 hashes), a blank line, then the signed checkpoint note. Pure, shared by the
// witness (parsing) and by every client that submits (the log's push job, `witness --follow`).
import { base64Decode, base64Of } from '../ledger/tlog/note.js';
import { hashBytes } from '../ledger/tlog/tree.js';

/** The spec: "The client MUST NOT send more than 63 consistency proof lines." */
export const consistencyProofLinesMax = 63;

/** A request body is the proof and a note; notes are bounded at 64 KiB, proofs at ~3 KiB. */
export const addCheckpointBodyBytesMax = 80 * 1024;

export const treeSizeContentType = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, exactly as sent. */
  note: string;
}

export class ProtocolError extends Error {}

/** "old <size>\n" + a base64 line per proof hash + "\n" + the note. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  if (request.proof.length > consistencyProofLinesMax) {
    throw new ProtocolError(`a consistency proof has at most ${consistencyProofLinesMax} hashes`);
  }
  const proofLines = request.proof.map((hash) => `${base64Of(hash)}\n`).join('');
  return `old ${request.oldSize}\n${proofLines}\n${request.note}`;
}

/** Parses an add-checkpoint body; the note is returned unparsed (the witness verifies it). */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new ProtocolError('the body has no blank line before the checkpoint');
  const header = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const oldLine = /^old (0|[1-9][0-9]{0,15})$/.exec(header[0]!);
  if (!oldLine || !Number.isSafeInteger(Number(oldLine[1]))) {
    throw new ProtocolError('the first line is not "old <size>" (decimal, no leading zeros)');
  }
  const proofLines = header.slice(1);
  if (proofLines.length > consistencyProofLinesMax) {
    throw new ProtocolError(`more than ${consistencyProofLinesMax} consistency proof lines`);
  }
  const proof = proofLines.map((line, position) => {
    const hash = base64Decode(line);
    if (!hash || hash.length !== hashBytes) {
      throw new ProtocolError(`consistency proof line ${position + 1} is not a base64 hash`);
    }
    return hash;
  });
  return { oldSize: Number(oldLine[1]), proof, note };
}

/** The body of a 409: the witness's size, then a newline. */
export function parseTreeSize(body: string): number | undefined {
  const match = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  return match && Number.isSafeInteger(Number(match[1])) ? Number(match[1]) : undefined;
}
