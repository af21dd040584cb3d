// `npm run bench`: throughput on scratch databases. The ledger spine: the API runs in its
// own process (as in production) and is driven over HTTP with keep-alive connections:
// single-claim intake at concurrency 64, batch intake, adjudication, then sealing and
// verification of everything that was written. Settlement: 100,000 adjudicated claims
// settled in one run, then one reconciliation run. Prints figures; asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig, type Config } from '../infra/config.js';
import { inTransaction, openDatabase, type Database } from '../infra/db.js';
import { createOrganization, issueApiKey } from '../domain/organizations.js';
import { npiCheckDigit } from '../domain/validation.js';
import type { JsonValue } from '../ledger/canonical.js';
import { sealPending } from '../ledger/seal.js';
import { verifyChain } from '../ledger/verify.js';
import { configureDemoPayer, demo837, demoClaim } from './demo.js';
import { phiKeysOf } from '../api/app.js';
import { adjudicateSubmitted, recordDecision } from '../domain/adjudication/index.js';
import type { AdjudicationResult } from '../domain/adjudication/types.js';
import { runReconciliation } from '../domain/reconciliation/index.js';
import { batchesMadeBetween, settleAllPayers } from '../domain/settlement/index.js';
import { prepareDatabase } from './runtime.js';
import { benchPipeline, type PipelineOptions } from './bench-pipeline.js';
import { benchReconciliation } from './bench-reconciliation.js';
import { benchSealingWithWitnesses } from './bench-sealing.js';
import { benchTransparencyProofs } from './bench-tlog.js';

const SINGLE_CONCURRENCY = 64;
/** Members the claims are spread over: one member's claims queue on its accumulators. */
export const BENCH_MEMBERS = 200;
/** Claims adjudicated for the adjudication figure (oldest first). */
const ADJUDICATED_CLAIMS = 10_000;

/**
 * Service dates a member's claims cycle through. The bench's claims all bill the same codes, so
 * a member's claim on a day it was already paid for is a duplicate (denied CO-18): claim
 * `index` repeats an earlier one once index ≥ members × BENCH_SERVICE_DAYS.
 */
const BENCH_SERVICE_DAYS = 300;

/**
 * Members enough that `claims` claims repeat no service. With 200 members the pipeline's
 * hundreds of thousands of claims were duplicates after the 60,000th: it measured denials.
 */
export function benchMembersFor(claims: number): number {
  return Math.max(BENCH_MEMBERS, Math.ceil(claims / BENCH_SERVICE_DAYS));
}

/**
 * The bench's parties on a scratch database: one provider (with its biller's key) and one payer
 * configured as the demo's, covering `members` members.
 */
export async function benchParties(database: Database, config: Config, members = BENCH_MEMBERS) {
  const provider = await createOrganization(database, {
    name: 'Bench Provider',
    kind: 'provider',
    npi: '1234567893',
  });
  const payer = await createOrganization(database, { name: 'Bench Payer', kind: 'payer' });
  const { key } = await issueApiKey(database, { orgId: provider.id, role: 'provider_biller' });
  const payerKey = await issueApiKey(database, { orgId: payer.id, role: 'payer_adjudicator' });
  const memberIds = Array.from({ length: members }, (_, index) => `BENCH-${index}`);
  await configureDemoPayer(database, phiKeysOf(config), payerKey.key, memberIds);
  return { provider, payer, key };
}

/**
 * Service date and member of claim `index` among `members` members: no two claims repeat a
 * service below index members × BENCH_SERVICE_DAYS (benchMembersFor).
 */
export function claimant(index: number, members = BENCH_MEMBERS): [string, string] {
  const day = Math.floor(index / members) % BENCH_SERVICE_DAYS;
  const serviceDate = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
  return [serviceDate, `BENCH-${index % members}`];
}
const BATCH_SIZE = 1_000;
const BATCH_CONCURRENCY = 2;
/** 837P files of BATCH_SIZE claims each for the X12 intake figure. */
const X12_FILES = 10;

export interface HttpResult {
  status: number;
  body: string;
}

export function post(
  agent: http.Agent,
  port: number,
  path: string,
  key: string,
  body: string,
  contentType = 'application/json',
): Promise<HttpResult> {
  return send(agent, port, 'POST', path, key, { body, contentType });
}

