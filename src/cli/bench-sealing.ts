// `npm run bench -- --suite tlog`, sealing part: what the transparency log's checkpoints cost
// sealing. 100,000 synthetic events are sealed (10,000 a block, as the sealing worker does) four
// ways, each on fresh pending events of the one chain: without the log's key (the tree grows, no
// checkpoint is signed); with it (each block's checkpoint signed in the block's transaction, as
// production seals); and with it while three real witnesses (`claimchain witness`, each its own
// process) are offered the latest checkpoint by the witness push worker (BullMQ, in this process,
// as in the workers process) and cosign it, with the push sweep at its default interval and at
// its smallest (nearly every block's checkpoint is then cosigned). The ways take turns over
// several rounds so that drift on a shared machine does not favour one of them. Sealing
// throughput is timed in this process; sealing never waits for a witness, so the witnesses' cost
// is the CPU, connections and writes they and the push take beside it. On this 2-core machine
// the witnesses share the cores with sealing and PostgreSQL, unlike witnesses run by other
// parties on their own machines: the figure is an upper bound of their effect.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { initWitnessPushWorker, WITNESS_PUSH_QUEUE } from '../../workers/witness-push.js';
import { loadConfig } from '../infra/config.js';
import { inTransaction, openDatabase, type Database } from '../infra/db.js';
import { createLogger } from '../infra/logger.js';
import { createMetrics } from '../infra/metrics.js';
import { obliterateQueues } from '../infra/queues.js';
import { openRedis } from '../infra/redis.js';
import { appendEvents, type NewEvent } from '../ledger/append.js';
import { ed25519SignerNode } from '../ledger/ed25519.js';
import { sealPending } from '../ledger/seal.js';
import { parseSignerKey } from '../ledger/tlog/note.js';
import { readLatestCheckpoint } from '../ledger/transparency-log.js';
import { cosignaturesOfLatest } from '../ledger/witness-cosignatures.js';
import { generateWitnessKey } from '../witness/keys.js';
import { loadWitnessList } from '../witness/policy.js';
import { ceilingsNote, cpuMsOf } from './bench.js';

const WITNESSES = 3;
const EVENTS_PER_APPEND = 10_000;
/** The push worker's sweep at its smallest allowed interval: nearly every checkpoint is offered. */
const WITNESS_PUSH_INTERVAL_MIN_MS = 100;
/** How long the witnesses may take to cosign the last checkpoint once sealing is done. */
const COSIGNED_WAIT_MS = 60_000;
const WITNESS_START_MS = 30_000;

interface SealingWay {
  name: string;
  signed: boolean;
  /** The witness push sweep's interval; no witnesses are offered anything without one. */
  witnessPushIntervalMs?: number;
}

