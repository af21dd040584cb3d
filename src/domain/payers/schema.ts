// Payer configuration as a payer sends it: plans, members and their coverage, fee schedule
// entries, prior authorizations and the payer's rules. Codes, dates and money follow the
// claim's own rules (claims/schema.ts), so what a payer configures is what claims carry.
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { memberSchema, modifier, moneyAmount, moneyText, procedureCode } from '../claims/schema.js';
import { cursorParameter } from '../cursor.js';
import { expected, isoDate, pageLimit, text, wholeNumber } from '../validation.js';

export { memberSchema };
export type MemberInput = z.output<typeof memberSchema>;

const uuid = z.uuid({ error: expected('a UUID') });

/**
 * Enrollment: the member, and for a dependent its subscriber's row id and how it is related to
 * the subscriber (837P SBR02/PAT01: "01" spouse, "19" child, "G8" other; "18" self, the default).
 */
export const memberEnrollmentSchema = memberSchema
  .extend({
    subscriberMemberId: uuid.optional(),
    relationshipCode: z
      .enum(['18', '01', '19', 'G8'], {
        error: expected('"18" (self), "01" (spouse), "19" (child) or "G8" (other relationship)'),
      })
      .default('18'),
  })
  .superRefine((member, context) => {
    const dependent = member.relationshipCode !== '18';
    if (dependent && member.subscriberMemberId === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['subscriberMemberId'],
        message: 'is required for a dependent: the row id of the subscriber enrolled before',
      });
    }
    if (!dependent && member.subscriberMemberId !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['relationshipCode'],
        message: 'must be "01", "19" or "G8" when subscriberMemberId names a subscriber',
      });
    }
  });
export type MemberEnrollmentInput = z.output<typeof memberEnrollmentSchema>;
const flag = z.boolean({ error: expected('true or false') });

export const payerRulesSchema = z.strictObject({
  timelyFilingDays: wholeNumber(1, 3650),
  autoAdjudicationLimitAmount: moneyText,
  pendUnknownCodes: flag,
  /** Dollars per anesthesia unit (base + time units); absent or null: no anesthesia priced. */
  anesthesiaConversionFactor: moneyAmount.nullable().optional(),
});
export type PayerRulesInput = z.output<typeof payerRulesSchema>;

/** The member's share after copay and deductible: "20" is 20 %; NUMERIC(7,4). */
const coinsurancePercent = z
  .string({ error: expected('a decimal string such as "20", not a JSON number') })
  .regex(/^\d{1,3}(\.\d{1,4})?$/, {
    message: 'must be a decimal string with at most 4 decimal places',
    abort: true,
  })
  .refine((text) => new Decimal(text).lte(100), 'must be between 0 and 100');

export const planSchema = z
  .strictObject({
    code: z
      .string({ error: expected('a string') })
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
        'must be 1-40 letters, digits, dots, hyphens or underscores, starting with a letter or digit',
      ),
    name: text(200),
    deductibleAmount: moneyText,
    outOfPocketMaxAmount: moneyText,
    copayAmount: moneyText,
    coinsurancePercent,
    planYearStartMonth: wholeNumber(1, 12),
    /** What a family meets together; absent or null: the plan has individual limits only. */
    familyDeductibleAmount: moneyText.nullable().default(null),
    familyOutOfPocketMaxAmount: moneyText.nullable().default(null),
    cobMethod: z
      .enum(['non_duplication', 'carve_out'], {
        error: expected('"non_duplication" or "carve_out"'),
      })
      .default('non_duplication'),
  })
  .superRefine((plan, context) => {
    const family = [
      [
        'familyDeductibleAmount',
        plan.familyDeductibleAmount,
        plan.deductibleAmount,
        'deductibleAmount',
      ],
      [
        'familyOutOfPocketMaxAmount',
        plan.familyOutOfPocketMaxAmount,
        plan.outOfPocketMaxAmount,
        'outOfPocketMaxAmount',
      ],
    ] as const;
    for (const [field, familyAmount, individualAmount, individualField] of family) {
      if (familyAmount !== null && new Decimal(familyAmount).lt(individualAmount)) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `must not be less than ${individualField}: one member never meets more than the family`,
        });
      }
    }
    if (
      plan.familyDeductibleAmount !== null &&
      plan.familyOutOfPocketMaxAmount !== null &&
      new Decimal(plan.familyDeductibleAmount).gt(plan.familyOutOfPocketMaxAmount)
    ) {
      context.addIssue({
        code: 'custom',
        path: ['familyDeductibleAmount'],
        message: 'must not exceed familyOutOfPocketMaxAmount',
      });
    }
    // The deductible counts towards the out-of-pocket maximum, so it cannot exceed it.
    if (new Decimal(plan.deductibleAmount).gt(plan.outOfPocketMaxAmount)) {
      context.addIssue({
        code: 'custom',
        path: ['deductibleAmount'],
        message: 'must not exceed outOfPocketMaxAmount',
      });
    }
  });
