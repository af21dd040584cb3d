// `npm run bench -- --suite tlog`, proofs part: RFC 9162 proofs served from the stored tiles of a
// tree of 1,000,000 leaves, in this process (StoredTreeProofs, as the API computes them) and
// through the API's two proof routes (a spawned API process, as the other suites run it).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type pg from 'pg';
import { createOrganization, issueApiKey } from '../domain/organizations.js';
import { inTransaction, openDatabase, type Database } from '../infra/db.js';
import { blockHeaderOf } from '../ledger/formats.js';
import { toHex } from '../ledger/hash.js';
import { readHead } from '../ledger/read.js';
import { insertBlock, sealPending } from '../ledger/seal.js';
import { TileCache } from '../ledger/tile-cache.js';
import { tileWidthMax } from '../ledger/tlog/tiles.js';
import { extendTree, readTreeSize, StoredTreeProofs } from '../ledger/transparency-log.js';
import { ceilingsNote, drive, get, percentile, startApi } from './bench.js';
import { appendBenchEvents } from './bench-sealing.js';

/** Leaves appended per tree-extension transaction while building the bench tree. */
const TREE_BUILD_CHUNK = 50_000;
/** Proofs timed per kind and cache state. */
const TREE_PROOFS = 2_000;
/** Proofs of each kind computed, untimed, before any is timed. */
const PROOF_WARM_UP_PROOFS = 200;
/**
 * Real events at the start of the tree, sealed as the sealer seals them, for the event proof
 * route (which finds the event's row and block): 20 blocks of BLOCK_EVENTS.
 */
const REAL_EVENTS = 200_000;
const BLOCK_EVENTS = 10_000;
/** Consistency requests timed through the API, cold then warm: few enough to stay mostly cold. */
const HTTP_CONSISTENCY_PROOFS = 500;

/**
 * Proof serving from stored tiles, on a tree of `leafCount` leaves: the first REAL_EVENTS are
 * real events sealed into blocks (the sealer's code), the rest random leaves appended to the
 * tiles directly, recorded by one head block of synthetic events (the API's tree size is the
 * head block's). Then: what a cold inclusion proof's time is made of; inclusion proofs of random
 * leaves and consistency proofs between random sizes as the API computes them (StoredTreeProofs),
 * in this process, one after another, with an empty tile cache for every proof (one query and
 * the hashing inside its tiles) and after the warm-up a serving process runs at start (every
 * tile cached); and both proof routes through a spawned API. Targets: p99 under 2 ms (inclusion) and 5 ms (consistency) at 1,000,000 leaves.
 */
export async function benchTransparencyProofs(
  databaseUrl: string,
  leafCount: number,
): Promise<void> {
  const database = openDatabase(databaseUrl, 4);
  try {
    const { pool } = database;
    const realEvents = await buildBenchTree(database, leafCount);
    // Untimed first: the figures are of a running server's proofs, not of this process compiling
    // the proof code and opening its connections (which made the first proofs of a run its
    // slowest, and a few of them are 1 % of a run).
    for (let proof = 0; proof < PROOF_WARM_UP_PROOFS; proof++) {
      const proofs = new StoredTreeProofs(pool, new TileCache());
      await proofs.inclusionProof(Math.floor(Math.random() * leafCount), leafCount);
      await proofs.consistencyProof(1 + Math.floor(Math.random() * leafCount), leafCount);
    }
    await splitColdInclusionProofs(pool, leafCount);
    const uncached = () => new StoredTreeProofs(pool, new TileCache());
    await timeProofs(leafCount, 'no tile cached, one query a proof', uncached);
    await timeLeafTileColdInclusionProofs(pool, leafCount);
    const cache = new TileCache();
    const warm = new StoredTreeProofs(pool, cache);
    // As a server warms its cache at start (LEDGER_TILE_CACHE_WARM).
    const warmStarted = performance.now();
    const { tilesRead } = await warm.warm();
    console.log(
      `tile cache warm-up as the API runs it at start: ${tilesRead} tiles read in ` +
        `${(performance.now() - warmStarted).toFixed(0)} ms (${leafCount} leaves)${ceilingsNote()}`,
    );
    await timeProofs(leafCount, `after the start-up warm-up (${cache.size} tiles)`, () => warm);
    await timeProofRoutes(database, databaseUrl, leafCount, realEvents);
  } finally {
    await database.close();
  }
}

