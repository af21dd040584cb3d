// Secondary and tertiary FHIR Claims, read as claim-out writes them: the focal insurance's
// sequence is our place among the payers (1, 2, 3), and each non-focal insurance of a lower
// sequence is an earlier payer, its adjudication a contained ClaimResponse (837P loops 2320,
// 2330B and 2430): insurer, payment.amount, CAS adjustments in adjudication, paid per item.
import { z } from 'zod';
import { SERVICE_LINES_MAX } from '../../domain/claims/schema.js';
import { problemsOf } from '../../domain/validation.js';
import {
  concept,
  containedIndexOf,
  hasCoding,
  list,
  money,
  moneyText,
  noModifierExtension,
  object,
  positiveInt,
  text,
  type ClaimParts,
  type FocalInsurance,
  type Mapping,
} from './claim-in-support.js';
import { extensionUrl, system } from './codes.js';

// CAS adjustments (the claim schema allows 30) beside the benefit and informational amounts.
const ADJUDICATIONS_MAX = 40;

const adjudicationShape = object({
  extension: list(object({ url: text(), valueCode: text().optional() })).optional(),
  category: concept,
  reason: concept.optional(),
  amount: money.optional(),
});

const priorResponseShape = object({
  resourceType: z.literal('ClaimResponse'),
  insurer: object({
    display: text().optional(),
    identifier: object({ value: text().optional() }).optional(),
  }),
  payment: object({ amount: money }).optional(),
  adjudication: list(adjudicationShape, ADJUDICATIONS_MAX).optional(),
  item: list(
    object({
      itemSequence: positiveInt,
      extension: list(
        object({ url: text(), valueDate: text('a date YYYY-MM-DD').optional() }),
      ).optional(),
      adjudication: list(adjudicationShape, ADJUDICATIONS_MAX).optional(),
      modifierExtension: noModifierExtension,
    }),
    SERVICE_LINES_MAX,
  ).optional(),
  modifierExtension: noModifierExtension,
});

type Adjudication = z.output<typeof adjudicationShape>;
type PriorItem = NonNullable<z.output<typeof priorResponseShape>['item']>[number];

/** Amounts shown beside the adjudication that are no CAS adjustment: read past, not kept. */
const informational = ['submitted', 'eligible'];

/** payerResponsibilityCode and priorPayers, by the insurance sequences. */
export function coordinationOf(
  claim: ClaimParts,
  focalInsurance: FocalInsurance,
  mapping: Mapping,
): { payerResponsibilityCode?: string; priorPayers?: unknown[] } {
  if (typeof focalInsurance !== 'number') return {};
  const insurance = claim.insurance!;
  const sequencePath = `Claim.insurance[${focalInsurance}].sequence`;
  mapping.map('payerResponsibilityCode', sequencePath);
  mapping.map('priorPayers', 'Claim.insurance');
  const firstWith = new Map<number, number>();
  let sequencesDiffer = true;
  insurance.forEach((entry, index) => {
    const first = firstWith.get(entry.sequence);
    if (first === undefined) firstWith.set(entry.sequence, index);
    else {
      sequencesDiffer = false;
      mapping.fail(
        `Claim.insurance[${index}].sequence`,
        `must differ from every other entry's: Claim.insurance[${first}] has ${entry.sequence} too`,
        'payerResponsibilityCode',
        'priorPayers',
      );
    }
  });
  if (!sequencesDiffer) return {};
  const sequence = insurance[focalInsurance]!.sequence;
  if (sequence > 3) {
    mapping.fail(
      sequencePath,
      'must be 1 (this payer is the primary), 2 (the secondary) or 3 (the tertiary)',
      'payerResponsibilityCode',
      'priorPayers',
    );
    return {};
  }
  // Payers after us (a higher sequence) are no part of this claim's coordination.
  if (sequence === 1) return {};
  const earlier = insurance
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => !entry.focal && entry.sequence < sequence)
    .sort((a, b) => a.entry.sequence - b.entry.sequence);
  if (new Set(earlier.map(({ entry }) => entry.sequence)).size !== sequence - 1) {
    mapping.fail(
      'Claim.insurance',
      `needs an entry for each earlier payer (sequence ${sequence === 2 ? '1' : '1 and 2'}), each with its adjudication in claimResponse`,
      'priorPayers',
    );
    return { payerResponsibilityCode: sequence === 2 ? 'S' : 'T' };
  }
  return {
    payerResponsibilityCode: sequence === 2 ? 'S' : 'T',
    priorPayers: earlier.map(({ entry, index }, position) =>
      priorPayerOf(claim, entry.sequence, index, `priorPayers[${position}]`, mapping),
    ),
  };
}

