// Aggregates for the console's charts: claims per day by status, paid amounts by provider and
// denial reasons by CARC over a window of submission days. Read-only, scoped like every claim
// read (a provider its own claims, a payer those addressed to it); counts and sums, no PHI.
// Besides, the count of every claim by status that the operator's /metrics reports.
import { z } from 'zod';
import type { Database, Queryable } from '../../infra/db.js';
import { Forbidden, InvalidInput } from '../../infra/errors.js';
import { denialReasonsOf, latestPaidTotalsByGroup } from '../adjudication/index.js';
import { findOrganizations, type Principal } from '../organizations.js';
import { isoDate } from '../validation.js';
import { CLAIM_STATUSES } from './query.js';
import { type ClaimSet, claimsSubmittedIn } from './sets.js';

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

function scopeOf(principal: Principal): {
  column: 'provider_org_id' | 'payer_org_id';
  orgId: string;
} {
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

/** Most providers and denial reasons a chart lists. */
const CHART_ROWS_MAX = 50;

export async function claimStats(
  database: Database,
  principal: Principal,
  query: z.output<typeof claimStatsQuerySchema>,
): Promise<ClaimStats> {
  const { column, orgId } = scopeOf(principal);
  const window = statsWindow(query, new Date().toISOString().slice(0, 10));
  // The latest decision of each claim in the window counts (a person's decision follows a pend);
  // a reversed claim's pays nothing any more, its denials still tell why claims were denied.
  const every = claimsSubmittedIn(column, orgId, window.start, window.end, { reversed: true });
  const standing = claimsSubmittedIn(column, orgId, window.start, window.end, { reversed: false });
  const [perDay, paidByProvider, denialReasons] = await Promise.all([
    database.pool.query<{ day: string; status: string; claim_count: number }>(
      `SELECT to_char(c.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, c.status,
              count(*)::int AS claim_count
         FROM (${every.sql}) c GROUP BY 1, 2 ORDER BY 1, 2`,
      every.values,
    ),
    paidByProviderOf(database, standing),
    denialReasonsOf(database.pool, every, CHART_ROWS_MAX),
  ]);
  return {
    from: window.from,
    to: window.to,
    perDay: perDay.rows.map((row) => ({
      day: row.day,
      status: row.status,
      claimCount: row.claim_count,
    })),
    paidByProvider,
    denialReasons,
  };
}

/** What the claims' latest decisions paid, by provider: the most paid first, at most 50. */
async function paidByProviderOf(
  database: Database,
  claims: ClaimSet,
): Promise<ClaimStats['paidByProvider']> {
  const top = await latestPaidTotalsByGroup(database.pool, claims, CHART_ROWS_MAX);
  const providers = await findOrganizations(
    database,
    top.map(({ group }) => group),
  );
  return top.map(({ group: providerId, paidAmount }) => ({
    providerId,
    providerName: providers.get(providerId)!.name,
    paidAmount,
  }));
}

/** Claims by status, every status included (0 for those no claim has), for /metrics. */
export async function countClaimsByStatus(db: Queryable): Promise<Map<string, number>> {
  // Index-only scans, no claim row read: claims_status_idx holds every status but
  // submitted (so that adjudication's pick has only the ordered queue index to use),
  // claims_submitted_queue_idx the submitted claims.
  const { rows } = await db.query<{ status: string; count: string }>(
    `SELECT status, count(*) AS count FROM claims WHERE status <> 'submitted' GROUP BY status
     UNION ALL
     SELECT 'submitted', count(*) FROM claims WHERE status = 'submitted'`,
  );
  return new Map([
    ...CLAIM_STATUSES.map((status) => [status, 0] as const),
    ...rows.map((row) => [row.status, Number(row.count)] as const),
  ]);
}