export function get(agent: http.Agent, port: number, path: string, key: string) {
  return send(agent, port, 'GET', path, key);
}

/** A keep-alive agent that keeps up to `socketsMax` connections and counts those it opens. */
export function countingAgent(socketsMax: number): { agent: http.Agent; opened: () => number } {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: socketsMax,
    // The default keeps 256 idle connections and closes the rest.
    maxFreeSockets: socketsMax,
  });
  let opened = 0;
  const open = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    opened += 1;
    return open(options, callback);
  };
  return { agent, opened: () => opened };
}

/** One request with the API key, its whole answer read as text. */
function send(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  key: string,
  content?: { body: string; contentType: string },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(content && {
            'content-type': content.contentType,
            'content-length': Buffer.byteLength(content.body),
          }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(content?.body);
  });
}

/**
 * Node's arguments that make a process write a V8 CPU profile into `directory` when it exits
 * (open it in Chrome's DevTools or speedscope), or none without a directory.
 */
export function profilingArguments(directory: string | undefined): string[] {
  return directory ? ['--cpu-prof', `--cpu-prof-dir=${directory}`] : [];
}

/**
 * `serve` with one half of the engine (`--no-workers`: the API; `--no-api`: the workers) in a
 * process of its own on `databaseUrl`, logging warnings only, optionally profiled.
 */
