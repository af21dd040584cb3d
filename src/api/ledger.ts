// Reading the ledger: blocks, the head, and proofs that anyone can check offline. Blocks
// hold only hashes and are readable by every participant; an event and its proof only by
// the organizations party to it (and the platform operator's auditors).
import type { Response } from 'express';
import { z } from 'zod';
import { INT4_MAX, pageLimit, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database, Queryable } from '../infra/db.js';
import { Conflict, InvalidInput, NotFound } from '../infra/errors.js';
import { toHex } from '../ledger/hash.js';
import {
  buildEventProof,
  readBlock,
  readBlockEnvelopesVisible,
  readBlocks,
  readEvent,
  readHead,
} from '../ledger/read.js';
import { parseTilePath, tileLevelEntryCount, tileWidthMax } from '../ledger/tlog/tiles.js';
import {
  readCheckpoint,
  readCheckpoints,
  readLatestCheckpoint,
  readLeafEntries,
  readTile,
  readTreeSize,
  StoredTreeProofs,
} from '../ledger/transparency-log.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

// Tree sizes are leaf counts: safe integers (a bigint seq past 2^53 is beyond any real ledger).
const treeSizeParameter = wholeNumberParameter(0, Number.MAX_SAFE_INTEGER);

const proofQuerySchema = z.strictObject({ treeSize: treeSizeParameter.optional() });
const consistencyQuerySchema = z.strictObject({
  from: treeSizeParameter,
  to: treeSizeParameter.optional(),
});
const checkpointsQuerySchema = z.strictObject({
  beforeSize: treeSizeParameter.optional(),
  limit: pageLimit(100, 20),
});
const entriesQuerySchema = z.strictObject({
  start: treeSizeParameter.default(0),
  limit: pageLimit(1_000, 256),
});

/** The operator's auditors and admins read every event; anyone else only those it is party to. */
function readsEveryEvent(response: Response): boolean {
  const principal = principalOf(response);
  return (
    principal.orgKind === 'operator' && (principal.role === 'auditor' || principal.role === 'admin')
  );
}

function mayReadEvent(response: Response, partyOrgIds: readonly string[]): boolean {
  return readsEveryEvent(response) || partyOrgIds.includes(principalOf(response).orgId);
}

/** The tree size a proof is asked at, by default the latest signed checkpoint's. */
async function proofTreeSize(pool: Queryable, asked: number | undefined, field: string) {
  const stored = await readTreeSize(pool);
  if (asked !== undefined) {
    if (asked > stored) {
      throw new InvalidInput(`invalid ${field}`, [
        { field, message: `must be at most the tree size ${stored}` },
      ]);
    }
    return asked;
  }
  return (await readLatestCheckpoint(pool))?.treeSize ?? stored;
}

// Heights are INTEGER columns: a height past int4 is refused here, not by PostgreSQL.
const blocksQuerySchema = z.strictObject({
  afterHeight: wholeNumberParameter(0, INT4_MAX).default(0),
  limit: pageLimit(500, 100),
});

const blockPath = z.object({ height: wholeNumberParameter(1, INT4_MAX) });

const blockEventsQuerySchema = z.strictObject({
  // A seq is a bigint: 18 digits stay below 2^63 and are read exactly as BigInt.
  afterSeq: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a whole number of at most 18 digits')
    .default('0'),
  limit: pageLimit(500, 100),
});
const eventPath = z.object({ id: z.uuid('must be a UUID') });

/** Sequence numbers are bigints: decimal strings in JSON. */
const seqText = z.string().regex(/^\d+$/);

/** Lowercase hex SHA-256. */
const hashHex = z.string().regex(/^[0-9a-f]{64}$/);

// The ledger's formats as ARCHITECTURE.md states them, so that a verifier's client can be
// generated from the document.
const blockSchema = z.object({
  header: z.object({
    v: z.literal(1),
    height: z.number().int().min(1),
    prevHash: hashHex,
    merkleRoot: hashHex,
    firstSeq: seqText,
    lastSeq: seqText,
    eventCount: z.number().int().min(1),
    sealedAt: z.string(),
  }),
  hash: hashHex,
});

