// Reading the ledger: events by seq range, blocks, the chain head, and inclusion proofs
// carrying everything needed to check them offline.
import type { Queryable } from '../infra/db.js';
import { copyBinaryRows, type BinaryCopyRow } from '../infra/pg-copy.js';
import { canonicalJson, type JsonValue } from './canonical.js';
import { EnvelopeLeafWriter, type BinaryEnvelopeFields } from './envelope-bytes.js';
import {
  envelopeOf,
  eventLeafHash,
  type BlockHeader,
  type EventEnvelope,
  type LedgerEvent,
} from './formats.js';
import { sha256Bytes, sha256Hex, toHex } from './hash.js';
import { MerkleLevels } from './merkle.js';
import type { EventProof } from './proof.js';

export interface ChainHead {
  height: number;
  hash: string;
  lastSeq: bigint;
}

export interface StoredBlock {
  header: BlockHeader;
  hash: string;
}

export interface StoredEvent extends LedgerEvent {
  partyOrgIds: string[];
}

interface EventRow {
  seq: string;
  id: string;
  type: string;
  aggregate_id: string;
  actor_org_id: string;
  created_at: Date;
  payload: JsonValue | null;
  payload_hash: string;
  party_org_ids: string[] | null;
}

const EVENT_COLUMNS =
  'seq, id, type, aggregate_id, actor_org_id, created_at, payload_hash, party_org_ids';

function toEvent(row: EventRow): StoredEvent {
  return {
    seq: BigInt(row.seq),
    id: row.id,
    type: row.type,
    aggregateId: row.aggregate_id,
    actorOrgId: row.actor_org_id,
    createdAt: row.created_at,
    payload: row.payload ?? null,
    payloadHash: row.payload_hash,
    partyOrgIds: row.party_org_ids ?? [],
  };
}

/**
 * A timestamptz column as ISO 8601 UTC with milliseconds, spelled by PostgreSQL as
 * Date#toISOString spells it (cheaper than parsing Dates to print them again).
 */
