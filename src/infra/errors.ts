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

/**
 * The server cannot answer correctly for now, through no fault of the request (503). `alarm`
 * names what the operator must look at, identifiers only (never PHI): the API's error handler
 * logs it at error level, once, with the request that met it; the client sees only the message.
 */
export class ServiceUnavailable extends DomainError {
  constructor(
    message: string,
    code: string,
    readonly alarm: Readonly<Record<string, string | number>>,
  ) {
    super(message, 503, code);
  }
}

/** True when `error` is PostgreSQL's unique violation of this constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  return fields?.code === '23505' && fields.constraint === constraint;
}

// Socket errors of a server that is down, restarting or unreachable (pg, ioredis, node).
const OUTAGE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE class 08 (connection exception); 57P01-57P03 (admin shutdown, crash shutdown,
// cannot connect now); 53300 (too many connections).
const OUTAGE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
// Prisma's codes for the same: cannot reach, timed out reaching, operation timed out, server
// closed the connection, pool timeout, too many connections.
const OUTAGE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
// @prisma/adapter-pg's kinds for the same (a DriverAdapterError's cause).
const OUTAGE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'SocketTimeout',
  'ConnectionClosed',
  'TooManyConnections',
]);
// Errors that carry no code: pg's lost connection and pool timeouts, ioredis's closed connection.
const OUTAGE_MESSAGES: [fragment: string, reason: string][] = [
  ['Connection terminated unexpectedly', 'connection terminated'],
  ['Connection terminated due to connection timeout', 'connect timeout'],
  ['timeout exceeded when trying to connect', 'pool connect timeout'],
  ['Client has encountered a connection error and is not queryable', 'connection broken'],
  ['Connection is closed.', 'connection closed'],
];
/** How deep the causes (cause, Prisma's meta.driverAdapterError) are followed. */
const CAUSE_DEPTH_MAX = 4;

function outageReasonOfOne(fields: Record<string, unknown>): string | undefined {
  const { code, kind, originalCode, message } = fields;
  for (const candidate of [code, originalCode]) {
    if (typeof candidate !== 'string') continue;
    if (OUTAGE_SOCKET_CODES.has(candidate) || OUTAGE_SQLSTATE.test(candidate)) return candidate;
    if (OUTAGE_PRISMA_CODES.has(candidate)) return candidate;
  }
  if (typeof kind === 'string' && OUTAGE_ADAPTER_KINDS.has(kind)) return kind;
  if (typeof message !== 'string') return undefined;
  return OUTAGE_MESSAGES.find(([fragment]) => message.includes(fragment))?.[1];
}

/**
 * Why `error` means a dependency (PostgreSQL, Redis) is down or unreachable rather than that
 * the work itself is wrong: a short code fit to log (never the message, which may quote a
 * query), or undefined when it is no outage. Follows the causes drivers wrap errors in.
 */
export function dependencyOutageReason(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const fields = current as Record<string, unknown>;
    const reason = outageReasonOfOne(fields);
    if (reason) return reason;
    const meta = fields.meta as { driverAdapterError?: unknown } | undefined;
    current = meta?.driverAdapterError ?? fields.cause;
  }
  return undefined;
}

/**
 * True when the transaction lost a race it may win next time (SQLSTATE class 40: serialization
 * failure, deadlock detected): the work itself is not at fault.
 */
export function isLostRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('40');
}
