// `npm run demo` as a newcomer runs it (the command itself, in its own process, on a database it
// creates): the keys it prints work, and within seconds its stream has taken claims through
// every door and to every end: paid, denied, pended, replaced, voided, settled, from an 837P
// file too, sealed into the ledger. And the README's five-minute tour, run as written against it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../support/environment.js';
import { freePort } from '../support/network.js';
import { waitFor } from '../support/wait.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';

describe('npm run demo', () => {
  const name = `cc_demo_${randomBytes(6).toString('hex')}`;
  let child: ChildProcess;
  let output = '';
  let port: number;
  let client: pg.Client;

  beforeAll(async () => {
    port = await freePort();
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'demo',
        '--claim-every',
        '60',
        '--settle-every',
        '3000',
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: `${SERVER_URL}/${name}`,
          PORT: String(port),
          HOST: '127.0.0.1',
          QUEUE_PREFIX: name,
          LOG_LEVEL: 'warn',
          ADJUDICATION_INTERVAL_MS: '200',
          SEAL_INTERVAL_MS: '300',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => output,
      (text) => text.includes('OPERATOR_KEY='),
      60_000,
    );
    client = new pg.Client({ connectionString: `${SERVER_URL}/${name}` });
    await client.connect();
  }, 90_000);

  afterAll(async () => {
    await client?.end();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await dropDatabase(name);
  }, 60_000);

  it('prints the console, the API reference and a key per role that the API accepts', async () => {
    expect(output).toContain(`http://127.0.0.1:${port}/ `);
    expect(output).toContain(`http://127.0.0.1:${port}/docs`);
    const key = (variable: string) => new RegExp(`${variable}=(\\S+)`).exec(output)?.[1];
    for (const [variable, path] of [
      ['RIVERSIDE_BILLER_KEY', '/v1/claims?limit=1'],
      ['LAKESIDE_BILLER_KEY', '/v1/claims?limit=1'],
      ['PAYER_KEY', '/v1/review-queue'],
      ['PAYER_FINANCE_KEY', '/v1/settlement/batches'],
      ['RIVERSIDE_FINANCE_KEY', '/v1/balances'],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { authorization: `Bearer ${key(variable)}` },
      });
      expect({ variable, status: response.status }).toEqual({ variable, status: 200 });
    }
  });

  it('takes claims to every end within seconds, from both providers, sealed', async () => {
    // The stream picks each send at random (an 837P file one time in ten), so the test waits
    // for an interchange as it waits for each end, rather than assuming one came first.
    const ends = ['paid', 'denied', 'pended', 'replaced', 'voided', 'settled'];
    const seen = await waitFor(
      async () => {
        const { rows } = await client.query<{ statuses: string[]; interchanges: number }>(
          `SELECT ARRAY(SELECT DISTINCT status FROM claims) AS statuses,
                  (SELECT count(*)::int FROM x12_interchanges) AS interchanges`,
        );
        return rows[0]!;
      },
      ({ statuses, interchanges }) =>
        ends.every((end) => statuses.includes(end)) && interchanges > 0,
      60_000,
    );
    expect(seen.statuses).toEqual(expect.arrayContaining(ends));
    const { rows } = await client.query<{
      providers: string;
      interchanges: string;
      sealed: string;
      settled_batches: string;
    }>(
      `SELECT (SELECT count(DISTINCT provider_org_id) FROM claims) AS providers,
              (SELECT count(*) FROM x12_interchanges) AS interchanges,
              (SELECT count(*) FROM ledger_blocks) AS sealed,
              (SELECT count(*) FROM settlement_batches) AS settled_batches`,
    );
    expect(Number(rows[0]!.providers)).toBe(2);
    expect(Number(rows[0]!.interchanges)).toBeGreaterThan(0);
    expect(Number(rows[0]!.sealed)).toBeGreaterThan(0);
    expect(Number(rows[0]!.settled_batches)).toBeGreaterThan(0);
  }, 90_000);

  it("runs the README's five-minute tour as written", async () => {
    const readme = await readFile('README.md', 'utf8');
    const tour = readme.slice(
      readme.indexOf('## A five-minute tour'),
      readme.indexOf('\n## ', readme.indexOf('## A five-minute tour') + 1),
    );
    const blocks = [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks.length).toBe(3);
    const script = blocks
      .join('\n')
      .replace('API=http://localhost:3000', `API=http://127.0.0.1:${port}`);
    const key = (variable: string) => new RegExp(`${variable}=(\\S+)`).exec(output)![1]!;
    const run = promisify(execFile)('bash', ['-eu', '-c', script], {
      env: {
        ...process.env,
        DATABASE_URL: `${SERVER_URL}/${name}`,
        RIVERSIDE_BILLER_KEY: key('RIVERSIDE_BILLER_KEY'),
        PAYER_KEY: key('PAYER_KEY'),
        PAYER_FINANCE_KEY: key('PAYER_FINANCE_KEY'),
        RIVERSIDE_FINANCE_KEY: key('RIVERSIDE_FINANCE_KEY'),
      },
      timeout: 120_000,
    });
    // A failing step names itself by what it printed.
    const { stdout } = await run.catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`the tour failed:\n${error.stdout}\n${error.stderr.slice(-2000)}`);
    });
    await rm('proof.json', { force: true });
    const lines = stdout.trim().split('\n');
    // The claim's status once decided, the queue's and the run's counts, an 835, two verdicts.
    // Decided, or already settled by the demo's finance (every 3 s here).
    expect(lines[0]).toMatch(/^(paid|partially_paid|denied|settled)$/);
    expect(stdout).toMatch(/^ISA\*00\*/m);
    expect(stdout).toMatch(/^proof OK: /m);
    expect(stdout).toMatch(/^chain OK: /m);
  }, 150_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
