// The claim as submitted (JSON API, and later 837P and FHIR mapped onto it). Checked at
// intake so an incomplete claim is stopped with the exact field named, not found by the
// payer weeks later. Money is a decimal string, never a JSON number.
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { expected, isoDate, remittableName } from '../validation.js';

export const SERVICE_LINES_MAX = 50; // 837P loop 2400 repeats at most 50 times
export const DIAGNOSIS_CODES_MAX = 12; // 837P HI segment holds 12
export const MONEY_MAX = new Decimal('999999999999.99'); // NUMERIC(14,2)

const todayUtc = () => new Date().toISOString().slice(0, 10);

/** A birth or service date: a real date since 1900 that has already come. */
const pastDate = isoDate().refine((date) => date <= todayUtc(), 'must not be in the future');

/** Money that may be zero (a price, a deductible): fits NUMERIC(14,2). */
export const moneyText = z
  .string({ error: expected('a decimal string such as "125.00", not a JSON number') })
  // Aborts on a malformed amount, so that neither the check below nor the claim's total
  // hands it to Decimal (which throws on "$12.00": a 500 instead of a 422).
  .regex(/^\d{1,12}(\.\d{1,2})?$/, {
    message: 'must be a decimal string with at most 2 decimal places',
    abort: true,
  });

export const moneyAmount = moneyText.refine(
  (text) => new Decimal(text).gt(0),
  'must be greater than 0',
);

const units = z
  .number({ error: expected('a number') })
  .positive('must be greater than 0')
  .max(99999, 'must be at most 99999')
  .refine((value) => /^\d+(\.\d{1,3})?$/.test(String(value)), 'must have at most 3 decimal places');

// CPT (5 digits, or 4 digits + F/T/U) or HCPCS Level II (letter + 4 digits).
export const procedureCode = z
  .string({ error: expected('a string') })
  .regex(/^(\d{4}[0-9FTU]|[A-V]\d{4})$/, 'must be a CPT or HCPCS code such as "99213" or "J1885"');

export const modifier = z
  .string({ error: expected('a string') })
  .regex(/^[A-Z0-9]{2}$/, 'must be a two-character modifier such as "25"');

