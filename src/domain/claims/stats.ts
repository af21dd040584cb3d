// Aggregates for the console's charts: claims per day by status, paid amounts by provider and
// denial reasons by CARC over a window of submission days. Read-only, scoped like every claim
// read (a provider its own claims, a payer those addressed to it); counts and sums, no PHI.
import { z } from 'zod';
import type { Database } from '../../infra/db.js';
import { Forbidden, InvalidInput } from '../../infra/errors.js';
import type { Principal } from '../organizations.js';
import { isoDate } from '../validation.js';

/** The longest window a chart asks for: a quarter of daily points. */
export const STATS_WINDOW_DAYS_MAX = 92;
const DAY_MS = 86_400_000;

export const claimStatsQuerySchema = z.strictObject({
  /** First submission day (UTC), inclusive; default 29 days before `to`. */
  from: isoDate().optional(),
  /** Last submission day (UTC), inclusive; default today. */
  to: isoDate().optional(),
});

export interface ClaimStats {
  from: string;
  to: string;
  perDay: { day: string; status: string; claimCount: number }[];
  paidByProvider: { providerId: string; providerName: string; paidAmount: string }[];
  denialReasons: { group: string; reasonCode: string; lineCount: number; amount: string }[];
}

function scopeOf(principal: Principal): { column: string; orgId: string } {
  if (principal.orgKind === 'provider')
    return { column: 'provider_org_id', orgId: principal.orgId };
  if (principal.orgKind === 'payer') return { column: 'payer_org_id', orgId: principal.orgId };
  throw new Forbidden('claim statistics are open to providers and payers only');
}

/** The window as [fromInstant, toExclusiveInstant), checked for order and length. */
export function statsWindow(
  query: z.output<typeof claimStatsQuerySchema>,
  today: string,
): { from: string; to: string; start: Date; end: Date } {
  const to = query.to ?? today;
  const end = new Date(Date.parse(`${to}T00:00:00.000Z`) + DAY_MS);
  const from = query.from ?? new Date(end.getTime() - 30 * DAY_MS).toISOString().slice(0, 10);
  const start = new Date(`${from}T00:00:00.000Z`);
  if (start >= end) {
    throw new InvalidInput('invalid query', [{ field: 'from', message: 'must not be after to' }]);
  }
  if (end.getTime() - start.getTime() > STATS_WINDOW_DAYS_MAX * DAY_MS) {
    throw new InvalidInput('invalid query', [
      { field: 'from', message: `the window must be at most ${STATS_WINDOW_DAYS_MAX} days` },
    ]);
  }
  return { from, to, start, end };
}

export async function claimStats(
  database: Database,
  principal: Principal,
  query: z.output<typeof claimStatsQuerySchema>,
): Promise<ClaimStats> {
  const { column, orgId } = scopeOf(principal);
  const window = statsWindow(query, new Date().toISOString().slice(0, 10));
  const values = [orgId, window.start, window.end];
  const scope = `c.${column} = $1 AND c.submitted_at >= $2 AND c.submitted_at < $3`;
  // The latest decision of each claim in the window (a person's decision follows a pend).
  const latest = `JOIN LATERAL (
      SELECT paid_amount, result FROM claim_decisions WHERE claim_id = c.id
       ORDER BY decided_at DESC LIMIT 1) d ON true`;
  const [perDay, paid, denials] = await Promise.all([
    database.pool.query<{ day: string; status: string; claim_count: number }>(
      `SELECT to_char(c.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, c.status,
              count(*)::int AS claim_count
         FROM claims c WHERE ${scope} GROUP BY 1, 2 ORDER BY 1, 2`,
      values,
    ),
    database.pool.query<{ provider_id: string; name: string; paid: string }>(
      `SELECT c.provider_org_id AS provider_id, o.name, sum(d.paid_amount)::text AS paid
         FROM claims c ${latest} JOIN organizations o ON o.id = c.provider_org_id
        WHERE ${scope} AND c.status NOT IN ('voided', 'replaced')
        GROUP BY 1, 2 ORDER BY sum(d.paid_amount) DESC, 1 LIMIT 50`,
      values,
    ),
    database.pool.query<{ grp: string; reason: string; line_count: number; amount: string }>(
      `SELECT a->>'group' AS grp, a->>'reasonCode' AS reason, count(*)::int AS line_count,
              sum((a->>'amount')::numeric)::text AS amount
         FROM claims c ${latest}
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(d.result->'lines', '[]'::jsonb)) l
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(l->'adjustments', '[]'::jsonb)) a
        WHERE ${scope} AND (l->>'denied')::boolean IS TRUE
        GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 50`,
      values,
    ),
  ]);
  return {
    from: window.from,
    to: window.to,
    perDay: perDay.rows.map((row) => ({
      day: row.day,
      status: row.status,
      claimCount: row.claim_count,
    })),
    paidByProvider: paid.rows.map((row) => ({
      providerId: row.provider_id,
      providerName: row.name,
      paidAmount: row.paid,
    })),
    denialReasons: denials.rows.map((row) => ({
      group: row.grp,
      reasonCode: row.reason,
      lineCount: row.line_count,
      amount: row.amount,
    })),
  };
}
