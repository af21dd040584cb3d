// What the log knows of each witness: the largest checkpoint it has cosigned, read from the
// stored cosignatures (transparency-log.ts owns the table and adds to it after verifying).
import type { Queryable } from '../infra/db.js';

/**
 * The latest checkpoint's size and, for each key in order, the largest size it cosigned (0 when
 * none), in one query: what a push sweep decides on, and what one push or a wait for the
 * witnesses reads. Undefined before the first checkpoint.
 */
export async function cosignedSizesOfLatest(
  db: Queryable,
  keys: readonly { keyName: string; keyId: number }[],
): Promise<{ latestSize: number; cosignedSizes: number[] } | undefined> {
  const { rows } = await db.query<{ latest: string; cosigned: (string | null)[] }>(
    `SELECT latest.tree_size::text AS latest,
            ARRAY(SELECT (SELECT max(c.tree_size) FROM ledger_cosignatures c
                           WHERE c.key_name = k.key_name AND c.key_id = k.key_id)::text
                    FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(key_name, key_id, position)
                   ORDER BY k.position) AS cosigned
       FROM (SELECT tree_size FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1) AS latest`,
    [keys.map((key) => key.keyName), keys.map((key) => key.keyId)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    latestSize: Number(row.latest),
    cosignedSizes: row.cosigned.map((size) => Number(size ?? 0)),
  };
}
