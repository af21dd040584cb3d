// Graceful shutdown of `serve`, as a real process: on SIGTERM it stops accepting connections,
// finishes the request or job in flight (held here by a table lock the test owns), closes its
// pools and exits 0. A workers-only process serves its own metrics and probes on METRICS_PORT.
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { Scrape } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

let environment: TestEnvironment;
let provider: Actor;
let payer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment?.close();
});

interface Served {
  child: ChildProcess;
  port: number;
  /** Every log line the process wrote, parsed. */
  lines: { msg: string; [field: string]: unknown }[];
  exited: Promise<{ code: number | null; at: number }>;
}

/** Starts `serve` with these flags in its own process; resolves once it listens. */
async function serve(flags: string[], environmentOverrides: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...flags], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: environment.databaseUrl,
      QUEUE_PREFIX: environment.config.queuePrefix,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...environmentOverrides,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Served['lines'] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line));
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const started = await waitFor(
    () => lines.find((line) => line.msg === 'engine started'),
    (line) => line !== undefined || child.exitCode !== null,
  );
  if (!started) throw new Error(`serve did not start: ${JSON.stringify(lines)}`);
  return { child, port: started.port as number, lines, exited } satisfies Served;
}

/** Holds an ACCESS EXCLUSIVE lock on `table` until released: whoever touches it waits. */
async function lockTable(table: string) {
  const client = new pg.Client({ connectionString: environment.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
      return Date.now();
    },
  };
}

/** Sessions of the test's database waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    `SELECT count(*) AS count FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return Number(rows[0]!.count);
}

describe('serve on SIGTERM', () => {
  it('finishes the request in flight, refuses new connections, and exits 0', async () => {
    const served = await serve(['--no-workers']);
    const base = `http://127.0.0.1:${served.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const lock = await lockTable('claims');
    let released: number | undefined;
    try {
      const claim = validClaim(payer.organization.id);
      const inFlight = fetch(`${base}/v1/claims`, {
        method: 'POST',
        headers: { ...bearer(provider.key), 'Content-Type': 'application/json' },
        body: JSON.stringify(claim),
      });
      expect(await waitFor(lockWaiters, (count) => count > 0)).toBeGreaterThan(0);

      served.child.kill('SIGTERM');
      const stopping = () => served.lines.some((line) => line.msg.startsWith('stopping'));
      expect(await waitFor(stopping, Boolean)).toBe(true);
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
      expect(served.child.exitCode).toBeNull(); // still waiting for the request

      released = await lock.release();
      const answered = await inFlight;
      expect(answered.status).toBe(201);
      expect(((await answered.json()) as { status: string }).status).toBe('submitted');
    } finally {
      if (released === undefined) await lock.release();
    }
    const exit = await served.exited;
    expect(exit.code).toBe(0);
    expect(served.lines.map((line) => line.msg)).toContain('stopped');
  });

  it('runs workers alone with their metrics on METRICS_PORT, and lets a running job finish', async () => {
    const served = await serve(['--no-api'], { SEAL_INTERVAL_MS: '100' });
    const base = `http://127.0.0.1:${served.port}`;
    const scrape = async () => new Scrape(await (await fetch(`${base}/metrics`)).text());
    const sealed = await waitFor(
      scrape,
      (now) =>
        (now.value('claimchain_jobs_total', { queue: 'sealing', outcome: 'completed' }) ?? 0) > 0,
    );
    expect(
      sealed.value('claimchain_jobs_total', { queue: 'sealing', outcome: 'completed' }),
    ).toBeGreaterThan(0);
    // The database and queue gauges are the API's: a workers process does not repeat them.
    expect(sealed.typeOf('claimchain_claims')).toBeUndefined();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // The next sealing job waits on the lock: it is in flight when the signal comes.
    const lock = await lockTable(`ledger_blocks`);
    let released: number | undefined;
    try {
      expect(await waitFor(lockWaiters, (count) => count > 0)).toBeGreaterThan(0);
      served.child.kill('SIGTERM');
      const stopping = () => served.lines.some((line) => line.msg.startsWith('stopping'));
      expect(await waitFor(stopping, Boolean)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(served.child.exitCode).toBeNull(); // still waiting for the job
      released = await lock.release();
    } finally {
      if (released === undefined) await lock.release();
    }
    const exit = await served.exited;
    expect(exit.code).toBe(0);
    expect(exit.at).toBeGreaterThanOrEqual(released);
    expect(served.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('exits 1 at once on a second signal', async () => {
    const served = await serve(['--no-workers']);
    const lock = await lockTable('claims');
    try {
      void fetch(`http://127.0.0.1:${served.port}/v1/claims`, {
        method: 'POST',
        headers: { ...bearer(provider.key), 'Content-Type': 'application/json' },
        body: JSON.stringify(validClaim(payer.organization.id)),
      }).catch(() => undefined);
      expect(await waitFor(lockWaiters, (count) => count > 0)).toBeGreaterThan(0);
      served.child.kill('SIGTERM');
      const stopping = () => served.lines.some((line) => line.msg.startsWith('stopping'));
      expect(await waitFor(stopping, Boolean)).toBe(true);
      served.child.kill('SIGTERM');
      expect((await served.exited).code).toBe(1);
    } finally {
      await lock.release();
    }
  });
});
