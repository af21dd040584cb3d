// The query of an eligibility inquiry, checked by the value rules every route shares.
import { z } from 'zod';
import { patientControlNumber, memberSchema, procedureCode } from '../claims/schema.js';
import { expected, isoDate, text } from '../validation.js';
import { PROCEDURE_CODES_PER_INQUIRY_MAX } from './eligibility.js';

/** The payer as a billing office names it: its ClaimChain id today (see resolvePayers). */
export const payerIdentifier = text(80);

/** Today's date in UTC, the default date of service of an inquiry. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** `procedureCode=99213&procedureCode=97110` or `procedureCode=99213,97110`, or both. */
const procedureCodeList = z
  .union([z.string(), z.array(z.string()).max(PROCEDURE_CODES_PER_INQUIRY_MAX)], {
    error: expected('procedure codes'),
  })
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')))
  .pipe(
    z
      .array(procedureCode)
      .max(
        PROCEDURE_CODES_PER_INQUIRY_MAX,
        `at most ${PROCEDURE_CODES_PER_INQUIRY_MAX} procedure codes`,
      ),
  )
  .transform((codes) => [...new Set(codes)]);

export const eligibilityQuerySchema = z.strictObject({
  payerId: payerIdentifier,
  memberId: memberSchema.shape.memberId,
  date: isoDate().optional(),
  procedureCode: procedureCodeList.optional(),
});

export const claimStatusQuerySchema = z.strictObject({
  payerId: payerIdentifier,
  patientControlNumber,
  serviceDate: isoDate().optional(),
});
