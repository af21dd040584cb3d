// COPY … TO STDOUT in PostgreSQL's binary format, each row handed over as byte ranges of the
// message it arrived in: no JavaScript string or object per field, which is most of what a row
// costs through the driver's query path (it decodes every field to text first). For bulk reads
// whose fields are hashed as bytes: sealing and chain verification.
import type pg from 'pg';
import type { Queryable } from './db.js';

/**
 * One row of a binary COPY: field i is `bytes.subarray(start(i), end(i))`, or null when
 * start(i) is -1. Valid only during the callback it is passed to: the next row reuses it.
 */
export class BinaryCopyRow {
  bytes: Buffer = Buffer.alloc(0);
  fieldCount = 0;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(fieldsMax: number) {
    this.starts = new Int32Array(fieldsMax);
    this.ends = new Int32Array(fieldsMax);
  }

  start(field: number): number {
    return this.starts[field]!;
  }

  end(field: number): number {
    return this.ends[field]!;
  }

  isNull(field: number): boolean {
    return this.starts[field] === -1;
  }

  /** Parses the tuple at `offset` of `bytes`; returns where the next one starts. */
  read(bytes: Buffer, offset: number, fieldCount: number): number {
    if (fieldCount > this.starts.length) {
      throw new CopyFormatError(`a row of ${fieldCount} fields, more than ${this.starts.length}`);
    }
    this.bytes = bytes;
    this.fieldCount = fieldCount;
    let position = offset;
    for (let field = 0; field < fieldCount; field++) {
      if (position + 4 > bytes.length) throw new CopyFormatError('a field length cut short');
      const length = bytes.readInt32BE(position);
      position += 4;
      if (length === -1) {
        this.starts[field] = -1;
        this.ends[field] = -1;
        continue;
      }
      if (length < 0 || position + length > bytes.length) {
        throw new CopyFormatError(`a field of ${length} bytes does not fit its row`);
      }
      this.starts[field] = position;
      this.ends[field] = position + length;
      position += length;
    }
    return position;
  }
}

export class CopyFormatError extends Error {
  constructor(detail: string) {
    super(`binary COPY data malformed: ${detail}`);
    this.name = 'CopyFormatError';
  }
}

// "PGCOPY\n\377\r\n\0", then a 32-bit flags field and a 32-bit header extension length.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
const TRAILER = -1;

/**
 * Runs `copyStatement` (a `COPY (SELECT …) TO STDOUT (FORMAT binary)`) on `db` and calls `onRow`
 * for each row, in order, as the rows arrive. Resolves once the server is done with the
 * statement; rejects with the server's error, a malformed stream, or the first error `onRow`
 * throws (the rest of the rows are then drained unread, so the connection stays usable).
 * PostgreSQL sends each row of a COPY TO in a CopyData message of its own, so rows are parsed
 * where they arrive; a row split across messages is refused, never misread.
 */
export function copyBinaryRows(
  db: Queryable,
  copyStatement: string,
  fieldsMax: number,
  onRow: (row: BinaryCopyRow) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const copy = new BinaryCopyOut(copyStatement, new BinaryCopyRow(fieldsMax), onRow);
    // A pool checks a client out, gives the statement its own callback (which releases the
    // client) and answers with a promise; a client answers with the statement itself, whose
    // callback is then ours to set. Setting it before a pool sees it would keep the client.
    const answer = db.query(copy) as unknown;
    if (answer instanceof Promise) {
      answer.then(() => resolve(), reject);
    } else {
      copy.callback = (error) => (error ? reject(error) : resolve());
    }
  });
}

/** The driver's Submittable contract: it routes the connection's messages to these handlers. */
class BinaryCopyOut implements pg.Submittable {
  callback: ((error?: Error) => void) | undefined;
  private error: Error | undefined;
  private headerRead = false;
  private ended = false;

  constructor(
    private readonly text: string,
    private readonly row: BinaryCopyRow,
    private readonly onRow: (row: BinaryCopyRow) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.error || this.ended) return;
    try {
      this.readMessage(message.chunk);
    } catch (error) {
      this.error = error instanceof Error ? error : new Error(String(error));
    }
  }

  private readMessage(bytes: Buffer): void {
    let offset = 0;
    if (!this.headerRead) {
      if (bytes.length < HEADER_BYTES || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
        throw new CopyFormatError('no binary COPY signature (is the statement FORMAT binary?)');
      }
      const extensionBytes = bytes.readInt32BE(SIGNATURE.length + 4);
      offset = HEADER_BYTES + extensionBytes;
      this.headerRead = true;
    }
    while (offset < bytes.length) {
      if (offset + 2 > bytes.length) throw new CopyFormatError('a row cut short');
      const fieldCount = bytes.readInt16BE(offset);
      if (fieldCount === TRAILER) {
        this.ended = true;
        return;
      }
      offset = this.row.read(bytes, offset + 2, fieldCount);
      this.onRow(this.row);
    }
  }

  // The driver hands the server's errors (and a lost connection) here and then forgets the
  // statement: no ReadyForQuery reaches it, so this is where it ends.
  handleError(error: Error): void {
    this.finish(this.error ?? error);
  }

  handleReadyForQuery(): void {
    this.finish(this.error);
  }

  private finish(error: Error | undefined): void {
    const callback = this.callback;
    this.callback = undefined;
    callback?.(error);
  }

  // A COPY answers with none of these; a statement that does is not a COPY TO STDOUT.
  handleRowDescription(): void {
    this.error ??= new CopyFormatError('the statement returned rows, not COPY data');
  }

  handleDataRow(): void {}

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {
    this.error ??= new CopyFormatError('empty statement');
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: pg.Connection): void {
    this.error ??= new CopyFormatError('the statement is a COPY FROM');
    // The server waits for data until told there is none (the driver's own Query does the same).
    (connection as unknown as { sendCopyFail(message: string): void }).sendCopyFail(
      'not a COPY TO',
    );
  }
}