export async function benchSealingWithWitnesses(
  databaseUrl: string,
  eventsPerRun: number,
  /** Turns of the ways (`--rounds`); each turn seals `eventsPerRun` new events each way. */
  rounds: number,
): Promise<void> {
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new RangeError(`rounds must be a positive whole number, not ${rounds}`);
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'claimchain-bench-witnesses-'));
  const witnessListFile = path.join(directory, 'witnesses.txt');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    LEDGER_WITNESSES_FILE: witnessListFile,
    QUEUE_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
  });
  // Signed as the sealing worker signs (workers/sealing.ts).
  const signer = parseSignerKey(config.ledgerLogKey, ed25519SignerNode);
  const ways: SealingWay[] = [
    { name: 'no checkpoint', signed: false },
    { name: 'signed', signed: true },
    ...[config.witnessPushIntervalMs, WITNESS_PUSH_INTERVAL_MIN_MS].map((intervalMs) => ({
      name: `signed + ${WITNESSES} witnesses, push every ${intervalMs} ms`,
      signed: true,
      witnessPushIntervalMs: intervalMs,
    })),
  ];
  const database = openDatabase(databaseUrl, 4);
  const witnesses: ChildProcess[] = [];
  try {
    const lines = [];
    for (let number = 1; number <= WITNESSES; number++) {
      const key = generateWitnessKey(`witness.bench.example/w${number}`);
      const keyFile = path.join(directory, `w${number}.key`);
      await writeFile(keyFile, `${key.signerKey}\n`, { mode: 0o600 });
      const port = await freePort();
      witnesses.push(
        await startWitness(keyFile, signer.verifierKey, path.join(directory, `w${number}`), port),
      );
      lines.push(`witness w${number} ${key.verifierKey} http://127.0.0.1:${port}`);
    }
    await writeFile(witnessListFile, `${lines.join('\n')}\n`);
    const keys = loadWitnessList(witnessListFile).map((witness) => witness.key);
    console.log(
      `sealing with and without checkpoints (${eventsPerRun} events per run, ${config.sealBlockEventsMax} a block, ` +
        `${rounds} rounds, ${WITNESSES} witness processes)`,
    );
    const rates = new Map<SealingWay, number[]>(ways.map((way) => [way, []]));
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < ways.length; turn++) {
        const way = ways[(round + turn) % ways.length]!;
        await appendBenchEvents(database, eventsPerRun);
        await database.pool.query('CHECKPOINT');
        const push =
          way.witnessPushIntervalMs === undefined
            ? undefined
            : startPush({ ...config, witnessPushIntervalMs: way.witnessPushIntervalMs }, database);
        try {
          // The worker is running and the witnesses have caught up before the clock starts, as
          // in a workers process that has been up for a while.
          if (push) await waitForCosignatures(database, keys);
          const witnessCpuBefore = await cpuMsOf(witnesses);
          const started = performance.now();
          const sealed = await sealPending(
            database.pool,
            config.sealBlockEventsMax,
            Number.MAX_SAFE_INTEGER,
            way.signed ? signer : undefined,
          );
          const seconds = (performance.now() - started) / 1000;
          const witnessCpuMs = (await cpuMsOf(witnesses)) - witnessCpuBefore;
          rates.get(way)!.push(sealed.events / seconds);
          let note = '';
          // CPU is steadier than throughput on a shared machine: what the witness processes
          // took from the cores while sealing ran, beside the sealing time.
          if (push && !Number.isNaN(witnessCpuMs))
            note += `; witnesses' CPU during it ${witnessCpuMs} ms`;
          if (push) {
            const waited = await waitForCosignatures(database, keys);
            note += `; every witness had cosigned the last checkpoint ${waited} ms after`;
          }
          console.log(
            `  round ${round + 1}, ${way.name}: ${Math.round(sealed.events / seconds)} events/s ` +
              `(${sealed.events} events, ${sealed.blocks} blocks in ${seconds.toFixed(2)} s${note})`,
          );
        } finally {
          await push?.close();
        }
      }
    }
    // Each way against the run without checkpoints of the same round (minutes apart at most),
    // so that the machine's drift between rounds cancels; the median of those ratios.
    const bare = rates.get(ways[0]!)!;
    console.log(
      `sealing ${eventsPerRun} events, median of ${rounds} rounds: ` +
        ways
          .map((way, index) => {
            const rate = median(rates.get(way)!);
            const changes = rates.get(way)!.map((each, round) => each / bare[round]!);
            return `${way.name} ${Math.round(rate)} events/s${index === 0 ? '' : ` (${ratio(median(changes))} in the same round)`}`;
          })
          .join(' | ') +
        ` (target: at most 5 % slower)${ceilingsNote()}`,
    );
  } finally {
    for (const witness of witnesses) witness.kill('SIGTERM');
    await database.close();
    await rm(directory, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** `0.93` → `-7.0 %`. */
function ratio(relative: number): string {
  const change = (relative - 1) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`;
}

/** Synthetic events, shaped like the ledger's (an id, a decimal amount, no PHI), committed. */
/** `count` small synthetic events, in transactions of EVENTS_PER_APPEND (as intake appends). */
export async function appendBenchEvents(database: Database, count: number): Promise<void> {
  const actorOrgId = randomUUID();
  for (let start = 0; start < count; start += EVENTS_PER_APPEND) {
    const events: NewEvent[] = Array.from(
      { length: Math.min(EVENTS_PER_APPEND, count - start) },
      (_, offset) => ({
        type: 'BenchEvent',
        aggregateId: randomUUID(),
        actorOrgId,
        payload: { index: start + offset, amount: `${(start + offset) % 1000}.50` },
        partyOrgIds: [actorOrgId],
      }),
    );
    await inTransaction(database.pool, (client) => appendEvents(client, events));
  }
}

/** The witness push worker as the workers process runs it, on this run's own queue prefix. */
function startPush(config: ReturnType<typeof loadConfig>, database: Database) {
  const connection = openRedis(config.redisUrl);
  const logger = createLogger('warn');
  const running = initWitnessPushWorker({
    config,
    database,
    connection,
    logger,
    metrics: createMetrics(),
  });
  return {
    async close() {
      await running.close();
      // The run's queues (and the sweep's scheduler) go with it: nothing is left in Redis.
      await obliterateQueues(connection, config, [WITNESS_PUSH_QUEUE, 'witness-push-sweep']);
      await connection.quit();
    },
  };
}

/** Waits until every witness has cosigned the latest checkpoint; returns how long it took (ms). */
async function waitForCosignatures(
  database: Database,
  keys: readonly { keyName: string; keyId: number }[],
): Promise<number> {
  const started = performance.now();
  const latest = await readLatestCheckpoint(database.pool);
  if (!latest) return 0;
  while (performance.now() - started < COSIGNED_WAIT_MS) {
    const cosignatures = await cosignaturesOfLatest(database.pool, keys);
    if (cosignatures?.cosigned.every(({ treeSize }) => treeSize >= latest.treeSize)) {
      return Math.round(performance.now() - started);
    }
    await sleep(20);
  }
  throw new Error(
    `the witnesses did not cosign size ${latest.treeSize} within ${COSIGNED_WAIT_MS} ms`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `claimchain witness` in its own process, as a participant runs it; resolves once it listens. */
async function startWitness(
  keyFile: string,
  logVerifierKey: string,
  stateFile: string,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'witness',
      '--key-file',
      keyFile,
      '--log',
      logVerifierKey,
      '--state',
      stateFile,
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('a witness did not start'));
    }, WITNESS_START_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"msg":"witness listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a witness exited with ${code}`));
    });
  });
  // Its later lines (one per cosignature) are read and dropped, so its pipe never fills.
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  child.removeAllListeners('exit');
  return child;
}