// ICD-10-CM, with or without the dot: letter, digit, alphanumeric, then up to 4 more.
const diagnosisCode = z
  .string({ error: expected('a string') })
  .regex(/^[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$/, 'must be an ICD-10-CM code such as "E11.9"')
  .transform((code) => code.replace('.', ''));

const serviceLine = z.strictObject({
  procedureCode,
  modifiers: z.array(modifier).max(4, 'at most 4 modifiers').default([]),
  units,
  chargeAmount: moneyAmount,
  serviceDate: pastDate,
  diagnosisPointers: z
    .array(z.number().int('must be a whole number').min(1).max(DIAGNOSIS_CODES_MAX))
    .min(1, 'at least one pointer')
    .max(4, 'at most 4 pointers')
    .default([1]),
});

/** The patient as the payer knows them; claims and payer enrollment share it. */
export const memberSchema = z.strictObject({
  memberId: z
    .string({ error: expected('a string') })
    .regex(/^[A-Za-z0-9-]{2,80}$/, 'must be 2-80 letters, digits or hyphens'),
  firstName: remittableName(35),
  lastName: remittableName(60),
  birthDate: pastDate,
  gender: z.enum(['F', 'M', 'U'], { error: expected('"F", "M" or "U"') }).default('U'),
});

const uuid = z.uuid({ error: expected('a UUID') });

/** How a dependent patient is related to the subscriber (837P PAT01): spouse, child, other. */
export const DEPENDENT_RELATIONSHIP_CODES = ['01', '19', 'G8'] as const;
const dependentRelationshipCode = z.enum(DEPENDENT_RELATIONSHIP_CODES, {
  error: expected('"01" (spouse), "19" (child) or "G8" (other relationship)'),
});

/** The patient when not the subscriber (837P loop 2000C): found among the subscriber's dependents. */
export const patientSchema = z.strictObject({
  firstName: remittableName(35),
  lastName: remittableName(60),
  birthDate: pastDate,
  gender: z.enum(['F', 'M', 'U'], { error: expected('"F", "M" or "U"') }).default('U'),
  relationshipCode: dependentRelationshipCode,
});
export type PatientInput = z.output<typeof patientSchema>;

/** Most earlier payers a claim names: a tertiary claim names the primary and the secondary. */
export const PRIOR_PAYERS_MAX = 2;
/** CAS of 837P loops 2320 and 2430: up to 99 per loop in the guide; we bound them lower. */
const PRIOR_ADJUSTMENTS_MAX = 30;

const priorAdjustment = z.strictObject({
  group: z.enum(['CO', 'CR', 'OA', 'PI', 'PR'], {
    error: expected('a claim adjustment group code: CO, CR, OA, PI or PR'),
  }),
  reasonCode: z
    .string({ error: expected('a string') })
    .regex(/^[A-Z0-9]{1,5}$/, 'must be a claim adjustment reason code such as "45"'),
  amount: moneyText,
});

/** How an earlier payer adjudicated one line (837P loop 2430: SVD, CAS, DTP*573). */
const priorLine = z.strictObject({
  lineNumber: z
    .number({ error: expected('a number') })
    .int('must be a whole number')
    .min(1),
  paidAmount: moneyText,
  adjustments: z.array(priorAdjustment).max(PRIOR_ADJUSTMENTS_MAX).default([]),
  adjudicationDate: pastDate.optional(),
});

/** An earlier payer and its adjudication (837P loops 2320, 2330B, 2430). */
const priorPayer = z.strictObject({
  /** Its payer responsibility (its SBR01): "P" for the primary, "S" for the secondary. */
  responsibilityCode: z.enum(['P', 'S'], { error: expected('"P" (primary) or "S" (secondary)') }),
  payerName: remittableName(60),
  /** The identifier the billing office knows the payer by (2330B NM109). */
  payerIdentifier: z
    .string({ error: expected('a string') })
    .regex(/^[!-~]{2,80}$/, 'must be 2-80 printable characters without spaces'),
  /** What the payer paid on the claim (2320 AMT*D). */
  paidAmount: moneyText,
  /** Adjustments of the claim as a whole (2320 CAS). */
  claimAdjustments: z.array(priorAdjustment).max(PRIOR_ADJUSTMENTS_MAX).default([]),
  lines: z.array(priorLine).max(SERVICE_LINES_MAX).default([]),
});
export type PriorPayerInput = z.output<typeof priorPayer>;

export const claimSubmissionSchema = z
  .strictObject({
    payerId: uuid,
    patientControlNumber: z
      .string({ error: expected('a string') })
      .regex(/^[!-~]{1,38}$/, 'must be 1-38 printable characters without spaces (837P CLM01)')
      // It goes back to the provider as CLP01 of the 835, where these separate elements.
      .refine(
        (text) => !/[*:^~]/.test(text),
        'must not contain the X12 delimiters * : ^ ~ (it is CLM01 in the 837P and CLP01 in the 835)',
      ),
    frequencyCode: z.enum(['1', '7', '8'], {
      error: expected('"1" (original), "7" (replacement) or "8" (void)'),
    }),
    originalClaimId: uuid.optional(),
    member: memberSchema,
    patient: patientSchema.optional(),
    /** 837P SBR01: absent is a primary claim; "S" secondary or "T" tertiary names its prior payers. */
    payerResponsibilityCode: z
      .enum(['S', 'T'], {
        error: expected('"S" (secondary) or "T" (tertiary); leave it out on a primary claim'),
      })
      .optional(),
    priorPayers: z.array(priorPayer).max(PRIOR_PAYERS_MAX).optional(),
    diagnosisCodes: z
      .array(diagnosisCode)
      .min(1, 'at least one diagnosis code is required')
      .max(DIAGNOSIS_CODES_MAX, `at most ${DIAGNOSIS_CODES_MAX} diagnosis codes`),
    serviceLines: z
      .array(serviceLine)
      .min(1, 'at least one service line is required')
      .max(SERVICE_LINES_MAX, `at most ${SERVICE_LINES_MAX} service lines`),
    totalChargeAmount: moneyAmount.optional(),
  })
  .superRefine((claim, context) => {
    if (claim.frequencyCode === '1' && claim.originalClaimId) {
      context.addIssue({
        code: 'custom',
        path: ['originalClaimId'],
        message: 'must be absent on an original claim (frequencyCode "1")',
      });
    }
    if (claim.frequencyCode !== '1' && !claim.originalClaimId) {
      context.addIssue({
        code: 'custom',
        path: ['originalClaimId'],
        message: 'is required for a replacement or void',
      });
    }
    coordinationProblems(claim).forEach((issue) => context.addIssue({ code: 'custom', ...issue }));
    claim.serviceLines.forEach((line, index) => {
      if (claim.patient && line.serviceDate < claim.patient.birthDate) {
        context.addIssue({
          code: 'custom',
          path: ['serviceLines', index, 'serviceDate'],
          message: "must not be before the patient's birth date",
        });
      } else if (!claim.patient && line.serviceDate < claim.member.birthDate) {
        context.addIssue({
          code: 'custom',
          path: ['serviceLines', index, 'serviceDate'],
          message: "must not be before the member's birth date",
        });
      }
      line.diagnosisPointers.forEach((pointer, pointerIndex) => {
        if (pointer > claim.diagnosisCodes.length) {
          context.addIssue({
            code: 'custom',
            path: ['serviceLines', index, 'diagnosisPointers', pointerIndex],
            message: `points at diagnosis ${pointer} but the claim has ${claim.diagnosisCodes.length}`,
          });
        }
      });
    });
    const total = totalChargeOf(claim.serviceLines);
    if (total.gt(MONEY_MAX)) {
      context.addIssue({
        code: 'custom',
        path: ['serviceLines'],
        message: 'total charge is too large',
      });
    }
    if (claim.totalChargeAmount !== undefined && !total.eq(claim.totalChargeAmount)) {
      context.addIssue({
        code: 'custom',
        path: ['totalChargeAmount'],
        message: `must equal the sum of the line charges (${total.toFixed(2)})`,
      });
    }
  });

export type ClaimSubmission = z.output<typeof claimSubmissionSchema>;

type ClaimDraft = Pick<
  ClaimSubmission,
  'payerResponsibilityCode' | 'priorPayers' | 'serviceLines' | 'frequencyCode'
>;

/**
 * A secondary claim names the primary payer's adjudication, a tertiary one the primary's and the
 * secondary's; a primary claim names none. Each earlier payer once; its lines are the claim's,
 * each once; what it paid fits within the charges (line by line and in all).
 */
function coordinationProblems(claim: ClaimDraft): { path: PropertyKey[]; message: string }[] {
  const sequence = claim.payerResponsibilityCode;
  const priors = claim.priorPayers;
  if (sequence === undefined) {
    return priors === undefined
      ? []
      : [{ path: ['priorPayers'], message: 'must be absent on a primary claim' }];
  }
  const wanted = sequence === 'S' ? ['P'] : ['P', 'S'];
  const named = (priors ?? []).map((prior) => prior.responsibilityCode).sort();
  if (named.join() !== wanted.join()) {
    const who =
      sequence === 'S'
        ? 'the primary payer ("P")'
        : 'the primary ("P") and the secondary ("S") payer';
    return [
      { path: ['priorPayers'], message: `must name ${who}, each once, with its adjudication` },
    ];
  }
  const total = totalChargeOf(claim.serviceLines);
  return priors!.flatMap((prior, index) => {
    const problems: { path: PropertyKey[]; message: string }[] = [];
    if (new Decimal(prior.paidAmount).gt(total)) {
      problems.push({
        path: ['priorPayers', index, 'paidAmount'],
        message: `must not exceed the claim's total charge ${total.toFixed(2)}`,
      });
    }
    const seen = new Set<number>();
    prior.lines.forEach((line, lineIndex) => {
      const path = ['priorPayers', index, 'lines', lineIndex];
      const claimLine = claim.serviceLines[line.lineNumber - 1];
      if (!claimLine) {
        problems.push({ path: [...path, 'lineNumber'], message: 'the claim has no such line' });
      } else if (seen.has(line.lineNumber)) {
        problems.push({ path: [...path, 'lineNumber'], message: 'names a line twice' });
      } else if (new Decimal(line.paidAmount).gt(claimLine.chargeAmount)) {
        problems.push({
          path: [...path, 'paidAmount'],
          message: `must not exceed the line's charge ${new Decimal(claimLine.chargeAmount).toFixed(2)}`,
        });
      }
      seen.add(line.lineNumber);
    });
    return problems;
  });
}

export function totalChargeOf(lines: readonly { chargeAmount: string }[]): Decimal {
  return lines.reduce((sum, line) => sum.plus(line.chargeAmount), new Decimal(0));
}