/** Builds the bench tree (see benchTransparencyProofs); returns how many leaves are real events. */
async function buildBenchTree(database: Database, leafCount: number): Promise<number> {
  const { pool } = database;
  const started = performance.now();
  await appendBenchEvents(database, Math.min(REAL_EVENTS, leafCount));
  await sealPending(pool, BLOCK_EVENTS, Number.MAX_SAFE_INTEGER);
  const realEvents = await readTreeSize(pool);
  for (let size = realEvents; size < leafCount; size += TREE_BUILD_CHUNK) {
    const count = Math.min(TREE_BUILD_CHUNK, leafCount - size);
    const leaves = Array.from({ length: count }, () => new Uint8Array(randomBytes(32)));
    const root = await inTransaction(pool, (client) => extendTree(client, size, leaves));
    if (size + count === leafCount) await recordSyntheticHeadBlock(pool, leafCount, root);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `transparency tree: ${leafCount} leaves (the first ${realEvents} real events sealed in blocks of ${BLOCK_EVENTS}, ` +
      `the rest random leaves under one synthetic head block) built in ${seconds.toFixed(1)} s`,
  );
  return realEvents;
}

/**
 * A head block for the leaves appended straight to the tiles, so the API serves proofs at the
 * whole tree's size. Its events do not exist (the sequence is moved past them): a bench
 * database only, which `verify` would rightly refuse.
 */
async function recordSyntheticHeadBlock(pool: pg.Pool, treeSize: number, treeRoot: Uint8Array) {
  await inTransaction(pool, async (client) => {
    const head = (await readHead(client))!;
    const header = blockHeaderOf({
      height: head.height + 1,
      prevHash: head.hash,
      merkleRoot: toHex(randomBytes(32)),
      firstSeq: head.lastSeq + 1n,
      lastSeq: BigInt(treeSize),
      eventCount: treeSize - Number(head.lastSeq),
      sealedAt: new Date(),
    });
    await client.query('UPDATE ledger_sequence SET next_seq = $1 WHERE id = 1', [treeSize + 1]);
    await insertBlock(client, header, treeRoot);
  });
}

/**
 * Inclusion proofs as a serving process meets a tile's first proof: its cache already holds the
 * tiles above level 0 and the right edge's (read by its first proofs at this size), not the
 * leaf's level-0 tile. Each proof is of a leaf in a level-0 tile not read before: one query for
 * that one tile, and its 255 inner hashes.
 */
async function timeLeafTileColdInclusionProofs(pool: pg.Pool, leafCount: number): Promise<void> {
  const proofs = new StoredTreeProofs(pool, new TileCache());
  const fullTiles = Math.floor(leafCount / tileWidthMax);
  const read = new Set<number>();
  // A proof in each level-1 tile's range and of the last leaf reads every tile above level 0.
  for (let leaf = 0; leaf < leafCount; leaf += tileWidthMax ** 2) {
    await proofs.inclusionProof(leaf, leafCount);
    read.add(leaf / tileWidthMax);
  }
  await proofs.inclusionProof(leafCount - 1, leafCount);
  const unread = Array.from({ length: fullTiles }, (_, tile) => tile).filter(
    (tile) => !read.has(tile),
  );
  // Shuffled (Fisher–Yates), so the tiles are not read in storage order.
  for (let position = unread.length - 1; position > 0; position--) {
    const other = Math.floor(Math.random() * (position + 1));
    [unread[position], unread[other]] = [unread[other]!, unread[position]!];
  }
  const count = Math.min(TREE_PROOFS, unread.length);
  if (count === 0) return;
  const timed = await drive(count, 1, async (index) => {
    const leaf = unread[index]! * tileWidthMax + Math.floor(Math.random() * tileWidthMax);
    await proofs.inclusionProof(leaf, leafCount);
  });
  console.log(
    `inclusion proof, in-process, the leaf's tile not cached, the tiles above it cached (${leafCount} leaves, ${count} proofs): ` +
      `p50 ${percentile(timed.latencies, 0.5).toFixed(2)} ms, p99 ${percentile(timed.latencies, 0.99).toFixed(2)} ms ` +
      `(target p99 < 2 ms)${ceilingsNote()}`,
  );
}

