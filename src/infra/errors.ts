// One error vocabulary for the whole engine. Domain code throws these; the API's
// error handler is the one place that turns them into HTTP responses.

export interface FieldProblem {
  /** Path of the offending field, e.g. "serviceLines[2].chargeAmount". */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends DomainError {
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message, 422, 'invalid_input');
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'a valid API key is required (Authorization: Bearer <key>)') {
    super(message, 401, 'unauthenticated');
  }
}

export class Forbidden extends DomainError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

export class NotFound extends DomainError {
  constructor(what: string) {
    super(`${what} not found`, 404, 'not_found');
  }
}

export class Conflict extends DomainError {
  constructor(message: string) {
    super(message, 409, 'conflict');
  }
}

/** True when `error` is PostgreSQL's unique violation of this constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  return fields?.code === '23505' && fields.constraint === constraint;
}

/**
 * True when `error` says nothing about the work itself: the database was unreachable or went
 * away (SQLSTATE class 08, 57P01-03, 53300, a refused or reset socket), or the transaction
 * lost a race it may win next time (class 40: serialization failure, deadlock). Drivers wrap
 * errors, so the causes are looked through too (a few levels, no more).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  let current = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (/^(08|40)/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
    if (TRANSIENT_SOCKET_CODES.includes(code)) return true;
    const message = typeof current.message === 'string' ? current.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect/.test(message)) return true;
    current = current.cause as typeof current;
  }
  return false;
}

const TRANSIENT_SOCKET_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'];
