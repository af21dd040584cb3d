// Chain verification: recomputes every payload hash, leaf, Merkle root and block hash
// from the stored rows, checks the links and that blocks cover every event exactly once,
// and that the transparency tree root each block records is the root of all events so far.
// Streams runs of events, so memory stays bounded by a run and the largest block's leaves, not
// by the chain.
import { setImmediate } from 'node:timers/promises';
import pg from 'pg';
import { canonicalJson } from './canonical.js';
import { blockHashOf, eventLeafHash, GENESIS_PREV_HASH } from './formats.js';
import { sha256Hex, toHex } from './hash.js';
import { merkleRoot, nodeHash } from './merkle.js';
import { CompactRange, subtreesOfRange } from './tlog/tree.js';
import { subtreeReaderOf } from './transparency-log.js';
import type { Queryable } from '../infra/db.js';
import {
  firstPayloadJsonChanged,
  payloadJsonGeneratedFromHashedText,
  readBlocks,
  readEnvelopesWithPayload,
  type StoredBlock,
} from './read.js';

export interface VerifyFailure {
  height: number;
  eventSeq?: string;
  eventId?: string;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  blocksChecked: number;
  eventsChecked: number;
  /** Events appended after the last block, waiting for the sealer. */
  unsealedEvents: number;
  /** The last block checked (or the starting point when none was): where a later run resumes. */
  head: ChainPoint;
  /**
   * How each payload's jsonb column was held to its hashed text: `generated`, PostgreSQL makes
   * it from the text (nothing to compare); `compared`, event by event, because the column's
   * expression is gone, which only someone changing the JSON alone has reason to do.
   */
  payloadJson: 'generated' | 'compared';
  failure?: VerifyFailure;
}

/** A block the chain was verified through: its height, hash and last event. */
export interface ChainPoint {
  height: number;
  hash: string;
  lastSeq: bigint;
}

/** Before block 1. */
export const GENESIS_POINT: ChainPoint = { height: 0, hash: GENESIS_PREV_HASH, lastSeq: 0n };

export interface VerifyProgress {
  eventsChecked: number;
  eventsTotal: number;
}

const BLOCKS_PER_PAGE = 100;

/**
 * Verifies the chain from block 1, or from the block after `from` (a block verified before,
 * trusted as it was then: an incremental check of what was sealed since).
 */
