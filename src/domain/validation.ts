// Turning schema failures into field-named problems: every 4xx names the exact field.
import { z } from 'zod';
// Interop sits below the domain (ARCHITECTURE.md's layers; settlement imports the 835 writer too):
// the X12 character set is defined once, where the 835 writer applies it.
import { x12NameOf } from '../interop/x12/segments.js';
import { InvalidInput, type FieldProblem } from '../infra/errors.js';

export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text || '(body)';
}

export function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldProblem[] {
  return error.issues.flatMap((issue) =>
    // zod reports unknown keys at their parent object; name each key itself instead.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldPath([...prefix, ...issue.path, key]),
          message: 'is not a known field',
        }))
      : [{ field: fieldPath([...prefix, ...issue.path]), message: issue.message }],
  );
}

/** Parses `value` or throws InvalidInput naming every bad field. */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInput(`invalid ${what}`, problemsOf(result.error));
  return result.data;
}

// A missing field says "is required" rather than zod's "expected string, received undefined".
z.config({
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
});

/** Error message for a wrong type that still says "is required" when the field is absent. */
export function expected(what: string) {
  return (issue: { input: unknown }) =>
    issue.input === undefined ? 'is required' : `must be ${what}`;
}

// ---------------------------------------------------------------------------------------
// The value rules every schema is built from, so that no value PostgreSQL would refuse (or
// silently change) gets past validation to become a 500: text without control characters,
// dates and instants within 1900..2199, whole numbers within their column's range.

/** The largest PostgreSQL integer (int4): block heights and other INTEGER columns. */
export const INT4_MAX = 2 ** 31 - 1;

// C0 controls, DEL and C1 controls (NUL is what PostgreSQL refuses; ESC and BEL would replay
// terminal escapes in every log and export that shows the text). A lone surrogate is not text:
// stored as UTF-8 it would silently become U+FFFD.
const CONTROL_CHARACTER = /\p{Cc}/u;
const CONTROL_CHARACTER_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A string of well-formed Unicode without control characters; with `lineBreaks`, tab, CR and
 * LF are allowed (free text of several lines, such as a review note). No length rule: `text`
 * adds one; this alone is for strings that other checks bound, such as FHIR elements.
 */
export function cleanString(what = 'a string', { lineBreaks = false } = {}) {
  const control = lineBreaks ? CONTROL_CHARACTER_BUT_LINE_BREAKS : CONTROL_CHARACTER;
  return z
    .string({ error: expected(what) })
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: 'must be well-formed Unicode text (it has an unpaired surrogate)',
      abort: true,
    })
    .refine((value) => !control.test(value), {
      message: lineBreaks
        ? 'must not contain control characters other than tab and line breaks'
        : 'must not contain control characters (such as NUL, escape or a line break)',
      abort: true,
    });
}

/** Text a person typed (a name, a label, a note): clean, trimmed, 1 to `lengthMax` characters. */
export function text(lengthMax: number, options: { lineBreaks?: boolean } = {}) {
  return cleanString('a string', options)
    .trim()
    .min(1, 'is required')
    .max(lengthMax, `must be at most ${lengthMax} characters`);
}

/**
 * A name an 835 writes (a patient's, an organization's), stored as given (UTF-8). The 835 writes
 * names in the X12 character set (José as Jose): a name of which nothing would be left there (李,
 * or punctuation alone) is refused here, so every claim and every party can be remitted. The
 * message never repeats the name (a patient's is PHI).
 */
export function remittableName(lengthMax: number) {
  return text(lengthMax).refine(
    // A blank name is already "is required".
    (name) => name === '' || x12NameOf(name) !== null,
    'must contain a Latin letter or a digit: the 835 remittance writes names in the X12 ' +
      'character set, where accents are dropped (é is written e) and other scripts cannot be',
  );
}

const DATE_MIN = '1900-01-01';
const DATE_MAX = '2199-12-31';
const INSTANT_MIN = new Date(`${DATE_MIN}T00:00:00.000Z`);
const INSTANT_MAX = new Date(`${DATE_MAX}T23:59:59.999Z`);
const DATE_FORMAT = /^\d{4}-\d{2}-\d{2}$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A 'YYYY-MM-DD' that names a day of the proleptic Gregorian calendar. Worked out from the
 * digits: every claim has several dates, and building and printing a Date for each was ~2 % of
 * the API's CPU under single-claim load.
 */
