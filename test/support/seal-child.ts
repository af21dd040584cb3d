// A sealer in its own process, for the crash test: it prints each sealed block, so the
// test can SIGKILL it while it is in the middle of the next one.
import { openDatabase } from '../../src/infra/db.js';
import { sealNextBlock } from '../../src/ledger/seal.js';

const database = openDatabase(process.env.DATABASE_URL!, 2);
const blockEventsMax = Number(process.env.SEAL_BLOCK_EVENTS_MAX ?? '10000');
for (;;) {
  const outcome = await sealNextBlock(database.pool, blockEventsMax);
  if (outcome.status !== 'sealed') break;
  process.stdout.write(`sealed ${outcome.height}\n`);
}
await database.close();
