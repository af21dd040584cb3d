// What the log knows of each witness: the largest checkpoint it has cosigned, read from the
// stored cosignatures (transparency-log.ts owns the table and adds to it after verifying).
import type { Queryable } from '../infra/db.js';

/** The size of the largest checkpoint this witness key cosigned, or 0 when none. */
export async function latestCosignedSize(
  db: Queryable,
  keyName: string,
  keyId: number,
): Promise<number> {
  const { rows } = await db.query<{ size: string | null }>(
    `SELECT max(tree_size)::text AS size FROM ledger_cosignatures WHERE key_name = $1 AND key_id = $2`,
    [keyName, keyId],
  );
  return Number(rows[0]?.size ?? 0);
}
