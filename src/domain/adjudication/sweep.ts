// The adjudication sweep: decides the submitted claims, oldest first, in batches (batch.ts) of up
// to `batchClaimsMax` claims, each batch one transaction; `parallel` batches run at once, on
// disjoint claims (SKIP LOCKED). A batch that throws is rolled back and its claims are decided
// one by one, so that the claim whose adjudication throws is found, counted (failures.ts) and
// tried again by later sweeps until it is sent to review, while the others are decided. A
// failure that says nothing about the claims is not counted: a lost serialization race leaves
// them to the next batch or sweep, and a database outage stops the sweep (the next one starts
// over).
import { performance } from 'node:perf_hooks';
import type { Database } from '../../infra/db.js';
import { dependencyOutageReason, isLostRace } from '../../infra/errors.js';
import { adjudicateBatch } from './batch.js';
import { recordAdjudicationFailure, type RecordedFailure } from './failures.js';
import { adjudicateClaim } from './service.js';

/** Claims one batch takes when the caller does not say (ADJUDICATION_BATCH_CLAIMS_MAX). */
export const BATCH_CLAIMS_DEFAULT = 500;

export interface SweepResult {
  decided: number;
  skipped: number;
  failed: number;
  sentToReview: number;
}

export interface SweepOptions {
  /** Claims the whole sweep takes at most. */
  claimsMax: number;
  /** Batches deciding at once. */
  parallel: number;
  /** Claims one batch (one transaction) takes at most; default BATCH_CLAIMS_DEFAULT. */
  batchClaimsMax?: number;
  /** Hears of each claim that failed, after the failure is counted. */
  onFailure: (claimId: string, error: unknown, recorded: RecordedFailure) => void;
  /**
   * Hears how long each claim's adjudication transaction took (its batch's, for a claim decided
   * in a batch), for the latency metrics.
   */
  onTimed?: (outcome: 'decided' | 'skipped' | 'failed', durationMs: number) => void;
}

/** Decides up to `claimsMax` submitted claims, in batches, `parallel` batches at a time. */
export async function adjudicateSubmitted(
  database: Database,
  options: SweepOptions,
): Promise<SweepResult> {
  const result: SweepResult = { decided: 0, skipped: 0, failed: 0, sentToReview: 0 };
  const batchClaimsMax = options.batchClaimsMax ?? BATCH_CLAIMS_DEFAULT;
  let outage: unknown;
  // Each of the parallel batches decides its own share of the members, with its part of the
  // claims, so they never queue on one another's accumulator rows; a share is drained when its
  // batch comes back short (what it left is the next sweep's).
  const claimsPerShare = Math.ceil(options.claimsMax / options.parallel);
  await Promise.all(
    Array.from({ length: options.parallel }, async (_, index) => {
      const share = { index, count: options.parallel };
      let claimsLeft = claimsPerShare;
      let drained = false;
      while (claimsLeft > 0 && !drained && outage === undefined) {
        const size = Math.min(batchClaimsMax, claimsLeft);
        claimsLeft -= size;
        const taken: string[] = [];
        const startedAt = performance.now();
        try {
          const { outcomes } = await adjudicateBatch(database, { claimsMax: size, share }, taken);
          const durationMs = performance.now() - startedAt;
          for (const { outcome } of outcomes) {
            const skipped = outcome.status === 'skipped';
            if (skipped) result.skipped += 1;
            else result.decided += 1;
            options.onTimed?.(skipped ? 'skipped' : 'decided', durationMs);
          }
          // Fewer than asked: no claim of this share is waiting that another batch has not taken.
          if (outcomes.length < size) drained = true;
        } catch (error) {
          if (dependencyOutageReason(error) !== undefined) {
            outage = error;
          } else if (isLostRace(error)) {
            result.skipped += taken.length; // a later batch decides them
          } else {
            outage = await decideOneByOne(database, taken, options, result);
          }
        }
      }
    }),
  );
  if (outage !== undefined) throw outage;
  return result;
}

/**
 * Decides the claims of a failed batch alone, each in its own transaction, counting the one(s)
 * that fail. Returns an outage that stopped it, if any.
 */
async function decideOneByOne(
  database: Database,
  claimIds: string[],
  options: SweepOptions,
  result: SweepResult,
): Promise<unknown> {
  for (const claimId of claimIds) {
    const startedAt = performance.now();
    const timed = (outcome: 'decided' | 'skipped' | 'failed') =>
      options.onTimed?.(outcome, performance.now() - startedAt);
    try {
      const outcome = await adjudicateClaim(database, claimId);
      if (outcome.status === 'skipped') result.skipped += 1;
      else result.decided += 1;
      timed(outcome.status === 'skipped' ? 'skipped' : 'decided');
    } catch (error) {
      if (dependencyOutageReason(error) !== undefined) return error;
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
  return undefined;
}
