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
