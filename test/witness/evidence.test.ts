// The witness's evidence file on a real file system: each distinct alarm once, remembered across
// restarts, never past its size limit, and a torn last line does not spoil the next alarm; the
// witness logs every alarm, saying when the file already has it or is full.
import { mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signerKeyOf, parseVerifierKey } from '../../src/ledger/tlog/note.js';
import { alarmDigest, EvidenceFile } from '../../src/witness/evidence.js';
import { parseWitnessKey } from '../../src/witness/keys.js';
import { formatAddCheckpoint } from '../../src/witness/protocol.js';
import { Witness } from '../../src/witness/server.js';
import type { Alarm, CosignedCheckpoint } from '../../src/witness/witness.js';
import { capturingLogger, LOG_LEVEL } from '../support/log.js';
import { ToyLog } from '../support/tlog-log.js';

let directory: string;
let file: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'claimchain-evidence-'));
  file = path.join(directory, 'w1.json.evidence.jsonl');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function alarm(overrides: Partial<Alarm> = {}): Alarm {
  return {
    kind: 'split-view',
    origin: 'claimchain.test/log',
    detectedAt: '2026-12-01T12:00:00.000Z',
    message: 'split view: the log signed two different trees of size 6',
    cosigned: 'claimchain.test/log\n6\nAAAA\n\n\u2014 claimchain.test/log AAAA\n',
    offered: 'claimchain.test/log\n6\nBBBB\n\n\u2014 claimchain.test/log BBBB\n',
    oldSize: 6,
    proof: [],
    ...overrides,
  };
}

const linesOf = async (name: string) => (await readFile(name, 'utf8')).split('\n').slice(0, -1);
const lineBytes = (each: Alarm) => Buffer.byteLength(`${JSON.stringify(each)}\n`);

