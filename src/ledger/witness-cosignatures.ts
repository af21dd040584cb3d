// What the log knows of each witness: the largest checkpoint it has cosigned, read from the
// stored cosignatures (transparency-log.ts owns the table and adds to it after verifying).
import type { Queryable } from '../infra/db.js';

/** A witness key's latest cosignature: size 0 and no time when it has cosigned nothing. */
export interface LatestCosignature {
  treeSize: number;
  addedAt: Date | null;
}

export const NOTHING_COSIGNED: LatestCosignature = Object.freeze({ treeSize: 0, addedAt: null });

/**
 * The latest checkpoint's size and, for each key in order, the largest size it cosigned and when
 * that cosignature was stored, in one query: what a push sweep decides on, what one push or a
 * wait for the witnesses reads, and what the witnesses' status shows. Undefined before the first
 * checkpoint.
 */
export async function cosignaturesOfLatest(
  db: Queryable,
  keys: readonly { keyName: string; keyId: number }[],
): Promise<{ latestSize: number; cosigned: LatestCosignature[] } | undefined> {
  const { rows } = await db.query<{
    latest: string;
    cosigned: { size: string | null; at: string | null }[];
  }>(
    `SELECT latest.tree_size::text AS latest,
            coalesce((SELECT json_agg(json_build_object('size', last.tree_size::text,
                                                        'at', last.added_at) ORDER BY k.position)
                        FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(key_name, key_id, position)
                        LEFT JOIN LATERAL (
                          SELECT c.tree_size, c.added_at FROM ledger_cosignatures c
                           WHERE c.key_name = k.key_name AND c.key_id = k.key_id
                           ORDER BY c.tree_size DESC LIMIT 1) AS last ON true),
                     '[]') AS cosigned
       FROM (SELECT tree_size FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1) AS latest`,
    [keys.map((key) => key.keyName), keys.map((key) => key.keyId)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    latestSize: Number(row.latest),
    cosigned: row.cosigned.map(({ size, at }) =>
      size === null ? NOTHING_COSIGNED : { treeSize: Number(size), addedAt: new Date(at!) },
    ),
  };
}
