// Sealing: the next unsealed events, in seq order, become one block linked to the chain
// head. One sealer at a time holds the advisory lock; the block table's unique height and
// link trigger would reject a second one anyway, so a duplicate job cannot fork the chain.
import type pg from 'pg';
import { inTransaction } from '../infra/db.js';
import { blockHashOf, blockHeaderOf, eventLeafHash, GENESIS_PREV_HASH } from './formats.js';
import { toHex } from './hash.js';
import { merkleRoot } from './merkle.js';
import { readEnvelopes, readHead } from './read.js';

/** pg advisory lock key held by the one sealer extending the chain ("seal" in ASCII). */
export const SEAL_LOCK_ID = 0x7365616c;

export type SealOutcome =
  | { status: 'sealed'; height: number; eventCount: number; lastSeq: bigint }
  | { status: 'idle' }
  | { status: 'busy' };

export class ChainCorrupt extends Error {}

export async function sealNextBlock(
  pool: pg.Pool,
  blockEventsMax: number,
  now: () => Date = () => new Date(),
): Promise<SealOutcome> {
  return inTransaction(pool, async (client) => {
    const lock = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [SEAL_LOCK_ID],
    );
    if (!lock.rows[0]!.locked) return { status: 'busy' };
    const head = await readHead(client);
    const firstSeq = (head?.lastSeq ?? 0n) + 1n;
    const events = await readEnvelopes(client, firstSeq, firstSeq + BigInt(blockEventsMax) - 1n);
    if (events.length === 0) return { status: 'idle' };
    const leaves = events.map((event, index) => {
      const expectedSeq = (firstSeq + BigInt(index)).toString();
      if (event.seq !== expectedSeq) {
        throw new ChainCorrupt(`ledger seq gap: expected ${expectedSeq}, found ${event.seq}`);
      }
      return eventLeafHash(event);
    });
    const header = blockHeaderOf({
      height: (head?.height ?? 0) + 1,
      prevHash: head?.hash ?? GENESIS_PREV_HASH,
      merkleRoot: toHex(merkleRoot(leaves)),
      firstSeq,
      lastSeq: firstSeq + BigInt(events.length) - 1n,
      eventCount: events.length,
      sealedAt: now(),
    });
    await client.query(
      `INSERT INTO ledger_blocks (height, prev_hash, merkle_root, first_seq, last_seq, event_count, sealed_at, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        header.height,
        header.prevHash,
        header.merkleRoot,
        header.firstSeq,
        header.lastSeq,
        header.eventCount,
        new Date(header.sealedAt),
        blockHashOf(header),
      ],
    );
    return {
      status: 'sealed',
      height: header.height,
      eventCount: header.eventCount,
      lastSeq: BigInt(header.lastSeq),
    };
  });
}

/** Seals until no event is pending (bounded by blocksMax), for a worker job or a CLI. */
export async function sealPending(
  pool: pg.Pool,
  blockEventsMax: number,
  blocksMax = 1_000,
): Promise<{ blocks: number; events: number; busy: boolean }> {
  let blocks = 0;
  let events = 0;
  for (let round = 0; round < blocksMax; round++) {
    const outcome = await sealNextBlock(pool, blockEventsMax);
    if (outcome.status === 'busy') return { blocks, events, busy: true };
    if (outcome.status === 'idle') break;
    blocks += 1;
    events += outcome.eventCount;
  }
  return { blocks, events, busy: false };
}
