// Opaque page cursors: base64url JSON of the last row's sort key. A cursor we did not make
// is refused (422 naming "cursor"): read as "no cursor" it would restart the list, and a
// client paging on would loop; passed to a query it would fail as a 500.
import type { z } from 'zod';
import { InvalidInput } from '../infra/errors.js';

export interface CursorCodec<Key> {
  encode(key: Key): string;
  decode(cursor: string | undefined): Key | undefined;
}

export function cursorCodec<Schema extends z.ZodType>(
  schema: Schema,
): CursorCodec<z.output<Schema>> {
  return {
    encode: (key) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url'),
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
      throw new InvalidInput('invalid query', [
        { field: 'cursor', message: 'is not a cursor from a previous page' },
      ]);
    },
  };
}
