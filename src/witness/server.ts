// The witness as a process: the C2SP tlog-witness HTTP interface over its state file.
//   POST /add-checkpoint           cosign a checkpoint consistent with the last one cosigned
//   GET  /<sha256(origin)>/checkpoint  the last cosigned checkpoint (the monitoring API)
//   GET  /status                   what it has cosigned, refused and raised since start (JSON)
// Requests are handled one at a time: checking the old size and persisting the new checkpoint
// must be one atomic step (the spec's rollback race), and a witness sees a few requests a minute.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../infra/logger.js';
import { addCheckpointBodyBytesMax } from './protocol.js';
import type { EvidenceFile, EvidenceOutcome, EvidenceStatus } from './evidence.js';
import type { WitnessKey } from './keys.js';
import { saveWitnessState } from './state.js';
import {
  addCheckpoint,
  type Alarm,
  type AlarmKind,
  type AddCheckpointOutcome,
  type CosignedCheckpoint,
  type WitnessedLog,
} from './witness.js';

export interface WitnessOptions {
  logs: readonly WitnessedLog[];
  cosigner: WitnessKey;
  stateFile: string;
  /** Where alarms are kept (EvidenceFile.open). */
  evidence: EvidenceFile;
  logger: Logger;
  /** The state loaded at start (loadWitnessState). */
  state: Map<string, CosignedCheckpoint>;
}

/** What `GET /status` answers: for a monitor to tell a witness that cosigns from one that alarms. */
export interface WitnessStatus {
  keyName: string;
  /** The cosignature/v1 vkey that logs and client policies name this witness by. */
  verifierKey: string;
  startedAt: string;
  logs: {
    origin: string;
    cosigned: { treeSize: number; rootHash: string; cosignedAt: string } | null;
  }[];
  /** Since start: checkpoints cosigned, and requests refused by HTTP status. */
  requests: { cosigned: number; refused: Record<string, number> };
  /** Since start, by kind, each time one is raised (also when already in the evidence file). */
  alarmsRaised: Partial<Record<AlarmKind, number>>;
  evidence: EvidenceStatus;
}

/** One witness: the decision, the state and the alarms, shared by the server and --follow. */
export class Witness {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly startedAt = new Date();
  private cosignedCount = 0;
  private readonly refusedByStatus = new Map<number, number>();
  private readonly alarmsRaised = new Map<AlarmKind, number>();

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

  evidenceStatus(): EvidenceStatus {
    return this.options.evidence.status();
  }

  status(): WitnessStatus {
    const { cosigner, logs, state } = this.options;
    return {
      keyName: cosigner.keyName,
      verifierKey: cosigner.cosignerVerifierKey,
      startedAt: this.startedAt.toISOString(),
      logs: logs.map(({ origin }) => {
        const cosigned = state.get(origin);
        return {
          origin,
          cosigned: cosigned
            ? {
                treeSize: cosigned.treeSize,
                rootHash: cosigned.rootHash,
                cosignedAt: cosigned.cosignedAt,
              }
            : null,
        };
      }),
      requests: {
        cosigned: this.cosignedCount,
        refused: Object.fromEntries(
          [...this.refusedByStatus].map(([status, count]) => [String(status), count]),
        ),
      },
      alarmsRaised: Object.fromEntries(this.alarmsRaised),
      evidence: this.options.evidence.status(),
    };
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
      this.cosignedCount++;
      logger.info(
        { origin: outcome.origin, treeSize: outcome.cosigned.treeSize },
        'witness: cosigned checkpoint',
      );
    } else {
      countOne(this.refusedByStatus, outcome.status);
      if (outcome.alarm) {
        countOne(this.alarmsRaised, outcome.alarm.kind);
        await this.raise(outcome.alarm);
      }
    }
    return outcome;
  }

  /** Records the alarm once in the evidence file and logs it every time it is raised. */
  private async raise(alarm: Alarm): Promise<void> {
    const { evidence, logger } = this.options;
    const fields = { alarm: alarm.kind, origin: alarm.origin, evidenceFile: evidence.file };
    let outcome: EvidenceOutcome;
    try {
      outcome = await evidence.record(alarm);
    } catch (error) {
      logger.error(
        { ...fields, ...notesOf(alarm), err: error },
        `witness ALARM ${alarm.kind}, not recorded: the evidence file cannot be written: ${alarm.message}`,
      );
      throw error;
    }
    const status = evidence.status();
    if (outcome === 'recorded') {
      logger.error(
        { ...fields, evidence: outcome },
        `witness ALARM ${alarm.kind}: ${alarm.message}`,
      );
    } else if (outcome === 'already-recorded') {
      // Raised at error level when first recorded; a replay of it is no news.
      logger.warn(
        { ...fields, evidence: outcome, alarmsAlreadyRecorded: status.alarmsAlreadyRecorded },
        `witness ALARM ${alarm.kind} again (already in the evidence file): ${alarm.message}`,
      );
    } else {
      logger.error(
        {
          ...fields,
          evidence: outcome,
          ...notesOf(alarm),
          evidenceBytesMax: status.bytesMax,
          alarmsNotRecordedFileFull: status.alarmsNotRecordedFileFull,
        },
        `witness ALARM ${alarm.kind}, not recorded: the evidence file is full (${status.bytesMax} bytes): ${alarm.message}`,
      );
    }
  }
}

/**
 * What to log of an alarm the evidence file does not take. A log-signed alarm's notes are
 * evidence against the log, so they go to the log instead; a bad signature proves nothing
 * (anyone can write one), so not those.
 */
function notesOf(alarm: Alarm): { offered?: string; cosigned?: string } {
  if (alarm.kind === 'bad-signature') return {};
  return { offered: alarm.offered, ...(alarm.cosigned ? { cosigned: alarm.cosigned } : {}) };
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
  if (path === '/status' && request.method === 'GET') {
    return send(response, 200, 'application/json', `${JSON.stringify(witness.status())}\n`);
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

function countOne<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