const blocksPageSchema = z.object({
  blocks: z.array(blockSchema),
  nextAfterHeight: z.number().int().nullable(),
});

const eventProofSchema = z.object({
  envelope: z.object({
    v: z.literal(1),
    seq: seqText,
    id: z.uuid(),
    type: z.string(),
    aggregateId: z.string(),
    actorOrgId: z.string(),
    createdAt: z.string(),
    payloadHash: hashHex,
  }),
  payload: z.unknown().optional(),
  leafIndex: z.number().int().min(0),
  auditPath: z.array(hashHex),
  block: blockSchema,
  /** The same event in the one tree over the whole history (RFC 9162), at a signed checkpoint. */
  tree: z.object({
    leafIndex: z.number().int().min(0),
    treeSize: z.number().int().min(1),
    rootHash: hashHex,
    inclusionProof: z.array(hashHex),
    checkpoint: z.string().nullable(),
  }),
});

const consistencySchema = z.object({
  fromSize: z.number().int().min(0),
  toSize: z.number().int().min(0),
  fromRoot: hashHex,
  toRoot: hashHex,
  proof: z.array(hashHex),
  fromCheckpoint: z.string().nullable(),
  toCheckpoint: z.string().nullable(),
});

const checkpointsPageSchema = z.object({
  checkpoints: z.array(
    z.object({
      treeSize: z.number().int().min(0),
      rootHash: hashHex,
      /** The checkpoint's body: origin, size and root lines (C2SP tlog-checkpoint). */
      body: z.string(),
      note: z.string(),
      signedAt: z.string(),
      cosignatureCount: z.number().int().min(0),
    }),
  ),
  nextBeforeSize: z.number().int().nullable(),
});

const entriesPageSchema = z.object({
  treeSize: z.number().int().min(0),
  entries: z.array(
    z.object({
      index: z.number().int().min(0),
      seq: seqText,
      id: z.uuid(),
      leafHash: hashHex,
      envelope: z.unknown().optional(),
      payload: z.unknown().optional(),
    }),
  ),
  nextStart: z.number().int().nullable(),
});

const tilePath = z.object({ tile: z.array(z.string()).or(z.string()) });

const headSchema = z.object({
  height: z.number().int().min(0),
  hash: hashHex.nullable(),
  lastSealedSeq: seqText,
  lastSeq: seqText,
  unsealedEvents: seqText,
});

/** The proof routes' other 503 (StoredTileChanged), as the OpenAPI document states it. */
const LOG_TREE_CHANGED_ANSWER =
  "log_tree_changed: the log's stored tree changed since this server read it (history rewritten " +
  'around the database trigger); the operator is alerted, and the next request reads it afresh';