export async function verifyChain(
  db: Queryable,
  onProgress: (progress: VerifyProgress) => void = () => {},
  from: ChainPoint = GENESIS_POINT,
): Promise<VerifyReport> {
  const totals = await db.query<{ next_seq: string }>(
    'SELECT next_seq FROM ledger_sequence WHERE id = 1',
  );
  const eventsTotal = Number(BigInt(totals.rows[0]!.next_seq) - 1n - from.lastSeq);
  const tree = await treeAt(db, from);
  const inTurn = oneQueryAtATime(db);
  // While PostgreSQL generates the jsonb column from the hashed text, it cannot differ from it;
  // otherwise each event's jsonb is compared with its text. On a pool those comparisons take a
  // second connection: PostgreSQL compares the events just hashed while it reads the next ones.
  // A single client runs them all in one queue.
  const payloadJson = (await payloadJsonGeneratedFromHashedText(db)) ? 'generated' : 'compared';
  const checksInTurn =
    payloadJson === 'generated' ? undefined : db instanceof pg.Pool ? oneQueryAtATime(db) : inTurn;
  const walk = new ChainWalk(from, (walked) => onProgress({ ...walked, eventsTotal }));
  const failed = async (failure: VerifyFailure): Promise<VerifyReport> => {
    // Nothing is left running on a single client when it is handed back.
    await Promise.all([inTurn.idle(), checksInTurn?.idle()]);
    return { ok: false, ...walk.verified(), unsealedEvents: 0, payloadJson, failure };
  };
  for (;;) {
    const after = walk.linked.height;
    const blocks = await inTurn((queryable) => readBlocks(queryable, after, BLOCKS_PER_PAGE));
    if (blocks.length === 0) break;
    const treeRoots = await inTurn((queryable) => readTreeRoots(queryable, after, blocks.length));
    // The database reads the next run of events (and, if the jsonb column is not generated,
    // compares it for the runs already hashed) while this process hashes this one.
    const reads = blocks.flatMap(readsOf);
    const readEvents = ({ firstSeq, lastSeq }: EventsRead) =>
      inTurn((queryable) => readEnvelopesWithPayload(queryable, firstSeq, lastSeq));
    let next = readEvents(reads[0]!);
    let check: BlockEventsCheck | undefined;
    for (const [index, read] of reads.entries()) {
      const events = await next;
      const following = reads[index + 1];
      if (following) next = readEvents(following);
      if (read.isFirst) check = new BlockEventsCheck(read.block, checksInTurn, tree);
      await check!.add(events);
      if (!read.isLast) continue;
      const { block } = read;
      const linkFailure = checkLink(block, walk.linked);
      const verdict = linkFailure
        ? foundHere(linkFailure)
        : check!.finish(treeRoots.get(block.header.height));
      // Only now the verdict on the block before: PostgreSQL gave it while this one was hashed.
      const failure = (await walk.settle()) ?? (await walk.link(block, verdict));
      if (failure) return failed(failure);
    }
  }
  const lastFailure = await walk.settle();
  if (lastFailure) return failed(lastFailure);
  const { head } = walk.verified();
  // One statement, so one snapshot: on a live ledger, blocks and events keep coming while the
  // chain is walked, and the sequence read at the start is long out of date by now.
  const tail = await db.query<{ expected: string; held: string }>(
    `SELECT (SELECT next_seq FROM ledger_sequence WHERE id = 1) - 1 - $1::bigint AS expected,
            (SELECT count(*) FROM ledger_events WHERE seq > $1::bigint) AS held`,
    [head.lastSeq.toString()],
  );
  const unsealedEvents = Number(tail.rows[0]!.expected);
  if (Number(tail.rows[0]!.held) !== unsealedEvents) {
    return {
      ok: false,
      ...walk.verified(),
      unsealedEvents,
      payloadJson,
      failure: {
        height: head.height + 1,
        reason: `after block ${head.height} the ledger holds ${tail.rows[0]!.held} events but its sequence says ${unsealedEvents}`,
      },
    };
  }
  return { ok: true, ...walk.verified(), unsealedEvents, payloadJson };
}

/**
 * Where the walk is: the last block linked (its header and events checked here) and the last one
 * verified. They differ by the block whose jsonb verdict PostgreSQL has still to give; that block
 * counts as verified only once the verdict is in, so a report names the first bad block and
 * counts only the blocks before it, whichever check found it.
 */
class ChainWalk {
  linked: ChainPoint;
  private head: ChainPoint;
  private blocksChecked = 0;
  private eventsChecked = 0;
  private awaiting: { point: ChainPoint; eventCount: number; verdict: BlockVerdict } | undefined;

  constructor(
    from: ChainPoint,
    private readonly onVerified: (walked: { eventsChecked: number }) => void,
  ) {
    this.linked = from;
    this.head = from;
  }

  verified(): { blocksChecked: number; eventsChecked: number; head: ChainPoint } {
    return {
      blocksChecked: this.blocksChecked,
      eventsChecked: this.eventsChecked,
      head: this.head,
    };
  }

  /** Waits for the verdict on the last block linked: its failure, or it is verified. */
  async settle(): Promise<VerifyFailure | undefined> {
    const awaiting = this.awaiting;
    if (!awaiting) return undefined;
    this.awaiting = undefined;
    const failure = await awaiting.verdict.failure;
    if (failure) return failure;
    this.head = awaiting.point;
    this.blocksChecked += 1;
    this.eventsChecked += awaiting.eventCount;
    this.onVerified({ eventsChecked: this.eventsChecked });
    return undefined;
  }

