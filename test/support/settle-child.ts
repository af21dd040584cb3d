// Settlement in its own process, for the crash test: it prints each settled provider, so
// the test can SIGKILL it while it builds the next batch.
import { openDatabase } from '../../src/infra/db.js';
import { settlePair } from '../../src/domain/settlement/service.js';

const database = openDatabase(process.env.DATABASE_URL!, 2);
for (const providerOrgId of process.env.PROVIDER_IDS!.split(',')) {
  await settlePair(database, process.env.PAYER_ID!, providerOrgId);
  process.stdout.write(`settled ${providerOrgId}\n`);
}
await database.close();