export function ledgerRouter(database: Database, tree: StoredTreeProofs): DocumentedRouter {
  const router = documentedRouter('Ledger');
  const { pool } = database;

  router.route(
    {
      method: 'get',
      path: '/ledger/head',
      summary: "The chain's last block and how many events await sealing",
      responses: { 200: { description: 'The head', schema: headSchema } },
    },
    async (_request, response) => {
      const head = await readHead(pool);
      const pending = await pool.query<{ next_seq: string }>(
        'SELECT next_seq FROM ledger_sequence WHERE id = 1',
      );
      const lastSeq = BigInt(pending.rows[0]!.next_seq) - 1n;
      response.json({
        height: head?.height ?? 0,
        hash: head?.hash ?? null,
        lastSealedSeq: (head?.lastSeq ?? 0n).toString(),
        lastSeq: lastSeq.toString(),
        unsealedEvents: (lastSeq - (head?.lastSeq ?? 0n)).toString(),
      } satisfies z.output<typeof headSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/blocks',
      summary: 'Blocks in height order',
      query: blocksQuerySchema,
      responses: {
        200: { description: 'A page of block headers and hashes', schema: blocksPageSchema },
      },
    },
    async (request, response) => {
      const query = parseOrThrow(blocksQuerySchema, request.query, 'query');
      const blocks = await readBlocks(pool, query.afterHeight, query.limit);
      const last = blocks[blocks.length - 1];
      response.json({
        blocks,
        nextAfterHeight: blocks.length === query.limit && last ? last.header.height : null,
      } satisfies z.output<typeof blocksPageSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/blocks/:height',
      summary: 'One block',
      params: blockPath,
      responses: { 200: { description: "The block's header and hash", schema: blockSchema } },
    },
    async (request, response) => {
      const { height } = parseOrThrow(blockPath, request.params, 'block height');
      const block = await readBlock(pool, height);
      if (!block) throw new NotFound('block');
      response.json(block satisfies z.output<typeof blockSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/blocks/:height/events',
      summary: "A block's events the caller is party to (envelopes; payloads are behind the proof)",
      description: "The operator's auditors and admins read every event of the block.",
      params: blockPath,
      query: blockEventsQuerySchema,
      responses: { 200: { description: 'The block and a page of its events' } },
    },
    async (request, response) => {
      const { height } = parseOrThrow(blockPath, request.params, 'block height');
      const query = parseOrThrow(blockEventsQuerySchema, request.query, 'query');
      const block = await readBlock(pool, height);
      if (!block) throw new NotFound('block');
      const events = await readBlockEnvelopesVisible(
        pool,
        block,
        readsEveryEvent(response) ? null : principalOf(response).orgId,
        BigInt(query.afterSeq),
        query.limit,
      );
      const last = events[events.length - 1];
      response.json({
        block,
        events,
        nextAfterSeq: events.length === query.limit && last ? last.seq : null,
      });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/events/:id/proof',
      summary: "An event's inclusion proof, checkable offline",
      description:
        'The envelope, its leaf index, the RFC 6962 audit path, and the block header with its ' +
        'hash; and `tree`: the RFC 9162 inclusion proof in the tree of size `treeSize` (default: ' +
        "the latest signed checkpoint's), with that checkpoint. For the organizations party to " +
        "the event and the operator's auditors.",
      params: eventPath,
      query: proofQuerySchema,
      responses: {
        200: { description: 'The proof', schema: eventProofSchema },
        503: { description: LOG_TREE_CHANGED_ANSWER },
      },
    },
    async (request, response) => {
      const { id } = parseOrThrow(eventPath, request.params, 'event id');
      const query = parseOrThrow(proofQuerySchema, request.query, 'query');
      const event = await readEvent(pool, id);
      if (!event || !mayReadEvent(response, event.partyOrgIds)) throw new NotFound('event');
      const proof = await buildEventProof(pool, event);
      if (!proof) throw new Conflict('the event is not sealed into a block yet; retry shortly');
      const treeSize = await proofTreeSize(pool, query.treeSize, 'treeSize');
      const leafIndex = Number(event.seq) - 1;
      if (leafIndex >= treeSize) {
        if (query.treeSize !== undefined) {
          throw new InvalidInput('invalid treeSize', [
            { field: 'treeSize', message: `must be above the event's leaf index ${leafIndex}` },
          ]);
        }
        throw new Conflict('the event is not in a signed checkpoint yet; retry shortly');
      }
      const inclusionProof = await tree.inclusionProof(leafIndex, treeSize);
      const rootHash = await tree.rootAt(treeSize);
      const checkpoint = await readCheckpoint(pool, treeSize);
      response.json({
        ...proof,
        tree: {
          leafIndex,
          treeSize,
          rootHash: toHex(rootHash),
          inclusionProof: inclusionProof.map(toHex),
          checkpoint: checkpoint?.note ?? null,
        },
      } satisfies z.output<typeof eventProofSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/consistency',
      summary: 'The RFC 9162 consistency proof between two tree sizes',
      description:
        'Proves the tree of size `to` (default: the latest signed checkpoint) extends the tree of ' +
        'size `from`: the history seen at `from` was not rewritten. With both roots and checkpoints.',
      query: consistencyQuerySchema,
      responses: {
        200: { description: 'The proof', schema: consistencySchema },
        503: { description: LOG_TREE_CHANGED_ANSWER },
      },
    },
    async (request, response) => {
      const query = parseOrThrow(consistencyQuerySchema, request.query, 'query');
      const to = await proofTreeSize(pool, query.to, 'to');
      if (query.from > to) {
        throw new InvalidInput('invalid query', [
          { field: 'from', message: `must be at most ${to}` },
        ]);
      }
      const proof = await tree.consistencyProof(query.from, to);
      const fromRoot = await tree.rootAt(query.from);
      const toRoot = await tree.rootAt(to);
      const fromCheckpoint = await readCheckpoint(pool, query.from);
      const toCheckpoint = await readCheckpoint(pool, to);
      response.json({
        fromSize: query.from,
        toSize: to,
        fromRoot: toHex(fromRoot),
        toRoot: toHex(toRoot),
        proof: proof.map(toHex),
        fromCheckpoint: fromCheckpoint?.note ?? null,
        toCheckpoint: toCheckpoint?.note ?? null,
      } satisfies z.output<typeof consistencySchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/checkpoint',
      summary: 'The latest checkpoint, a C2SP signed note with every cosignature collected',
      responses: {
        200: {
          description: 'The signed checkpoint (C2SP tlog-checkpoint)',
          contentType: 'text/plain',
        },
      },
    },
    async (_request, response) => {
      const checkpoint = await readLatestCheckpoint(pool);
      if (!checkpoint) throw new NotFound('checkpoint');
      response.set('Cache-Control', 'no-cache');
      response.type('text/plain; charset=utf-8').send(checkpoint.note);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/checkpoints',
      summary: 'Older checkpoints, newest first',
      query: checkpointsQuerySchema,
      responses: { 200: { description: 'A page of checkpoints', schema: checkpointsPageSchema } },
    },
    async (request, response) => {
      const query = parseOrThrow(checkpointsQuerySchema, request.query, 'query');
      const checkpoints = await readCheckpoints(
        pool,
        query.beforeSize ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      );
      const last = checkpoints[checkpoints.length - 1];
      response.json({
        checkpoints,
        nextBeforeSize: checkpoints.length === query.limit && last ? last.treeSize : null,
      });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/tile/*tile',
      summary: 'A C2SP tlog-tiles tile: tile/<L>/<N>[.p/<W>], the hashes as bytes',
      params: tilePath,
      responses: {
        200: { description: 'W × 32 bytes of hashes', contentType: 'application/octet-stream' },
      },
    },
    async (request, response) => {
      const segments = (request.params as { tile?: string[] }).tile ?? [];
      const tile = parseTilePath(segments.join('/'));
      if (!tile) {
        throw new InvalidInput('invalid tile path', [
          { field: 'tile', message: 'must be <L>/<N>[.p/<W>] as in C2SP tlog-tiles' },
        ]);
      }
      const treeSize = await readTreeSize(pool);
      const entries = tileLevelEntryCount(tile.level, treeSize) - tile.index * tileWidthMax;
      const hashes = entries >= tile.width ? await readTile(pool, tile) : undefined;
      if (!hashes) throw new NotFound('tile');
      if (tile.width === tileWidthMax)
        response.set('Cache-Control', 'public, max-age=31536000, immutable');
      response.type('application/octet-stream').send(Buffer.from(hashes));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/entries',
      summary: "Every leaf's id and hash in pages, for mirrors",
      description: 'The envelope and payload only where the caller is party to the event.',
      query: entriesQuerySchema,
      responses: { 200: { description: 'A page of leaves', schema: entriesPageSchema } },
    },
    async (request, response) => {
      const query = parseOrThrow(entriesQuerySchema, request.query, 'query');
      const treeSize = await readTreeSize(pool);
      const entries = await readLeafEntries(pool, query.start, query.limit, treeSize, (parties) =>
        mayReadEvent(response, parties),
      );
      const next = query.start + entries.length;
      response.json({ treeSize, entries, nextStart: next < treeSize ? next : null });
    },
  );

  return router;
}
