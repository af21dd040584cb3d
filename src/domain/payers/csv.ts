// A small, strict CSV reader (RFC 4180): comma-separated fields, double-quoted fields with
// "" for a quote (and commas or line breaks inside), records ending in CRLF or LF, the last
// one optionally. Anything else (a stray quote, text after a closing quote, a lone CR) is
// an error naming the row, never a guess: a fee schedule read wrongly pays claims wrongly.

/** Rows are numbered as a spreadsheet shows them: the header is row 1. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/** Reads up to `rowsMax` records (header included); one more is an error. */
export function parseCsv(text: string, rowsMax: number): string[][] {
  const rows: string[][] = [];
  if (text.length === 0) return rows;
  let fields: string[] = [];
  let position = 0;
  for (;;) {
    const row = rows.length + 1;
    let value: string;
    [value, position] =
      text[position] === '"' ? readQuoted(text, position, row) : readPlain(text, position, row);
    fields.push(value);
    if (position === text.length) {
      rows.push(fields);
      return rows;
    }
    if (text[position] === ',') {
      position += 1;
      continue;
    }
    // readPlain and readQuoted stop only at a comma, a line end or the end of the text.
    position += text[position] === '\r' ? 2 : 1;
    rows.push(fields);
    fields = [];
    if (position === text.length) return rows;
    if (rows.length >= rowsMax) {
      throw new CsvSyntaxError(rows.length + 1, `the file has more than ${rowsMax} rows`);
    }
  }
}

/** A field without quotes: up to the next comma or line end. */
function readPlain(text: string, start: number, row: number): [string, number] {
  let position = start;
  while (position < text.length) {
    const character = text[position];
    if (character === ',' || character === '\n') break;
    if (character === '\r') {
      if (text[position + 1] !== '\n') {
        throw new CsvSyntaxError(row, 'a carriage return must be followed by a line feed');
      }
      break;
    }
    if (character === '"') {
      throw new CsvSyntaxError(
        row,
        'a double quote may only open a field; inside a quoted field write it as ""',
      );
    }
    position += 1;
  }
  return [text.slice(start, position), position];
}

/** A quoted field, starting at its opening quote; returns the position after the closing one. */
function readQuoted(text: string, start: number, row: number): [string, number] {
  let value = '';
  let position = start + 1;
  for (;;) {
    const quote = text.indexOf('"', position);
    if (quote === -1) throw new CsvSyntaxError(row, 'a quoted field is never closed');
    value += text.slice(position, quote);
    if (text[quote + 1] === '"') {
      value += '"';
      position = quote + 2;
      continue;
    }
    position = quote + 1;
    break;
  }
  const next = text[position];
  const atEnd =
    next === undefined ||
    next === ',' ||
    next === '\n' ||
    (next === '\r' && text[position + 1] === '\n');
  if (!atEnd) {
    throw new CsvSyntaxError(
      row,
      'a closing double quote must be followed by a comma or a line end',
    );
  }
  return [value, position];
}
