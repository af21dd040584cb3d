// Chain verification: recomputes every payload hash, leaf, Merkle root and block hash
// from the stored rows, checks the links and that blocks cover every event exactly once,
// and that the transparency tree root each block records is the root of all events so far.
// Streams the events with a binary COPY and hashes their stored bytes as they arrive, so memory
// stays bounded by the largest block's leaves, not by the chain.
import { EnvelopeFieldError } from './envelope-bytes.js';
import { blockHashOf, GENESIS_PREV_HASH } from './formats.js';
import { sha256Bytes, toHex } from './hash.js';
import { merkleRootOfPacked, nodeHash } from './merkle.js';
import { CompactRange, subtreesOfRange } from './tlog/tree.js';
import { subtreeReaderOf } from './transparency-log.js';
import type { Queryable } from '../infra/db.js';
import {
  firstPayloadJsonChanged,
  payloadJsonGeneratedFromHashedText,
  readBlocks,
  LeavesBySeq,
  streamEventBytes,
  type StoredBlock,
  type StoredEventBytes,
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
  // While PostgreSQL generates the jsonb column from the hashed text, it cannot differ from it;
  // otherwise each block's jsonb is compared with the texts that hashed.
  const payloadJson: VerifyReport['payloadJson'] = (await payloadJsonGeneratedFromHashedText(db))
    ? 'generated'
    : 'compared';
  const walk = new ChainWalk(from, (eventsChecked) => onProgress({ eventsChecked, eventsTotal }));
  const failed = (failure: VerifyFailure): VerifyReport => ({
    ok: false,
    ...walk.verified(),
    unsealedEvents: 0,
    payloadJson,
    failure,
  });
  for (;;) {
    const after = walk.head.height;
    const blocks = await readBlocks(db, after, BLOCKS_PER_PAGE);
    if (blocks.length === 0) break;
    const treeRoots = await readTreeRoots(db, after, blocks.length);
    const check = { db, tree, treeRoots, payloadJson, walk };
    // Blocks that follow on from the one before are read as one range of events; a block that
    // does not is reported once those before it are verified.
    let linked = walk.head;
    let run: StoredBlock[] = [];
    let runEvents = 0;
    for (const block of blocks) {
      const linkFailure = checkLink(block, linked);
      if (
        linkFailure ||
        (run.length > 0 && runEvents + block.header.eventCount > EVENTS_PER_READ)
      ) {
        const failure = await verifyRun(check, run);
        if (failure) return failed(failure);
        run = [];
        runEvents = 0;
      }
      if (linkFailure) return failed(linkFailure);
      run.push(block);
      runEvents += block.header.eventCount;
      linked = pointOf(block);
    }
    const failure = await verifyRun(check, run);
    if (failure) return failed(failure);
  }
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
      ...failed({
        height: head.height + 1,
        reason: `after block ${head.height} the ledger holds ${tail.rows[0]!.held} events but its sequence says ${unsealedEvents}`,
      }),
      unsealedEvents,
    };
  }
  return { ok: true, ...walk.verified(), unsealedEvents, payloadJson };
}

/** The blocks verified so far, and the last of them: where a failure report stops counting. */
class ChainWalk {
  head: ChainPoint;
  private blocksChecked = 0;
  private eventsChecked = 0;

  constructor(
    from: ChainPoint,
    private readonly onVerified: (eventsChecked: number) => void,
  ) {
    this.head = from;
  }

  verified(): { blocksChecked: number; eventsChecked: number; head: ChainPoint } {
    return {
      blocksChecked: this.blocksChecked,
      eventsChecked: this.eventsChecked,
      head: this.head,
    };
  }

  add(block: StoredBlock): void {
    this.head = pointOf(block);
    this.blocksChecked += 1;
    this.eventsChecked += block.header.eventCount;
    this.onVerified(this.eventsChecked);
  }
}

function pointOf(block: StoredBlock): ChainPoint {
  return { height: block.header.height, hash: block.hash, lastSeq: BigInt(block.header.lastSeq) };
}

interface RunCheck {
  db: Queryable;
  tree: CompactRange | undefined;
  treeRoots: Map<number, string | null>;
  payloadJson: VerifyReport['payloadJson'];
  walk: ChainWalk;
}

/**
 * Verifies the events of blocks already linked, each following on from the one before: reads
 * their whole range in one go, in whatever order PostgreSQL finds the rows (asked for seq order,
 * a planner without statistics sorted the whole read before sending its first row), each event's
 * payload hash and leaf checked as it arrives and the leaf kept at its seq's place; then, block
 * by block in order, its events' presence and the first bad one, its count, Merkle root and tree
 * root. Returns the first failure; every block before it is added to the walk.
 */
