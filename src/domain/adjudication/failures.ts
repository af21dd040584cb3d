// Claims whose automatic adjudication throws. A sweep counts each failure; after
// ADJUDICATION_ATTEMPTS_MAX failures the claim is pended for a person with the failure named,
// so a claim the engine cannot decide is never retried in silence for ever and never holds up
// the others. A failure is named by its error class or SQLSTATE, never by its message, which
// could quote patient data.
import type { Database } from '../../infra/db.js';
import { inTransaction } from '../../infra/db.js';
import { CLAIM_COLUMNS, recordDecision, type ClaimRow } from './service.js';

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
    const { rows } = await client.query<ClaimRow>(
      `SELECT ${CLAIM_COLUMNS} FROM claims WHERE id = $1 AND status = 'submitted' FOR UPDATE`,
      [claimId],
    );
    const claim = rows[0];
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
  const { rows } = await database.pool.query<{
    retrying: number;
    in_review: number;
    sent_total: number;
  }>(
    `SELECT count(*) FILTER (WHERE f.sent_to_review_at IS NULL AND c.status = 'submitted')::int AS retrying,
            count(*) FILTER (WHERE f.sent_to_review_at IS NOT NULL AND c.status = 'pended')::int AS in_review,
            count(*) FILTER (WHERE f.sent_to_review_at IS NOT NULL)::int AS sent_total
       FROM adjudication_failures f JOIN claims c ON c.id = f.claim_id`,
  );
  const row = rows[0]!;
  return {
    retrying: row.retrying,
    inReview: row.in_review,
    sentToReviewTotal: row.sent_total,
  };
}
