// What the operator's monitoring reads at scrape time: claims by status, the chain's height,
// events waiting to be sealed, and the exceptions of the latest reconciliation. One read-only
// transaction with a statement timeout, so a scrape can never hold the database for long.
import { inTransaction, type Database } from '../infra/db.js';
import { countUnsealedEvents, readHead } from '../ledger/read.js';
import { countClaimsByStatus } from './claims/index.js';
import { latestCompletedRunExceptionCount } from './reconciliation/index.js';

/** Longest a scrape's queries may run; past it the scrape reports the database as failed. */
const STATEMENT_TIMEOUT_MS = 2_000;

export interface OperationalCounts {
  /** Every status, with 0 for those no claim has, so that a series never vanishes. */
  claimsByStatus: Map<string, number>;
  blockHeight: number;
  unsealedEvents: number;
  /** Exceptions the latest completed reconciliation run found (undefined before any run). */
  reconciliationExceptions: number | undefined;
}

export function readOperationalCounts(database: Database): Promise<OperationalCounts> {
  return inTransaction(
    database.pool,
    async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      const claimsByStatus = await countClaimsByStatus(client);
      const head = await readHead(client);
      const unsealedEvents = await countUnsealedEvents(client, head);
      const reconciliationExceptions = await latestCompletedRunExceptionCount(client);
      return {
        claimsByStatus,
        blockHeight: head?.height ?? 0,
        unsealedEvents,
        reconciliationExceptions,
      };
    },
    'BEGIN READ ONLY',
  );
}