function isCalendarDate(value: string): boolean {
  if (!DATE_FORMAT.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leapYear ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** A real calendar date 'YYYY-MM-DD' from 1900-01-01 to 2199-12-31; a use may narrow it. */
export function isoDate() {
  return (
    z
      .string({ error: expected('a date string YYYY-MM-DD') })
      // A malformed date stops here: comparing it with other dates would only add noise.
      .regex(DATE_FORMAT, { message: 'must be a date YYYY-MM-DD', abort: true })
      .refine(isCalendarDate, { message: 'is not a real calendar date', abort: true })
      .refine((value) => value >= DATE_MIN && value <= DATE_MAX, {
        message: `must be between ${DATE_MIN} and ${DATE_MAX}`,
        abort: true,
      })
      // For the API reference (and the requests its fuzz test makes): a pattern alone admits
      // "0000-99-99".
      .meta({ examples: ['2026-11-02'] })
  );
}

const isoDateTime = z.iso.datetime({ offset: true });

function instantOf(value: string, dateAllowed: boolean): Date | undefined {
  if (dateAllowed && DATE_FORMAT.test(value)) {
    return isCalendarDate(value) ? new Date(`${value}T00:00:00.000Z`) : undefined;
  }
  if (!isoDateTime.safeParse(value).success) return undefined;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

/**
 * An ISO 8601 timestamp with a zone (or, with `dateAllowed`, a date meaning 00:00 UTC) from 1900
 * to 2199, given back in UTC as `toISOString` writes it: what SQL and cursors receive.
 */
export function isoTimestamp({ dateAllowed = false } = {}) {
  const format = `${dateAllowed ? 'a date YYYY-MM-DD or ' : ''}an ISO 8601 timestamp such as "2026-11-25T09:30:00Z"`;
  const example = dateAllowed ? '2026-11-25' : '2026-11-25T09:30:00Z';
  return z
    .string({ error: expected(format) })
    .meta({ examples: [example] })
    .transform((value, context) => {
      const instant = instantOf(value, dateAllowed);
      if (!instant) {
        context.addIssue({ code: 'custom', message: `must be ${format}` });
        return z.NEVER;
      }
      if (instant < INSTANT_MIN || instant > INSTANT_MAX) {
        context.addIssue({
          code: 'custom',
          message: `must be between ${DATE_MIN} and ${DATE_MAX}`,
        });
        return z.NEVER;
      }
      return instant.toISOString();
    });
}

/** A whole JSON number from `min` to `max`. */
export function wholeNumber(min: number, max: number) {
  return z
    .number({ error: expected('a whole number') })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
}

/**
 * A whole number in a query or path ("50"), from `min` to `max`. Only digits: "1e10", "0x10"
 * and " 5" are refused rather than read as numbers, and the range is checked on the exact value.
 */
export function wholeNumberParameter(min: number, max: number) {
  return z
    .string({ error: expected('a whole number') })
    .regex(/^-?\d+$/, { message: 'must be a whole number', abort: true })
    .refine((value) => BigInt(value) >= BigInt(min), {
      message: `must be at least ${min}`,
      abort: true,
    })
    .refine((value) => BigInt(value) <= BigInt(max), `must be at most ${max}`)
    .transform(Number);
}

/** A page size in a query: 1 to `max`, `fallback` when absent. */
export function pageLimit(max: number, fallback: number) {
  return wholeNumberParameter(1, max)
    .meta({ examples: [String(fallback)] })
    .default(fallback);
}

/** NPI check digit: Luhn over "80840" + the first nine digits (CMS NPI standard). */
export function isValidNpi(npi: string): boolean {
  return /^\d{10}$/.test(npi) && npiCheckDigit(npi.slice(0, 9)) === npi[9];
}

/** The NPI check digit of nine digits: Luhn over the card-issuer prefix 80840 and them. */
export function npiCheckDigit(firstNine: string): string {
  const digits = `80840${firstNine}`;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}
