// `npm run bench -- --suite pipeline`: the whole engine end to end, as production runs it. The
// API and the workers run in processes of their own with the engine's default intervals, and
// the bench drives the API over HTTP while it watches the database:
//  (a) single-claim intake offered at a steady rate (1,000 claims/s for 60 s by default, open
//      loop: a claim is sent on its schedule whether or not the last one was answered),
//      reporting submission → decision visible in GET /v1/claims/:id (polled for a sample of
//      claims) and, for every claim, submission → decided and → sealed from the database's own
//      timestamps, and whether the backlog grows;
//  (b) batch intake offered at rising rates, each for a while, until adjudication or sealing no
//      longer keeps up: the highest rate at which the backlog stays bounded.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/db.js';
import { obliterateQueues } from '../infra/queues.js';
import { openRedis } from '../infra/redis.js';
import { batchesMadeBetween } from '../domain/settlement/index.js';
import { demoClaim } from './demo.js';
import {
  benchMembersFor,
  benchParties,
  ceilingsNote,
  claimant,
  countingAgent,
  cpuMsOf,
  get,
  machineCpuMs,
  microsecondsEach,
  percentile,
  post,
  slowestSeconds,
  spawnServe,
  startApi,
  type HttpResult,
} from './bench.js';

export interface PipelineOptions {
  /** Offered single-claim rate in part (a), claims/s. */
  rate: number;
  /** How long part (a) offers claims, and how long each step of part (b) lasts, in seconds. */
  seconds: number;
  /**
   * Where the API's and the workers' processes write CPU profiles of the whole run (in `api/`
   * and `workers/`), or none.
   */
  profileDirectory?: string;
}

/** Claims whose decision is polled through the API in part (a): one in this many. */
const POLL_ONE_IN = 50;
/**
 * How often a polled claim is read. Every 25 ms, the 20 claims a second polled (about a second
 * each) were 800 reads a second on top of the 1,000 claims offered, nearly doubling the API's
 * load: the bench measured its own polling. Every 100 ms they are about 200 a second; a claim is
 * seen decided at most 100 ms late.
 */
const POLL_EVERY_MS = 100;
/** Requests in flight at most; beyond it the offered rate is not met and the bench says so. */
const IN_FLIGHT_MAX = 512;
const STEP_BATCH_SIZE = 500;
/** Offered rates of part (b), claims/s; stepping stops at the first one not kept up with. */
const STEP_RATES = [500, 1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 6_000, 8_000];
/** Warm-up rounds before measuring: a batch and some single claims, each round drained. */
const WARM_UP_BATCHES = 3;
const WARM_UP_SINGLES = 50;
/**
 * A step kept up when its leftovers drained within this: the batches still in flight and one
 * sealing interval (1 s by default) of events, with time to spare.
 */
const KEPT_UP_DRAIN_SECONDS = 3;
/**
 * A step kept up when each stage's rate while it ran was at least this share of the offered
 * rate: the last batches in flight and one sealing interval of events lag by design.
 */
const KEPT_PACE = 0.9;
/** How long the pipeline may take to drain after the offered load stops. */
const DRAIN_MAX_MS = 180_000;

interface Backlog {
  undecided: number;
  unsealed: number;
}

