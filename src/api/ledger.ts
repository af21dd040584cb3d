// Reading the ledger: blocks, the head, and proofs that anyone can check offline. Blocks
// hold only hashes and are readable by every participant; an event and its proof only by
// the organizations party to it (and the platform operator's auditors).
import { Router, type Response } from 'express';
import { z } from 'zod';
import { INT4_MAX, pageLimit, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database, Queryable } from '../infra/db.js';
import { Conflict, InvalidInput, NotFound } from '../infra/errors.js';
import { toHex } from '../ledger/hash.js';
import { buildEventProof, readBlock, readBlocks, readEvent, readHead } from '../ledger/read.js';
import { parseTilePath, tileLevelEntryCount, tileWidthMax } from '../ledger/tlog/tiles.js';
import {
  consistencyProofAt,
  inclusionProofAt,
  readCheckpoint,
  readCheckpoints,
  readLatestCheckpoint,
  readLeafEntries,
  readTile,
  readTreeSize,
  treeRootAt,
} from '../ledger/transparency-log.js';
import { principalOf } from './auth.js';

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

/** Operator auditors (and admins) read every event; anyone else only the events it is party to. */
function mayReadEvent(response: Response, partyOrgIds: readonly string[]): boolean {
  const principal = principalOf(response);
  const operatorAuditor =
    principal.orgKind === 'operator' &&
    (principal.role === 'auditor' || principal.role === 'admin');
  return operatorAuditor || partyOrgIds.includes(principal.orgId);
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

export function ledgerRouter(database: Database): Router {
  const router = Router();
  const { pool } = database;

  router.get('/ledger/head', async (_request, response) => {
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
    });
  });

  router.get('/ledger/blocks', async (request, response) => {
    const query = parseOrThrow(blocksQuerySchema, request.query, 'query');
    const blocks = await readBlocks(pool, query.afterHeight, query.limit);
    const last = blocks[blocks.length - 1];
    response.json({
      blocks,
      nextAfterHeight: blocks.length === query.limit && last ? last.header.height : null,
    });
  });

  router.get('/ledger/blocks/:height', async (request, response) => {
    const { height } = parseOrThrow(
      z.object({ height: wholeNumberParameter(1, INT4_MAX) }),
      request.params,
      'block height',
    );
    const block = await readBlock(pool, height);
    if (!block) throw new NotFound('block');
    response.json(block);
  });

  router.get('/ledger/events/:id/proof', async (request, response) => {
    const id = parseOrThrow(z.uuid('must be a UUID'), request.params.id, 'event id');
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
    const [inclusionProof, rootHash, checkpoint] = await Promise.all([
      inclusionProofAt(pool, leafIndex, treeSize),
      treeRootAt(pool, treeSize),
      readCheckpoint(pool, treeSize),
    ]);
    response.json({
      ...proof,
      tree: {
        leafIndex,
        treeSize,
        rootHash: toHex(rootHash),
        inclusionProof: inclusionProof.map(toHex),
        checkpoint: checkpoint?.note ?? null,
      },
    });
  });

  router.get('/ledger/consistency', async (request, response) => {
    const query = parseOrThrow(consistencyQuerySchema, request.query, 'query');
    const to = await proofTreeSize(pool, query.to, 'to');
    if (query.from > to) {
      throw new InvalidInput('invalid query', [
        { field: 'from', message: `must be at most ${to}` },
      ]);
    }
    const [proof, fromRoot, toRoot, fromCheckpoint, toCheckpoint] = await Promise.all([
      consistencyProofAt(pool, query.from, to),
      treeRootAt(pool, query.from),
      treeRootAt(pool, to),
      readCheckpoint(pool, query.from),
      readCheckpoint(pool, to),
    ]);
    response.json({
      fromSize: query.from,
      toSize: to,
      fromRoot: toHex(fromRoot),
      toRoot: toHex(toRoot),
      proof: proof.map(toHex),
      fromCheckpoint: fromCheckpoint?.note ?? null,
      toCheckpoint: toCheckpoint?.note ?? null,
    });
  });

  // C2SP tlog-tiles: the latest checkpoint as a signed note, with every cosignature collected.
  router.get('/ledger/checkpoint', async (_request, response) => {
    const checkpoint = await readLatestCheckpoint(pool);
    if (!checkpoint) throw new NotFound('checkpoint');
    response.set('Cache-Control', 'no-cache');
    response.type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  router.get('/ledger/checkpoints', async (request, response) => {
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
  });

  // C2SP tlog-tiles tile paths: tile/<L>/<N>[.p/<W>], the hashes as bytes.
  router.get('/ledger/tile/*tile', async (request, response) => {
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
  });

  // Mirrors: every leaf's id and hash in pages; the envelope and payload where the caller is party.
  router.get('/ledger/entries', async (request, response) => {
    const query = parseOrThrow(entriesQuerySchema, request.query, 'query');
    const treeSize = await readTreeSize(pool);
    const entries = await readLeafEntries(pool, query.start, query.limit, treeSize, (parties) =>
      mayReadEvent(response, parties),
    );
    const next = query.start + entries.length;
    response.json({ treeSize, entries, nextStart: next < treeSize ? next : null });
  });

  return router;
}
