// Filling the ledger quickly for sealing and verification tests.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
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

/**
 * Runs SQL as an attacker with database access would: as superuser, around the append-only
 * triggers (session_replication_role = replica).
 */
export async function tamper(
  databaseUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<void> {
  const attacker = new pg.Client({ connectionString: databaseUrl });
  await attacker.connect();
  try {
    await attacker.query("SET session_replication_role = 'replica'");
    await attacker.query(sql, values);
  } finally {
    await attacker.end();
  }
}

/**
 * What changing an event's payload JSON alone first takes: PostgreSQL generates the column from
 * the hashed text, and refuses any other value while it does.
 */
export const MAKE_PAYLOAD_JSON_WRITABLE =
  'ALTER TABLE ledger_events ALTER COLUMN payload DROP EXPRESSION IF EXISTS';
