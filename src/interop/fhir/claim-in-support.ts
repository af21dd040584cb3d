// What the FHIR Claim mappers share: lenient zod shapes of FHIR datatypes (the claim's own schema
// checks the values after mapping), bounds on lists, and the mapping of our fields to FHIR paths.
import { z } from 'zod';
import { cleanString, expected } from '../../domain/validation.js';
import type { FieldProblem } from '../../infra/errors.js';
import { FieldOrigins } from '../field-origins.js';
import { moneyTextOfFhirDecimal } from './codes.js';

// Bounds on the lists we walk; the body limit (256 kB) bounds them too, these say it plainly.
export const LIST_MAX = 20;
export const CONTAINED_MAX = 50;

// FHIR strings may hold tab and line breaks but no other control character (R4 2.1.28.0.1);
// what we store from them is checked again, more strictly, by the claim's own schema.
export const text = (what = 'a string') => cleanString(what, { lineBreaks: true });
export const positiveInt = z
  .number({ error: expected('a whole number') })
  .int('must be a whole number')
  .min(1, 'must be at least 1');
export const decimal = z.number({ error: expected('a JSON number (a FHIR decimal)') });
export const object = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.looseObject(shape, { error: expected('a JSON object') });
export const coding = object({ system: text().optional(), code: text().optional() });
export const concept = object({
  coding: z.array(coding).max(LIST_MAX, `at most ${LIST_MAX} codings`).optional(),
  text: text().optional(),
});
export const reference = object({ reference: text().optional() });
export const money = object({ value: decimal.optional(), currency: text().optional() });
export const unsupported = (why: string) => z.undefined({ error: why }).optional();
export const noModifierExtension = unsupported(
  'is not supported: a modifier extension could change the meaning of the claim',
);
export const list = <Item extends z.ZodType>(item: Item, max = LIST_MAX) =>
  z.array(item, { error: expected('a JSON array') }).max(max, `at most ${max} entries`);

export type Concept = z.output<typeof concept>;

/** Our field names and the FHIR paths they came from; the problems found on the way. */
export class Mapping extends FieldOrigins<string> {
  readonly problems: FieldProblem[] = [];

  constructor(readonly providerOrgId: string) {
    super('Claim');
  }

  /** A problem at a FHIR path; `fields` are ours that it covers, which need no second report. */
  fail(path: string, message: string, ...fields: string[]): void {
    this.problems.push({ field: path, message });
    this.covered(path, fields);
  }
}

export function hasCoding(value: Concept | undefined, codingSystem: string, code: string): boolean {
  return (value?.coding ?? []).some((each) => each.system === codingSystem && each.code === code);
}

/** A FHIR Money in US dollars as our decimal string ("125.5" becomes "125.50"); the caller maps it. */
export function moneyText(
  value: z.output<typeof money>,
  path: string,
  field: string,
  mapping: Mapping,
): string | undefined {
  if (value.currency !== undefined && value.currency !== 'USD') {
    mapping.fail(`${path}.currency`, 'must be "USD"', field);
    return undefined;
  }
  if (value.value === undefined) {
    mapping.fail(`${path}.value`, 'is required', field);
    return undefined;
  }
  const converted = moneyTextOfFhirDecimal(value.value);
  if ('problem' in converted) {
    mapping.fail(`${path}.value`, converted.problem, field);
    return undefined;
  }
  return converted.text;
}

export const insuranceShape = object({
  sequence: positiveInt,
  focal: z.boolean({ error: expected('true or false') }),
  coverage: object({ reference: text().optional(), display: text().optional() }),
  claimResponse: reference.optional(),
});

/** What the parties and the earlier payers are read from: Claim.patient, contained, insurance. */
export interface ClaimParts {
  patient?: { reference?: string | undefined } | undefined;
  contained?: { resourceType: string; id?: string | undefined }[] | undefined;
  insurance?: z.output<typeof insuranceShape>[] | undefined;
}

/** The contained resource of this type that `reference` ("#id") names, or -1. */
export function containedIndexOf(
  claim: ClaimParts,
  resourceType: string,
  reference: string | undefined,
): number {
  if (reference === undefined || !reference.startsWith('#')) return -1;
  return (claim.contained ?? []).findIndex(
    (each) => each.resourceType === resourceType && `#${each.id}` === reference,
  );
}

/**
 * The index of the focal insurance (our coverage): exactly one entry is focal when insurance is
 * sent. "none" when none is sent; "failed" when the problem was reported.
 */
export type FocalInsurance = number | 'none' | 'failed';

export function focalInsuranceOf(claim: ClaimParts, mapping: Mapping): FocalInsurance {
  const insurance = claim.insurance ?? [];
  const focal = insurance.flatMap((each, index) => (each.focal ? [index] : []));
  if (insurance.length > 0 && focal.length !== 1) {
    mapping.fail(
      'Claim.insurance',
      `must have exactly one entry with focal true (the coverage this claim is sent to); found ${focal.length}`,
      'member',
      'payerResponsibilityCode',
      'priorPayers',
    );
    return 'failed';
  }
  return focal[0] ?? 'none';
}