describe('evidence file', () => {
  it('appends an alarm once: the same kind and notes again, seen later with another proof, is not appended', async () => {
    const evidence = await EvidenceFile.open(file);
    expect(await evidence.record(alarm())).toBe('recorded');
    const replay = alarm({
      detectedAt: '2026-12-01T12:05:00.000Z',
      oldSize: 0,
      proof: ['CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='],
    });
    expect(await evidence.record(replay)).toBe('already-recorded');
    // Another kind, or other notes, is another alarm.
    expect(await evidence.record(alarm({ kind: 'fork' }))).toBe('recorded');
    expect(await evidence.record(alarm({ offered: 'other\n\n\u2014 x AAAA\n' }))).toBe('recorded');
    expect(await evidence.record(alarm({ cosigned: undefined }))).toBe('recorded');
    const lines = await linesOf(file);
    expect(lines.map((line) => JSON.parse(line) as Alarm)).toEqual([
      alarm(),
      alarm({ kind: 'fork' }),
      alarm({ offered: 'other\n\n\u2014 x AAAA\n' }),
      alarm({ cosigned: undefined }),
    ]);
    expect(evidence.status()).toEqual({
      file,
      bytes: (await stat(file)).size,
      bytesMax: 64 * 1024 * 1024,
      alarmsInFile: 4,
      alarmsRecorded: 4,
      alarmsAlreadyRecorded: 1,
      alarmsNotRecordedFileFull: 0,
    });
  });

  it('remembers the alarms in the file when opened again', async () => {
    await (await EvidenceFile.open(file)).record(alarm());
    const before = await readFile(file, 'utf8');
    const reopened = await EvidenceFile.open(file);
    expect(reopened.status()).toMatchObject({ alarmsInFile: 1, bytes: lineBytes(alarm()) });
    expect(await reopened.record(alarm({ detectedAt: '2026-12-02T00:00:00.000Z' }))).toBe(
      'already-recorded',
    );
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('stops at its size limit: a new alarm that would pass it is refused and counted', async () => {
    const first = alarm();
    const second = alarm({ kind: 'fork' });
    // Room for the first line and all but one byte of the second.
    const bytesMax = lineBytes(first) + lineBytes(second) - 1;
    const evidence = await EvidenceFile.open(file, bytesMax);
    expect(await evidence.record(first)).toBe('recorded');
    expect(await evidence.record(second)).toBe('file-full');
    expect(await evidence.record(second)).toBe('file-full');
    // One already in it is still known as such.
    expect(await evidence.record(first)).toBe('already-recorded');
    expect((await stat(file)).size).toBe(lineBytes(first));
    expect(evidence.status()).toMatchObject({
      bytes: lineBytes(first),
      bytesMax,
      alarmsInFile: 1,
      alarmsRecorded: 1,
      alarmsAlreadyRecorded: 1,
      alarmsNotRecordedFileFull: 2,
    });
    // Exactly at the limit fits.
    await rm(file);
    const exact = await EvidenceFile.open(file, lineBytes(first) + lineBytes(second));
    expect(await exact.record(first)).toBe('recorded');
    expect(await exact.record(second)).toBe('recorded');
    await expect(EvidenceFile.open(file, 0)).rejects.toThrow(RangeError);
  });

  it('starts the next alarm on a line of its own after a torn last line', async () => {
    const whole = JSON.stringify(alarm());
    await writeFile(file, `${whole}\n${JSON.stringify(alarm({ kind: 'fork' })).slice(0, 40)}`);
    const evidence = await EvidenceFile.open(file);
    expect(evidence.status().alarmsInFile).toBe(1);
    expect(await evidence.record(alarm())).toBe('already-recorded');
    // The torn fork alarm was never recorded whole: it is recorded now.
    expect(await evidence.record(alarm({ kind: 'fork' }))).toBe('recorded');
    const lines = await linesOf(file);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(whole);
    expect(JSON.parse(lines[2]!)).toEqual(alarm({ kind: 'fork' }));
  });

  it('forgets nothing it could not write: the alarm is recorded when raised again', async () => {
    const evidence = await EvidenceFile.open(file);
    await mkdir(file); // an append that fails (EISDIR)
    await expect(evidence.record(alarm())).rejects.toMatchObject({ code: 'EISDIR' });
    expect(evidence.status()).toMatchObject({ alarmsInFile: 0, alarmsRecorded: 0, bytes: 0 });
    await rmdir(file);
    expect(await evidence.record(alarm())).toBe('recorded');
    // It starts on a line of its own, in case the failed append left part of one.
    expect(await readFile(file, 'utf8')).toBe(`\n${JSON.stringify(alarm())}\n`);
    expect(await evidence.record(alarm())).toBe('already-recorded');
  });

  it('digests the kind and the notes only', () => {
    expect(alarmDigest(alarm())).toBe(
      alarmDigest({ kind: 'split-view', cosigned: alarm().cosigned, offered: alarm().offered }),
    );
    expect(alarmDigest(alarm())).toMatch(/^[0-9a-f]{64}$/);
    expect(alarmDigest(alarm({ cosigned: undefined }))).not.toBe(
      alarmDigest(alarm({ cosigned: '' })),
    );
  });
});

describe('a witness replayed a forged checkpoint', () => {
  const witnessKey = parseWitnessKey(signerKeyOf('witness.test/w1', new Uint8Array(32).fill(9)));

  async function witnessOn(log: ToyLog, bytesMax?: number) {
    const { logger, lines } = capturingLogger();
    const evidence = await EvidenceFile.open(file, bytesMax);
    const witness = new Witness({
      logs: [{ origin: log.origin, keys: [parseVerifierKey(log.verifierKey)] }],
      cosigner: witnessKey,
      stateFile: path.join(directory, 'w1.json'),
      evidence,
      logger,
      state: new Map<string, CosignedCheckpoint>(),
    });
    return { witness, lines };
  }

  /** The log's checkpoint with one bit of its signature flipped at `position`. */
  function forged(log: ToyLog, position: number): string {
    const note = log.checkpoint();
    const [text, signatures] = note.split('\n\n') as [string, string];
    const [dash, keyName, base64] = signatures.trimEnd().split(' ') as [string, string, string];
    const bytes = Buffer.from(base64, 'base64');
    bytes[position] = bytes[position]! ^ 1;
    return `${text}\n\n${dash} ${keyName} ${bytes.toString('base64')}\n`;
  }

  it('records it once and logs each replay, saying it is in the file already', async () => {
    const log = new ToyLog();
    log.append(3);
    const { witness, lines } = await witnessOn(log);
    const body = formatAddCheckpoint({ oldSize: 0, proof: [], note: forged(log, 10) });
    for (let replay = 0; replay < 3; replay++) {
      expect((await witness.submit(body)).status).toBe(403);
    }
    expect(await linesOf(file)).toHaveLength(1);
    const alarms = lines.filter((line) => line.alarm === 'bad-signature');
    expect(alarms.map((line) => [line.level, line.evidence, line.msg])).toEqual([
      [
        LOG_LEVEL.error,
        'recorded',
        `witness ALARM bad-signature: the signature by log key ${log.origin} does not verify`,
      ],
      ...[1, 2].map(() => [
        LOG_LEVEL.warn,
        'already-recorded',
        `witness ALARM bad-signature again (already in the evidence file): the signature by log key ${log.origin} does not verify`,
      ]),
    ]);
    expect(alarms.at(-1)!.alarmsAlreadyRecorded).toBe(2);
    expect(witness.evidenceStatus()).toMatchObject({
      alarmsInFile: 1,
      alarmsRecorded: 1,
      alarmsAlreadyRecorded: 2,
    });
  });

  it('past the size limit logs each new alarm at error level, saying the file is full, and counts it', async () => {
    const log = new ToyLog();
    log.append(3);
    const { witness, lines } = await witnessOn(log, 1);
    for (const position of [10, 11]) {
      const body = formatAddCheckpoint({ oldSize: 0, proof: [], note: forged(log, position) });
      expect((await witness.submit(body)).status).toBe(403);
    }
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const alarms = lines.filter((line) => line.alarm === 'bad-signature');
    expect(
      alarms.map((line) => [line.level, line.evidence, line.alarmsNotRecordedFileFull]),
    ).toEqual([
      [LOG_LEVEL.error, 'file-full', 1],
      [LOG_LEVEL.error, 'file-full', 2],
    ]);
    expect(alarms[0]!.msg).toBe(
      `witness ALARM bad-signature, not recorded: the evidence file is full (1 bytes): the signature by log key ${log.origin} does not verify`,
    );
    // A forged signature is no evidence against the log: its notes are not logged.
    expect(alarms[0]).not.toHaveProperty('offered');
    expect(witness.evidenceStatus()).toMatchObject({ bytes: 0, alarmsNotRecordedFileFull: 2 });
  });

  it('past the size limit logs the notes of a log-signed alarm instead', async () => {
    const log = new ToyLog();
    log.append(6);
    const { witness, lines } = await witnessOn(log, 1);
    expect(
      (await witness.submit(formatAddCheckpoint({ oldSize: 0, proof: [], note: log.checkpoint() })))
        .status,
    ).toBe(200);
    const other = new ToyLog(log.origin);
    other.append(6, 'other');
    const outcome = await witness.submit(
      formatAddCheckpoint({ oldSize: 6, proof: [], note: other.checkpoint() }),
    );
    expect(outcome.status).toBe(422);
    const [line] = lines.filter((each) => each.alarm === 'split-view');
    expect(line).toMatchObject({
      level: LOG_LEVEL.error,
      evidence: 'file-full',
      offered: other.checkpoint(),
      cosigned: witness.cosignedFor(log.origin)!.note,
    });
  });

  it('logs an alarm it cannot write, with its notes, and answers with the error', async () => {
    const log = new ToyLog();
    log.append(6);
    const { witness, lines } = await witnessOn(log);
    const first = formatAddCheckpoint({ oldSize: 0, proof: [], note: log.checkpoint() });
    expect((await witness.submit(first)).status).toBe(200);
    await mkdir(file); // the evidence file cannot be appended to
    const other = new ToyLog(log.origin);
    other.append(6, 'other');
    await expect(
      witness.submit(formatAddCheckpoint({ oldSize: 6, proof: [], note: other.checkpoint() })),
    ).rejects.toMatchObject({ code: 'EISDIR' });
    const [line] = lines.filter((each) => each.alarm === 'split-view');
    expect(line).toMatchObject({
      level: LOG_LEVEL.error,
      msg: 'witness ALARM split-view, not recorded: the evidence file cannot be written: split view: the log signed two different trees of size 6',
      offered: other.checkpoint(),
      cosigned: witness.cosignedFor(log.origin)!.note,
    });
  });
});