export function spawnServe(
  half: '--no-workers' | '--no-api',
  databaseUrl: string,
  env: Record<string, string>,
  profileDirectory: string | undefined,
): ChildProcess {
  return spawn(
    process.execPath,
    [...profilingArguments(profileDirectory), '--import', 'tsx', 'src/cli/main.ts', 'serve', half],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

export async function startApi(
  databaseUrl: string,
  port: number,
  env: Record<string, string> = {},
  profileDirectory?: string,
): Promise<ChildProcess> {
  const child = spawnServe(
    '--no-workers',
    databaseUrl,
    { PORT: String(port), HOST: '127.0.0.1', ...env },
    profileDirectory,
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/health' }, (res) => resolve(res.statusCode === 200))
        .on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the API did not start');
}

/** User and system CPU the processes used so far (ms), from /proc; NaN where there is none. */
export async function cpuMsOf(processes: readonly ChildProcess[]): Promise<number> {
  let ticks = 0;
  for (const child of processes) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th
      // and 13th, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10;
}

/**
 * CPU the whole machine spent so far (ms): user, nice, system, irq, softirq and steal time of
 * /proc/stat's first line, in clock ticks of 10 ms. Over a measured stretch it is what every
 * process (PostgreSQL's backends and background writers included) spent, so a change's cost per
 * claim reads steadier than a throughput on a shared machine; NaN off Linux.
 */
export async function machineCpuMs(): Promise<number> {
  try {
    const stat = await readFile('/proc/stat', 'utf8');
    const [user, nice, system, , , irq, softirq, steal] = stat
      .slice(0, stat.indexOf('\n'))
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
  } catch {
    return Number.NaN;
  }
}

/** `ms` of CPU shared by `count` claims, in whole µs a claim (0 claims: as if 1). */
export function microsecondsEach(ms: number, count: number): number {
  return Math.round((ms * 1000) / Math.max(count, 1));
}

export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/**
 * Latencies grouped by the second their request was sent in, each second's p99, slowest first:
 * whether a run's p99 is its steady state or a few stalls. `samples` are [sent at, latency] in ms
 * from the start of the load.
 */
export function slowestSeconds(
  samples: readonly (readonly [sentAtMs: number, latencyMs: number])[],
  count: number,
): { second: number; p99: number; requests: number }[] {
  const bySecond = new Map<number, number[]>();
  for (const [sentAt, latency] of samples) {
    const second = Math.floor(sentAt / 1000);
    const latencies = bySecond.get(second) ?? [];
    latencies.push(latency);
    bySecond.set(second, latencies);
  }
  return [...bySecond]
    .map(([second, latencies]) => {
      latencies.sort((a, b) => a - b);
      return { second, p99: percentile(latencies, 0.99), requests: latencies.length };
    })
    .sort((a, b) => b.p99 - a.p99 || a.second - b.second)
    .slice(0, count);
}

/** Runs `total` tasks with at most `concurrency` in flight; returns per-task latencies (ms). */
export async function drive(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const begin = performance.now();
        await task(index);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return {
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
  };
}

export const BENCH_SUITES = [
  'ledger',
  'adjudication',
  'settlement',
  'reconciliation',
  'pipeline',
  'tlog',
  'sealing',
  'all',
] as const;
export type BenchSuite = (typeof BENCH_SUITES)[number];

export interface BenchOptions {
  /** Ledger suite: events to create. */
  events: number;
  /** Settlement suite: claims to settle. */
  settlementClaims: number;
  /** Reconciliation suite: claims in the history. */
  historyClaims: number;
  pipeline: PipelineOptions;
  /** Transparency log suite: leaves of the tree proofs are served from. */
  treeLeaves: number;
  /** Sealing comparison (tlog and sealing suites): turns of the four ways. */
  sealingRounds: number;
}

export async function runBench(suite: BenchSuite, options: BenchOptions): Promise<void> {
  // What this machine's PostgreSQL does raw, measured in the same run: the figures below read
  // as ratios of these, on any machine.
  await withScratchDatabase((url) => benchPostgresCeilings(url));
  if (suite === 'ledger' || suite === 'all') {
    await withScratchDatabase((url) => benchLedger(url, options.events));
  }
  // The ledger suite measures adjudication too (the same 10,000 claims of 200 members); this
  // suite is that figure alone, without the HTTP intake, sealing and verification around it.
  if (suite === 'adjudication') await withScratchDatabase((url) => benchAdjudication(url));
  if (suite === 'settlement' || suite === 'all') {
    await withScratchDatabase((url) => benchSettlement(url, options.settlementClaims));
  }
  if (suite === 'reconciliation' || suite === 'all') {
    await withScratchDatabase((url) => benchReconciliation(url, options.historyClaims));
  }
  if (suite === 'pipeline' || suite === 'all') {
    await withScratchDatabase((url) => benchPipeline(url, options.pipeline));
  }
  if (suite === 'tlog' || suite === 'all') {
    await withScratchDatabase((url) => benchTransparencyProofs(url, options.treeLeaves));
  }
  // The tlog suite's sealing comparison, also runnable alone (it needs no million-leaf tree).
  if (suite === 'tlog' || suite === 'sealing' || suite === 'all') {
    await withScratchDatabase((url) =>
      benchSealingWithWitnesses(url, SEALING_EVENTS_PER_RUN, options.sealingRounds),
    );
  }
  console.log(
    `machine: ${process.platform} ${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
  );
}

let measuredCeilings:
  | {
      singleRowCommitsPerSecond: number;
      rowsPerSecondInStatements: number;
      rowsPerSecondByCopy: number;
    }
  | undefined;

/** The ceilings measured at the start of this run, to print beside a figure. */
export function ceilingsNote(): string {
  if (!measuredCeilings) return '';
  const { singleRowCommitsPerSecond, rowsPerSecondInStatements, rowsPerSecondByCopy } =
    measuredCeilings;
  return (
    ` [PostgreSQL here: ${singleRowCommitsPerSecond} single-row commits/s, ` +
    `${rowsPerSecondInStatements} rows/s in 1,000-row statements, ${rowsPerSecondByCopy} by COPY]`
  );
}

const CEILING_SINGLE_ROWS = 2_000;
const CEILING_MULTI_ROW_STATEMENTS = 50;
const CEILING_ROWS_PER_STATEMENT = 1_000;

/**
 * Raw PostgreSQL on this machine, on rows shaped like a claim's (a uuid key, a few columns): single
 * -row INSERTs each committed alone on one connection, 1,000-row INSERT … SELECT FROM unnest
 * statements (what intake and the ledger use) and COPYs of 1,000 rows, each in its own commit.
 */
async function benchPostgresCeilings(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE ceiling (id uuid PRIMARY KEY, payer uuid NOT NULL, amount numeric(14,2) NOT NULL,
         note text NOT NULL)`,
    );
    const singleStarted = performance.now();
    for (let index = 0; index < CEILING_SINGLE_ROWS; index++) {
      await client.query('INSERT INTO ceiling VALUES ($1, $2, $3, $4)', [
        randomUUID(),
        randomUUID(),
        '173.50',
        `row ${index}`,
      ]);
    }
    const singleSeconds = (performance.now() - singleStarted) / 1000;
    const multiStarted = performance.now();
    for (let statement = 0; statement < CEILING_MULTI_ROW_STATEMENTS; statement++) {
      const ids = Array.from({ length: CEILING_ROWS_PER_STATEMENT }, () => randomUUID());
      await client.query(
        `INSERT INTO ceiling SELECT id, payer, 173.50, 'row'
           FROM unnest($1::uuid[], $2::uuid[]) AS r(id, payer)`,
        [ids, ids.map(() => randomUUID())],
      );
    }
    const multiSeconds = (performance.now() - multiStarted) / 1000;
    const multiRows = CEILING_MULTI_ROW_STATEMENTS * CEILING_ROWS_PER_STATEMENT;
    const copies = Array.from({ length: CEILING_MULTI_ROW_STATEMENTS }, () =>
      Buffer.from(
        Array.from(
          { length: CEILING_ROWS_PER_STATEMENT },
          () => `${randomUUID()}\t${randomUUID()}\t173.50\trow\n`,
        ).join(''),
      ),
    );
    const copyStarted = performance.now();
    for (const rows of copies) await copyIn(client, 'COPY ceiling FROM STDIN', rows);
    const copySeconds = (performance.now() - copyStarted) / 1000;
    const stored = await client.query<{ count: string }>('SELECT count(*) FROM ceiling');
    if (Number(stored.rows[0]!.count) !== CEILING_SINGLE_ROWS + 2 * multiRows) {
      throw new Error(`the ceilings stored ${stored.rows[0]!.count} rows, not what they wrote`);
    }
    measuredCeilings = {
      singleRowCommitsPerSecond: Math.round(CEILING_SINGLE_ROWS / singleSeconds),
      rowsPerSecondInStatements: Math.round(multiRows / multiSeconds),
      rowsPerSecondByCopy: Math.round(multiRows / copySeconds),
    };
    console.log(
      `PostgreSQL ceilings: single-row INSERT, one commit each: ${measuredCeilings.singleRowCommitsPerSecond} rows/s; ` +
        `1,000-row INSERT … unnest, one commit each: ${measuredCeilings.rowsPerSecondInStatements} rows/s; ` +
        `COPY of 1,000 rows, one commit each: ${measuredCeilings.rowsPerSecondByCopy} rows/s ` +
        `(${await serverSettings(client)})`,
    );
  } finally {
    await client.end();
  }
}

/**
 * The server's settings that move the figures most, printed with the ceilings: the cache
 * (shared_buffers; reads beyond it are copied from the kernel's), the commit's flush, the
 * checkpoint distance, what the write-ahead log does with the full pages each checkpoint
 * makes it write again (docs/operations.md, PostgreSQL settings), and whether autovacuum runs
 * (off on the development machines: their PostgreSQL is configured for CI).
 */
async function serverSettings(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name`,
    [
      [
        'server_version',
        'shared_buffers',
        'synchronous_commit',
        'max_wal_size',
        'wal_compression',
        'wal_buffers',
        'autovacuum',
      ],
    ],
  );
  return rows.map(({ name, setting }) => `${name} ${setting}`).join(', ');
}

/**
 * `COPY … FROM STDIN` of `data` (rows in COPY's text format) through the driver's Submittable
 * contract: the driver itself only copies in from a stream library the engine does not need.
 */
function copyIn(client: pg.Client, statement: string, data: Buffer): Promise<void> {
  type CopyConnection = { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void };
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    const finish = (error?: Error) => {
      const cause = error ?? failure;
      if (cause) reject(cause);
      else resolve();
    };
    const copy: pg.Submittable & Record<string, unknown> = {
      submit: (connection: pg.Connection) => connection.query(statement),
      handleCopyInResponse: (connection: pg.Connection) => {
        const copying = connection as unknown as CopyConnection;
        copying.sendCopyFromChunk(data);
        copying.endCopyFrom();
      },
      // The driver hands the server's errors here and forgets the statement.
      handleError: (error: Error) => finish(error),
      handleReadyForQuery: () => finish(),
      handleRowDescription: () => {
        failure = new Error(`${statement} returned rows`);
      },
      handleDataRow: () => {},
      handleCommandComplete: () => {},
      handleEmptyQuery: () => {},
      handlePortalSuspended: () => {},
      handleCopyData: () => {},
    };
    client.query(copy);
  });
}

/** A migrated database of its own for `work`, dropped afterwards whatever happens. */
async function withScratchDatabase(work: (databaseUrl: string) => Promise<void>): Promise<void> {
  const name = `claimchain_bench_${randomBytes(4).toString('hex')}`;
  const base = loadConfig();
  const serverUrl = new URL(base.databaseUrl);
  serverUrl.pathname = `/${name}`;
  const databaseUrl = serverUrl.toString();
  await prepareDatabase(loadConfig({ ...process.env, DATABASE_URL: databaseUrl }));
  console.log(`-- on scratch database ${name}`);
  try {
    await work(databaseUrl);
  } finally {
    const admin = new pg.Client({
      connectionString: base.databaseUrl.replace(/\/[^/]*$/, '/postgres'),
    });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/**
 * Decides the oldest ADJUDICATED_CLAIMS submitted claims with the worker's sweep and settings:
 * batches of ADJUDICATION_BATCH_CLAIMS_MAX claims, ADJUDICATION_BATCHES_IN_PARALLEL at a time.
 */
async function measureAdjudication(database: Database, config: Config): Promise<void> {
  const { adjudicationBatchClaimsMax: batchClaimsMax, adjudicationBatchesInParallel: parallel } =
    config;
  const started = performance.now();
  const machineCpuBefore = await machineCpuMs();
  const ownCpuBefore = process.cpuUsage();
  let decided = 0;
  while (decided < ADJUDICATED_CLAIMS) {
    const sweep = await adjudicateSubmitted(database, {
      claimsMax: ADJUDICATED_CLAIMS - decided,
      parallel,
      batchClaimsMax,
      onFailure: (_claimId, error) => {
        throw error;
      },
    });
    if (sweep.decided === 0) break;
    decided += sweep.decided;
  }
  const seconds = (performance.now() - started) / 1000;
  const machineCpu = (await machineCpuMs()) - machineCpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  console.log(
    `adjudication (stored claim to recorded decision, batches of ${batchClaimsMax}, ` +
      `${parallel} at a time, ${BENCH_MEMBERS} members): ` +
      `${Math.round(decided / seconds)} claims/s (${decided} claims in ${seconds.toFixed(2)} s); ` +
      `CPU a claim: ${microsecondsEach(machineCpu, decided)} µs on the machine, ` +
      `${microsecondsEach((ownCpu.user + ownCpu.system) / 1000, decided)} µs of them in this process`,
  );
}

/**
 * Adjudication alone: ADJUDICATED_CLAIMS claims of BENCH_MEMBERS members sent through the batch
 * API (an in-process server), then decided as the worker decides them.
 */
async function benchAdjudication(databaseUrl: string): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const database = openDatabase(databaseUrl, 8);
  const port = 3900 + Math.floor(Math.random() * 90);
  let api: ChildProcess | undefined;
  try {
    const { payer, key } = await benchParties(database, config);
    api = await startApi(databaseUrl, port);
    const agent = new http.Agent({ keepAlive: true });
    for (let first = 0; first < ADJUDICATED_CLAIMS; first += BATCH_SIZE) {
      const body = JSON.stringify({
        claims: Array.from({ length: BATCH_SIZE }, (_, index) =>
          demoClaim(
            payer.id,
            `A-${first + index}`,
            ['125.00', '48.50'],
            ...claimant(first + index),
          ),
        ),
      });
      const result = await post(agent, port, '/v1/claims/batch', key, body);
      if (result.status !== 200) {
        throw new Error(`batch intake answered ${result.status}: ${result.body.slice(0, 300)}`);
      }
    }
    agent.destroy();
    api.kill('SIGTERM');
    api = undefined;
    console.log(`adjudication (${ADJUDICATED_CLAIMS} claims submitted)`);
    await measureAdjudication(database, config);
  } finally {
    api?.kill('SIGTERM');
    await database.close();
  }
}

async function benchLedger(databaseUrl: string, eventsTarget: number): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const database = openDatabase(databaseUrl, 4);
  const port = 3900 + Math.floor(Math.random() * 90);
  let api: ChildProcess | undefined;
  try {
    const { provider, payer, key } = await benchParties(database, config);
    api = await startApi(databaseUrl, port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: SINGLE_CONCURRENCY });
    // Each claim its own patient control number: the same claim twice is a duplicate.
    const claimBody = (prefix: string, index: number) =>
      JSON.stringify(
        demoClaim(payer.id, `${prefix}-${index}`, ['125.00', '48.50'], ...claimant(index)),
      );

    console.log(`ledger spine (${eventsTarget} events target)`);
    const singleTotal = Math.max(2_000, Math.round(eventsTarget / 5));
    // Claim indexes run on across the warm-up, the singles, the batches and the files: the
    // claims adjudicated (the oldest) repeat no service of one another.
    const warmUp = 500;
    await drive(warmUp, SINGLE_CONCURRENCY, async (index) => {
      await post(agent, port, '/v1/claims', key, claimBody('W', index));
    });
    const single = await drive(singleTotal, SINGLE_CONCURRENCY, async (index) => {
      const result = await post(agent, port, '/v1/claims', key, claimBody('B', warmUp + index));
      if (result.status !== 201)
        throw new Error(`single intake answered ${result.status}: ${result.body}`);
    });
    console.log(
      `single-claim intake (HTTP, concurrency ${SINGLE_CONCURRENCY}): ${Math.round(singleTotal / single.seconds)} claims/s, ` +
        `p50 ${percentile(single.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(single.latencies, 0.99).toFixed(1)} ms (${singleTotal} claims)`,
    );

    const batches = Math.max(1, Math.ceil((eventsTarget - singleTotal) / BATCH_SIZE));
    const batchBodies = Array.from({ length: batches }, (_, batch) =>
      JSON.stringify({
        claims: Array.from({ length: BATCH_SIZE }, (_, index) =>
          demoClaim(
            payer.id,
            `BB-${batch}-${index}`,
            ['125.00', '48.50'],
            ...claimant(warmUp + singleTotal + batch * BATCH_SIZE + index),
          ),
        ),
      }),
    );
    const batch = await drive(batches, BATCH_CONCURRENCY, async (index) => {
      const result = await post(agent, port, '/v1/claims/batch', key, batchBodies[index]!);
      if (result.status !== 200)
        throw new Error(`batch intake answered ${result.status}: ${result.body.slice(0, 300)}`);
    });
    console.log(
      `batch intake (HTTP, ${BATCH_SIZE} claims per request, ${BATCH_CONCURRENCY} at a time): ` +
        `${Math.round((batches * BATCH_SIZE) / batch.seconds)} claims/s, p50 ${percentile(batch.latencies, 0.5).toFixed(0)} ms per batch`,
    );

    // The same claims as a billing office's 837P files: read, mapped and written per claim.
    const x12Offset = warmUp + singleTotal + batches * BATCH_SIZE;
    const x12Files = Array.from({ length: X12_FILES }, (_, file) =>
      demo837(
        payer.id,
        provider.npi ?? '',
        Array.from({ length: BATCH_SIZE }, (_, index) => {
          const [serviceDate, memberId] = claimant(x12Offset + file * BATCH_SIZE + index);
          return { patientControlNumber: `X-${file}-${index}`, serviceDate, memberId };
        }),
      ),
    );
    const x12 = await drive(X12_FILES, BATCH_CONCURRENCY, async (index) => {
      const result = await post(
        agent,
        port,
        '/v1/x12/837',
        key,
        x12Files[index]!,
        'application/edi-x12',
      );
      if (result.status !== 200 || !result.body.includes(`"accepted":${BATCH_SIZE}`)) {
        throw new Error(`837P intake answered ${result.status}: ${result.body.slice(0, 300)}`);
      }
    });
    console.log(
      `837P intake (HTTP, ${BATCH_SIZE} claims per file, ${BATCH_CONCURRENCY} at a time): ` +
        `${Math.round((X12_FILES * BATCH_SIZE) / x12.seconds)} claims/s, p50 ${percentile(x12.latencies, 0.5).toFixed(0)} ms per file ` +
        `(${Math.round(Buffer.byteLength(x12Files[0]!) / 1024)} kB)`,
    );
    api.kill('SIGTERM');
    api = undefined;

    await measureAdjudication(database, loadConfig());

    // Sealing and verification are measured on their own: the intake's write burst is
    // checkpointed first, so its flush does not land in their figures.
    await database.pool.query('CHECKPOINT');
    const pending = await database.pool.query<{ count: string }>(
      'SELECT count(*) FROM ledger_events',
    );
    const sealStarted = performance.now();
    const sealed = await sealPending(
      database.pool,
      config.sealBlockEventsMax,
      Number.MAX_SAFE_INTEGER,
    );
    const sealSeconds = (performance.now() - sealStarted) / 1000;
    console.log(
      `sealing (${config.sealBlockEventsMax} events per block): ${Math.round(sealed.events / sealSeconds)} events/s ` +
        `(${sealed.events} events, ${sealed.blocks} blocks, ${pending.rows[0]!.count} in the ledger)`,
    );

    // Twice: the first run also pays for compiling the hot code and for PostgreSQL's first read of
    // pages the sealer did not touch; the second is what a long chain runs at throughout.
    const timedVerify = async () => {
      const verifyStarted = performance.now();
      const report = await verifyChain(database.pool);
      const rate = report.eventsChecked / ((performance.now() - verifyStarted) / 1000);
      return { report, rate: Math.round(rate) };
    };
    const first = await timedVerify();
    const second = await timedVerify();
    console.log(
      `verification: ${first.rate} events/s first run, ${second.rate} events/s second ` +
        `(${second.report.eventsChecked} events, ok=${first.report.ok && second.report.ok})`,
    );
  } finally {
    api?.kill('SIGTERM');
    await database.close();
  }
}

/** Providers of the one payer that the settlement figure's claims are spread over. */
const SETTLEMENT_PROVIDERS = 20;
const DECISIONS_PER_TRANSACTION = 500;

/**
 * Settlement of 100,000 adjudicated claims, then one reconciliation run over everything.
 * The claims come in through the batch API. The engine adjudicates them until one is paid
 * in full; the rest, identical claims, get that same decision through recordDecision (the
 * journal entry and ledger event included), because adjudicating 100,000 claims one by one
 * would take the bench ten minutes and is measured on its own above.
 */
async function benchSettlement(databaseUrl: string, claimsTotal: number): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const database = openDatabase(databaseUrl, 8);
  const port = 3900 + Math.floor(Math.random() * 90);
  let api: ChildProcess | undefined;
  try {
    const payer = await createOrganization(database, { name: 'Bench Payer', kind: 'payer' });
    const payerKey = await issueApiKey(database, { orgId: payer.id, role: 'payer_adjudicator' });
    const memberIds = Array.from({ length: BENCH_MEMBERS }, (_, index) => `BENCH-${index}`);
    await configureDemoPayer(database, phiKeysOf(config), payerKey.key, memberIds);
    const billers: string[] = [];
    for (let index = 0; index < SETTLEMENT_PROVIDERS; index++) {
      // An NPI belongs to one organization: 123456789x, 123456790x, ...
      const firstNine = String(123_456_789 + index);
      const provider = await createOrganization(database, {
        name: `Bench Provider ${index}`,
        kind: 'provider',
        npi: `${firstNine}${npiCheckDigit(firstNine)}`,
      });
      billers.push(
        (await issueApiKey(database, { orgId: provider.id, role: 'provider_biller' })).key,
      );
    }
    console.log(`settlement (${claimsTotal} claims, ${SETTLEMENT_PROVIDERS} providers, one payer)`);
    api = await startApi(databaseUrl, port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: BATCH_CONCURRENCY });
    const batches = Math.ceil(claimsTotal / BATCH_SIZE);
    const intakeStarted = performance.now();
    await drive(batches, BATCH_CONCURRENCY, async (batch) => {
      const body = JSON.stringify({
        claims: Array.from({ length: BATCH_SIZE }, (_, index) =>
          demoClaim(
            payer.id,
            `S-${batch}-${index}`,
            ['125.00', '48.50'],
            ...claimant(batch * BATCH_SIZE + index),
          ),
        ),
      });
      const result = await post(
        agent,
        port,
        '/v1/claims/batch',
        billers[batch % billers.length]!,
        body,
      );
      if (result.status !== 200) {
        throw new Error(`batch intake answered ${result.status}: ${result.body.slice(0, 300)}`);
      }
    });
    api.kill('SIGTERM');
    api = undefined;
    console.log(
      `  set-up: ${batches * BATCH_SIZE} claims in through the batch API in ${((performance.now() - intakeStarted) / 1000).toFixed(0)} s`,
    );

    const decisionsStarted = performance.now();
    const decided = await decideLikeTheFirst(database);
    console.log(
      `  set-up: ${decided} decisions recorded (journal entries and ledger events included) in ${((performance.now() - decisionsStarted) / 1000).toFixed(0)} s`,
    );
    await sealPending(database.pool, config.sealBlockEventsMax, Number.MAX_SAFE_INTEGER);
    await database.pool.query('CHECKPOINT');

    const settleStarted = performance.now();
    const settleStartedAt = new Date();
    const machineCpuBefore = await machineCpuMs();
    const settled = await settleAllPayers(database, (_payerId, error) => {
      throw error;
    });
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    const machineCpu = (await machineCpuMs()) - machineCpuBefore;
    const { claims } = await batchesMadeBetween(database, settleStartedAt, new Date());
    console.log(
      `settlement run: ${Math.round(claims / settleSeconds)} claims/s ` +
        `(${claims} claims into ${settled.batches} batches in ${settleSeconds.toFixed(1)} s); ` +
        `CPU a claim: ${microsecondsEach(machineCpu, claims)} µs on the machine`,
    );

    await sealPending(database.pool, config.sealBlockEventsMax, Number.MAX_SAFE_INTEGER);
    await database.pool.query('CHECKPOINT');
    const reconcileStarted = performance.now();
    const run = await runReconciliation(database, { trigger: 'request' });
    const reconcileSeconds = (performance.now() - reconcileStarted) / 1000;
    const { summary } = run;
    console.log(
      `reconciliation run: ${reconcileSeconds.toFixed(1)} s (${summary.journalEntriesChecked} journal entries, ` +
        `${summary.accountsChecked} accounts, ${summary.ledgerEventsReplayed} money events replayed, ` +
        `${summary.batchesChecked} batches, chain of ${summary.chain.eventsChecked} events ok=${summary.chain.ok}, ` +
        `${summary.exceptionsFound} exceptions)`,
    );
    const found = await database.pool.query<{ check: string; count: string; sample: string }>(
      `SELECT "check", count(*)::text AS count, min(message) AS sample
         FROM reconciliation_exceptions WHERE run_id = $1 GROUP BY "check"`,
      [run.id],
    );
    for (const row of found.rows) {
      console.log(`  exception ${row.check}: ${row.count} (e.g. ${row.sample})`);
    }
  } finally {
    api?.kill('SIGTERM');
    await database.close();
  }
}

/**
 * Adjudicates submitted claims with the engine until one is paid in full, then gives every
 * other submitted claim (all identical to it) the same decision, 500 claims a transaction.
 */
async function decideLikeTheFirst(database: Database): Promise<number> {
  // A member's first claims go to the deductible and pay nothing; adjudicate until one pays.
  let decided = 0;
  let decision: { result: AdjudicationResult; config_versions: JsonValue } | undefined;
  while (!decision && decided < 5_000) {
    const sweep = await adjudicateSubmitted(database, {
      claimsMax: BENCH_MEMBERS,
      parallel: 4,
      onFailure: (_claimId, error) => {
        throw error;
      },
    });
    if (sweep.decided === 0) break;
    decided += sweep.decided;
    const { rows } = await database.pool.query<{
      result: AdjudicationResult;
      config_versions: JsonValue;
    }>(
      `SELECT result, config_versions FROM claim_decisions
        WHERE status = 'paid' AND paid_amount > 0 LIMIT 1`,
    );
    decision = rows[0];
  }
  if (!decision) throw new Error('the bench payer paid nothing: check the demo configuration');
  for (;;) {
    const { rows: claims } = await database.pool.query<ClaimToDecide>(
      `SELECT id, provider_org_id, payer_org_id FROM claims WHERE status = 'submitted'
        ORDER BY provider_org_id, id LIMIT $1`,
      [DECISIONS_PER_TRANSACTION],
    );
    if (claims.length === 0) return decided;
    await inTransaction(database.pool, async (client) => {
      for (const claim of claims) {
        await recordDecision(client, claim, decision.result, decision.config_versions, 'auto');
      }
    });
    decided += claims.length;
  }
}

type ClaimToDecide = Parameters<typeof recordDecision>[1];

/** Events sealed per run when comparing sealing with and without checkpoints and witnesses. */
const SEALING_EVENTS_PER_RUN = 100_000;