  /** The block follows the last one linked; its failure at once when this process found one. */
  async link(block: StoredBlock, verdict: BlockVerdict): Promise<VerifyFailure | undefined> {
    const point = {
      height: block.header.height,
      hash: block.hash,
      lastSeq: BigInt(block.header.lastSeq),
    };
    this.awaiting = { point, eventCount: block.header.eventCount, verdict };
    this.linked = point;
    return verdict.found ? this.settle() : undefined;
  }
}

/**
 * The tree as of `from`: empty at genesis; otherwise rebuilt from the stored tiles (trusted as
 * the block was when it was verified). Undefined when that block predates the tree (a chain not
 * yet migrated): the tree is then not checked.
 */
async function treeAt(db: Queryable, from: ChainPoint): Promise<CompactRange | undefined> {
  if (from.height === 0) return new CompactRange(nodeHash);
  const { rows } = await db.query<{ built: boolean }>(
    'SELECT tree_root IS NOT NULL AS built FROM ledger_blocks WHERE height = $1',
    [from.height],
  );
  if (!rows[0]?.built) return undefined;
  const size = Number(from.lastSeq);
  const hashes = await subtreeReaderOf(db)(subtreesOfRange({ start: 0, end: size }));
  return CompactRange.of(size, hashes, nodeHash);
}

/** The tree roots blocks recorded (null for blocks older than the tree, until it is built). */
async function readTreeRoots(
  db: Queryable,
  afterHeight: number,
  limit: number,
): Promise<Map<number, string | null>> {
  const { rows } = await db.query<{ height: number; tree_root: string | null }>(
    'SELECT height, tree_root FROM ledger_blocks WHERE height > $1 ORDER BY height LIMIT $2',
    [afterHeight, limit],
  );
  return new Map(rows.map((row) => [row.height, row.tree_root]));
}

/** Compares the tree, grown by the block's leaves, with the root the block recorded. */
function treeRootFailure(
  block: StoredBlock,
  tree: CompactRange | undefined,
  treeRoot: string | null | undefined,
): VerifyFailure | undefined {
  if (!tree || treeRoot === null || treeRoot === undefined) return undefined;
  if (toHex(tree.root()) !== treeRoot) {
    return {
      height: block.header.height,
      reason: `transparency tree root after the block (size ${tree.size}) does not match the events`,
    };
  }
  return undefined;
}

function checkLink(block: StoredBlock, previous: ChainPoint): VerifyFailure | undefined {
  const { header } = block;
  const fail = (reason: string) => ({ height: header.height, reason });
  if (header.height !== previous.height + 1) {
    return fail(`block height ${header.height} follows ${previous.height}`);
  }
  if (header.prevHash !== previous.hash) {
    return fail(`prevHash does not match the hash of block ${previous.height}`);
  }
  if (BigInt(header.firstSeq) !== previous.lastSeq + 1n) {
    return fail(`firstSeq ${header.firstSeq} does not follow lastSeq ${previous.lastSeq}`);
  }
  if (blockHashOf(header) !== block.hash) {
    return fail('block hash does not match its header');
  }
  return undefined;
}

interface QueryInTurn {
  <T>(query: (db: Queryable) => Promise<T>): Promise<T>;
  /** Resolves once every query asked for so far is done, failed or not. */
  idle(): Promise<void>;
}

/**
 * Queries on `db` one at a time, in the order they are asked for, each once the one before it
 * is done: `db` may be a single client (reconciliation's snapshot), which must not be handed a
 * query while it runs one. A failed query is kept in its promise (awaited where it is used), so
 * an early return on a bad block leaves no rejection unhandled.
 */