export function isoMillisecondsOf(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

// Envelope columns as the text the envelope holds: seq as a decimal string and created_at
// in ISO 8601 UTC with milliseconds.
const ENVELOPE_COLUMNS = `seq::text, id::text, type, aggregate_id, actor_org_id::text,
  ${isoMillisecondsOf('created_at')}, payload_hash`;

type EnvelopeRow = [string, string, string, string, string, string, string];

/** The envelope of a row whose first columns are ENVELOPE_COLUMNS. */
function envelopeOfRow(row: readonly [...EnvelopeRow, ...unknown[]]): EventEnvelope {
  return {
    v: 1,
    seq: row[0],
    id: row[1],
    type: row[2],
    aggregateId: row[3],
    actorOrgId: row[4],
    createdAt: row[5],
    payloadHash: row[6],
  };
}

/** Envelopes of the events firstSeq..lastSeq in seq order: what sealing and proofs hash. */
export async function readEnvelopes(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<EventEnvelope[]> {
  const { rows } = await db.query<EnvelopeRow>({
    text: `SELECT ${ENVELOPE_COLUMNS} FROM ledger_events WHERE seq BETWEEN $1 AND $2 ORDER BY ledger_events.seq`,
    values: [firstSeq.toString(), lastSeq.toString()],
    rowMode: 'array',
  });
  return rows.map(envelopeOfRow);
}

// The columns sealing and verification read, in PostgreSQL's binary format: seqs, uuids and
// timestamps as their bytes, which PostgreSQL sends ~2.5x faster than when it formats them as text
// (measured), and the payload as the stored text that was hashed, or, for events older than it,
// the jsonb's text.
const EVENT_BYTES_COLUMNS = `seq, id, type, aggregate_id, actor_org_id, created_at, payload_hash,
  payload_canonical, CASE WHEN payload_canonical IS NULL THEN payload::text END`;
const EventBytesColumn = {
  Seq: 0,
  Id: 1,
  Type: 2,
  AggregateId: 3,
  ActorOrgId: 4,
  CreatedAt: 5,
  PayloadHash: 6,
  PayloadCanonical: 7,
  PayloadJsonbText: 8,
  Count: 9,
} as const;

/**
 * One stored event as sealing and verification read it: its columns' bytes, valid only during
 * the callback that receives it (the next event reuses it).
 */
export class StoredEventBytes {
  private readonly fields: BinaryEnvelopeFields = {
    bytes: Buffer.alloc(0),
    seqAt: 0,
    idAt: 0,
    typeStart: 0,
    typeEnd: 0,
    aggregateIdStart: 0,
    aggregateIdEnd: 0,
    actorOrgIdAt: 0,
    createdAtAt: 0,
    payloadHashStart: 0,
    payloadHashEnd: 0,
  };

  private readonly leafWriter = new EnvelopeLeafWriter();

  constructor(private readonly row: BinaryCopyRow) {}

  /** Points this view at the row just read. */
  load(): void {
    const { row, fields } = this;
    if (row.fieldCount !== EventBytesColumn.Count) {
      throw new Error(`an event row of ${row.fieldCount} columns`);
    }
    fields.bytes = row.bytes;
    fields.seqAt = row.start(EventBytesColumn.Seq);
    fields.idAt = row.start(EventBytesColumn.Id);
    fields.typeStart = row.start(EventBytesColumn.Type);
    fields.typeEnd = row.end(EventBytesColumn.Type);
    fields.aggregateIdStart = row.start(EventBytesColumn.AggregateId);
    fields.aggregateIdEnd = row.end(EventBytesColumn.AggregateId);
    fields.actorOrgIdAt = row.start(EventBytesColumn.ActorOrgId);
    fields.createdAtAt = row.start(EventBytesColumn.CreatedAt);
    fields.payloadHashStart = row.start(EventBytesColumn.PayloadHash);
    fields.payloadHashEnd = row.end(EventBytesColumn.PayloadHash);
  }

  /** The seq, exactly: a number below 2^53, past it a bigint. */
  seq(): number | bigint {
    const { bytes, seqAt } = this.fields;
    const high = bytes.readUInt32BE(seqAt);
    return high < 0x200000
      ? high * 0x1_0000_0000 + bytes.readUInt32BE(seqAt + 4)
      : bytes.readBigInt64BE(seqAt);
  }

  id(): string {
    const { bytes, idAt } = this.fields;
    const hex = bytes.toString('hex', idAt, idAt + 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /**
   * Whether the payload hashes to the payloadHash its envelope holds: the stored bytes that were
   * hashed at append, or (events older than them) the jsonb serialized again.
   */
  payloadHashMatches(): boolean {
    const { row, fields } = this;
    const { bytes } = fields;
    const digest = row.isNull(EventBytesColumn.PayloadCanonical)
      ? sha256Hex(
          canonicalJson(
            JSON.parse(
              bytes.toString(
                'utf8',
                row.start(EventBytesColumn.PayloadJsonbText),
                row.end(EventBytesColumn.PayloadJsonbText),
              ),
            ) as JsonValue,
          ),
        )
      : sha256Hex(
          bytes.subarray(
            row.start(EventBytesColumn.PayloadCanonical),
            row.end(EventBytesColumn.PayloadCanonical),
          ),
        );
    const { payloadHashStart: start, payloadHashEnd: end } = fields;
    if (end - start !== digest.length) return false;
    for (let index = 0; index < digest.length; index++) {
      if (bytes[start + index] !== digest.charCodeAt(index)) return false;
    }
    return true;
  }

  /** Writes the event's leaf hash into `target` at `offset`; throws EnvelopeFieldError. */
  leafInto(target: Uint8Array, offset: number): void {
    this.leafWriter.leafInto(this.fields, target, offset);
  }
}

const MAX_EXACT_SEQ = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Room for the leaves of a seq range whose events arrive in any order: the leaf of seq
 * firstSeq + i is kept at i * 32 of `leaves`, and `arrived[i]` is 1 once it has come. Grows to
 * the places events arrive at, never to the range asked for: a range read from a block header is
 * the header's word, and a changed header can claim any.
 */
export class LeavesBySeq {
  leaves: Uint8Array;
  arrived: Uint8Array;
  count = 0;
  private readonly firstSeqNumber: number;
  private readonly exact: boolean;

  constructor(
    readonly firstSeq: bigint,
    lastSeq: bigint,
    reserved: number,
  ) {
    // Plain numbers while seqs are exact: a BigInt per event measured ~0.2 µs.
    this.exact = lastSeq <= MAX_EXACT_SEQ;
    this.firstSeqNumber = Number(firstSeq);
    this.leaves = new Uint8Array(reserved * sha256Bytes);
    this.arrived = new Uint8Array(reserved);
  }

  /** Marks the event arrived and returns its place, seq - firstSeq (`leaves` may have grown). */
  place(event: StoredEventBytes): number {
    const seq = event.seq();
    const index =
      this.exact && typeof seq === 'number'
        ? seq - this.firstSeqNumber
        : Number(BigInt(seq) - this.firstSeq);
    if (index >= this.arrived.length) this.grow(index + 1);
    this.arrived[index] = 1;
    this.count += 1;
    return index;
  }

  /** The leaf at a place, as a view. */
  leafAt(index: number): Uint8Array {
    return this.leaves.subarray(index * sha256Bytes, (index + 1) * sha256Bytes);
  }

  private grow(places: number): void {
    const size = Math.max(places, 2 * this.arrived.length, 64);
    const leaves = new Uint8Array(size * sha256Bytes);
    leaves.set(this.leaves);
    this.leaves = leaves;
    const arrived = new Uint8Array(size);
    arrived.set(this.arrived);
    this.arrived = arrived;
  }
}

/**
 * Streams the events firstSeq..lastSeq to `onEvent` as they arrive, in no particular order (the
 * order PostgreSQL finds them in: concurrent appenders fill pages of their own, so it is not seq
 * order): one binary COPY, so memory holds a network read's worth of rows, whatever the range.
 */
export function streamEventBytes(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
  onEvent: (event: StoredEventBytes) => void,
): Promise<void> {
  // COPY takes no parameters; the bounds are bigints, spelled by BigInt itself.
  const statement = `COPY (SELECT ${EVENT_BYTES_COLUMNS} FROM ledger_events
                            WHERE seq BETWEEN ${firstSeq.toString()} AND ${lastSeq.toString()})
                     TO STDOUT (FORMAT binary)`;
  let event: StoredEventBytes | undefined;
  return copyBinaryRows(db, statement, EventBytesColumn.Count, (row) => {
    event ??= new StoredEventBytes(row);
    event.load();
    onEvent(event);
  });
}

/** How PostgreSQL generates ledger_events.payload (migration 202612051100), as pg_get_expr prints it. */
const PAYLOAD_GENERATED_FROM_HASHED_TEXT = 'COALESCE((payload_canonical)::jsonb, payload_legacy)';

/**
 * Whether the jsonb payload column is still generated from the hashed text: then, by
 * PostgreSQL's own construction, it says what the text says for every event, and verification
 * compares none. False once the expression has been dropped (ALTER TABLE … DROP EXPRESSION,
 * which is what changing the JSON alone would take): then every event is compared again, and
 * stays so, since putting the expression back recomputes every row.
 */
export async function payloadJsonGeneratedFromHashedText(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ expression: string | null }>(
    `SELECT pg_get_expr(d.adbin, d.adrelid) AS expression
       FROM pg_attribute a
       JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = 'ledger_events'::regclass AND a.attname = 'payload'
        AND a.attgenerated = 's'`,
  );
  return rows[0]?.expression === PAYLOAD_GENERATED_FROM_HASHED_TEXT;
}

/**
 * The first event of firstSeq..lastSeq whose jsonb payload no longer says what its canonical
 * text says (the JSON alone was changed), or undefined: PostgreSQL's own jsonb equality. Call it
 * only over events whose canonical text the caller has hashed to their payload_hash: such a text
 * is the JSON that was appended, so the cast cannot fail, even on a tampered ledger, and abort
 * the caller's transaction. A text that does not hash is the caller's to report.
 */
export async function firstPayloadJsonChanged(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<{ seq: string; id: string } | undefined> {
  const { rows } = await db.query<{ seq: string; id: string }>(
    `SELECT seq::text, id::text FROM ledger_events
      WHERE seq BETWEEN $1 AND $2 AND payload_canonical IS NOT NULL
        AND payload <> payload_canonical::jsonb
      ORDER BY seq LIMIT 1`,
    [firstSeq.toString(), lastSeq.toString()],
  );
  return rows[0];
}

export async function readEvent(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS}, payload FROM ledger_events WHERE id = $1`,
    [id],
  );
  return rows[0] && toEvent(rows[0]);
}

interface BlockRow {
  height: number;
  prev_hash: string;
  merkle_root: string;
  first_seq: string;
  last_seq: string;
  event_count: number;
  sealed_at: Date;
  hash: string;
}

function toBlock(row: BlockRow): StoredBlock {
  return {
    header: {
      v: 1,
      height: row.height,
      prevHash: row.prev_hash,
      merkleRoot: row.merkle_root,
      firstSeq: row.first_seq,
      lastSeq: row.last_seq,
      eventCount: row.event_count,
      sealedAt: row.sealed_at.toISOString(),
    },
    hash: row.hash,
  };
}

const BLOCK_COLUMNS =
  'height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash';

export async function readHead(db: Queryable): Promise<ChainHead | undefined> {
  const { rows } = await db.query<{ height: number; hash: string; last_seq: string }>(
    'SELECT height, hash, last_seq FROM ledger_blocks ORDER BY height DESC LIMIT 1',
  );
  const row = rows[0];
  return row && { height: row.height, hash: row.hash, lastSeq: BigInt(row.last_seq) };
}

/** Events not yet in a block: those after the head block's last seq (a range scan of the key). */
export async function countUnsealedEvents(
  db: Queryable,
  head: ChainHead | undefined,
): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    'SELECT count(*) AS count FROM ledger_events WHERE seq > $1',
    [String(head?.lastSeq ?? 0n)],
  );
  return Number(rows[0]!.count);
}

/** Blocks with height > afterHeight, ascending, at most `limit`. */
export async function readBlocks(
  db: Queryable,
  afterHeight: number,
  limit: number,
): Promise<StoredBlock[]> {
  const { rows } = await db.query<BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM ledger_blocks WHERE height > $1 ORDER BY height LIMIT $2`,
    [afterHeight, limit],
  );
  return rows.map(toBlock);
}

export async function readBlock(db: Queryable, height: number): Promise<StoredBlock | undefined> {
  const { rows } = await db.query<BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM ledger_blocks WHERE height = $1`,
    [height],
  );
  return rows[0] && toBlock(rows[0]);
}

export async function readBlockContaining(
  db: Queryable,
  seq: bigint,
): Promise<StoredBlock | undefined> {
  const { rows } = await db.query<BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM ledger_blocks WHERE last_seq >= $1 ORDER BY last_seq LIMIT 1`,
    [seq.toString()],
  );
  const block = rows[0] && toBlock(rows[0]);
  return block && BigInt(block.header.firstSeq) <= seq ? block : undefined;
}

// The Merkle trees of recently proven blocks, every level kept. A sealed block never changes, so
// its tree can be kept under its hash; without this every proof re-read and re-hashed the whole
// block (~150 ms for 10,000 events), and with only its leaves kept, still re-hashed its 9,999
// nodes (~5 ms): proofs are asked for block by block.
const blockTreeCache = new Map<string, MerkleLevels>();
const BLOCK_TREE_CACHE_BLOCKS_MAX = 8;

async function blockTree(db: Queryable, block: StoredBlock): Promise<MerkleLevels> {
  const cached = blockTreeCache.get(block.hash);
  if (cached) {
    blockTreeCache.delete(block.hash); // re-inserted below: most recently used last
    blockTreeCache.set(block.hash, cached);
    return cached;
  }
  const envelopes = await readEnvelopes(
    db,
    BigInt(block.header.firstSeq),
    BigInt(block.header.lastSeq),
  );
  const tree = new MerkleLevels(envelopes.map(eventLeafHash));
  if (blockTreeCache.size >= BLOCK_TREE_CACHE_BLOCKS_MAX) {
    blockTreeCache.delete(blockTreeCache.keys().next().value!);
  }
  blockTreeCache.set(block.hash, tree);
  return tree;
}

/** The inclusion proof of a sealed event, or undefined when it is not sealed yet. */
export async function buildEventProof(
  db: Queryable,
  event: StoredEvent,
): Promise<EventProof | undefined> {
  const block = await readBlockContaining(db, event.seq);
  if (!block) return undefined;
  const firstSeq = BigInt(block.header.firstSeq);
  const tree = await blockTree(db, block);
  const leafIndex = Number(event.seq - firstSeq);
  return {
    envelope: envelopeOf(event),
    payload: event.payload,
    leafIndex,
    auditPath: tree.auditPath(leafIndex).map(toHex),
    block,
  };
}

/**
 * A page of a block's event envelopes in seq order, only those `orgId` is party to (all of them
 * when `orgId` is null: the operator's auditors). Envelopes carry no payload, only its hash.
 */
export async function readBlockEnvelopesVisible(
  db: Queryable,
  block: StoredBlock,
  orgId: string | null,
  afterSeq: bigint,
  limit: number,
): Promise<EventEnvelope[]> {
  const from = BigInt(block.header.firstSeq);
  const { rows } = await db.query<EnvelopeRow>({
    text: `SELECT ${ENVELOPE_COLUMNS} FROM ledger_events
            WHERE seq BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR $3::uuid = ANY(party_org_ids))
            ORDER BY ledger_events.seq LIMIT $4`,
    values: [
      (afterSeq >= from ? afterSeq + 1n : from).toString(),
      block.header.lastSeq,
      orgId,
      limit,
    ],
    rowMode: 'array',
  });
  return rows.map(envelopeOfRow);
}