export async function benchPipeline(databaseUrl: string, options: PipelineOptions): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const database = openDatabase(databaseUrl, 2);
  const port = 3900 + Math.floor(Math.random() * 90);
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  try {
    // Members enough that no claim of the longest run repeats a service (every step run).
    const claimsMax =
      WARM_UP_BATCHES * (STEP_BATCH_SIZE + WARM_UP_SINGLES) +
      Math.round(options.rate * options.seconds) +
      STEP_RATES.reduce((sum, rate) => sum + rate * options.seconds, 0);
    const members = benchMembersFor(claimsMax);
    const setUpStarted = performance.now();
    const { payer, key } = await benchParties(database, config, members);
    const profiles = options.profileDirectory;
    children.push(
      await startApi(
        databaseUrl,
        port,
        { QUEUE_PREFIX: queuePrefix },
        profiles && path.join(profiles, 'api'),
      ),
    );
    children.push(
      startWorkers(databaseUrl, queuePrefix, profiles && path.join(profiles, 'workers')),
    );
    console.log(
      `pipeline (API and workers in separate processes; adjudication every ${config.adjudicationIntervalMs} ms, ` +
        `sealing every ${config.sealIntervalMs} ms; ${members} members, enrolled in ` +
        `${((performance.now() - setUpStarted) / 1000).toFixed(0)} s)`,
    );
    const { agent, opened } = countingAgent(IN_FLIGHT_MAX);
    let claimIndex = 0;
    const nextClaim = (prefix: string) => {
      const index = claimIndex++;
      return demoClaim(
        payer.id,
        `${prefix}-${index}`,
        ['125.00', '48.50'],
        ...claimant(index, members),
      );
    };

    // Before measuring: claims through every stage once, so that neither the workers' start
    // (seconds under tsx, while claims would already queue) nor code not yet compiled by V8
    // counts as the pipeline's latency.
    const warmUpStarted = performance.now();
    for (let batch = 0; batch < WARM_UP_BATCHES; batch++) {
      const body = JSON.stringify({
        claims: Array.from({ length: STEP_BATCH_SIZE }, () => nextClaim('W')),
      });
      const result = await post(agent, port, '/v1/claims/batch', key, body);
      if (result.status !== 200) throw new Error(`warm-up answered ${result.status}`);
      for (let index = 0; index < WARM_UP_SINGLES; index++) {
        const single = await post(agent, port, '/v1/claims', key, JSON.stringify(nextClaim('W')));
        if (single.status !== 201) throw new Error(`warm-up answered ${single.status}`);
      }
      const drained = await drain(database);
      if (drained.left) throw new Error(`warm-up: ${describeDrained(drained)}`);
    }
    console.log(
      `warm-up: ${WARM_UP_BATCHES * (STEP_BATCH_SIZE + WARM_UP_SINGLES)} claims decided and sealed ` +
        `in ${((performance.now() - warmUpStarted) / 1000).toFixed(1)} s (the workers' start included)`,
    );

    // (a) steady single-claim intake, through connections opened beforehand as a client's
    // pool (or a proxy's upstream pool) holds them. A busy API takes new connections slowly:
    // libuv accepts one per turn of the event loop, so a burst of hundreds waits seconds in
    // the listen queue (docs/performance.md); the part says how many it still had to open.
    await Promise.all(
      Array.from({ length: IN_FLIGHT_MAX }, () => get(agent, port, '/health', key)),
    );
    const openedBefore = opened();
    const total = Math.round(options.rate * options.seconds);
    const partStart = await databaseNow(database);
    const intakeBySending: [sentAtMs: number, latencyMs: number][] = [];
    const visibleLatencies: number[] = [];
    // Where a polled claim's wait goes: after its submission was answered, until a read saw it
    // decided; and how long each read took (a read answered late delays what it sees).
    const answeredToVisible: number[] = [];
    const pollReads: number[] = [];
    const backlogs: Backlog[] = [];
    let inFlightMax = 0;
    let inFlight = 0;
    let behindSchedule = 0;
    const watching = watchBacklog(database, backlogs);
    const polls: Promise<void>[] = [];
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let index = 0; index < total; index++) {
      const due = started + (index * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (inFlight >= IN_FLIGHT_MAX) {
        behindSchedule += 1;
        while (inFlight >= IN_FLIGHT_MAX) await sleep(1);
      }
      const body = JSON.stringify(nextClaim('P'));
      const sentAt = performance.now();
      inFlight += 1;
      inFlightMax = Math.max(inFlightMax, inFlight);
      sends.push(
        post(agent, port, '/v1/claims', key, body).then((result) => {
          inFlight -= 1;
          const answeredAt = performance.now();
          intakeBySending.push([sentAt - started, answeredAt - sentAt]);
          if (result.status !== 201) {
            throw new Error(`single intake answered ${result.status}: ${result.body}`);
          }
          if (index % POLL_ONE_IN === 0) {
            const claimId = (JSON.parse(result.body) as { id: string }).id;
            polls.push(
              pollDecision(agent, port, key, claimId, pollReads).then((visibleAt) => {
                visibleLatencies.push(visibleAt - sentAt);
                answeredToVisible.push(visibleAt - answeredAt);
              }),
            );
          }
        }),
      );
    }
    await Promise.all(sends);
    const offeredSeconds = (performance.now() - started) / 1000;
    const partEnd = await databaseNow(database);
    await Promise.all(polls);
    const drained = await drain(database);
    watching.stop();
    await watching.done;
    const fromDatabase = await latenciesSince(database, partStart);
    const intakeLatencies = intakeBySending.map(([, latency]) => latency).sort((a, b) => a - b);
    for (const latencies of [visibleLatencies, answeredToVisible, pollReads]) {
      latencies.sort((a, b) => a - b);
    }
    console.log(
      `(a) single-claim intake offered at ${options.rate} claims/s for ${options.seconds} s: ` +
        `${Math.round(total / offeredSeconds)} claims/s sent and answered, intake p50 ${percentile(intakeLatencies, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(intakeLatencies, 0.99).toFixed(1)} ms; ${inFlightMax} requests in flight at most, ` +
        `${opened() - openedBefore} connections opened during the part (${openedBefore} open before it)` +
        (behindSchedule > 0 ? `; ${behindSchedule} sends waited for a free connection` : '') +
        ceilingsNote(),
    );
    const slowest = slowestSeconds(intakeBySending, 3);
    console.log(
      `    intake p99 of the slowest seconds (by when sent): ` +
        slowest
          .map(
            ({ second, p99, requests }) => `${second} s: ${p99.toFixed(0)} ms (${requests} sent)`,
          )
          .join(', '),
    );
    console.log(
      `    submission → decision visible in GET /v1/claims/:id (${visibleLatencies.length} claims polled every ${POLL_EVERY_MS} ms): ` +
        `p50 ${percentile(visibleLatencies, 0.5).toFixed(0)} ms, p99 ${percentile(visibleLatencies, 0.99).toFixed(0)} ms; ` +
        `from the answer p50 ${percentile(answeredToVisible, 0.5).toFixed(0)} ms, p99 ${percentile(answeredToVisible, 0.99).toFixed(0)} ms; ` +
        `each read p50 ${percentile(pollReads, 0.5).toFixed(1)} ms, p99 ${percentile(pollReads, 0.99).toFixed(1)} ms`,
    );
    console.log(
      `    all ${fromDatabase.claims} claims, database timestamps: submission → decided p50 ${fromDatabase.decidedP50} ms, ` +
        `p99 ${fromDatabase.decidedP99} ms; submission → sealed p50 ${fromDatabase.sealedP50} ms, p99 ${fromDatabase.sealedP99} ms`,
    );
    console.log(
      `    backlog while offered: ${describeBacklog(backlogs)}; ${describeDrained(drained)}`,
    );
    // A settlement run in the part takes the CPU for seconds (60,000 claims: 6 s) and is its
    // slowest stretch: say whether one came, so the figures above read with it or without.
    console.log(`    ${await describeSettlementDuring(database, partStart, partEnd)}`);

    // (b) batch intake at rising rates.
    let sustained = 0;
    const [api, workers] = children as [ChildProcess, ChildProcess];
    for (const rate of STEP_RATES) {
      const cpuBefore = await cpuSplit(api, workers);
      const step = await offerBatches(
        database,
        options.seconds,
        rate,
        (body) => post(agent, port, '/v1/claims/batch', key, body),
        () => ({ claims: Array.from({ length: STEP_BATCH_SIZE }, () => nextClaim('S')) }),
      );
      // At a rate the pipeline keeps up with, what is left when the offer stops is the last
      // batches and at most a sealing interval of events, gone within seconds; at a rate it
      // does not, the backlog grew all through the step, and clearing it takes the longer the
      // longer the step ran.
      const cpu = cpuPerClaim(cpuBefore, await cpuSplit(api, workers), step.decided);
      const drained = await drain(database);
      // Draining fast is not enough: with intake and adjudication sharing the cores, a backlog
      // that grew all step (10,025 claims at 2,000/s offered, one run) cleared in under 3 s
      // once intake stopped. Each stage must also have kept pace while the offer ran.
      const keptUp =
        drained.left === undefined &&
        drained.seconds <= KEPT_UP_DRAIN_SECONDS &&
        step.acceptedPerSecond >= rate * KEPT_PACE &&
        step.decidedPerSecond >= rate * KEPT_PACE &&
        step.sealedPerSecond >= rate * KEPT_PACE;
      console.log(
        `(b) batch intake offered at ${rate} claims/s for ${options.seconds} s: ${step.acceptedPerSecond} claims/s taken in, ` +
          `${step.decidedPerSecond} decided/s, ${step.sealedPerSecond} decision events sealed/s; ` +
          `backlog when the offer stopped ${step.endBacklog.undecided} undecided, ${step.endBacklog.unsealed} unsealed events, ` +
          `${describeDrained(drained)}: ` +
          (keptUp ? 'kept up' : 'fell behind') +
          ceilingsNote(),
      );
      console.log(`    ${cpu}`);
      if (!keptUp) break;
      sustained = rate;
    }
    console.log(
      sustained > 0
        ? `(b) highest sustained rate (intake, adjudication and sealing keeping up): ${sustained} claims/s`
        : `(b) not even ${STEP_RATES[0]} claims/s was sustained`,
    );
    console.log(`decisions of the run: ${await describeDecisions(database)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children
        .filter((child) => child.exitCode === null)
        .map((child) => new Promise((resolve) => child.once('exit', resolve))),
    );
    await database.close();
    // The run's queues used a prefix of their own: nothing of them is left in Redis.
    const connection = openRedis(config.redisUrl);
    await obliterateQueues(connection, { queuePrefix }).finally(() => connection.quit());
  }
}

function startWorkers(
  databaseUrl: string,
  queuePrefix: string,
  profileDirectory: string | undefined,
): ChildProcess {
  return spawnServe(
    '--no-api',
    databaseUrl,
    // Its metrics listener takes any free port: nothing here reads it.
    { QUEUE_PREFIX: queuePrefix, METRICS_PORT: '0' },
    profileDirectory,
  );
}

/**
 * When the claim's decision is first visible through the API (performance.now()); `reads`
 * receives how long each read took, in ms.
 */
async function pollDecision(
  agent: http.Agent,
  port: number,
  key: string,
  claimId: string,
  reads: number[],
): Promise<number> {
  const deadline = performance.now() + DRAIN_MAX_MS;
  while (performance.now() < deadline) {
    const readAt = performance.now();
    const result = await get(agent, port, `/v1/claims/${claimId}`, key);
    reads.push(performance.now() - readAt);
    if (result.status !== 200) throw new Error(`claim read answered ${result.status}`);
    if ((JSON.parse(result.body) as { status: string }).status !== 'submitted') {
      return performance.now();
    }
    await sleep(POLL_EVERY_MS);
  }
  throw new Error(`claim ${claimId} was not decided within ${DRAIN_MAX_MS / 1000} s`);
}

/**
 * What the run decided, by outcome, and how many of the denials were duplicates (CO-18): a
 * run of duplicates would measure denials, not adjudication.
 */
async function describeDecisions(database: Database): Promise<string> {
  const { rows } = await database.pool.query<{ status: string; count: string; duplicates: string }>(
    `SELECT status, count(*) AS count,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM jsonb_array_elements(result->'lines') line,
                            jsonb_array_elements(line->'adjustments') adjustment
               WHERE adjustment->>'reasonCode' = '18')) AS duplicates
       FROM claim_decisions GROUP BY status ORDER BY status`,
  );
  return rows
    .map(
      (row) =>
        `${row.count} ${row.status}` +
        (Number(row.duplicates) > 0 ? ` (${row.duplicates} with a duplicate line, CO-18)` : ''),
    )
    .join(', ');
}

async function databaseNow(database: Database): Promise<Date> {
  const { rows } = await database.pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return rows[0]!.now;
}

/** Claims not yet decided, and ledger events not yet in a block. */
async function backlogOf(database: Database): Promise<Backlog> {
  const { rows } = await database.pool.query<{ undecided: string; unsealed: string }>(
    `SELECT (SELECT count(*) FROM claims WHERE status = 'submitted') AS undecided,
            (SELECT next_seq - 1 FROM ledger_sequence WHERE id = 1)
              - coalesce((SELECT max(last_seq) FROM ledger_blocks), 0) AS unsealed`,
  );
  return { undecided: Number(rows[0]!.undecided), unsealed: Number(rows[0]!.unsealed) };
}

/** Samples the backlog once a second until stopped. */
function watchBacklog(database: Database, samples: Backlog[]) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      samples.push(await backlogOf(database));
      await sleep(1_000);
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
    },
  };
}

function describeBacklog(samples: Backlog[]): string {
  if (samples.length === 0) return 'not sampled';
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (part: Backlog[]) =>
    Math.round(part.reduce((sum, b) => sum + b.undecided + b.unsealed, 0) / part.length);
  const first = mean(samples.slice(0, third));
  const last = mean(samples.slice(-third));
  const peak = Math.max(...samples.map((b) => b.undecided + b.unsealed));
  return (
    `undecided + unsealed averaged ${first} in the first third and ${last} in the last, peak ${peak}` +
    (last > first * 2 + 500 ? ' (growing)' : ' (not growing)')
  );
}

interface Drained {
  /** Seconds until nothing was left undecided or unsealed, or until the wait was given up. */
  seconds: number;
  /** What was left when the wait was given up; absent when everything drained. */
  left?: Backlog;
}

/** Waits until every claim is decided and every event sealed. */
async function drain(database: Database): Promise<Drained> {
  const started = performance.now();
  for (;;) {
    const backlog = await backlogOf(database);
    const seconds = (performance.now() - started) / 1000;
    if (backlog.undecided === 0 && backlog.unsealed === 0) return { seconds };
    if (seconds * 1000 > DRAIN_MAX_MS) return { seconds, left: backlog };
    await sleep(200);
  }
}

function describeDrained({ seconds, left }: Drained): string {
  return left
    ? `not drained after ${seconds.toFixed(0)} s: ${left.undecided} undecided, ${left.unsealed} unsealed`
    : `drained in ${seconds.toFixed(1)} s after the offered load stopped`;
}

/** Percentiles of submission → decided and submission → decision sealed, since `since`. */
async function latenciesSince(database: Database, since: Date) {
  const { rows } = await database.pool.query<{
    claims: string;
    decided_p50: string;
    decided_p99: string;
    sealed_p50: string;
    sealed_p99: string;
  }>(
    `WITH decided AS (
       SELECT extract(epoch FROM d.decided_at - c.submitted_at) * 1000 AS decided_ms,
              extract(epoch FROM b.sealed_at - c.submitted_at) * 1000 AS sealed_ms
         FROM claims c
         JOIN claim_decisions d ON d.claim_id = c.id
         JOIN ledger_events e ON e.id = d.ledger_event_id
         JOIN ledger_blocks b ON e.seq BETWEEN b.first_seq AND b.last_seq
        WHERE c.submitted_at >= $1
     )
     SELECT count(*) AS claims,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY decided_ms)) AS decided_p50,
            round(percentile_cont(0.99) WITHIN GROUP (ORDER BY decided_ms)) AS decided_p99,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY sealed_ms)) AS sealed_p50,
            round(percentile_cont(0.99) WITHIN GROUP (ORDER BY sealed_ms)) AS sealed_p99
       FROM decided`,
    [since],
  );
  const row = rows[0]!;
  return {
    claims: Number(row.claims),
    decidedP50: row.decided_p50,
    decidedP99: row.decided_p99,
    sealedP50: row.sealed_p50,
    sealedP99: row.sealed_p99,
  };
}

/** The settlement batches created between `from` and `to`, and when, in seconds from `from`. */
async function describeSettlementDuring(database: Database, from: Date, to: Date) {
  const { batches, claims, firstAt, lastAt } = await batchesMadeBetween(database, from, to);
  const secondsIn = (at: Date | null) => ((at!.getTime() - from.getTime()) / 1000).toFixed(1);
  return batches === 0
    ? 'settlement while offered: none'
    : `settlement while offered: ${batches} batches of ${claims} claims, ${secondsIn(firstAt)}–${secondsIn(lastAt)} s into the part ` +
        `(the settlement worker runs every SETTLEMENT_INTERVAL_MS)`;
}

/** CPU used so far (ms): the whole machine's, the API's, the workers' and this process's. */
async function cpuSplit(api: ChildProcess, workers: ChildProcess) {
  const own = process.cpuUsage();
  return {
    wallMs: performance.now(),
    machine: await machineCpuMs(),
    api: await cpuMsOf([api]),
    workers: await cpuMsOf([workers]),
    bench: (own.user + own.system) / 1000,
  };
}

/**
 * The CPU a decided claim took during a step, by process: what bounds the pipeline on a machine
 * whose cores are all busy. PostgreSQL is the rest of the machine's (its backends, its writers,
 * and anything else running, which on a quiet machine is little).
 */
export function cpuPerClaim(
  before: Awaited<ReturnType<typeof cpuSplit>>,
  after: Awaited<ReturnType<typeof cpuSplit>>,
  decided: number,
): string {
  const used = (key: keyof typeof before) => after[key] - before[key];
  const each = (ms: number) => microsecondsEach(ms, decided);
  const postgres = used('machine') - used('api') - used('workers') - used('bench');
  const coresBusy = used('machine') / used('wallMs');
  return (
    `CPU a decided claim while offered: ${each(used('machine'))} µs on the machine ` +
    `(${coresBusy.toFixed(2)} of its ${os.cpus().length} cores busy): ` +
    `API ${each(used('api'))}, workers ${each(used('workers'))}, ` +
    `PostgreSQL and the rest ${each(postgres)}, this bench ${each(used('bench'))}`
  );
}

/** Offers batches at `rate` claims/s for `seconds`; what went in, was decided and was sealed. */
async function offerBatches(
  database: Database,
  seconds: number,
  rate: number,
  send: (body: string) => Promise<HttpResult>,
  makeBatch: () => unknown,
) {
  const batches = Math.max(1, Math.round((rate * seconds) / STEP_BATCH_SIZE));
  const startedAt = await databaseNow(database);
  const started = performance.now();
  const sends: Promise<void>[] = [];
  let accepted = 0;
  for (let index = 0; index < batches; index++) {
    const due = started + (index * STEP_BATCH_SIZE * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const body = JSON.stringify(makeBatch());
    sends.push(
      send(body).then((result) => {
        if (result.status !== 200) {
          throw new Error(`batch intake answered ${result.status}: ${result.body.slice(0, 300)}`);
        }
        accepted += (JSON.parse(result.body) as { accepted: number }).accepted;
      }),
    );
  }
  await Promise.all(sends);
  const elapsed = (performance.now() - started) / 1000;
  const endBacklog = await backlogOf(database);
  const { rows } = await database.pool.query<{ decided: string; sealed: string }>(
    `SELECT count(*) AS decided,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM ledger_blocks b WHERE e.seq BETWEEN b.first_seq AND b.last_seq
            )) AS sealed
       FROM claim_decisions d JOIN ledger_events e ON e.id = d.ledger_event_id
      WHERE d.decided_at >= $1`,
    [startedAt],
  );
  const decided = Number(rows[0]!.decided);
  return {
    decided,
    acceptedPerSecond: Math.round(accepted / elapsed),
    decidedPerSecond: Math.round(decided / elapsed),
    sealedPerSecond: Math.round(Number(rows[0]!.sealed) / elapsed),
    endBacklog,
  };
}
