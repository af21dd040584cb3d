// Structured logs. Request bodies and member fields are never logged; the redact list
// is a second line of defence for PHI that slips into a log object by mistake.
import { pino, type DestinationStream, type Logger } from 'pino';

export const PHI_REDACT_PATHS = [
  '*.member',
  '*.memberId',
  '*.firstName',
  '*.lastName',
  '*.birthDate',
  'req.headers.authorization',
  'headers.authorization',
];

/** Logs to standard output, or to `destination` (tests read what would have been logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: PHI_REDACT_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
