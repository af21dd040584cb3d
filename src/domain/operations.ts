// What the operator's monitoring reads at scrape time: claims by status, the chain's height,
// events waiting to be sealed, and the exceptions of the latest reconciliation. One read-only
// transaction with a statement timeout, so a scrape can never hold the database for long.
import { inTransaction, type Database } from '../infra/db.js';
import { countUnsealedEvents, readHead } from '../ledger/read.js';
import { CLAIM_STATUSES } from './claims/index.js';

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
      // Index-only scans, no claim row read: claims_status_idx holds every status but
      // submitted (so that adjudication's pick has only the ordered queue index to use),
      // claims_submitted_queue_idx the submitted claims.
      const claims = await client.query<{ status: string; count: string }>(
        `SELECT status, count(*) AS count FROM claims WHERE status <> 'submitted' GROUP BY status
         UNION ALL
         SELECT 'submitted', count(*) FROM claims WHERE status = 'submitted'`,
      );
      const head = await readHead(client);
      const unsealedEvents = await countUnsealedEvents(client, head);
      const run = await client.query<{ exception_count: number }>(
        `SELECT exception_count FROM reconciliation_runs WHERE status = 'completed'
          ORDER BY started_at DESC LIMIT 1`,
      );
      return {
        claimsByStatus: new Map([
          ...CLAIM_STATUSES.map((status) => [status, 0] as const),
          ...claims.rows.map((row) => [row.status, Number(row.count)] as const),
        ]),
        blockHeight: head?.height ?? 0,
        unsealedEvents,
        reconciliationExceptions: run.rows[0]?.exception_count,
      };
    },
    'BEGIN READ ONLY',
  );
}
