// Structured logs. Request bodies and member fields are never logged; the redact list
// is a second line of defence for PHI that slips into a log object by mistake.
import { pino, type Logger } from 'pino';

export const PHI_REDACT_PATHS = [
  '*.member',
  '*.memberId',
  '*.firstName',
  '*.lastName',
  '*.birthDate',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: PHI_REDACT_PATHS, censor: '[redacted]' } });
}

export type { Logger };
