// An adjudication worker in its own process, for the concurrency and crash tests: the real
// sweep loop (batches of BATCH_CLAIMS_MAX, two at a time), until no claim is left submitted or
// DEADLINE_MS passes. Prints each sweep's result, one JSON line each.
import { openDatabase } from '../../src/infra/db.js';
import { adjudicateSubmitted } from '../../src/domain/adjudication/sweep.js';

const DEADLINE_MS = 120_000;

const database = openDatabase(process.env.DATABASE_URL!, 4);
const batchClaimsMax = Number(process.env.BATCH_CLAIMS_MAX ?? '100');
const started = Date.now();
for (;;) {
  const result = await adjudicateSubmitted(database, {
    claimsMax: 4 * batchClaimsMax,
    parallel: 2,
    batchClaimsMax,
    onFailure: (claimId, _error, recorded) =>
      process.stderr.write(`failed ${claimId} ${JSON.stringify(recorded)}\n`),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.decided > 0) continue;
  const { rows } = await database.pool.query<{ waiting: number }>(
    "SELECT count(*)::int AS waiting FROM claims WHERE status = 'submitted'",
  );
  if (rows[0]!.waiting === 0 || Date.now() - started > DEADLINE_MS) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await database.close();