function oneQueryAtATime(db: Queryable): QueryInTurn {
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(query: (db: Queryable) => Promise<T>) => {
    const result = last.catch(() => undefined).then(() => query(db));
    result.catch(() => undefined);
    last = result;
    return result;
  };
  return Object.assign(inTurn, {
    idle: () =>
      last.then(
        () => undefined,
        () => undefined,
      ),
  });
}

/** At most this many events are read at once: a block's are read in runs of it. */
const EVENTS_PER_READ = 2_000;

/**
 * This thread sends each query once the one before it has finished, and sees that only when it
 * is not hashing: it lets go between this many events (~0.4 ms), so PostgreSQL is not left idle
 * until a whole run is hashed.
 */
const EVENTS_HASHED_PER_TURN = 250;

/** A run of a block's events to read: the block's first, its last, or both. */
interface EventsRead {
  block: StoredBlock;
  firstSeq: bigint;
  lastSeq: bigint;
  isFirst: boolean;
  isLast: boolean;
}

function readsOf(block: StoredBlock): EventsRead[] {
  const firstSeq = BigInt(block.header.firstSeq);
  const lastSeq = BigInt(block.header.lastSeq);
  const reads: EventsRead[] = [];
  for (let start = firstSeq; start <= lastSeq; start += BigInt(EVENTS_PER_READ)) {
    const end = start + BigInt(EVENTS_PER_READ) - 1n;
    reads.push({
      block,
      firstSeq: start,
      lastSeq: end < lastSeq ? end : lastSeq,
      isFirst: start === firstSeq,
      isLast: end >= lastSeq,
    });
  }
  return reads;
}

type StoredEvents = Awaited<ReturnType<typeof readEnvelopesWithPayload>>;

/**
 * What checking a block found: `found` when this process found it bad itself; `failure` settles
 * once PostgreSQL has also compared the block's jsonb column, since a change there may be the
 * block's first bad event.
 */
interface BlockVerdict {
  found: boolean;
  failure: Promise<VerifyFailure | undefined>;
}

function foundHere(failure: VerifyFailure): BlockVerdict {
  return { found: true, failure: Promise.resolve(failure) };
}

/**
 * Checks a block's events, a read at a time as they arrive, and grows the tree by them. Their
 * payload texts are hashed here first; where the jsonb column is not generated from them,
 * PostgreSQL then compares it with the texts that hashed (the only ones it can parse for sure),
 * while this process goes on hashing.
 */
class BlockEventsCheck {
  private readonly leaves: Uint8Array[] = [];
  private readonly jsonChanges: Promise<{ seq: string; id: string } | undefined>[] = [];
  private eventsRead = 0;
  private payloadFailure: VerifyFailure | undefined;

  constructor(
    private readonly block: StoredBlock,
    /** Where each run's jsonb is compared with its hashed text; none while it is generated. */
    private readonly checksInTurn: QueryInTurn | undefined,
    private readonly tree: CompactRange | undefined,
  ) {}

  /** The next events of the block, in seq order. */
  async add(events: StoredEvents): Promise<void> {
    const hashedBefore = this.leaves.length;
    for (
      let start = 0;
      start < events.length && !this.payloadFailure; // after the first bad event, none is needed
      start += EVENTS_HASHED_PER_TURN
    ) {
      await setImmediate(); // see EVENTS_HASHED_PER_TURN
      const slice = events.slice(start, start + EVENTS_HASHED_PER_TURN);
      this.eventsRead += slice.length;
      const leavesBefore = this.leaves.length;
      this.payloadFailure = checkPayloads(this.block.header, slice, this.leaves);
      // As they are proven, a slice at a time: growing it in one go at the block's end held
      // the thread ~4 ms per 10,000 events. A bad block ends the walk, whatever the tree holds.
      for (let index = leavesBefore; index < this.leaves.length; index++) {
        this.tree?.append(this.leaves[index]!);
      }
    }
    if (this.leaves.length === hashedBefore || !this.checksInTurn) return;
    // The events that hashed as appended: the ones just read, up to any that did not.
    const firstSeq = BigInt(this.block.header.firstSeq);
    const from = firstSeq + BigInt(hashedBefore);
    const to = firstSeq + BigInt(this.leaves.length - 1);
    this.jsonChanges.push(this.checksInTurn((db) => firstPayloadJsonChanged(db, from, to)));
  }

