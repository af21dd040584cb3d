// Writing X12 5010 segments: delimiters, element formats (R decimals, dates, times, fixed-width
// ISA fields) and one segment builder that refuses any value which would break the syntax. Used by
// the 835 writer; nothing here knows a transaction set.
import { Decimal } from 'decimal.js';

/** The delimiters we send, declared by the ISA itself (ISA11 repetition, ISA16 component). */
export const delimiters = {
  element: '*',
  component: ':',
  repetition: '^',
  segment: '~',
} as const;

const DELIMITER_CHARACTERS = /[*:^~]/;
// X12's extended character set is printable ASCII; control characters (a newline in a name) and
// anything outside ASCII would be read differently, or not at all, by the receiver's translator.
const PRINTABLE_ASCII = /^[ -~]*$/;

/** A value that cannot be written as an X12 element: a bug or bad data upstream, never silent. */
export class X12WriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'X12WriteError';
  }
}

function checkedElement(tag: string, position: number, value: string): string {
  if (DELIMITER_CHARACTERS.test(value) || !PRINTABLE_ASCII.test(value)) {
    throw new X12WriteError(
      `${tag}${String(position).padStart(2, '0')}: ${JSON.stringify(value)} holds a delimiter or ` +
        'a character outside printable ASCII',
    );
  }
  return value;
}

/**
 * One segment, terminated. An element is a string, a composite (string[] joined by the component
 * separator, trailing empty components dropped) or undefined for "not used". Trailing unused
 * elements are dropped, as X12 requires; unused elements in the middle stay as empty positions.
 */
export function segment(tag: string, ...elements: (string | readonly string[] | undefined)[]) {
  const values = elements.map((element, index) => {
    if (element === undefined) return '';
    if (typeof element === 'string') return checkedElement(tag, index + 1, element);
    const components = element.map((component) => checkedElement(tag, index + 1, component));
    while (components.length > 0 && components[components.length - 1] === '') components.pop();
    return components.join(delimiters.component);
  });
  while (values.length > 0 && values[values.length - 1] === '') values.pop();
  return [tag, ...values].join(delimiters.element) + delimiters.segment;
}

/**
 * An amount as X12 data type R: no trailing zeros after the decimal point and no decimal point
 * without digits after it ("100", "100.5", "-12.34"), per the 5010 guides' appendix on decimals.
 * Money must be whole cents: anything finer is a bug upstream, not something to round here.
 */
export function decimalElement(amount: Decimal.Value): string {
  const value = new Decimal(amount);
  if (!value.isFinite()) throw new X12WriteError(`${String(amount)} is not a number`);
  if (value.isZero()) return '0'; // never "-0"
  return value
    .toFixed()
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** Money as X12 R, refusing fractions of a cent. */
export function moneyElement(amount: Decimal.Value): string {
  const value = new Decimal(amount);
  if (value.decimalPlaces() > 2) throw new X12WriteError(`${value.toString()} is not whole cents`);
  return decimalElement(value);
}

/** 'YYYY-MM-DD' as CCYYMMDD (data type DT, 8 digits). */
export function dateElement(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new X12WriteError(`${date} is not YYYY-MM-DD`);
  return date.replaceAll('-', '');
}

/** The UTC calendar date and HHMM time of an instant. */
export function utcDateAndTime(instant: Date): { date: string; time: string } {
  const iso = instant.toISOString(); // 2026-11-25T14:03:09.123Z
  return { date: iso.slice(0, 10), time: iso.slice(11, 13) + iso.slice(14, 16) };
}

/** A fixed-width ISA field: the value padded with spaces on the right to exactly `width`. */
export function fixedWidth(value: string, width: number): string {
  if (value.length > width) {
    throw new X12WriteError(
      `${JSON.stringify(value)} is longer than the ${width} characters allowed`,
    );
  }
  return value.padEnd(width, ' ');
}

/** A control number (ISA13, GS06, ST02) in range and zero-padded to `digits`. */
export function controlNumber(value: number, digits: number): string {
  if (!Number.isInteger(value) || value < 1 || value > 999_999_999) {
    throw new X12WriteError(`control number ${value} is not between 1 and 999999999`);
  }
  return String(value).padStart(digits, '0');
}
