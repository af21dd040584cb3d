// Sealing worker: seals pending ledger events into hash-chained blocks. A job scheduler
// runs it every SEAL_INTERVAL_MS; the ledger itself is the outbox (every event with a seq
// past the head block is pending), so an event committed just before a crash is sealed
// by the next run. A duplicate or concurrent job finds the advisory lock taken or
// nothing pending, and the block table rejects a second block at the same height.
import { secondsSince } from '../src/infra/metrics.js';
import { ed25519SignerNode } from '../src/ledger/ed25519.js';
import { sealPending } from '../src/ledger/seal.js';
import { parseSignerKey } from '../src/ledger/tlog/note.js';
import type { WorkerDependencies } from './index.js';
import { startScheduledWorker } from './scheduled.js';

/** Blocks sealed by one job before it yields to the next scheduled one. */
const BLOCKS_PER_JOB_MAX = 100;

export function initSealingWorker(dependencies: WorkerDependencies) {
  const { config, database, logger, metrics } = dependencies;
  // Each block's checkpoint is signed with the log's key, in the block's own transaction.
  const signer = parseSignerKey(config.ledgerLogKey, ed25519SignerNode);
  if (config.ledgerLogKeyIsDevelopment) {
    logger.warn(
      { origin: signer.keyName },
      'ledger checkpoints are signed with the published DEVELOPMENT key: they prove nothing; set LEDGER_LOG_KEY',
    );
  }
  return startScheduledWorker(dependencies, {
    queueName: 'sealing',
    schedulerId: 'seal-every-interval',
    jobName: 'seal',
    everyMs: config.sealIntervalMs,
    jobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 500 } },
    run: async () => {
      const startedAt = process.hrtime.bigint();
      const result = await sealPending(
        database.pool,
        config.sealBlockEventsMax,
        BLOCKS_PER_JOB_MAX,
        signer,
      );
      // A run that found nothing to seal (or another sealer busy) says nothing of sealing latency.
      if (result.blocks > 0) {
        metrics.sealDuration.observe(secondsSince(startedAt));
        metrics.sealedBlocks.inc(result.blocks);
        metrics.sealedEvents.inc(result.events);
      }
      return result;
    },
    onCompleted: (result) => {
      if (result.blocks > 0) logger.info(result, 'sealed blocks');
    },
    failureMessage: 'sealing job failed',
  });
}