  /** Once every event is added: the block's verdict, the first bad event named whichever way. */
  finish(treeRoot: string | null | undefined): BlockVerdict {
    const { header } = this.block;
    const jsonChanged = Promise.all(this.jsonChanges).then((changes) =>
      changes.find((change) => change !== undefined),
    );
    const jsonFirst = (otherwise: VerifyFailure | undefined) =>
      jsonChanged.then((changed) =>
        changed ? jsonChangedFailure(header.height, changed) : otherwise,
      );
    if (this.payloadFailure) return { found: true, failure: jsonFirst(this.payloadFailure) };
    const coverageFailure = blockCoverageFailure(header, this.eventsRead, this.leaves);
    // Reported before a jsonb change, as always: they condemn the whole block.
    if (coverageFailure) return { found: true, failure: jsonChanged.then(() => coverageFailure) };
    // The canonical texts are proven; the jsonb column that queries read must still agree.
    const treeFailure = treeRootFailure(this.block, this.tree, treeRoot);
    return { found: treeFailure !== undefined, failure: jsonFirst(treeFailure) };
  }
}

/** Events missing at the block's end, or leaves (envelopes) that do not make its Merkle root. */
function blockCoverageFailure(
  header: StoredBlock['header'],
  eventsRead: number,
  leaves: readonly Uint8Array[],
): VerifyFailure | undefined {
  if (eventsRead !== header.eventCount) {
    return {
      height: header.height,
      eventSeq: (BigInt(header.firstSeq) + BigInt(eventsRead)).toString(),
      reason: `block declares ${header.eventCount} events but ${eventsRead} exist`,
    };
  }
  if (toHex(merkleRoot(leaves)) !== header.merkleRoot) {
    return {
      height: header.height,
      reason: 'Merkle root of the events does not match the block (an envelope field was changed)',
    };
  }
  return undefined;
}

/**
 * Checks each event's seq and payload hash, in order, and adds the leaf of each good one to
 * `leaves` (which holds those of the block's events before them); stops at the first bad one
 * and says what is wrong with it.
 */
function checkPayloads(
  header: StoredBlock['header'],
  events: StoredEvents,
  leaves: Uint8Array[],
): VerifyFailure | undefined {
  const firstSeq = BigInt(header.firstSeq) + BigInt(leaves.length);
  // Plain numbers while they are exact: a BigInt sum per event measured ~0.2 µs.
  const exact = firstSeq + BigInt(events.length) <= BigInt(Number.MAX_SAFE_INTEGER);
  for (const [index, { envelope, payload }] of events.entries()) {
    const expectedSeq = exact
      ? String(Number(firstSeq) + index)
      : (firstSeq + BigInt(index)).toString();
    if (envelope.seq !== expectedSeq) {
      return { height: header.height, eventSeq: expectedSeq, reason: 'event missing' };
    }
    // The stored bytes that were hashed; only events older than them are serialized again.
    const hashed =
      'canonical' in payload ? payload.canonical : canonicalJson(JSON.parse(payload.jsonb));
    if (sha256Hex(hashed) !== envelope.payloadHash) {
      return {
        height: header.height,
        eventSeq: envelope.seq,
        eventId: envelope.id,
        reason: 'payload does not match its payloadHash',
      };
    }
    leaves.push(eventLeafHash(envelope));
  }
  return undefined;
}

function jsonChangedFailure(height: number, event: { seq: string; id: string }): VerifyFailure {
  return {
    height,
    eventSeq: event.seq,
    eventId: event.id,
    reason: 'payload JSON no longer matches the canonical text that was hashed',
  };
}
