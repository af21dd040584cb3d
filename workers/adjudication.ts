// Adjudication worker: decides every submitted claim. A job scheduler runs a sweep every
// ADJUDICATION_INTERVAL_MS; the claims table is the outbox (every claim with status
// "submitted" is waiting), so a claim committed just before a crash is decided by the next
// sweep, and a claim another worker is deciding is skipped (row lock, SKIP LOCKED). Claims are
// decided in batches of ADJUDICATION_BATCH_CLAIMS_MAX, one transaction each (batch.ts).
import { adjudicateSubmitted } from '../src/domain/adjudication/index.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

/** Batches one sweep decides at most; the next sweep takes the rest. */
const BATCHES_PER_SWEEP_MAX = 10;

export function initAdjudicationWorker(dependencies: WorkerDependencies) {
  const { config, database, logger, metrics } = dependencies;
  return startScheduledWorker(dependencies, {
    queueName: 'adjudication',
    schedulerId: 'adjudicate-every-interval',
    jobName: 'sweep',
    everyMs: config.adjudicationIntervalMs,
    run: () =>
      adjudicateSubmitted(database, {
        claimsMax: BATCHES_PER_SWEEP_MAX * config.adjudicationBatchClaimsMax,
        // Batches deciding at once within a sweep (ADJUDICATION_BATCHES_IN_PARALLEL); more
        // workers (processes) add more.
        parallel: config.adjudicationBatchesInParallel,
        batchClaimsMax: config.adjudicationBatchClaimsMax,
        // One claim's failure must not hold up the others; it is tried again next sweep until
        // its attempts run out. The error's message could quote patient data: log its name.
        onFailure: (claimId, _error, recorded) =>
          logger.error(
            { claimId, ...recorded },
            recorded.sentToReview
              ? 'adjudication failed; claim sent to review'
              : 'adjudication failed; will retry',
          ),
        onTimed: (outcome, durationMs) =>
          metrics.adjudicationDuration.observe({ outcome }, durationMs / 1000),
      }),
    onCompleted: (result) => {
      if (result.decided > 0 || result.failed > 0) logger.info(result, 'adjudicated claims');
    },
    failureMessage: 'adjudication sweep failed',
  });
}
