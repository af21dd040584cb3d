// The witness's evidence file: each alarm as one JSON line, synced to disk before the witness
// answers, so an alarm is never lost. A log (or anyone who can reach the witness) may offer one
// bad checkpoint again and again, and a --follow witness meets a forked log's head at every poll:
// an alarm whose kind and notes are in the file already is not appended again, and the file
// stops growing at a configured size. Past it alarms are only logged (server.ts) and counted.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { sha256Hex } from '../ledger/hash.js';
import type { Alarm } from './witness.js';
import { writeSynced } from './state.js';

/** Thousands of alarms, each a few notes; a witness that fills it is being flooded. */
export const evidenceFileBytesMaxDefault = 64 * 1024 * 1024;

export type EvidenceOutcome = 'recorded' | 'already-recorded' | 'file-full';

export interface EvidenceStatus {
  file: string;
  bytes: number;
  bytesMax: number;
  /** Distinct alarms in the file, those found at start included. */
  alarmsInFile: number;
  /** Since start: alarms appended, alarms already in the file, alarms the full file refused. */
  alarmsRecorded: number;
  alarmsAlreadyRecorded: number;
  alarmsNotRecordedFileFull: number;
}

/**
 * What makes two alarms the same: their kind and the notes that show it. Not when it was seen,
 * its message (which follows from the notes) nor the proof offered with it: a bad proof proves
 * nothing to a third party, and varying it would defeat the deduplication.
 */
export function alarmDigest(alarm: Pick<Alarm, 'kind' | 'cosigned' | 'offered'>): string {
  return sha256Hex(JSON.stringify([alarm.kind, alarm.cosigned ?? null, alarm.offered]));
}

export class EvidenceFile {
  private alarmsRecorded = 0;
  private alarmsAlreadyRecorded = 0;
  private alarmsNotRecordedFileFull = 0;

  private constructor(
    readonly file: string,
    readonly bytesMax: number,
    private bytes: number,
    private readonly digests: Set<string>,
    /** The last line may be partial (a crash or a failed append): the next starts a line anew. */
    private endsMidLine: boolean,
  ) {}

  /** Reads the digests of the alarms in `file` (none when it does not exist yet). */
  static async open(
    file: string,
    bytesMax: number = evidenceFileBytesMaxDefault,
  ): Promise<EvidenceFile> {
    if (!Number.isSafeInteger(bytesMax) || bytesMax < 1) {
      throw new RangeError('the evidence file size limit is a positive number of bytes');
    }
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return new EvidenceFile(file, bytesMax, 0, new Set(), false);
      }
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const lastByte = Buffer.alloc(1);
      if (size > 0) await handle.read(lastByte, 0, 1, size - 1);
      const digests = await digestsOfLines(file);
      return new EvidenceFile(file, bytesMax, size, digests, size > 0 && lastByte[0] !== 0x0a);
    } finally {
      await handle.close();
    }
  }

  /** Appends `alarm` and syncs the file, unless it is there already or the file is full. */
  async record(alarm: Alarm): Promise<EvidenceOutcome> {
    const digest = alarmDigest(alarm);
    if (this.digests.has(digest)) {
      this.alarmsAlreadyRecorded++;
      return 'already-recorded';
    }
    const line = `${this.endsMidLine ? '\n' : ''}${JSON.stringify(alarm)}\n`;
    const lineBytes = Buffer.byteLength(line, 'utf8');
    if (this.bytes + lineBytes > this.bytesMax) {
      this.alarmsNotRecordedFileFull++;
      return 'file-full';
    }
    try {
      await writeSynced(this.file, 'a', line);
    } catch (error) {
      // Not recorded, so raised again next time; part of the line may be on disk, though.
      this.endsMidLine = true;
      throw error;
    }
    this.bytes += lineBytes;
    this.endsMidLine = false;
    this.digests.add(digest);
    this.alarmsRecorded++;
    return 'recorded';
  }

  status(): EvidenceStatus {
    return {
      file: this.file,
      bytes: this.bytes,
      bytesMax: this.bytesMax,
      alarmsInFile: this.digests.size,
      alarmsRecorded: this.alarmsRecorded,
      alarmsAlreadyRecorded: this.alarmsAlreadyRecorded,
      alarmsNotRecordedFileFull: this.alarmsNotRecordedFileFull,
    };
  }
}

/** The digest of each alarm line; a line that is not one (a torn last line) is passed over. */
async function digestsOfLines(file: string): Promise<Set<string>> {
  const digests = new Set<string>();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const alarm = alarmOfLine(line);
    if (alarm) digests.add(alarmDigest(alarm));
  }
  return digests;
}

function alarmOfLine(line: string): Pick<Alarm, 'kind' | 'cosigned' | 'offered'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, cosigned, offered } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || typeof offered !== 'string') return undefined;
  if (cosigned !== undefined && typeof cosigned !== 'string') return undefined;
  return { kind: kind as Alarm['kind'], offered, ...(cosigned === undefined ? {} : { cosigned }) };
}
