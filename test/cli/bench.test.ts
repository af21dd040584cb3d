import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BENCH_MEMBERS,
  benchMembersFor,
  claimant,
  countingAgent,
  cpuMsOf,
  get,
  machineCpuMs,
  profilingArguments,
  slowestSeconds,
} from '../../src/cli/bench.js';
import { cpuPerClaim } from '../../src/cli/bench-pipeline.js';

// The bench's claims all bill the same codes: a member's second claim on one day is a
// duplicate, denied CO-18, and a bench of duplicates would measure denials.
describe("the bench's claimants", () => {
  it('repeat no (member, service date) below members × 300 claims, and repeat the first one there', () => {
    const members = 7;
    const seen = new Set<string>();
    for (let index = 0; index < members * 300; index++) {
      seen.add(claimant(index, members).join('|'));
    }
    expect(seen.size).toBe(2_100);
    expect(claimant(2_100, members)).toEqual(claimant(0, members));
    expect(claimant(0, members)).toEqual(['2026-01-01', 'BENCH-0']);
    expect(claimant(2_099, members)).toEqual(['2026-10-27', 'BENCH-6']);
  });

  it('are spread over enough members for the claims asked, never fewer than the suites’ 200', () => {
    expect(BENCH_MEMBERS).toBe(200);
    expect(benchMembersFor(10_000)).toBe(200);
    expect(benchMembersFor(60_000)).toBe(200);
    expect(benchMembersFor(60_001)).toBe(201);
    expect(benchMembersFor(1_771_650)).toBe(5_906);
  });
});

describe('slowestSeconds', () => {
  it("ranks the seconds of sending by their p99, so a run's stalls show apart from its steady state", () => {
    // Second 0: 100 requests of 10 ms and one of 5,000 ms (its p99 is the 100th of 101: 10 ms, the
    // 101st only at p99.5); second 1: 50 of 20 ms and one of 900 ms (p99 = the 51st of 51);
    // second 2: 30 ms each.
    const samples: [number, number][] = [
      ...Array.from({ length: 100 }, (_, i): [number, number] => [i * 9, 10]),
      [950, 5_000],
      ...Array.from({ length: 50 }, (_, i): [number, number] => [1_000 + i * 10, 20]),
      [1_999, 900],
      [2_000, 30],
      [2_500, 30],
    ];
    expect(slowestSeconds(samples, 2)).toEqual([
      { second: 1, p99: 900, requests: 51 },
      { second: 2, p99: 30, requests: 2 },
    ]);
    expect(slowestSeconds(samples, 5).map((each) => each.second)).toEqual([1, 2, 0]);
  });
});

describe('countingAgent', () => {
  it('counts the connections it opens and keeps every idle one, beyond the default 256', async () => {
    const server = http.createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { agent, opened } = countingAgent(300);
    try {
      // 300 at once: one connection each.
      await Promise.all(Array.from({ length: 300 }, () => get(agent, port, '/', 'key')));
      expect(opened()).toBe(300);
      // The next 300, at once again, find them all still open.
      await Promise.all(Array.from({ length: 300 }, () => get(agent, port, '/', 'key')));
      expect(opened()).toBe(300);
      // One at a time, one connection does.
      for (let index = 0; index < 5; index++) await get(agent, port, '/', 'key');
      expect(opened()).toBe(300);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('profilingArguments', () => {
  it('make a Node process write a V8 CPU profile into the directory, and nothing without one', () => {
    expect(profilingArguments(undefined)).toEqual([]);
    const directory = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
    try {
      const profiles = path.join(directory, 'api');
      execFileSync(process.execPath, [...profilingArguments(profiles), '-e', '1 + 1']);
      const written = readdirSync(profiles);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatch(/\.cpuprofile$/);
      const profile = JSON.parse(readFileSync(path.join(profiles, written[0]!), 'utf8')) as {
        nodes: unknown[];
      };
      expect(profile.nodes.length).toBeGreaterThan(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

// The CPU figures the bench prints a claim: from /proc, so a change's cost reads steadily on a
// shared machine where claims/s swing by a quarter.
describe('the CPU a claim', () => {
  it('counts the whole machine, this process included', async () => {
    const before = await machineCpuMs();
    const started = process.cpuUsage();
    const until = performance.now() + 300;
    while (performance.now() < until); // 300 ms of this process's CPU
    const own = process.cpuUsage(started);
    const machine = (await machineCpuMs()) - before;
    // Clock ticks of 10 ms: at least this process's share, less a tick at each end.
    expect(machine).toBeGreaterThanOrEqual((own.user + own.system) / 1000 - 20);
  });

  it("counts a child process's CPU", async () => {
    // 300 ms of the child's own CPU, however busy the machine, then it says so and idles.
    const child = spawn(process.execPath, [
      '-e',
      "while (process.cpuUsage().user < 300_000); process.stdout.write('burned\\n'); setTimeout(() => {}, 30_000);",
    ]);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('burned')) resolve();
        });
        child.once('exit', () => reject(new Error('the child exited early')));
      });
      const used = await cpuMsOf([child]);
      expect(used).toBeGreaterThanOrEqual(290);
      expect(used).toBeLessThan(2_000);
    } finally {
      child.kill();
    }
  });

  it('splits a step’s CPU by process, a decided claim each, PostgreSQL being the rest', () => {
    const before = { wallMs: 1_000, machine: 50_000, api: 4_000, workers: 9_000, bench: 700 };
    const after = { wallMs: 11_000, machine: 65_000, api: 6_000, workers: 13_000, bench: 950 };
    // 15,000 ms on the machine over 10 s, 10,000 claims: 1,500 µs each; API 2,000 ms → 200,
    // workers 4,000 → 400, bench 250 → 25, the rest 15,000 − 6,250 = 8,750 → 875.
    expect(cpuPerClaim(before, after, 10_000)).toBe(
      `CPU a decided claim while offered: 1500 µs on the machine (1.50 of its ${os.cpus().length} cores busy): ` +
        'API 200, workers 400, PostgreSQL and the rest 875, this bench 25',
    );
  });
});