function priorPayerOf(
  claim: ClaimParts,
  sequence: number,
  insuranceIndex: number,
  field: string,
  mapping: Mapping,
): Record<string, unknown> | undefined {
  const path = `Claim.insurance[${insuranceIndex}]`;
  mapping.map(field, path);
  const reference = claim.insurance![insuranceIndex]!.claimResponse?.reference;
  const index = containedIndexOf(claim, 'ClaimResponse', reference);
  if (index < 0) {
    mapping.fail(
      `${path}.claimResponse`,
      'is required: the earlier payer’s adjudication, a ClaimResponse contained in the Claim ("#id")',
      field,
    );
    return undefined;
  }
  const responsePath = `Claim.contained[${index}]`;
  const shaped = priorResponseShape.safeParse(claim.contained![index]);
  if (!shaped.success) {
    for (const problem of problemsOf(shaped.error, ['Claim', 'contained', index])) {
      mapping.fail(problem.field, problem.message, field);
    }
    return undefined;
  }
  const response = shaped.data;
  mapping.map(`${field}.payerName`, `${responsePath}.insurer.display`);
  mapping.map(`${field}.payerIdentifier`, `${responsePath}.insurer.identifier.value`);
  mapping.map(`${field}.paidAmount`, `${responsePath}.payment.amount.value`);
  mapping.map(`${field}.lines`, `${responsePath}.item`);
  const paidAmount = response.payment
    ? moneyText(
        response.payment.amount,
        `${responsePath}.payment.amount`,
        `${field}.paidAmount`,
        mapping,
      )
    : undefined;
  return {
    responsibilityCode: sequence === 1 ? 'P' : 'S',
    payerName: response.insurer.display,
    payerIdentifier: response.insurer.identifier?.value,
    paidAmount,
    claimAdjustments: adjustmentsOf(
      response.adjudication ?? [],
      `${responsePath}.adjudication`,
      `${field}.claimAdjustments`,
      mapping,
    ),
    lines: (response.item ?? []).map((item, itemIndex) =>
      priorLineOf(
        item,
        `${responsePath}.item[${itemIndex}]`,
        `${field}.lines[${itemIndex}]`,
        mapping,
      ),
    ),
  };
}

/** A line as the earlier payer adjudicated it: its one benefit entry is what it paid. */
function priorLineOf(
  item: PriorItem,
  path: string,
  field: string,
  mapping: Mapping,
): Record<string, unknown> {
  mapping.map(field, path);
  mapping.map(`${field}.lineNumber`, `${path}.itemSequence`);
  const entries = item.adjudication ?? [];
  const benefits = entries.flatMap((entry, index) => (isBenefit(entry) ? [index] : []));
  let paidAmount: string | undefined;
  if (benefits.length !== 1) {
    mapping.fail(
      `${path}.adjudication`,
      `needs exactly one entry of category ${system.adjudication}|benefit without a reason: what the payer paid on the line`,
      `${field}.paidAmount`,
    );
  } else {
    const benefitPath = `${path}.adjudication[${benefits[0]}]`;
    mapping.map(`${field}.paidAmount`, `${benefitPath}.amount.value`);
    const amount = entries[benefits[0]!]!.amount ?? {};
    paidAmount = moneyText(amount, `${benefitPath}.amount`, `${field}.paidAmount`, mapping);
  }
  const dates = (item.extension ?? []).flatMap((extension, index) =>
    extension.url === extensionUrl.adjudicationDate ? [index] : [],
  );
  if (dates.length > 0) {
    mapping.map(`${field}.adjudicationDate`, `${path}.extension[${dates[0]}].valueDate`);
  }
  return {
    lineNumber: item.itemSequence,
    paidAmount,
    adjustments: adjustmentsOf(entries, `${path}.adjudication`, `${field}.adjustments`, mapping),
    ...(dates.length > 0 ? { adjudicationDate: item.extension![dates[0]!]!.valueDate } : {}),
  };
}

function isBenefit(entry: Adjudication): boolean {
  return entry.reason === undefined && hasCoding(entry.category, system.adjudication, 'benefit');
}

/**
 * The CAS adjustments among adjudication entries: each entry with a reason is one, its CARC in a
 * coding of the CARC system and its group in our extension. Entries without a reason must be the
 * line's benefit or an informational amount (submitted, eligible): a patient's share without its
 * reason code could not be passed on, so it is refused rather than dropped.
 */
function adjustmentsOf(
  entries: readonly Adjudication[],
  path: string,
  field: string,
  mapping: Mapping,
): Record<string, unknown>[] {
  const adjustments: Record<string, unknown>[] = [];
  entries.forEach((entry, index) => {
    const entryPath = `${path}[${index}]`;
    if (entry.reason === undefined) {
      const known =
        isBenefit(entry) ||
        informational.some((code) => hasCoding(entry.category, system.adjudication, code));
      if (!known) {
        mapping.fail(
          `${entryPath}.reason`,
          `is required: the claim adjustment reason code (${system.claimAdjustmentReason})`,
          field,
        );
      }
      return;
    }
    const adjustmentField = `${field}[${adjustments.length}]`;
    adjustments.push(adjustmentOf(entry, entryPath, adjustmentField, mapping));
  });
  return adjustments;
}

function adjustmentOf(
  entry: Adjudication,
  path: string,
  field: string,
  mapping: Mapping,
): Record<string, unknown> {
  mapping.map(field, path);
  const codings = entry.reason?.coding ?? [];
  const reasonIndex = codings.findIndex((each) => each.system === system.claimAdjustmentReason);
  if (reasonIndex < 0) {
    mapping.fail(
      `${path}.reason.coding`,
      `needs a coding with system ${system.claimAdjustmentReason} (CARC)`,
      `${field}.reasonCode`,
    );
  } else mapping.map(`${field}.reasonCode`, `${path}.reason.coding[${reasonIndex}].code`);
  const extensions = entry.extension ?? [];
  const groupIndex = extensions.findIndex((each) => each.url === extensionUrl.adjustmentGroup);
  if (groupIndex < 0) {
    mapping.fail(
      `${path}.extension`,
      `needs the extension ${extensionUrl.adjustmentGroup}: the adjustment group (valueCode CO, CR, OA, PI or PR)`,
      `${field}.group`,
    );
  } else mapping.map(`${field}.group`, `${path}.extension[${groupIndex}].valueCode`);
  mapping.map(`${field}.amount`, `${path}.amount.value`);
  return {
    group: groupIndex < 0 ? undefined : extensions[groupIndex]!.valueCode,
    reasonCode: reasonIndex < 0 ? undefined : codings[reasonIndex]!.code,
    amount: moneyText(entry.amount ?? {}, `${path}.amount`, `${field}.amount`, mapping),
  };
}