export type PlanInput = z.output<typeof planSchema>;

export const coverageSchema = z
  .strictObject({
    planId: uuid,
    effectiveFrom: isoDate(),
    /** Last covered day, inclusive; null while the coverage has not ended. */
    effectiveTo: isoDate().nullable(),
  })
  .superRefine((coverage, context) => {
    if (coverage.effectiveTo !== null && coverage.effectiveTo < coverage.effectiveFrom) {
      context.addIssue({
        code: 'custom',
        path: ['effectiveTo'],
        message: 'must not be before effectiveFrom',
      });
    }
  });
export type CoverageInput = z.output<typeof coverageSchema>;

export const priorAuthorizationSchema = z
  .strictObject({
    /** The member's row id (from POST /v1/payer/members), never the member number. */
    memberId: uuid,
    providerId: uuid,
    procedureCode,
    unitsAuthorized: wholeNumber(1, 9999),
    validFrom: isoDate(),
    /** Last valid day, inclusive. */
    validTo: isoDate(),
  })
  .superRefine((authorization, context) => {
    if (authorization.validTo < authorization.validFrom) {
      context.addIssue({
        code: 'custom',
        path: ['validTo'],
        message: 'must not be before validFrom',
      });
    }
  });
export type PriorAuthorizationInput = z.output<typeof priorAuthorizationSchema>;

/** The most fee schedule entries one request may set (JSON or CSV). */
export const FEE_SCHEDULE_ENTRIES_MAX = 10_000;

/** One priced procedure; an absent (or null) modifier prices the code with any modifier. */
export const feeScheduleEntrySchema = z
  .strictObject({
    procedureCode,
    modifier: modifier.nullable().optional(),
    allowedAmount: moneyText,
    covered: flag,
    priorAuthRequired: flag,
    copayApplies: flag,
    /** Anesthesia base units, for lines billed in minutes; absent or null: not anesthesia. */
    anesthesiaBaseUnits: wholeNumber(0, 100).nullable().optional(),
  })
  .transform((entry) => ({
    ...entry,
    modifier: entry.modifier ?? '',
    anesthesiaBaseUnits: entry.anesthesiaBaseUnits ?? null,
  }));
export type FeeScheduleEntryInput = z.output<typeof feeScheduleEntrySchema>;

export const feeScheduleEnvelopeSchema = z.strictObject({
  entries: z
    .array(z.unknown(), { error: expected('an array of entries') })
    .min(1, 'at least one entry is required')
    .max(
      FEE_SCHEDULE_ENTRIES_MAX,
      `at most ${FEE_SCHEDULE_ENTRIES_MAX} entries per request; send the rest in another`,
    ),
});

export const FEE_SCHEDULE_PAGE_MAX = 1_000;

export const feeScheduleQuerySchema = z.strictObject({
  procedureCode: procedureCode.optional(),
  limit: pageLimit(FEE_SCHEDULE_PAGE_MAX, 100),
  cursor: cursorParameter,
});
export type FeeScheduleQuery = z.output<typeof feeScheduleQuerySchema>;

export const rowIdSchema = z.object({ id: uuid });
