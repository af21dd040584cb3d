// Adjudication worker: decides every submitted claim. A job scheduler runs a sweep every
// ADJUDICATION_INTERVAL_MS; the claims table is the outbox (every claim with status
// "submitted" is waiting), so a claim committed just before a crash is decided by the next
// sweep, and a claim another worker is deciding is skipped (row lock, SKIP LOCKED).
import { adjudicateSubmitted } from '../src/domain/adjudication/sweep.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

/** Claims one sweep takes; the next sweep takes the rest. */
const CLAIMS_PER_SWEEP_MAX = 1_000;
/** Claims decided at once within a sweep (each in its own transaction). */
const CLAIMS_IN_PARALLEL = 4;

export function initAdjudicationWorker(dependencies: WorkerDependencies) {
  const { config, database, logger, metrics } = dependencies;
  return startScheduledWorker(dependencies, {
    queueName: 'adjudication',
    schedulerId: 'adjudicate-every-interval',
    jobName: 'sweep',
    everyMs: config.adjudicationIntervalMs,
    run: () =>
      adjudicateSubmitted(database, {
        claimsMax: CLAIMS_PER_SWEEP_MAX,
        parallel: CLAIMS_IN_PARALLEL,
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
