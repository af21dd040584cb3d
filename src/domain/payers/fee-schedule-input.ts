// Reading fee schedule entries from a request, as JSON or as CSV, into one checked list.
// Either the whole list is valid or nothing is written: every problem names its entry (or
// its CSV row and column), up to a bound, so a payer fixes a file in one pass.
import type { z } from 'zod';
import { InvalidInput, type FieldProblem } from '../../infra/errors.js';
import { parseOrThrow, problemsOf } from '../validation.js';
import { CsvSyntaxError, parseCsv } from './csv.js';
import {
  FEE_SCHEDULE_ENTRIES_MAX,
  feeScheduleEntrySchema,
  feeScheduleEnvelopeSchema,
  type FeeScheduleEntryInput,
} from './schema.js';

/** Beyond this many problems a file is clearly wrong; listing more only buries the first. */
export const PROBLEMS_MAX = 100;

export const CSV_COLUMNS = [
  'procedure_code',
  'modifier',
  'allowed_amount',
  'covered',
  'prior_auth_required',
  'copay_applies',
  'anesthesia_base_units',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
/** Columns a file may leave out (files written before they existed stay valid). */
const OPTIONAL_CSV_COLUMNS: readonly CsvColumn[] = ['anesthesia_base_units'];

const FIELD_OF_COLUMN: Record<CsvColumn, keyof FeeScheduleEntryInput> = {
  procedure_code: 'procedureCode',
  modifier: 'modifier',
  allowed_amount: 'allowedAmount',
  covered: 'covered',
  prior_auth_required: 'priorAuthRequired',
  copay_applies: 'copayApplies',
  anesthesia_base_units: 'anesthesiaBaseUnits',
};
const COLUMN_OF_FIELD = new Map(
  Object.entries(FIELD_OF_COLUMN).map(([column, field]) => [field as string, column]),
);

const BOOLEANS = new Map<string, boolean>([
  ['true', true],
  ['yes', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['0', false],
]);

/** A CSV problem names the row and the column, in `field` for people and apart for programs. */
export interface CsvProblem extends FieldProblem {
  row: number;
  column?: string;
}

function keyOf(entry: FeeScheduleEntryInput): string {
  return `${entry.procedureCode}\u0000${entry.modifier}`;
}

function describe(entry: FeeScheduleEntryInput): string {
  return `procedure code ${entry.procedureCode}, ${entry.modifier ? `modifier ${entry.modifier}` : 'any modifier'}`;
}

/** Collects problems up to PROBLEMS_MAX; past it, one closing note. */
class Problems<P extends FieldProblem> {
  readonly list: P[] = [];
  private truncated = false;

  add(problem: P): void {
    if (this.list.length < PROBLEMS_MAX) this.list.push(problem);
    else this.truncated = true;
  }

  get full(): boolean {
    return this.list.length >= PROBLEMS_MAX;
  }

  throwIfAny(what: string, note: (count: number) => P): void {
    if (this.list.length === 0) return;
    const problems = this.truncated ? [...this.list, note(PROBLEMS_MAX)] : this.list;
    throw new InvalidInput(what, problems);
  }
}

/** `PUT /v1/payer/fee-schedule/entries` body: `{entries: [...]}`. */
export function feeScheduleEntriesOf(body: unknown): FeeScheduleEntryInput[] {
  const { entries } = parseOrThrow(feeScheduleEnvelopeSchema, body, 'fee schedule');
  const problems = new Problems<FieldProblem>();
  const valid: FeeScheduleEntryInput[] = [];
  const firstIndexOf = new Map<string, number>();
  for (const [index, candidate] of entries.entries()) {
    if (problems.full) break;
    const parsed = feeScheduleEntrySchema.safeParse(candidate);
    if (!parsed.success) {
      for (const problem of problemsOf(parsed.error, ['entries', index])) problems.add(problem);
      continue;
    }
    const earlier = firstIndexOf.get(keyOf(parsed.data));
    if (earlier !== undefined) {
      problems.add({
        field: `entries[${index}]`,
        message: `repeats entries[${earlier}] (${describe(parsed.data)})`,
      });
      continue;
    }
    firstIndexOf.set(keyOf(parsed.data), index);
    valid.push(parsed.data);
  }
  problems.throwIfAny('invalid fee schedule', () => ({
    field: 'entries',
    message: `more problems not listed; the first ${PROBLEMS_MAX} are above`,
  }));
  return valid;
}

/** A text/csv body with the header row CSV_COLUMNS (in any order). */
export function feeScheduleEntriesOfCsv(text: string): FeeScheduleEntryInput[] {
  const rows = readRows(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const columnIndex = headerIndex(rows[0]!);
  if (rows.length === 1) throw csvProblem(2, 'the file has a header but no entries');
  const problems = new Problems<CsvProblem>();
  const valid: FeeScheduleEntryInput[] = [];
  const firstRowOf = new Map<string, number>();
  for (let index = 1; index < rows.length && !problems.full; index++) {
    const row = index + 1;
    const entry = entryOfRow(rows[index]!, row, columnIndex, problems);
    if (!entry) continue;
    const earlier = firstRowOf.get(keyOf(entry));
    if (earlier !== undefined) {
      problems.add({
        field: `row ${row}, procedure_code`,
        row,
        column: 'procedure_code',
        message: `repeats row ${earlier} (${describe(entry)})`,
      });
      continue;
    }
    firstRowOf.set(keyOf(entry), row);
    valid.push(entry);
  }
  problems.throwIfAny('invalid fee schedule CSV', (count) => ({
    field: 'file',
    row: 0,
    message: `more problems not listed; the first ${count} are above`,
  }));
  return valid;
}

function csvProblem(row: number, message: string, column?: string): InvalidInput {
  const problem: CsvProblem = column
    ? { field: `row ${row}, ${column}`, row, column, message }
    : { field: `row ${row}`, row, message };
  return new InvalidInput('invalid fee schedule CSV', [problem]);
}

function readRows(text: string): string[][] {
  let rows: string[][];
  try {
    rows = parseCsv(text, FEE_SCHEDULE_ENTRIES_MAX + 1);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    const message =
      error.row > FEE_SCHEDULE_ENTRIES_MAX + 1
        ? `at most ${FEE_SCHEDULE_ENTRIES_MAX} entries per request; send the rest in another`
        : error.message;
    throw csvProblem(error.row, message);
  }
  if (rows.length === 0) {
    throw csvProblem(1, `the file is empty; it needs the header row ${CSV_COLUMNS.join(',')}`);
  }
  return rows;
}

/** Where each column is; every expected column exactly once and nothing else. */
function headerIndex(header: string[]): Map<CsvColumn, number> {
  const index = new Map<CsvColumn, number>();
  const problems: CsvProblem[] = [];
  header.forEach((name, position) => {
    const column = CSV_COLUMNS.find((known) => known === name);
    if (!column) {
      problems.push({
        field: 'row 1',
        row: 1,
        column: name,
        message: `column ${position + 1} "${name}" is not one of ${CSV_COLUMNS.join(', ')}`,
      });
    } else if (index.has(column)) {
      problems.push({
        field: `row 1, ${column}`,
        row: 1,
        column,
        message: 'appears twice in the header',
      });
    } else {
      index.set(column, position);
    }
  });
  for (const column of CSV_COLUMNS) {
    if (OPTIONAL_CSV_COLUMNS.includes(column)) continue;
    if (!index.has(column) && !problems.some((problem) => problem.column === column)) {
      problems.push({
        field: `row 1, ${column}`,
        row: 1,
        column,
        message: 'is missing from the header',
      });
    }
  }
  if (problems.length > 0) throw new InvalidInput('invalid fee schedule CSV header', problems);
  return index;
}

/** One data row as an entry, or undefined with its problems added. */
function entryOfRow(
  fields: string[],
  row: number,
  columnIndex: Map<CsvColumn, number>,
  problems: Problems<CsvProblem>,
): FeeScheduleEntryInput | undefined {
  if (fields.length !== columnIndex.size) {
    problems.add({
      field: `row ${row}`,
      row,
      message: `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the header has ${columnIndex.size}`,
    });
    return undefined;
  }
  // An optional column left out of the header reads as empty cells.
  const text = (column: CsvColumn) => {
    const position = columnIndex.get(column);
    return position === undefined ? '' : fields[position]!;
  };
  const baseUnits = text('anesthesia_base_units');
  let rowValid = true;
  const flag = (column: CsvColumn): boolean => {
    const value = BOOLEANS.get(text(column).toLowerCase());
    if (value !== undefined) return value;
    rowValid = false;
    problems.add({
      field: `row ${row}, ${column}`,
      row,
      column,
      message: 'must be true, false, yes, no, 1 or 0',
    });
    return false;
  };
  const candidate = {
    procedureCode: text('procedure_code'),
    // An empty modifier cell is "any modifier", like an absent modifier in JSON.
    ...(text('modifier') === '' ? {} : { modifier: text('modifier') }),
    allowedAmount: text('allowed_amount'),
    covered: flag('covered'),
    priorAuthRequired: flag('prior_auth_required'),
    copayApplies: flag('copay_applies'),
    // Digits become the number the schema bounds; anything else goes as sent, for it to name.
    ...(baseUnits === ''
      ? {}
      : { anesthesiaBaseUnits: /^\d{1,9}$/.test(baseUnits) ? Number(baseUnits) : baseUnits }),
  };
  const parsed = feeScheduleEntrySchema.safeParse(candidate);
  if (!parsed.success) {
    addCsvIssues(parsed.error, row, problems);
    return undefined;
  }
  return rowValid ? parsed.data : undefined;
}

function addCsvIssues(error: z.ZodError, row: number, problems: Problems<CsvProblem>): void {
  for (const problem of problemsOf(error)) {
    const column = COLUMN_OF_FIELD.get(problem.field) ?? problem.field;
    problems.add({ field: `row ${row}, ${column}`, row, column, message: problem.message });
  }
}
