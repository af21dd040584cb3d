// Query plans read back from PostgreSQL (EXPLAIN FORMAT JSON), for the tests that hold a hot
// statement to the index it was written for. Sequential scans are priced out (enable_seqscan
// off) so that a small test table answers what a large one would: which index can serve it.
import type { TestEnvironment } from './environment.js';

export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * The plan of `sql` with `params`, after `prepare` (statements run first, in the same
 * transaction, e.g. rows that make a table look as it does under load) and ANALYZE of
 * `tables`; all of it is rolled back.
 */
export async function planOf(
  environment: TestEnvironment,
  sql: string,
  params: unknown[],
  tables: string[],
  prepare: string[] = [],
): Promise<PlanNode> {
  const client = await environment.database.pool.connect();
  try {
    await client.query('BEGIN');
    for (const statement of prepare) await client.query(statement);
    for (const table of tables) await client.query(`ANALYZE ${table}`);
    await client.query('SET LOCAL enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${sql}`,
      params,
    );
    return rows[0]!['QUERY PLAN'][0].Plan;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** Every node of a plan, depth first. */
export function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}
