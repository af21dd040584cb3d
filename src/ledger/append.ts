// Appending events to the ledger, inside the caller's transaction so that a state change
// and its event commit together or not at all.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { copyInto } from '../infra/db.js';
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
  const payloadTexts: string[] = [];
  const payloadHashes: string[] = [];
  for (const event of events) {
    const canonical = canonicalJson(event.payload);
    payloadTexts.push(canonical);
    payloadHashes.push(sha256Hex(canonical));
  }
  const reserved = await client.query<{ first_seq: string }>(
    'UPDATE ledger_sequence SET next_seq = next_seq + $1 WHERE id = 1 RETURNING next_seq - $1 AS first_seq',
    [events.length],
  );
  const firstSeq = BigInt(reserved.rows[0]!.first_seq);
  await copyInto(
    client,
    'ledger_events',
    [
      'seq',
      'id',
      'type',
      'aggregate_id',
      'actor_org_id',
      'created_at',
      'payload',
      'payload_hash',
      'party_org_ids',
    ],
    events.map((event, index) => [
      firstSeq + BigInt(index),
      ids[index]!,
      event.type,
      event.aggregateId,
      event.actorOrgId,
      createdAt,
      payloadTexts[index]!,
      payloadHashes[index]!,
      event.partyOrgIds,
    ]),
  );
  return ids.map((id, index) => ({ seq: firstSeq + BigInt(index), id, createdAt }));
}
