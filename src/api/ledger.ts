// Reading the ledger: blocks, the head, and proofs that anyone can check offline. Blocks
// hold only hashes and are readable by every participant; an event and its proof only by
// the organizations party to it (and the platform operator's auditors).
import { Router } from 'express';
import { z } from 'zod';
import { INT4_MAX, pageLimit, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { Conflict, NotFound } from '../infra/errors.js';
import {
  buildEventProof,
  readBlock,
  readBlockEnvelopesVisible,
  readBlocks,
  readEvent,
  readHead,
} from '../ledger/read.js';
import { principalOf } from './auth.js';

// Heights are INTEGER columns: a height past int4 is refused here, not by PostgreSQL.
const blocksQuerySchema = z.strictObject({
  afterHeight: wholeNumberParameter(0, INT4_MAX).default(0),
  limit: pageLimit(500, 100),
});

const blockEventsQuerySchema = z.strictObject({
  // A seq is a bigint: 18 digits stay below 2^63 and are read exactly as BigInt.
  afterSeq: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a whole number of at most 18 digits')
    .transform(BigInt)
    .default(0n),
  limit: pageLimit(500, 100),
});

/** The operator's auditors and admins read every event; everyone else the events it is party to. */
function readsEveryEvent(principal: ReturnType<typeof principalOf>): boolean {
  return (
    principal.orgKind === 'operator' && (principal.role === 'auditor' || principal.role === 'admin')
  );
}

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

  // The block's events the caller is party to: envelopes only (payloads are behind the proof).
  router.get('/ledger/blocks/:height/events', async (request, response) => {
    const { height } = parseOrThrow(
      z.object({ height: wholeNumberParameter(1, INT4_MAX) }),
      request.params,
      'block height',
    );
    const query = parseOrThrow(blockEventsQuerySchema, request.query, 'query');
    const block = await readBlock(pool, height);
    if (!block) throw new NotFound('block');
    const principal = principalOf(response);
    const orgId = readsEveryEvent(principal) ? null : principal.orgId;
    const events = await readBlockEnvelopesVisible(pool, block, orgId, query.afterSeq, query.limit);
    const last = events[events.length - 1];
    response.json({
      block,
      events,
      nextAfterSeq: events.length === query.limit && last ? last.seq : null,
    });
  });

  router.get('/ledger/events/:id/proof', async (request, response) => {
    const id = parseOrThrow(z.uuid('must be a UUID'), request.params.id, 'event id');
    const principal = principalOf(response);
    const event = await readEvent(pool, id);
    if (!event || !(readsEveryEvent(principal) || event.partyOrgIds.includes(principal.orgId))) {
      throw new NotFound('event');
    }
    const proof = await buildEventProof(pool, event);
    if (!proof) throw new Conflict('the event is not sealed into a block yet; retry shortly');
    response.json(proof);
  });

  return router;
}
