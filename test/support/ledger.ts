// Filling the ledger quickly for sealing and verification tests.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../src/infra/db.js';
import { appendEvents, type NewEvent } from '../../src/ledger/append.js';

export function syntheticEvent(
  index: number,
  actorOrgId = '00000000-0000-4000-8000-000000000001',
): NewEvent {
  return {
    type: 'TestEvent',
    aggregateId: randomUUID(),
    actorOrgId,
    payload: {
      index,
      amount: `${index % 1000}.${String(index % 100).padStart(2, '0')}`,
      note: 'synthetic',
    },
    partyOrgIds: [actorOrgId],
  };
}

/** Appends `count` synthetic events in transactions of `chunk`, acted by (and party to) an org. */
export async function appendSyntheticEvents(
  pool: pg.Pool,
  count: number,
  chunk = 10_000,
  actorOrgId?: string,
): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    await inTransaction(pool, (client) =>
      appendEvents(
        client,
        Array.from({ length: size }, (_, offset) => syntheticEvent(start + offset, actorOrgId)),
      ),
    );
  }
}
