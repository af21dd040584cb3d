// The cursor codec: a cursor it wrote comes back as the same key; anything else (not base64url
// JSON, another shape, a timestamp that is no instant or out of range, an id that is no UUID) is
// refused as InvalidInput naming "cursor", before any query could see it.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { cursorCodec, cursorKeyPart } from '../../src/domain/cursor.js';
import { InvalidInput } from '../../src/infra/errors.js';

const codec = cursorCodec(
  z.strictObject({ createdAt: cursorKeyPart.timestamp, id: cursorKeyPart.id }),
);
const id = '0b7c9a4e-6d3f-4a8e-9c1b-2f5e8d7a6b4c';
const encoded = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

function refusal(cursor: string): InvalidInput {
  try {
    codec.decode(cursor);
  } catch (error) {
    if (error instanceof InvalidInput) return error;
    throw error;
  }
  throw new Error('the cursor was accepted');
}

describe('cursorCodec', () => {
  it('decodes what it encoded, and no cursor as none', () => {
    const key = { createdAt: '2026-11-25T09:30:00.123Z', id };
    expect(codec.decode(codec.encode(key))).toEqual(key);
    expect(codec.decode(undefined)).toBeUndefined();
  });

  it('pages with limit + 1 rows: the cursor is the last row of the page, none at the end', () => {
    const rows = [1, 2, 3].map((n) => ({ createdAt: `2026-11-2${n}T00:00:00.000Z`, id }));
    const page = codec.page(rows, 2, (row) => row);
    expect(page.rows).toEqual(rows.slice(0, 2));
    expect(codec.decode(page.nextCursor!)).toEqual(rows[1]);
    expect(codec.page(rows, 3, (row) => row).nextCursor).toBeNull();
  });

  it.each([
    ['random bytes', Buffer.from([0xff, 0x00, 0x7b]).toString('base64url')],
    ['JSON of another shape', encoded([1, 2])],
    ['null', encoded(null)],
    ['an extra key', encoded({ createdAt: '2026-11-25T09:30:00.000Z', id, more: 1 })],
    ['a timestamp that is not one', encoded({ createdAt: 'not a time', id })],
    ['year 0', encoded({ createdAt: '0000-01-01T00:00:00.000Z', id })],
    ['year 9999', encoded({ createdAt: '9999-12-31T23:59:59.999Z', id })],
    ['February 30', encoded({ createdAt: '2026-02-30T00:00:00.000Z', id })],
    ['an id that is no UUID', encoded({ createdAt: '2026-11-25T09:30:00.000Z', id: 'x' })],
    ['a number for a timestamp', encoded({ createdAt: 12, id })],
  ])('refuses %s as a cursor it did not make, naming "cursor"', (_what, cursor) => {
    const error = refusal(cursor);
    expect(error.status).toBe(422);
    expect(error.problems).toEqual([
      { field: 'cursor', message: 'is not a cursor from a previous page' },
    ]);
  });

  it('gives a timestamp back in UTC, so SQL never sees an offset PostgreSQL cannot read', () => {
    const key = codec.decode(encoded({ createdAt: '2026-11-25T12:00:00+23:59', id }));
    expect(key).toEqual({ createdAt: '2026-11-24T12:01:00.000Z', id });
  });
});