async function timeProofs(
  leafCount: number,
  cacheState: string,
  proofsFor: () => StoredTreeProofs,
): Promise<void> {
  const randomSize = () => 1 + Math.floor(Math.random() * leafCount);
  const inclusion = await drive(TREE_PROOFS, 1, async () => {
    await proofsFor().inclusionProof(randomSize() - 1, leafCount);
  });
  const consistency = await drive(TREE_PROOFS, 1, async () => {
    const [from, to] = [randomSize(), randomSize()].sort((a, b) => a - b) as [number, number];
    await proofsFor().consistencyProof(from, to);
  });
  for (const [name, result, target] of [
    ['inclusion', inclusion, 2],
    ['consistency', consistency, 5],
  ] as const) {
    console.log(
      `${name} proof, in-process, ${cacheState} (${leafCount} leaves): p50 ${percentile(result.latencies, 0.5).toFixed(2)} ms, ` +
        `p99 ${percentile(result.latencies, 0.99).toFixed(2)} ms (target p99 < ${target} ms)${ceilingsNote()}`,
    );
  }
}

/** Where one cold proof's time went, in ms. */
interface ColdProofSplit {
  totalMs: number;
  /** The tile query, from the call to its parsed rows (GC pauses meanwhile included). */
  queryMs: number;
  /** tileSubtreesOf over the tiles read, as the cache's put runs it. */
  innerHashesMs: number;
  /** GC pauses that began while the query was awaited (inside queryMs) and outside it. */
  gcInQueryMs: number;
  gcOutsideQueryMs: number;
}

/**
 * What a cold inclusion proof's time is made of, measured on the proofs themselves: each proof
 * through StoredTreeProofs with a fresh cache (as the "no tile cached" figure), its tile query
 * timed at the pool, the inner subtree hashes of the tiles read timed where the cache computes
 * them (put), and the garbage collector's pauses (perf_hooks) counted against the proof and the
 * part they fell in. Printed for all proofs and for the slowest 1 % (what the p99 is made of).
 */
