// The witness as a process: the C2SP tlog-witness HTTP interface over its state file.
//   POST /add-checkpoint           cosign a checkpoint consistent with the last one cosigned
//   GET  /<sha256(origin)>/checkpoint  the last cosigned checkpoint (the monitoring API)
// Requests are handled one at a time: checking the old size and persisting the new checkpoint
// must be one atomic step (the spec's rollback race), and a witness sees a few requests a minute.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../infra/logger.js';
import { addCheckpointBodyBytesMax } from './protocol.js';
import { appendEvidence, saveWitnessState } from './state.js';
import {
  addCheckpoint,
  type Alarm,
  type AddCheckpointOutcome,
  type CosignedCheckpoint,
  type Cosigner,
  type WitnessedLog,
} from './witness.js';

export interface WitnessOptions {
  logs: readonly WitnessedLog[];
  cosigner: Cosigner;
  stateFile: string;
  evidenceFile: string;
  logger: Logger;
  /** The state loaded at start (loadWitnessState). */
  state: Map<string, CosignedCheckpoint>;
}

/** One witness: the decision, the state and the alarms, shared by the server and --follow. */
export class Witness {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: WitnessOptions) {}

  /** Handles one add-checkpoint body; persists before answering; serialized. */
  submit(body: string): Promise<AddCheckpointOutcome> {
    const run = this.queue.then(() => this.submitNow(body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  cosignedFor(origin: string): CosignedCheckpoint | undefined {
    return this.options.state.get(origin);
  }

  private async submitNow(body: string): Promise<AddCheckpointOutcome> {
    const { logs, cosigner, state, stateFile, logger } = this.options;
    const outcome = addCheckpoint({
      body,
      logs,
      cosigner,
      cosignedByOrigin: state,
      now: new Date(),
    });
    if (outcome.status === 200) {
      const next = new Map(state).set(outcome.origin, outcome.cosigned);
      await saveWitnessState(stateFile, next);
      state.set(outcome.origin, outcome.cosigned);
      logger.info(
        { origin: outcome.origin, treeSize: outcome.cosigned.treeSize },
        'witness: cosigned checkpoint',
      );
    } else if (outcome.alarm) {
      await this.raise(outcome.alarm);
    }
    return outcome;
  }

  private async raise(alarm: Alarm): Promise<void> {
    await appendEvidence(this.options.evidenceFile, alarm);
    this.options.logger.error(
      { alarm: alarm.kind, origin: alarm.origin, evidenceFile: this.options.evidenceFile },
      `witness ALARM ${alarm.kind}: ${alarm.message}`,
    );
  }
}

export function createWitnessServer(witness: Witness, logs: readonly WitnessedLog[]): Server {
  const originByHash = new Map(
    logs.map((log) => [bytesToHex(sha256(new TextEncoder().encode(log.origin))), log.origin]),
  );
  return createServer((request, response) => {
    handle(witness, originByHash, request, response).catch((error: unknown) => {
      // A state file that cannot be written: answer 500 and cosign nothing.
      console.error(error);
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
}

async function handle(
  witness: Witness,
  originByHash: ReadonlyMap<string, string>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  if (path === '/add-checkpoint') {
    if (request.method !== 'POST') return send(response, 405, 'text/plain', 'use POST\n');
    const body = await readBody(request, addCheckpointBodyBytesMax);
    if (body === undefined) {
      return send(
        response,
        413,
        'text/plain',
        `the body is over ${addCheckpointBodyBytesMax} bytes\n`,
      );
    }
    const outcome = await witness.submit(body);
    return send(response, outcome.status, outcome.contentType, outcome.body);
  }
  const monitoring = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
  if (monitoring && request.method === 'GET') {
    const origin = originByHash.get(monitoring[1]!);
    const cosigned = origin === undefined ? undefined : witness.cosignedFor(origin);
    if (!cosigned)
      return send(response, 404, 'text/plain', 'no checkpoint cosigned for this log\n');
    return send(response, 200, 'text/plain; charset=utf-8', cosigned.note);
  }
  send(response, 404, 'text/plain', 'not found\n');
}

/** The body as UTF-8 text, or undefined when it is longer than `bytesMax`. */
function readBody(request: IncomingMessage, bytesMax: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > bytesMax) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
