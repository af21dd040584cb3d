// The adjudication sweep: decides the submitted claims, oldest first, several at a time, each
// in its own transaction. A claim whose adjudication throws is counted (failures.ts) and tried
// again by later sweeps until it is sent to review; the others go on being decided. A failure
// that says nothing about the claim is not counted: a lost serialization race leaves the claim
// to the next sweep, and a database outage stops the sweep (the next one starts over).
import type { Database } from '../../infra/db.js';
import { dependencyOutageReason, isLostRace } from '../../infra/errors.js';
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
  /** Hears how long each claim took (its adjudication transaction), for the latency metrics. */
  onTimed?: (outcome: 'decided' | 'skipped' | 'failed', durationMs: number) => void;
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
  let outage: unknown;
  await Promise.all(
    Array.from({ length: options.parallel }, async () => {
      while (next < rows.length && outage === undefined) {
        const claimId = rows[next++]!.id;
        const startedAt = performance.now();
        const timed = (outcome: 'decided' | 'skipped' | 'failed') =>
          options.onTimed?.(outcome, performance.now() - startedAt);
        try {
          const outcome = await adjudicateClaim(database, claimId);
          if (outcome.status === 'skipped') result.skipped += 1;
          else result.decided += 1;
          timed(outcome.status === 'skipped' ? 'skipped' : 'decided');
        } catch (error) {
          if (dependencyOutageReason(error) !== undefined) {
            outage = error;
            break;
          }
          if (isLostRace(error)) {
            result.skipped += 1; // a later sweep decides it
            timed('skipped');
            continue;
          }
          timed('failed');
          const recorded = await recordAdjudicationFailure(database, claimId, error);
          result.failed += 1;
          if (recorded.sentToReview) result.sentToReview += 1;
          options.onFailure(claimId, error, recorded);
        }
      }
    }),
  );
  if (outage !== undefined) throw outage;
  return result;
}
