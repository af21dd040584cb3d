// Appending events to the ledger, inside the caller's transaction so that a state change
// and its event commit together or not at all.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { canonicalJson, type JsonValue } from './canonical.js';
import { sha256Hex } from './hash.js';

export interface NewEvent {
  /** Preset when the caller must name the event before commit (e.g. in a stored response). */
  id?: string;
  type: string;
  aggregateId: string;
  actorOrgId: string;
  /** No PHI: opaque ids, amounts, codes and salted commitments only. */
  payload: JsonValue;
  /** Organizations allowed to read this event and its proof (access control only, not hashed). */
  partyOrgIds: string[];
}

export interface AppendedEvent {
  seq: bigint;
  id: string;
  createdAt: Date;
}

export const EVENTS_PER_APPEND_MAX = 50_000;

/**
 * Appends events in order and returns their seq numbers. Call it as the last statement
 * of the transaction: it takes the ledger_sequence row lock, which serializes appenders
 * until commit, and that is what makes seq order equal commit order with no gaps (a
 * sealer can never see seq n+1 committed before seq n).
 */
export async function appendEvents(
  client: pg.PoolClient,
  events: NewEvent[],
  createdAt: Date = new Date(),
): Promise<AppendedEvent[]> {
  if (events.length === 0) return [];
  if (events.length > EVENTS_PER_APPEND_MAX) {
    throw new RangeError(`at most ${EVENTS_PER_APPEND_MAX} events per append`);
  }
  const ids = events.map((event) => event.id ?? randomUUID());
  const payloads = events.map((event) => Buffer.from(canonicalJson(event.payload), 'utf8'));
  const payloadStarts: number[] = [];
  let nextStart = 1; // substring counts bytes from 1
  for (const payload of payloads) {
    payloadStarts.push(nextStart);
    nextStart += payload.length;
  }
  // The canonical texts travel as one bytea, each cut out by its byte range, rather than as a
  // text[]: an array literal escapes every quote of every JSON text on the way out (node-postgres)
  // and unescapes it on the way in (PostgreSQL), and a bytea goes in binary, copied once. The
  // bytes stored are the bytes hashed (payload_canonical), so verification hashes those bytes;
  // PostgreSQL generates the jsonb column that queries read from that text.
  // One statement reserves the seqs and inserts the events: the sequence row lock is then
  // held for this statement and the commit only, the shortest critical section possible.
  const { rows } = await client.query<{ first_seq: string }>(
    `WITH reserved AS (
       UPDATE ledger_sequence SET next_seq = next_seq + $1 WHERE id = 1
       RETURNING next_seq - $1 AS first_seq
     ), inserted AS (
       INSERT INTO ledger_events
         (seq, id, type, aggregate_id, actor_org_id, created_at, payload_canonical, payload_hash,
          party_org_ids)
       SELECT reserved.first_seq + e.ordinality - 1, e.id, e.type, e.aggregate_id, e.actor_org_id, $2,
              convert_from(substring($7::bytea FROM e.payload_start FOR e.payload_length), 'UTF8'),
              e.payload_hash, string_to_array(e.parties, ',')::uuid[]
         FROM reserved,
              unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $8::int[], $9::int[],
                     $10::text[], $11::text[])
                WITH ORDINALITY AS e(id, type, aggregate_id, actor_org_id, payload_start,
                                     payload_length, payload_hash, parties)
     )
     SELECT first_seq FROM reserved`,
    [
      events.length,
      createdAt,
      ids,
      events.map((event) => event.type),
      events.map((event) => event.aggregateId),
      events.map((event) => event.actorOrgId),
      Buffer.concat(payloads, nextStart - 1),
      payloadStarts,
      payloads.map((payload) => payload.length),
      payloads.map((payload) => sha256Hex(payload)),
      events.map((event) => event.partyOrgIds.join(',')),
    ],
  );
  const firstSeq = BigInt(rows[0]!.first_seq);
  return ids.map((id, index) => ({ seq: firstSeq + BigInt(index), id, createdAt }));
}
