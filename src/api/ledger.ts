// Reading the ledger: blocks, the head, and proofs that anyone can check offline. Blocks
// hold only hashes and are readable by every participant; an event and its proof only by
// the organizations party to it (and the platform operator's auditors).
import { z } from 'zod';
import { INT4_MAX, pageLimit, parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { Conflict, NotFound } from '../infra/errors.js';
import { buildEventProof, readBlock, readBlocks, readEvent, readHead } from '../ledger/read.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

// Heights are INTEGER columns: a height past int4 is refused here, not by PostgreSQL.
const blocksQuerySchema = z.strictObject({
  afterHeight: wholeNumberParameter(0, INT4_MAX).default(0),
  limit: pageLimit(500, 100),
});

const blockPath = z.object({ height: wholeNumberParameter(1, INT4_MAX) });
const eventPath = z.object({ id: z.uuid('must be a UUID') });

/** Sequence numbers are bigints: decimal strings in JSON. */
const seqText = z.string().regex(/^\d+$/);

const headSchema = z.object({
  height: z.number().int().min(0),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  lastSealedSeq: seqText,
  lastSeq: seqText,
  unsealedEvents: seqText,
});

export function ledgerRouter(database: Database): DocumentedRouter {
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
      responses: { 200: { description: 'A page of block headers and hashes' } },
    },
    async (request, response) => {
      const query = parseOrThrow(blocksQuerySchema, request.query, 'query');
      const blocks = await readBlocks(pool, query.afterHeight, query.limit);
      const last = blocks[blocks.length - 1];
      response.json({
        blocks,
        nextAfterHeight: blocks.length === query.limit && last ? last.header.height : null,
      });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/blocks/:height',
      summary: 'One block',
      params: blockPath,
      responses: { 200: { description: "The block's header and hash" } },
    },
    async (request, response) => {
      const { height } = parseOrThrow(blockPath, request.params, 'block height');
      const block = await readBlock(pool, height);
      if (!block) throw new NotFound('block');
      response.json(block);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/ledger/events/:id/proof',
      summary: "An event's inclusion proof, checkable offline",
      description:
        'The envelope, its leaf index, the RFC 6962 audit path, and the block header with its ' +
        "hash. For the organizations party to the event and the operator's auditors.",
      params: eventPath,
      responses: { 200: { description: 'The proof' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(eventPath, request.params, 'event id');
      const principal = principalOf(response);
      const event = await readEvent(pool, id);
      const operatorAuditor =
        principal.orgKind === 'operator' &&
        (principal.role === 'auditor' || principal.role === 'admin');
      if (!event || !(operatorAuditor || event.partyOrgIds.includes(principal.orgId))) {
        throw new NotFound('event');
      }
      const proof = await buildEventProof(pool, event);
      if (!proof) throw new Conflict('the event is not sealed into a block yet; retry shortly');
      response.json(proof);
    },
  );

  return router;
}
