// Hostile values for the fuzz test over every route: text with control characters, lone
// surrogates and great length; dates and timestamps outside any sane range or the calendar;
// numbers past every column's range; cursors that are not ours; path segments that are not ids.
// Text meant for a URL comes out already percent-encoded, lone surrogates included.
import fc from 'fast-check';

export const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'Acme\u0000Health',
      '\u001b[2J\u001b[31mred',
      'bell\u0007',
      'del\u007f',
      'c1\u0085\u009b',
      '\ud800',
      'lone\udfff surrogate',
      'tab\tin text',
      'line\nbreak',
      '\r\n',
      '',
      '   ',
      '\ufeff',
      "'; DROP TABLE claims; --",
      '*:^~',
      'A'.repeat(300),
      'B'.repeat(20_000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\u001b', '\u0085', '\ud800', '\udc00', 'a', ' ', '-'),
      minLength: 1,
      maxLength: 12,
    }),
  },
);

const extremeYear = fc.constantFrom(0, 1, 999, 1899, 1900, 2199, 2200, 9999, 10000, 275760);
const pad = (value: number, width: number) => String(value).padStart(width, '0');

export const hostileDate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0000-01-01',
    '9999-12-31',
    '2026-02-30',
    '2026-02-29',
    '2026-04-31',
    '1899-12-31',
    '2200-01-01',
    '2026-13-01',
    '2026-00-10',
    '+275760-09-13',
    '-000001-01-01',
    '2026-1-1',
    '20261001',
  ),
  fc
    .tuple(extremeYear, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([year, month, day]) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`),
);

export const hostileTimestamp: fc.Arbitrary<string> = fc.oneof(
  hostileDate,
  hostileDate.map((date) => `${date}T00:00:00Z`),
  fc.constantFrom(
    '0000-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2026-02-30T12:00:00Z',
    '2026-11-25T24:00:00Z',
    '2026-11-25T12:00:00+23:59',
    '2026-11-25T12:00:00.123456789Z',
    'yesterday',
    'NaN',
  ),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    1e10,
    -1,
    0,
    -0,
    0.5,
    1e308,
    -1e308,
    Number('99999999999999.999'), // as JSON.parse reads the text a client sent
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53 + 2,
    2 ** 63,
    Number.MIN_VALUE,
  ),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Numbers as a query string or path carries them, and what only text can be. */
export const hostileNumberText: fc.Arbitrary<string> = fc.oneof(
  hostileNumber.map(String),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e10', '0x10', ' 5', '', '9'.repeat(400)),
  fc.constantFrom('99999999999999.999', '9223372036854775808', '2147483648', '-2147483649'),
);

/** Any JSON value a client could send where another was expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 2, arbitrary: hostileDate },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': '' }) },
  { weight: 1, arbitrary: fc.array(hostileText, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileText, hostileText, { maxKeys: 2 }) },
);

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A cursor as our codec writes one (base64url JSON), of any key. */
export const cursorOf = (key: unknown) => base64url(JSON.stringify(key));

/** Cursors: random bytes, valid base64url of garbage JSON, and our key shapes with bad values. */
export const hostileCursor: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.jsonValue({ maxDepth: 2 }).map((value) => base64url(JSON.stringify(value))),
  fc
    .record(
      {
        submittedAt: hostileTimestamp,
        createdAt: hostileTimestamp,
        startedAt: hostileTimestamp,
        id: fc.oneof(fc.uuid(), hostileText),
        procedureCode: fc.oneof(fc.constantFrom('99213', ''), hostileText),
        modifier: fc.oneof(fc.constantFrom('', '25'), hostileText),
      },
      { requiredKeys: [] },
    )
    .map((key) => base64url(JSON.stringify(key))),
  hostileText,
);

/** Percent-encodes any text, a lone surrogate as the (invalid) UTF-8 of its code unit. */
export function encodeHostile(text: string): string {
  let encoded = '';
  for (const character of text) {
    if (!/\p{Cs}/u.test(character)) {
      encoded += encodeURIComponent(character);
      continue;
    }
    const unit = character.charCodeAt(0);
    const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
    encoded += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
  }
  return encoded;
}

/** A path segment, percent-encoded: some of it malformed on purpose. */
export const hostilePathSegment: fc.Arbitrary<string> = fc.oneof(
  hostileText.filter((text) => text !== '').map(encodeHostile),
  hostileNumberText.filter((text) => text !== '').map(encodeHostile),
  fc.uuid().map((uuid) => uuid.toUpperCase()),
  fc.constantFrom('%', '%ZZ', '%00', '%C0%80', '%ED%A0%80', '..', 'me', 'null', 'undefined'),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
  fc.constantFrom('0', '-1', '1e10', '2147483648', '9223372036854775808', '1.5'),
);

/** Our real id most of the time (so the request gets past the lookup), a hostile one otherwise. */
export function idOr(realId: string): fc.Arbitrary<string> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(realId) }, hostilePathSegment);
}

/**
 * A query string of some of `fields` (values already encoded), sometimes with a key repeated
 * or a key nobody asked for.
 */
export function queryOf(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const extra = fc.option(
    fc.constantFrom('unknown=1', 'limit=1&limit=2', 'cursor[a]=b', '%00=%00', '&&', '='),
    { nil: '' },
  );
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), extra)
    .map(([values, more]) =>
      [...Object.entries(values).map(([key, value]) => `${key}=${value}`), more]
        .filter((part) => part !== '')
        .join('&'),
    );
}

export const encoded = (arbitrary: fc.Arbitrary<string>) => arbitrary.map(encodeHostile);

type JsonPath = (string | number)[];

function pathsOf(value: unknown, path: JsonPath = []): JsonPath[] {
  const paths: JsonPath[] = [path];
  if (Array.isArray(value)) {
    value.forEach((item, index) => paths.push(...pathsOf(item, [...path, index])));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...path, key]));
  }
  return paths;
}

function valueAt(value: unknown, path: JsonPath): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[key]
        : undefined,
    value,
  );
}

/** A copy of `value` with `replacement` at `path`; unchanged when an earlier change removed it. */
function withValueAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value);
  const parent = valueAt(copy, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return copy;
  (parent as Record<string | number, unknown>)[path[path.length - 1]!] = replacement;
  return copy;
}

/** A hostile value of the kind the template holds there (a date for a date), or of any kind. */
function hostileInPlaceOf(original: unknown): fc.Arbitrary<unknown> {
  if (typeof original === 'string' && /^\d{4}-\d{2}-\d{2}/.test(original)) {
    return fc.oneof(hostileDate, hostileTimestamp, hostileValue);
  }
  if (typeof original === 'string')
    return fc.oneof({ weight: 3, arbitrary: hostileText }, hostileValue);
  if (typeof original === 'number')
    return fc.oneof({ weight: 3, arbitrary: hostileNumber }, hostileValue);
  return hostileValue;
}

/**
 * The values that reach past a lax check into SQL and fail there: a NUL in text, a date
 * PostgreSQL cannot store or that is not in the calendar, a number past int4.
 */
const killersOfLeaf = (leaf: unknown): unknown[] => {
  if (typeof leaf === 'string' && /^\d{4}-\d{2}-\d{2}/.test(leaf)) {
    return ['0000-01-01', '2026-02-30', 'Acme\u0000'];
  }
  if (typeof leaf === 'string') return ['Acme\u0000Health'];
  if (typeof leaf === 'number') return [1e10];
  return [];
};

/** `template` once per value of each leaf's kind known to break a lax route, one change each. */
export function withEachLeafKilled(template: unknown): unknown[] {
  return pathsOf(template).flatMap((path) =>
    killersOfLeaf(valueAt(template, path)).map((killer) => withValueAt(template, path, killer)),
  );
}

/** Path segments (encoded) that are not ids, for each route's systematic cases. */
export const PATH_KILLERS = ['%00', 'not-a-uuid', '1e10', '%ED%A0%80', '9223372036854775808'];

/** Numbers in a query (raw) that are not page sizes or heights. */
export const NUMBER_KILLERS = ['1e10', '-1', 'NaN', '99999999999999.999', '9223372036854775808'];

/** Timestamps in a query (raw) that are no instant PostgreSQL can hold. */
export const TIMESTAMP_KILLERS = ['0000-01-01', '2026-02-30', '0000-01-01T00:00:00Z', 'not a time'];

/** Cursors (raw) of our keyset shape `{ [timeKey], id }` with a value that is not one. */
export function timestampCursorKillers(timeKey: string): string[] {
  const id = '0b7c9a4e-6d3f-4a8e-9c1b-2f5e8d7a6b4c';
  const keys = [
    { [timeKey]: '0000-01-01T00:00:00.000Z', id },
    { [timeKey]: '9999-12-31T23:59:59.999Z', id },
    { [timeKey]: 'not a time', id },
    { [timeKey]: '2026-11-25T12:00:00+23:59', id },
    { [timeKey]: '2026-11-25T12:00:00.000Z', id: 'not-a-uuid' },
    { [timeKey]: 12, id: 12 },
  ];
  return [...keys.map((key) => base64url(JSON.stringify(key))), '!!!!', 'e30', 'bnVsbA'];
}

/** `template` (a valid body) with one or two of its values, at any depth, made hostile. */
export function mutated(template: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(template);
  const change = fc
    .constantFrom(...paths)
    .chain((path) =>
      hostileInPlaceOf(valueAt(template, path)).map((replacement) => ({ path, replacement })),
    );
  return fc
    .array(change, { minLength: 1, maxLength: 2 })
    .map((changes) =>
      changes.reduce(
        (body, { path, replacement }) => withValueAt(body, path, replacement),
        template,
      ),
    );
}
