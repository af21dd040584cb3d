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

/** CMS place of service code (837P CLM05-1 and SV105): two digits 01-99, e.g. "11" office. */
export const placeOfServiceCode = z
  .string({ error: expected('a string') })
  .regex(
    /^(0[1-9]|[1-9]\d)$/,
    'must be a two-digit CMS place of service code such as "11" (office)',
  );

/**
 * Text that travels inside an X12 element and back (CLM01 to CLP01, REF*6R to REF*6R): printable
 * ASCII, spaces inside allowed (X12 type AN allows them), none leading or trailing (translators
 * trim them), and none of the delimiters our 835 writes, which would split the element.
 */
function x12Identifier(lengthMax: number, what: string) {
  return z
    .string({ error: expected('a string') })
    .regex(
      new RegExp(`^[!-~]([ -~]{0,${lengthMax - 2}}[!-~])?$`),
      `must be 1-${lengthMax} printable characters, without leading or trailing spaces (${what})`,
    )
    .refine(
      (text) => !/[*:^~]/.test(text),
      `must not contain the X12 delimiters * : ^ ~ (${what})`,
    );
}

/** What a line's quantity counts: units (837P SV103 UN), or minutes of anesthesia (MJ). */
export const UNIT_TYPES = ['units', 'minutes'] as const;