async function splitColdInclusionProofs(pool: pg.Pool, leafCount: number): Promise<void> {
  const proofs: (ColdProofSplit & { startedAt: number; queryWindows: [number, number][] })[] = [];
  let current = proofs[0];
  // The pool as StoredTreeProofs uses it, its queries timed; everything else is the pool's own.
  const timedPool = Object.create(pool, {
    query: {
      value: async (...args: unknown[]) => {
        const startedAt = performance.now();
        try {
          return await (pool.query as (...each: unknown[]) => Promise<unknown>)(...args);
        } finally {
          current!.queryWindows.push([startedAt, performance.now()]);
          current!.queryMs += performance.now() - startedAt;
        }
      },
    },
  }) as pg.Pool;
  class TimedTileCache extends TileCache {
    override put(...args: Parameters<TileCache['put']>) {
      const startedAt = performance.now();
      try {
        return super.put(...args);
      } finally {
        current!.innerHashesMs += performance.now() - startedAt;
      }
    }
  }
  const pauses: { startTime: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  try {
    for (let proof = 0; proof < TREE_PROOFS; proof++) {
      const leaf = Math.floor(Math.random() * leafCount);
      current = {
        totalMs: 0,
        queryMs: 0,
        innerHashesMs: 0,
        gcInQueryMs: 0,
        gcOutsideQueryMs: 0,
        startedAt: performance.now(),
        queryWindows: [],
      };
      proofs.push(current);
      await new StoredTreeProofs(timedPool, new TimedTileCache()).inclusionProof(leaf, leafCount);
      current.totalMs = performance.now() - current.startedAt;
    }
    // GC entries are delivered after the fact: let the last ones arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    observer.disconnect();
  }
  for (const pause of pauses) {
    const at = pause.startTime;
    const during = proofs.find(
      (each) => at >= each.startedAt && at < each.startedAt + each.totalMs,
    );
    if (!during) continue;
    if (during.queryWindows.some(([from, to]) => at >= from && at < to)) {
      during.gcInQueryMs += pause.duration;
    } else {
      during.gcOutsideQueryMs += pause.duration;
    }
  }
  const slowest = [...proofs]
    .sort((a, b) => a.totalMs - b.totalMs)
    .slice(Math.floor(proofs.length * 0.99));
  const mean = (part: keyof ColdProofSplit) =>
    (slowest.reduce((sum, each) => sum + each[part], 0) / slowest.length).toFixed(2);
  const quantiles = (part: keyof ColdProofSplit) => {
    const sorted = proofs.map((each) => each[part]).sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 0.5).toFixed(2)}, p99 ${percentile(sorted, 0.99).toFixed(2)}`;
  };
  const metGc = proofs.filter((each) => each.gcInQueryMs + each.gcOutsideQueryMs > 0).length;
  console.log(
    `cold inclusion proof, split (${TREE_PROOFS} proofs, fresh cache each, ${leafCount} leaves): ` +
      `total ${quantiles('totalMs')} ms; tile query ${quantiles('queryMs')}; ` +
      `inner subtree hashes ${quantiles('innerHashesMs')}; ${metGc} proofs met a GC pause ` +
      `(${pauses.length} pauses). Slowest 1 % (${slowest.length} proofs, from ${slowest[0]!.totalMs.toFixed(2)} ms), ` +
      `mean ${mean('totalMs')} ms: tile query ${mean('queryMs')} (of which GC ${mean('gcInQueryMs')}), ` +
      `inner hashes ${mean('innerHashesMs')}, GC outside the query ${mean('gcOutsideQueryMs')}${ceilingsNote()}`,
  );
}

/**
 * Both proof routes through a spawned API, sequential requests on one keep-alive connection,
 * each route on a freshly started API (an empty tile cache: its start-up warm-up off), cold then warm: the consistency
 * route between random sizes of the whole tree (cold: the first requests, whose level-0 tiles
 * the API has not read yet, the few upper tiles soon cached; warm: the same requests again); the
 * event proof route for real events at the whole tree's size (cold: one event in each level-0
 * tile of the real events not read before; warm: the same events again). Each block's leaves
 * are read (~150 ms) by an untimed request first: the API keeps eight blocks' leaves, so the
 * figure is the route's tree part, not re-reading blocks.
 */
async function timeProofRoutes(
  database: Database,
  databaseUrl: string,
  leafCount: number,
  realEvents: number,
): Promise<void> {
  const operator = await createOrganization(database, { name: 'Bench Operator', kind: 'operator' });
  const { key } = await issueApiKey(database, { orgId: operator.id, role: 'auditor' });
  const port = 3900 + Math.floor(Math.random() * 90);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ask = async (path: string) => {
    const answer = await get(agent, port, path, key);
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${answer.body}`);
  };
  const randomSize = () => 1 + Math.floor(Math.random() * leafCount);
  const pairs = Array.from({ length: HTTP_CONSISTENCY_PROOFS }, () =>
    [randomSize(), randomSize()].sort((a, b) => a - b),
  );
  await withApi(databaseUrl, port, async () => {
    for (const state of ['cold', 'warm']) {
      const timed = await drive(pairs.length, 1, async (index) => {
        await ask(`/v1/ledger/consistency?from=${pairs[index]![0]}&to=${pairs[index]![1]}`);
      });
      printRoute(`GET /v1/ledger/consistency?from=M&to=N, ${state}`, timed.latencies, leafCount, 5);
    }
  });
  const blocks = await eventSamplesByBlock(database.pool, realEvents);
  await withApi(databaseUrl, port, async () => {
    for (const state of ['cold', 'warm']) {
      const latencies: number[] = [];
      for (const { firstEventId, sampledEventIds } of blocks) {
        await ask(`/v1/ledger/events/${firstEventId}/proof?treeSize=${leafCount}`);
        for (const id of sampledEventIds) {
          const started = performance.now();
          await ask(`/v1/ledger/events/${id}/proof?treeSize=${leafCount}`);
          latencies.push(performance.now() - started);
        }
      }
      const note = `${state}, one event in each of ${latencies.length} level-0 tiles of the first ${realEvents} leaves`;
      printRoute(
        `GET /v1/ledger/events/:id/proof?treeSize=N, ${note}`,
        latencies.sort((a, b) => a - b),
        leafCount,
        2,
      );
    }
  });
  agent.destroy();
}

