// The adjudication sweep: decides the submitted claims, oldest first, several at a time, each
// in its own transaction. A claim whose adjudication throws is counted (failures.ts) and tried
// again by later sweeps until it is sent to review; the others go on being decided. A failure
// that says nothing about the claim (the database away, a lost serialization race) is not
// counted: the sweep stops and the next one starts over.
import type { Database } from '../../infra/db.js';
import { isTransientDatabaseError } from '../../infra/errors.js';
import { recordAdjudicationFailure, type RecordedFailure } from './failures.js';
import { adjudicateClaim } from './service.js';

export interface SweepResult {
  decided: number;
  skipped: number;
  failed: number;
  sentToReview: number;
}

export interface SweepOptions {
  claimsMax: number;
  parallel: number;
  /** Hears of each claim that failed, after the failure is counted. */
  onFailure: (claimId: string, error: unknown, recorded: RecordedFailure) => void;
}

/** Decides up to `claimsMax` submitted claims, `parallel` at a time. */
export async function adjudicateSubmitted(
  database: Database,
  options: SweepOptions,
): Promise<SweepResult> {
  const { rows } = await database.pool.query<{ id: string }>(
    "SELECT id FROM claims WHERE status = 'submitted' ORDER BY submitted_at, id LIMIT $1",
    [options.claimsMax],
  );
  const result: SweepResult = { decided: 0, skipped: 0, failed: 0, sentToReview: 0 };
  let next = 0;
  let transientError: unknown;
  await Promise.all(
    Array.from({ length: options.parallel }, async () => {
      while (next < rows.length && transientError === undefined) {
        const claimId = rows[next++]!.id;
        try {
          const outcome = await adjudicateClaim(database, claimId);
          if (outcome.status === 'skipped') result.skipped += 1;
          else result.decided += 1;
        } catch (error) {
          if (isTransientDatabaseError(error)) {
            transientError = error;
            break;
          }
          const recorded = await recordAdjudicationFailure(database, claimId, error);
          result.failed += 1;
          if (recorded.sentToReview) result.sentToReview += 1;
          options.onFailure(claimId, error, recorded);
        }
      }
    }),
  );
  if (transientError !== undefined) throw transientError;
  return result;
}
