// Claims whose automatic adjudication throws. A sweep counts each failure; after
// ADJUDICATION_ATTEMPTS_MAX failures the claim is pended for a person with the failure named,
// so a claim the engine cannot decide is never retried in silence for ever and never holds up
// the others. A failure is named by its error class or SQLSTATE, never by its message, which
// could quote patient data.
import type { Database } from '../../infra/db.js';
import { inTransaction } from '../../infra/db.js';
import { claimStatusesOf, lockClaim } from '../claims/index.js';
import { recordDecision } from './service.js';

/** Failed attempts after which a claim goes to the review queue. */
export const ADJUDICATION_ATTEMPTS_MAX = 3;

export interface RecordedFailure {
  /** What failed, e.g. "PostgreSQL 22P02" or "TypeError": no message, so no PHI. */
  failure: string;
  attempts: number;
  sentToReview: boolean;
}

/** The error's class or SQLSTATE: enough for an operator to find it, nothing from the data. */
export function failureNameOf(error: unknown): string {
  const fields = error as { code?: unknown; name?: unknown } | null;
  if (typeof fields?.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code)) {
    return `PostgreSQL ${fields.code}`;
  }
  if (error instanceof Error) return error.name;
  return typeof error;
}

/**
 * Counts one failed attempt at deciding `claimId`; at the last attempt pends the claim with
 * the failure as its reason. A claim no longer submitted (decided meanwhile) is left alone.
 */
export async function recordAdjudicationFailure(
  database: Database,
  claimId: string,
  error: unknown,
): Promise<RecordedFailure> {
  const failure = failureNameOf(error);
  return inTransaction(database.pool, async (client) => {
    const claim = await lockClaim(client, claimId, { status: 'submitted' });
    if (!claim) return { failure, attempts: 0, sentToReview: false };
    const counted = await client.query<{ attempts: number }>(
      `INSERT INTO adjudication_failures (claim_id, attempts, failure, first_failed_at, last_failed_at)
       VALUES ($1, 1, $2, now(), now())
       ON CONFLICT (claim_id) DO UPDATE
         SET attempts = adjudication_failures.attempts + 1, failure = EXCLUDED.failure,
             last_failed_at = EXCLUDED.last_failed_at
       RETURNING attempts`,
      [claimId, failure],
    );
    const attempts = counted.rows[0]!.attempts;
    if (attempts < ADJUDICATION_ATTEMPTS_MAX) return { failure, attempts, sentToReview: false };
    const reason =
      `automatic adjudication failed ${attempts} times (${failure}); ` +
      'decide by hand or ask the operator';
    await recordDecision(
      client,
      claim,
      { outcome: 'pend', pendReasons: [reason] },
      { adjudicationFailure: { failure, attempts } },
      'auto',
    );
    await client.query(
      'UPDATE adjudication_failures SET sent_to_review_at = now() WHERE claim_id = $1',
      [claimId],
    );
    return { failure, attempts, sentToReview: true };
  });
}

export interface AdjudicationFailureCounts {
  /** Submitted claims that failed at least once and will be tried again. */
  retrying: number;
  /** Claims pended for a person after their attempts ran out, still waiting in review. */
  inReview: number;
  /** Every claim that was ever sent to review this way. */
  sentToReviewTotal: number;
}

/** What the operator watches: claims the engine could not decide. */
export async function adjudicationFailureCounts(
  database: Database,
): Promise<AdjudicationFailureCounts> {
  // Both reads in one snapshot, as the one statement they replace; where each claim stands is the
  // claims area's to say.
  return inTransaction(
    database.pool,
    async (client) => {
      const { rows } = await client.query<{ claim_id: string; sent: boolean }>(
        'SELECT claim_id, sent_to_review_at IS NOT NULL AS sent FROM adjudication_failures',
      );
      const statuses = await claimStatusesOf(
        client,
        rows.map((row) => row.claim_id),
      );
      const counts = { retrying: 0, inReview: 0, sentToReviewTotal: 0 };
      for (const { claim_id: claimId, sent } of rows) {
        const status = statuses.get(claimId);
        if (status === undefined) continue;
        if (!sent && status === 'submitted') counts.retrying += 1;
        if (sent && status === 'pended') counts.inReview += 1;
        if (sent) counts.sentToReviewTotal += 1;
      }
      return counts;
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}
