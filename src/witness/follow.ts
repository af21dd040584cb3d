// `witness --follow URL`: the witness pulls instead of waiting to be pushed. It polls the log's
// latest checkpoint, fetches the consistency proof from the size it last cosigned, puts both
// through the same add-checkpoint decision as a pushed request, and hands its cosignature back
// to the log (POST /v1/ledger/checkpoints/:size/cosignatures).
import { parseCheckpointBody } from '../ledger/tlog/checkpoint.js';
import { bytesOfHex, parseNote } from '../ledger/tlog/note.js';
import type { Logger } from '../infra/logger.js';
import { formatAddCheckpoint } from './protocol.js';
import type { Witness } from './server.js';

/** Every call to the log is bounded: a log that hangs is retried at the next poll. */
const requestTimeoutMs = 10_000;
const responseBytesMax = 256 * 1024;

export interface FollowOptions {
  logUrl: string;
  apiKey?: string;
  intervalMs: number;
  logger: Logger;
}

export type FollowResult =
  | { outcome: 'unchanged'; treeSize: number }
  | { outcome: 'cosigned'; treeSize: number }
  | { outcome: 'refused'; status: number; message: string };

/** One poll: fetch, verify, cosign, hand back. Throws when the log cannot be reached. */
export async function followOnce(witness: Witness, options: FollowOptions): Promise<FollowResult> {
  const note = await getText(options, '/v1/ledger/checkpoint');
  const checkpoint = parseCheckpointBody(parseNote(note).text);
  const cosigned = witness.cosignedFor(checkpoint.origin);
  const oldSize = cosigned?.treeSize ?? 0;
  if (cosigned && cosigned.treeSize === checkpoint.treeSize && sameRoot(cosigned.note, note)) {
    // Cosigned before, but the log may not have stored it (it was down, or the POST failed).
    const ours = ownCosignatureLine(cosigned.note);
    if (!note.includes(ours)) {
      await postCosignature(options, checkpoint.treeSize, ours);
      return { outcome: 'cosigned', treeSize: checkpoint.treeSize };
    }
    return { outcome: 'unchanged', treeSize: checkpoint.treeSize };
  }
  let proof: Uint8Array[] = [];
  if (oldSize > 0 && oldSize < checkpoint.treeSize) {
    const answer = JSON.parse(
      await getText(options, `/v1/ledger/consistency?from=${oldSize}&to=${checkpoint.treeSize}`),
    ) as { proof?: unknown };
    if (!Array.isArray(answer.proof) || !answer.proof.every((hash) => typeof hash === 'string')) {
      throw new Error('the log answered a consistency proof without a list of hashes');
    }
    proof = answer.proof.map(bytesOfHex);
  }
  const outcome = await witness.submit(formatAddCheckpoint({ oldSize, proof, note }));
  if (outcome.status !== 200) {
    return { outcome: 'refused', status: outcome.status, message: outcome.body.trim() };
  }
  await postCosignature(options, checkpoint.treeSize, outcome.body);
  return { outcome: 'cosigned', treeSize: checkpoint.treeSize };
}

/** Polls until `signal` aborts; a poll that fails is logged and tried again next interval. */
export async function follow(
  witness: Witness,
  options: FollowOptions,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const result = await followOnce(witness, options);
      options.logger.debug(result, 'witness: polled the log');
      if (result.outcome === 'cosigned') {
        options.logger.info({ treeSize: result.treeSize }, 'witness: cosigned the log checkpoint');
      } else if (result.outcome === 'refused') {
        options.logger.warn({ status: result.status }, `witness refused: ${result.message}`);
      }
    } catch (error) {
      options.logger.warn({ err: (error as Error).message }, 'witness: cannot follow the log now');
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), {
        once: true,
      });
    });
  }
}

/** The witness stores its cosignature as the note's last line (witness.ts cosignCheckpoint). */
function ownCosignatureLine(storedNote: string): string {
  const lines = storedNote.trimEnd().split('\n');
  return `${lines[lines.length - 1]!}\n`;
}

function sameRoot(cosignedNote: string, offeredNote: string): boolean {
  return parseNote(cosignedNote).text === parseNote(offeredNote).text;
}

function headers(options: FollowOptions): Record<string, string> {
  return options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
}

async function getText(options: FollowOptions, path: string): Promise<string> {
  const response = await fetch(new URL(path, options.logUrl), {
    headers: headers(options),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  const text = await response.text();
  if (text.length > responseBytesMax) throw new Error(`GET ${path}: the answer is too long`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return text;
}

async function postCosignature(
  options: FollowOptions,
  treeSize: number,
  signatureLines: string,
): Promise<void> {
  const path = `/v1/ledger/checkpoints/${treeSize}/cosignatures`;
  const response = await fetch(new URL(path, options.logUrl), {
    method: 'POST',
    headers: { ...headers(options), 'content-type': 'application/json' },
    body: JSON.stringify({ cosignature: signatureLines }),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
}
