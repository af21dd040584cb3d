// Each payer's settlement cadence. The settlement worker ticks every SETTLEMENT_INTERVAL_MS and
// settles the payers that are due: those without an interval of their own (every tick) and
// those whose interval has passed since their last run. Every run, by schedule or by finance,
// records when it ran, so the cadence counts from the last payment run either way.
import { z } from 'zod';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import { Forbidden } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { expected, parseOrThrow } from '../validation.js';

/** A minute to 31 days (a monthly cycle). */
export const SETTLEMENT_INTERVAL_MINUTES_MAX = 44_640;

export const scheduleSchema = z.strictObject({
  intervalMinutes: z
    .number({ error: expected('a whole number of minutes, or null for every worker run') })
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1')
    .max(SETTLEMENT_INTERVAL_MINUTES_MAX, `must be at most ${SETTLEMENT_INTERVAL_MINUTES_MAX}`)
    .nullable(),
});

export interface SettlementSchedule {
  payerId: string;
  /** null: settled at every worker run. */
  intervalMinutes: number | null;
  lastRunAt: string | null;
  /** When the worker will next settle the payer: at its first run from then on. */
  nextRunDueAt: string | null;
}

interface ScheduleRow {
  interval_minutes: number | null;
  last_run_at: Date | null;
}

function viewOf(payerId: string, row: ScheduleRow | undefined): SettlementSchedule {
  const intervalMinutes = row?.interval_minutes ?? null;
  const lastRunAt = row?.last_run_at ?? null;
  return {
    payerId,
    intervalMinutes,
    lastRunAt: lastRunAt?.toISOString() ?? null,
    nextRunDueAt:
      lastRunAt && intervalMinutes !== null
        ? new Date(lastRunAt.getTime() + intervalMinutes * 60_000).toISOString()
        : null,
  };
}

function payerOf(principal: Principal): string {
  if (principal.orgKind !== 'payer') throw new Forbidden('only a payer has a settlement schedule');
  return principal.orgId;
}

export async function getSchedule(
  database: Database,
  principal: Principal,
): Promise<SettlementSchedule> {
  const payerId = payerOf(principal);
  const { rows } = await database.pool.query<ScheduleRow>(
    'SELECT interval_minutes, last_run_at FROM payer_settlement_schedules WHERE payer_org_id = $1',
    [payerId],
  );
  return viewOf(payerId, rows[0]);
}

/** Sets the payer's interval; the change is a SettlementScheduleSet event. */
export async function setSchedule(
  database: Database,
  principal: Principal,
  body: unknown,
): Promise<SettlementSchedule> {
  const payerId = payerOf(principal);
  const { intervalMinutes } = parseOrThrow(scheduleSchema, body, 'body');
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<ScheduleRow>(
      `INSERT INTO payer_settlement_schedules (payer_org_id, interval_minutes, updated_at)
       VALUES ($1, $2, now())
       ON CONFLICT (payer_org_id) DO UPDATE
         SET interval_minutes = EXCLUDED.interval_minutes, updated_at = EXCLUDED.updated_at
       RETURNING interval_minutes, last_run_at`,
      [payerId, intervalMinutes],
    );
    await appendEvents(client, [
      {
        type: 'SettlementScheduleSet',
        aggregateId: `settlement-schedule:${payerId}`,
        actorOrgId: payerId,
        payload: { payerOrgId: payerId, intervalMinutes, setByKeyId: principal.keyId },
        partyOrgIds: [payerId],
      },
    ]);
    return viewOf(payerId, rows[0]);
  });
}

/** The payers whose turn it is at `now`, in id order. */
export async function duePayers(database: Database, now: Date): Promise<string[]> {
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT o.id FROM organizations o
       LEFT JOIN payer_settlement_schedules s ON s.payer_org_id = o.id
      WHERE o.kind = 'payer'
        AND (s.interval_minutes IS NULL OR s.last_run_at IS NULL
             OR s.last_run_at + make_interval(mins => s.interval_minutes) <= $1)
      ORDER BY o.id`,
    [now],
  );
  return rows.map((row) => row.id);
}

/** Records that the payer's settlement ran (started) at `startedAt`. */
export async function recordSettlementRun(
  database: Queryable,
  payerId: string,
  startedAt: Date,
): Promise<void> {
  await database.query(
    `INSERT INTO payer_settlement_schedules (payer_org_id, last_run_at, updated_at)
     VALUES ($1, $2, $2)
     ON CONFLICT (payer_org_id) DO UPDATE
       SET last_run_at = GREATEST(payer_settlement_schedules.last_run_at, EXCLUDED.last_run_at)`,
    [payerId, startedAt],
  );
}