const serviceLine = z.strictObject({
  procedureCode,
  modifiers: z.array(modifier).max(4, 'at most 4 modifiers').default([]),
  units,
  /** Absent means units. */
  unitType: z.enum(UNIT_TYPES, { error: expected('"units" or "minutes"') }).optional(),
  chargeAmount: moneyAmount,
  serviceDate: pastDate,
  /** The last day of a service period (837P DTP*472 RD8); absent for one day. */
  serviceDateTo: pastDate.optional(),
  /** Overrides the claim's place of service for this line (837P SV105). */
  placeOfServiceCode: placeOfServiceCode.optional(),
  /** The provider's line item control number (837P REF*6R), echoed in the 835's REF*6R. */
  lineControlNumber: x12Identifier(50, '837P REF*6R, 835 REF*6R').optional(),
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

// It goes back to the provider as CLP01 of the 835, which carries spaces inside as sent.
export const patientControlNumber = x12Identifier(
  38,
  'it is CLM01 in the 837P and CLP01 in the 835',
);

/** A claim's fields; claimSubmissionSchema adds the checks across fields (and the docs show these). */
export const claimFields = z.strictObject({
  payerId: uuid,
  patientControlNumber,
  frequencyCode: z.enum(['1', '7', '8'], {
    error: expected('"1" (original), "7" (replacement) or "8" (void)'),
  }),
  originalClaimId: uuid.optional(),
  /** The claim's place of service (837P CLM05-1); a line's own code overrides it. */
  placeOfServiceCode: placeOfServiceCode.optional(),
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
});

/**
 * The claim's fields, then the rules between them (crossFieldProblems), which run on the input
 * even when fields are malformed or missing, so that every problem of a claim is named at once
 * (a malformed charge must not hide a missing original claim id, nor the reverse). zod's own
 * refinements would skip them after any aborting issue, such as a malformed date or amount.
 */
export const claimSubmissionSchema = z.unknown().transform((input, context) => {
  const parsed = claimFields.safeParse(input);
  for (const issue of parsed.error?.issues ?? []) context.addIssue(issue as z.core.$ZodRawIssue);
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    crossFieldProblems(input, context);
  }
  if (!parsed.success) return z.NEVER;
  // Earlier payers are judged against well-formed lines only.
  for (const issue of coordinationProblems(parsed.data)) {
    context.addIssue({ code: 'custom', ...issue });
  }
  return parsed.data;
});

export type ClaimSubmission = z.output<typeof claimFields>;

type CrossFieldContext = z.RefinementCtx<unknown>;
// Built once: a zod schema costs far more to build than to run, and this runs per line.
const calendarDate = isoDate();
const isDate = (value: unknown): value is string =>
  typeof value === 'string' && calendarDate.safeParse(value).success;
const isMoney = (value: unknown): value is string =>
  typeof value === 'string' && moneyText.safeParse(value).success;

function crossFieldProblems(claim: Partial<ClaimSubmission>, context: CrossFieldContext): void {
  if (claim.frequencyCode === '1' && claim.originalClaimId) {
    context.addIssue({
      code: 'custom',
      path: ['originalClaimId'],
      message: 'must be absent on an original claim (frequencyCode "1")',
    });
  }
  if ((claim.frequencyCode === '7' || claim.frequencyCode === '8') && !claim.originalClaimId) {
    context.addIssue({
      code: 'custom',
      path: ['originalClaimId'],
      message: 'is required for a replacement or void',
    });
  }
  // More lines than allowed is reported by the schema; the rules read the first ones only.
  const lines: unknown[] = Array.isArray(claim.serviceLines)
    ? claim.serviceLines.slice(0, SERVICE_LINES_MAX)
    : [];
  lines.forEach((line, index) => {
    if (typeof line === 'object' && line !== null) {
      lineProblems(claim, line, index, context);
    }
  });
  const charges = lines.map((line) => (line as { chargeAmount?: unknown } | null)?.chargeAmount);
  if (lines.length === 0 || !charges.every(isMoney)) return;
  const total = totalChargeOf(charges.map((chargeAmount) => ({ chargeAmount })));
  if (total.gt(MONEY_MAX)) {
    context.addIssue({
      code: 'custom',
      path: ['serviceLines'],
      message: 'total charge is too large',
    });
  }
  if (isMoney(claim.totalChargeAmount) && !total.eq(claim.totalChargeAmount)) {
    context.addIssue({
      code: 'custom',
      path: ['totalChargeAmount'],
      message: `must equal the sum of the line charges (${total.toFixed(2)})`,
    });
  }
}

function lineProblems(
  claim: Partial<ClaimSubmission>,
  line: Partial<ClaimSubmission['serviceLines'][number]>,
  index: number,
  context: CrossFieldContext,
): void {
  // A dependent's service is judged by the patient's birth date, else the member's.
  const patient = claim.patient as { birthDate?: unknown } | undefined;
  const birthDate = patient
    ? patient.birthDate
    : (claim.member as { birthDate?: unknown } | undefined)?.birthDate;
  if (isDate(line.serviceDate) && isDate(birthDate) && line.serviceDate < birthDate) {
    context.addIssue({
      code: 'custom',
      path: ['serviceLines', index, 'serviceDate'],
      message: patient
        ? "must not be before the patient's birth date"
        : "must not be before the member's birth date",
    });
  }
  if (isDate(line.serviceDate) && isDate(line.serviceDateTo)) {
    if (line.serviceDateTo < line.serviceDate) {
      context.addIssue({
        code: 'custom',
        path: ['serviceLines', index, 'serviceDateTo'],
        message: 'must not be before serviceDate (the first day of the period)',
      });
    }
  }
  if (
    line.unitType === 'minutes' &&
    typeof line.units === 'number' &&
    !Number.isInteger(line.units)
  ) {
    context.addIssue({
      code: 'custom',
      path: ['serviceLines', index, 'units'],
      message: 'must be a whole number of minutes when unitType is "minutes"',
    });
  }
  const codeCount = Array.isArray(claim.diagnosisCodes) ? claim.diagnosisCodes.length : undefined;
  // Absent pointers default to [1], as the schema gives them.
  const pointers: unknown[] = Array.isArray(line.diagnosisPointers)
    ? line.diagnosisPointers
    : line.diagnosisPointers === undefined
      ? [1]
      : [];
  pointers.slice(0, DIAGNOSIS_CODES_MAX).forEach((pointer, pointerIndex) => {
    if (codeCount !== undefined && typeof pointer === 'number' && pointer > codeCount) {
      context.addIssue({
        code: 'custom',
        path: ['serviceLines', index, 'diagnosisPointers', pointerIndex],
        message: `points at diagnosis ${pointer} but the claim has ${codeCount}`,
      });
    }
  });
}

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
