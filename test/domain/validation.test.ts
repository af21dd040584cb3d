// The value rules every schema is built from: text without control characters or unpaired
// surrogates, dates and instants from 1900 to 2199 on the real calendar, whole numbers within
// their column's range. Each refusal is a message, never the value itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  cleanString,
  INT4_MAX,
  isoDate,
  isoTimestamp,
  pageLimit,
  text,
  wholeNumberParameter,
} from '../../src/domain/validation.js';

const SEED = 20261130;

function messagesOf(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

const codePointText = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, offset) => String.fromCodePoint(from + offset));

/** C0 controls, DEL and C1 controls: Unicode's general category Cc, exactly. */
const CONTROL_CHARACTERS = [...codePointText(0x00, 0x1f), '\u007f', ...codePointText(0x80, 0x9f)];

describe('text', () => {
  const name = text(40);

  it.each(CONTROL_CHARACTERS.map((character) => [character.codePointAt(0)!.toString(16)]))(
    'refuses the control character U+%s anywhere in the text',
    (hex) => {
      const character = String.fromCodePoint(Number.parseInt(hex, 16));
      expect(messagesOf(name, `Acme${character}Health`)).toEqual([
        'must not contain control characters (such as NUL, escape or a line break)',
      ]);
    },
  );

  it('refuses unpaired surrogates, high or low, and says so without the value', () => {
    for (const value of ['\ud800', 'Jo\udc00se', 'x\ud83d']) {
      expect(messagesOf(name, value)).toEqual([
        'must be well-formed Unicode text (it has an unpaired surrogate)',
      ]);
    }
  });

  it('takes names of every script, accents, emoji and right-to-left marks as they are', () => {
    for (const value of ['José Núñez', 'Ōsaka Clinic', '김민준', 'مستشفى\u200f', 'Dr. 🩺 Lee']) {
      expect(name.parse(value)).toBe(value);
    }
  });

  it('trims, and refuses what is empty once trimmed or longer than its maximum', () => {
    expect(name.parse('  Acme Health  ')).toBe('Acme Health');
    expect(messagesOf(name, '   ')).toEqual(['is required']);
    expect(messagesOf(name, 'x'.repeat(41))).toEqual(['must be at most 40 characters']);
    expect(messagesOf(name, 12)).toEqual(['must be a string']);
  });

  it('accepts any text without control characters or surrogates, within the length', () => {
    const clean = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((value) => !/[\p{Cc}\p{Cs}]/u.test(value) && value.trim() !== '');
    fc.assert(
      fc.property(clean, (value) => {
        expect(name.parse(value)).toBe(value.trim());
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('lets a multi-line text keep tab and line breaks, and nothing else of the controls', () => {
    const note = text(2_000, { lineBreaks: true });
    expect(note.parse('Reviewed.\r\n\tLine 2 was billed twice.')).toBe(
      'Reviewed.\r\n\tLine 2 was billed twice.',
    );
    for (const character of CONTROL_CHARACTERS.filter((each) => !'\t\n\r'.includes(each))) {
      expect(messagesOf(note, `Reviewed${character}`)).toEqual([
        'must not contain control characters other than tab and line breaks',
      ]);
    }
  });

  it('cleanString checks characters only: an empty string passes, a NUL does not', () => {
    expect(cleanString().parse('')).toBe('');
    expect(messagesOf(cleanString(), '\u0000')).toHaveLength(1);
  });
});

describe('isoDate', () => {
  const date = isoDate();

  it.each([['1900-01-01'], ['2000-02-29'], ['2024-02-29'], ['2026-11-30'], ['2199-12-31']])(
    'accepts %s',
    (value) => {
      expect(date.parse(value)).toBe(value);
    },
  );

  it.each([
    ['2026-02-30', 'is not a real calendar date'],
    ['2026-02-29', 'is not a real calendar date'],
    ['2026-04-31', 'is not a real calendar date'],
    ['2026-13-01', 'is not a real calendar date'],
    ['2026-00-10', 'is not a real calendar date'],
    ['2026-12-00', 'is not a real calendar date'],
    ['2026-12-32', 'is not a real calendar date'],
    ['1900-02-29', 'is not a real calendar date'],
    ['2100-02-29', 'is not a real calendar date'],
    ['0000-01-01', 'must be between 1900-01-01 and 2199-12-31'],
    ['1899-12-31', 'must be between 1900-01-01 and 2199-12-31'],
    ['2200-01-01', 'must be between 1900-01-01 and 2199-12-31'],
    ['9999-12-31', 'must be between 1900-01-01 and 2199-12-31'],
    ['2026-1-1', 'must be a date YYYY-MM-DD'],
    ['+275760-09-13', 'must be a date YYYY-MM-DD'],
    ['2026-11-30T00:00:00Z', 'must be a date YYYY-MM-DD'],
  ])('refuses %s: %s', (value, message) => {
    expect(messagesOf(date, value)).toEqual([message]);
  });
});

describe('isoDate against the platform calendar', () => {
  // The oracle is the Date round trip the check used to be: a day exists if printing the
  // instant it parses to gives the same day back.
  const exists = (value: string) => {
    const instant = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(instant.getTime()) && instant.toISOString().startsWith(value);
  };
  const twoDigits = (n: number) => String(n).padStart(2, '0');

  it('accepts exactly the days Date says exist, 1900-2199, months 00-13, days 00-32', () => {
    const date = isoDate();
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2199 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const value = `${year}-${twoDigits(month)}-${twoDigits(day)}`;
          expect(date.safeParse(value).success).toBe(exists(value));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('isoTimestamp', () => {
  const instant = isoTimestamp();

  it('gives back UTC as toISOString writes it, whatever the offset sent', () => {
    expect(instant.parse('2026-11-25T12:00:00+05:30')).toBe('2026-11-25T06:30:00.000Z');
    expect(instant.parse('2026-11-25T12:00:00.123456Z')).toBe('2026-11-25T12:00:00.123Z');
  });

  it.each([
    ['0000-01-01T00:00:00Z', 'must be between 1900-01-01 and 2199-12-31'],
    ['9999-12-31T23:59:59.999Z', 'must be between 1900-01-01 and 2199-12-31'],
    ['2026-02-30T12:00:00Z', 'must be an ISO 8601 timestamp such as "2026-11-25T09:30:00Z"'],
    ['2026-11-25', 'must be an ISO 8601 timestamp such as "2026-11-25T09:30:00Z"'],
    ['not a time', 'must be an ISO 8601 timestamp such as "2026-11-25T09:30:00Z"'],
  ])('refuses %s', (value, message) => {
    expect(messagesOf(instant, value)).toEqual([message]);
  });

  it('with dateAllowed, takes a date as 00:00 UTC and refuses one off the calendar', () => {
    const from = isoTimestamp({ dateAllowed: true });
    expect(from.parse('2026-11-25')).toBe('2026-11-25T00:00:00.000Z');
    expect(messagesOf(from, '0000-01-01')).toEqual(['must be between 1900-01-01 and 2199-12-31']);
    expect(messagesOf(from, '2026-02-30')).toHaveLength(1);
  });
});

describe('wholeNumberParameter and pageLimit', () => {
  const height = wholeNumberParameter(0, INT4_MAX);

  it('reads digits as the number, up to the column maximum', () => {
    expect(height.parse('0')).toBe(0);
    expect(height.parse('2147483647')).toBe(INT4_MAX);
  });

  it.each([
    ['1e10', 'must be a whole number'],
    ['0x10', 'must be a whole number'],
    [' 5', 'must be a whole number'],
    ['', 'must be a whole number'],
    ['1.5', 'must be a whole number'],
    ['NaN', 'must be a whole number'],
    ['-1', 'must be at least 0'],
    ['2147483648', 'must be at most 2147483647'],
    ['9'.repeat(400), 'must be at most 2147483647'],
  ])('refuses %j: %s', (value, message) => {
    expect(messagesOf(height, value)).toEqual([message]);
  });

  it('refuses a repeated parameter (an array) as not a whole number', () => {
    expect(messagesOf(height, ['1', '2'])).toEqual(['must be a whole number']);
  });

  it('pageLimit falls back when absent and refuses 0 or past its maximum', () => {
    const limit = pageLimit(200, 50);
    expect(limit.parse(undefined)).toBe(50);
    expect(messagesOf(limit, '0')).toEqual(['must be at least 1']);
    expect(messagesOf(limit, '201')).toEqual(['must be at most 200']);
  });
});
