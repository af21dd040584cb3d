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
const UNWRITABLE_CHARACTERS = /[*:^~]|[^ -~]/g;

// Letters that Unicode does not decompose into a base letter and marks (NFKD leaves them whole),
// and the typographic punctuation people type in names (O’Brien, Smith–Jones), as ASCII.
const ASCII_SPELLINGS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  Æ: 'AE',
  æ: 'ae',
  Ø: 'O',
  ø: 'o',
  Œ: 'OE',
  œ: 'oe',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ð: 'D',
  ð: 'd',
  Þ: 'TH',
  þ: 'th',
  Ħ: 'H',
  ħ: 'h',
  Ŧ: 'T',
  ŧ: 't',
  Ŋ: 'NG',
  ŋ: 'ng',
  ı: 'i',
  Ŀ: 'L', // NFKD would give "L·"
  ŀ: 'l',
  '\u2018': "'",
  '\u2019': "'",
  '\u02BC': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
};
const SPELLED_IN_ASCII = new RegExp(`[${Object.keys(ASCII_SPELLINGS).join('')}]`, 'gu');

/**
 * Free text (a name, a city) in the X12 character set: letters kept and their diacritics dropped
 * (José → Jose, Peña → Pena, Straße → Strasse, Ørsted → Orsted), case as given; a delimiter, a
 * control character or a character with no Latin spelling (李) becomes a space; spaces collapse and
 * the ends are trimmed. May be empty. The one rule of what free text an 835 carries: the writer
 * applies it, and claim intake refuses a name it leaves nothing of (x12NameOf).
 */
export function x12TextOf(value: string): string {
  return value
    .replace(SPELLED_IN_ASCII, (character) => ASCII_SPELLINGS[character] ?? ' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(UNWRITABLE_CHARACTERS, ' ')
    .replace(/ +/g, ' ')
    .trim();
}

/** A person's name as x12TextOf writes it, or null when no letter or digit of it is left. */
export function x12NameOf(name: string): string | null {
  const text = x12TextOf(name);
  return /[A-Za-z0-9]/.test(text) ? text : null;
}

/**
 * A value that cannot be written as an X12 element: a bug or bad data upstream, never silent. Its
 * message names the element, never the value, which may be a patient's name or member id (PHI).
 */
export class X12WriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'X12WriteError';
  }
}

function checkedElement(tag: string, position: number, value: string): string {
  if (DELIMITER_CHARACTERS.test(value) || !PRINTABLE_ASCII.test(value)) {
    throw new X12WriteError(
      `${tag}${String(position).padStart(2, '0')} holds a delimiter or a character outside ` +
        'printable ASCII',
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
