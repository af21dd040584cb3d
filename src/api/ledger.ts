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
});

const headSchema = z.object({
  height: z.number().int().min(0),
  hash: hashHex.nullable(),
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
      path: '/ledger/events/:id/proof',
      summary: "An event's inclusion proof, checkable offline",
      description:
        'The envelope, its leaf index, the RFC 6962 audit path, and the block header with its ' +
        "hash. For the organizations party to the event and the operator's auditors.",
      params: eventPath,
      responses: { 200: { description: 'The proof', schema: eventProofSchema } },
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
      response.json(proof satisfies z.output<typeof eventProofSchema>);
    },
  );

  return router;
}