async function verifyRun(
  { db, tree, treeRoots, payloadJson, walk }: RunCheck,
  run: readonly StoredBlock[],
): Promise<VerifyFailure | undefined> {
  if (run.length === 0) return undefined;
  const firstSeq = BigInt(run[0]!.header.firstSeq);
  const lastSeq = BigInt(run[run.length - 1]!.header.lastSeq);
  const events = new RunEvents(firstSeq, lastSeq);
  await streamEventBytes(db, firstSeq, lastSeq, (event) => events.add(event));
  for (const block of run) {
    const failure = await blockVerdict(block, events, {
      db,
      tree,
      treeRoot: treeRoots.get(block.header.height),
      payloadJson,
    });
    if (failure) return failure;
    walk.add(block);
  }
  return undefined;
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

/**
 * At most this many events are read in one go (whole blocks, so more for a larger block): the
 * walk reports progress, and the jsonb comparison runs, between reads.
 */
const EVENTS_PER_READ = 100_000;

/** Room for this many leaves (4 MiB, a whole read) is made at first; more as events arrive. */
const LEAVES_RESERVED_MAX = 131_072;

/** An event found bad: the place of its seq in the run, what is wrong, and its id. */
interface BadEvent {
  index: number;
  reason: string;
  eventId: string;
}

/**
 * The events of a run as they arrive, in any order: each one's payload hash and leaf are checked
 * and the leaf is kept at the place of its seq, so blocks can be judged in order afterwards.
 * Keeps the bad event of lowest seq: the first failure is in its block or before.
 */
class RunEvents {
  readonly places: LeavesBySeq;
  firstBad: BadEvent | undefined;

  constructor(firstSeq: bigint, lastSeq: bigint) {
    const reserved = Math.max(0, Math.min(Number(lastSeq - firstSeq + 1n), LEAVES_RESERVED_MAX));
    this.places = new LeavesBySeq(firstSeq, lastSeq, reserved);
  }

  add(event: StoredEventBytes): void {
    const index = this.places.place(event);
    if (this.firstBad && this.firstBad.index < index) return;
    if (!event.payloadHashMatches()) {
      this.bad(index, 'payload does not match its payloadHash', event);
      return;
    }
    try {
      event.leafInto(this.places.leaves, index * sha256Bytes);
    } catch (error) {
      if (!(error instanceof EnvelopeFieldError)) throw error;
      this.bad(index, error.message, event);
    }
  }

  private bad(index: number, reason: string, event: StoredEventBytes): void {
    this.firstBad = { index, reason, eventId: event.id() };
  }
}

interface BlockCheck {
  db: Queryable;
  tree: CompactRange | undefined;
  /** The tree root the block recorded (null for blocks older than the tree, until it is built). */
  treeRoot: string | null | undefined;
  payloadJson: VerifyReport['payloadJson'];
}

/**
 * A block's first failure, or undefined when it is verified (its leaves are then in the tree). In
 * seq order: an event missing or bad; the count; the Merkle root; the tree root. Where the jsonb
 * column is compared, a change there to an event before the block's own bad one (or anywhere in a
 * block otherwise good) is the one named; a wrong count or Merkle root condemns the whole block.
 */
async function blockVerdict(
  block: StoredBlock,
  events: RunEvents,
  { db, tree, treeRoot, payloadJson }: BlockCheck,
): Promise<VerifyFailure | undefined> {
  const { header } = block;
  const blockFirstSeq = BigInt(header.firstSeq);
  const { places } = events;
  const start = Number(blockFirstSeq - places.firstSeq);
  // Where the block's range ends by its header, within the places that exist.
  const end = Math.min(Number(BigInt(header.lastSeq) - places.firstSeq) + 1, places.arrived.length);
  let arrivedCount = 0;
  let firstMissing = -1;
  let lastArrived = -1;
  for (let index = start; index < end; index++) {
    if (places.arrived[index] === 1) {
      arrivedCount += 1;
      lastArrived = index;
    } else if (firstMissing === -1) {
      firstMissing = index;
    }
  }
  const seqAt = (index: number) => (places.firstSeq + BigInt(index)).toString();
  // An event missing before one that arrived; one missing after all that arrived is the count's.
  const missing = firstMissing !== -1 && firstMissing < lastArrived ? firstMissing : -1;
  const bad = events.firstBad && events.firstBad.index < end ? events.firstBad : undefined;
  let own: VerifyFailure | undefined;
  let goodBefore = end;
  if (missing !== -1 && (!bad || missing < bad.index)) {
    own = { height: header.height, eventSeq: seqAt(missing), reason: 'event missing' };
    goodBefore = missing;
  } else if (bad) {
    own = {
      height: header.height,
      eventSeq: seqAt(bad.index),
      eventId: bad.eventId,
      reason: bad.reason,
    };
    goodBefore = bad.index;
  } else if (arrivedCount !== header.eventCount) {
    return {
      height: header.height,
      eventSeq: seqAt(start + arrivedCount),
      reason: `block declares ${header.eventCount} events but ${arrivedCount} exist`,
    };
  } else {
    const packed = places.leaves.subarray(start * sha256Bytes, end * sha256Bytes);
    if (toHex(merkleRootOfPacked(packed)) !== header.merkleRoot) {
      return {
        height: header.height,
        reason:
          'Merkle root of the events does not match the block (an envelope field was changed)',
      };
    }
    if (tree) {
      // The tree keeps views of the leaves, not copies: the run's leaves are never written over.
      for (let index = start; index < end; index++) {
        tree.append(places.leafAt(index));
      }
    }
    own = treeRootFailure(block, tree, treeRoot);
  }
  if (payloadJson === 'generated' || goodBefore === start) return own;
  // Only the texts that hashed: they are the JSON that was appended, so the cast cannot fail.
  const changed = await firstPayloadJsonChanged(
    db,
    blockFirstSeq,
    places.firstSeq + BigInt(goodBefore - 1),
  );
  return changed ? jsonChangedFailure(header.height, changed) : own;
}

function jsonChangedFailure(height: number, event: { seq: string; id: string }): VerifyFailure {
  return {
    height,
    eventSeq: event.seq,
    eventId: event.id,
    reason: 'payload JSON no longer matches the canonical text that was hashed',
  };
}