async function withApi(databaseUrl: string, port: number, work: () => Promise<void>) {
  // Cold means an empty cache: without the start-up warm-up, which would race the first requests.
  const api = await startApi(databaseUrl, port, { LEDGER_TILE_CACHE_WARM: 'false' });
  try {
    await work();
  } finally {
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
  }
}

function printRoute(what: string, sorted: number[], leafCount: number, targetMs: number): void {
  console.log(
    `${what} (HTTP, ${leafCount} leaves): p50 ${percentile(sorted, 0.5).toFixed(2)} ms, ` +
      `p99 ${percentile(sorted, 0.99).toFixed(2)} ms (${sorted.length} requests; the tree part's target p99 < ${targetMs} ms)${ceilingsNote()}`,
  );
}

/**
 * Per real block, in order: its first event (read untimed, for the block's leaves and the tiles
 * on its path) and one random event in each level-0 tile starting in the block whose tile that
 * first request did not read.
 */
async function eventSamplesByBlock(pool: pg.Pool, realEvents: number) {
  const { rows: blocks } = await pool.query<{ first_seq: string; last_seq: string }>(
    'SELECT first_seq::text, last_seq::text FROM ledger_blocks WHERE last_seq <= $1 ORDER BY height',
    [realEvents],
  );
  const samples = blocks.map((block) => {
    const first = Number(block.first_seq);
    const last = Number(block.last_seq);
    const firstTile = Math.floor((first - 1) / tileWidthMax);
    const seqs: number[] = [];
    for (let tile = firstTile + 1; tile * tileWidthMax < last; tile++) {
      const end = Math.min(last, (tile + 1) * tileWidthMax);
      seqs.push(tile * tileWidthMax + 1 + Math.floor(Math.random() * (end - tile * tileWidthMax)));
    }
    return { first, seqs };
  });
  const wanted = samples.flatMap(({ first, seqs }) => [first, ...seqs]);
  const { rows } = await pool.query<{ seq: string; id: string }>(
    'SELECT seq::text, id::text FROM ledger_events WHERE seq = ANY($1::bigint[])',
    [wanted],
  );
  const idOf = new Map(rows.map((row) => [Number(row.seq), row.id]));
  return samples.map(({ first, seqs }) => ({
    firstEventId: idOf.get(first)!,
    sampledEventIds: seqs.map((seq) => idOf.get(seq)!),
  }));
}
