// Opaque page cursors: base64url JSON of the last row's sort key. A cursor we did not make
// is refused (422 naming "cursor"): read as "no cursor" it would restart the list, and a
// client paging on would loop; passed to a query it would fail as a 500. So a decoded key is
// checked part by part (a timestamp that parses and is in range, a UUID) before any SQL sees it.
import { z } from 'zod';
import { InvalidInput } from '../infra/errors.js';
import { expected, isoTimestamp } from './validation.js';

const NOT_OURS = 'is not a cursor from a previous page';

/** The `cursor` query parameter: ours are far shorter than 500 characters. */
export const cursorParameter = z
  .string({ error: expected('a cursor from a previous page') })
  .max(500, NOT_OURS)
  .optional();

/** The parts a cursor's key is built of, so that each is checked when the cursor is decoded. */
export const cursorKeyPart = {
  /** A row's timestamp, given back in UTC as `toISOString` wrote it. */
  timestamp: isoTimestamp(),
  id: z.uuid(),
};

export interface CursorCodec<Key> {
  encode(key: Key): string;
  decode(cursor: string | undefined): Key | undefined;
  /**
   * The page of `rows`, fetched with `limit + 1` so that one row more tells whether a next
   * page exists, and the cursor of that next page (the key of the page's last row).
   */
  page<Row>(
    rows: readonly Row[],
    limit: number,
    keyOf: (row: Row) => Key,
  ): { rows: Row[]; nextCursor: string | null };
}

export function cursorCodec<Schema extends z.ZodType>(
  schema: Schema,
): CursorCodec<z.output<Schema>> {
  const encode = (key: z.output<Schema>) =>
    Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  return {
    encode,
    page(rows, limit, keyOf) {
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextCursor: rows.length > limit && last !== undefined ? encode(keyOf(last)) : null,
      };
    },
    decode(cursor) {
      if (!cursor) return undefined;
      try {
        const parsed = schema.safeParse(
          JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
        );
        if (parsed.success) return parsed.data;
      } catch {
        // not JSON: refused below
      }
      throw new InvalidInput('invalid query', [{ field: 'cursor', message: NOT_OURS }]);
    },
  };
}
