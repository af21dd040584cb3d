// A FHIR R4 professional Claim mapped onto the claim we accept (ClaimSubmission) and checked by the
// same schema as POST /v1/claims. Every problem names the FHIR path the client sent, never our
// field names. Pure: no I/O.
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import {
  claimSubmissionSchema,
  DIAGNOSIS_CODES_MAX,
  SERVICE_LINES_MAX,
  type ClaimSubmission,
} from '../../domain/claims/schema.js';
import { expected, problemsOf } from '../../domain/validation.js';
import type { FieldProblem } from '../../infra/errors.js';
import { partiesOf } from './claim-in-parties.js';
import { coordinationOf } from './claim-in-prior-payers.js';
import {
  concept,
  CONTAINED_MAX,
  decimal,
  focalInsuranceOf,
  hasCoding,
  insuranceShape,
  list,
  Mapping,
  money,
  moneyText,
  noModifierExtension,
  object,
  positiveInt,
  reference,
  text,
  unsupported,
} from './claim-in-support.js';
import { extensionUrl, hcpcsSystemAliases, system } from './codes.js';

export type FhirClaimMapping =
  | {
      status: 'accepted';
      submission: ClaimSubmission;
      /** The FHIR path of one of our fields, for problems found later (an unknown payer). */
      fhirPathOf: (field: string) => string;
    }
  | {
      status: 'rejected';
      /** 400: not a Claim at all; 422: a Claim we cannot accept. */
      httpStatus: 400 | 422;
      /** `field` is a FHIR path such as "Claim.item[1].net.value". */
      problems: FieldProblem[];
    };

const itemShape = object({
  sequence: positiveInt,
  productOrService: concept,
  modifier: list(concept).optional(),
  quantity: object({
    value: decimal.optional(),
    system: text().optional(),
    code: text().optional(),
  }).optional(),
  unitPrice: money.optional(),
  factor: decimal.optional(),
  net: money.optional(),
  servicedDate: text('a date YYYY-MM-DD').optional(),
  servicedPeriod: object({ start: text().optional(), end: text().optional() }).optional(),
  locationCodeableConcept: concept.optional(),
  extension: list(object({ url: text(), valueString: text().optional() })).optional(),
  diagnosisSequence: list(positiveInt).optional(),
  detail: unsupported('is not supported: send each service as its own item'),
  modifierExtension: noModifierExtension,
});

const diagnosisShape = object({
  sequence: positiveInt,
  diagnosisCodeableConcept: concept.optional(),
  diagnosisReference: unsupported('is not supported: send diagnosisCodeableConcept (ICD-10-CM)'),
});

const claimShape = object({
  status: z.literal('active', { error: expected('"active"') }).optional(),
  type: concept,
  use: z.literal('claim', {
    error: expected('"claim" (preauthorization and predetermination are not supported)'),
  }),
  identifier: list(object({ value: text().optional() })).min(1, 'at least one: the claim number'),
  patient: reference.optional(),
  contained: list(
    object({ resourceType: text(), id: text().optional() }),
    CONTAINED_MAX,
  ).optional(),
  insurer: reference,
  provider: reference.optional(),
  insurance: list(insuranceShape).optional(),
  related: list(
    object({ claim: reference.optional(), relationship: concept.optional() }),
  ).optional(),
  extension: list(object({ url: text(), valueCode: text().optional() })).optional(),
  diagnosis: list(diagnosisShape, DIAGNOSIS_CODES_MAX).min(1, 'at least one diagnosis is required'),
  item: list(itemShape, SERVICE_LINES_MAX).min(1, 'at least one item is required'),
  total: money.optional(),
  modifierExtension: noModifierExtension,
});

type ClaimShape = z.output<typeof claimShape>;
type ItemShape = z.output<typeof itemShape>;

/** Maps and checks a FHIR Claim; `providerOrgId` is the caller, who is the claim's provider. */
export function mapFhirClaim(body: unknown, providerOrgId: string): FhirClaimMapping {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return rejected(400, 'Claim', 'the body must be a FHIR Claim resource (a JSON object)');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (resourceType !== 'Claim') {
    return rejected(400, 'Claim.resourceType', 'must be "Claim"');
  }
  const shaped = claimShape.safeParse(body);
  if (!shaped.success) {
    return { status: 'rejected', httpStatus: 422, problems: problemsOf(shaped.error, ['Claim']) };
  }
  const mapping = new Mapping(providerOrgId);
  const draft = draftOf(shaped.data, mapping);
  const parsed = claimSubmissionSchema.safeParse(draft);
  const schemaProblems = parsed.success
    ? []
    : problemsOf(parsed.error)
        .filter((problem) => !mapping.wasReported(problem.field))
        .map((problem) => ({ field: mapping.originOf(problem.field), message: problem.message }));
  const problems = [...mapping.problems, ...schemaProblems];
  if (problems.length > 0 || !parsed.success) {
    return { status: 'rejected', httpStatus: 422, problems };
  }
  return {
    status: 'accepted',
    submission: parsed.data,
    fhirPathOf: (field) => mapping.originOf(field),
  };
}

function rejected(httpStatus: 400 | 422, field: string, message: string): FhirClaimMapping {
  return { status: 'rejected', httpStatus, problems: [{ field, message }] };
}

/** The ClaimSubmission-shaped body, before the schema checks it. */
function draftOf(claim: ClaimShape, mapping: Mapping): Record<string, unknown> {
  checkClaimType(claim, mapping);
  checkProvider(claim, mapping);
  mapping.map('patientControlNumber', 'Claim.identifier[0].value');
  const { frequencyCode, originalClaimId } = frequencyOf(claim, mapping);
  mapping.map('totalChargeAmount', 'Claim.total.value');
  const total = claim.total && moneyText(claim.total, 'Claim.total', 'totalChargeAmount', mapping);
  const focalInsurance = focalInsuranceOf(claim, mapping);
  return {
    payerId: payerIdOf(claim, mapping),
    patientControlNumber: claim.identifier[0]!.value,
    frequencyCode,
    ...(originalClaimId === undefined ? {} : { originalClaimId }),
    ...partiesOf(claim, focalInsurance, mapping),
    ...coordinationOf(claim, focalInsurance, mapping),
    diagnosisCodes: diagnosisCodesOf(claim, mapping),
    serviceLines: serviceLinesOf(claim, mapping),
    ...(total === undefined ? {} : { totalChargeAmount: total }),
  };
}

function checkClaimType(claim: ClaimShape, mapping: Mapping): void {
  if (!hasCoding(claim.type, system.claimType, 'professional')) {
    mapping.fail('Claim.type', `must have the coding ${system.claimType}|professional`);
  }
}

/** The provider is the caller; a Claim naming another provider organization was sent by mistake. */
function checkProvider(claim: ClaimShape, mapping: Mapping): void {
  const match = /^Organization\/(.+)$/.exec(claim.provider?.reference ?? '');
  if (match && match[1] !== mapping.providerOrgId) {
    mapping.fail(
      'Claim.provider.reference',
      `must be your own organization (Organization/${mapping.providerOrgId}) or left out`,
    );
  }
}

function payerIdOf(claim: ClaimShape, mapping: Mapping): string | undefined {
  const path = 'Claim.insurer.reference';
  const match = /^Organization\/(.+)$/.exec(claim.insurer.reference ?? '');
  if (!match) {
    mapping.fail(path, 'must reference the payer as "Organization/<payer id>"', 'payerId');
    return undefined;
  }
  mapping.map('payerId', path);
  return match[1];
}

/**
 * The 837P frequency: our extension says it outright; without it, a Claim.related "prior" claim
 * makes a replacement ("7") and no such claim an original ("1"). A void is always said outright.
 */
function frequencyOf(
  claim: ClaimShape,
  mapping: Mapping,
): { frequencyCode: string | undefined; originalClaimId: string | undefined } {
  const originalClaimId = originalClaimIdOf(claim, mapping);
  const extensions = (claim.extension ?? [])
    .map((extension, index) => ({ extension, index }))
    .filter(({ extension }) => extension.url === extensionUrl.frequencyCode);
  if (extensions.length > 1) {
    mapping.fail(
      'Claim.extension',
      'has the frequency-code extension more than once',
      'frequencyCode',
    );
    return { frequencyCode: undefined, originalClaimId };
  }
  const found = extensions[0];
  if (!found) {
    mapping.map('frequencyCode', 'Claim.extension');
    return { frequencyCode: originalClaimId === undefined ? '1' : '7', originalClaimId };
  }
  mapping.map('frequencyCode', `Claim.extension[${found.index}].valueCode`);
  return { frequencyCode: found.extension.valueCode, originalClaimId };
}

function originalClaimIdOf(claim: ClaimShape, mapping: Mapping): string | undefined {
  const priors = (claim.related ?? [])
    .map((related, index) => ({ related, index }))
    .filter(({ related }) =>
      hasCoding(related.relationship, system.relatedClaimRelationship, 'prior'),
    );
  mapping.map('originalClaimId', 'Claim.related');
  if (priors.length > 1) {
    mapping.fail('Claim.related', 'has more than one "prior" claim', 'originalClaimId');
    return undefined;
  }
  const prior = priors[0];
  if (!prior) return undefined;
  const path = `Claim.related[${prior.index}].claim.reference`;
  const match = /^Claim\/(.+)$/.exec(prior.related.claim?.reference ?? '');
  if (!match) {
    mapping.fail(
      path,
      'must reference the claim replaced as "Claim/<claim id>"',
      'originalClaimId',
    );
    return undefined;
  }
  mapping.map('originalClaimId', path);
  return match[1];
}

/**
 * Indexes of `entries` in sequence order. The sequences must be 1..n, each once: items are
 * answered by sequence (ClaimResponse.item.itemSequence), so they must be our line numbers.
 */
function sequenceOrder(
  entries: readonly { sequence: number }[],
  path: string,
  mapping: Mapping,
): number[] {
  const order = entries.map((_, index) => index);
  order.sort((a, b) => entries[a]!.sequence - entries[b]!.sequence);
  order.forEach((index, position) => {
    if (entries[index]!.sequence !== position + 1) {
      mapping.fail(
        `${path}[${index}].sequence`,
        `sequences must be 1 to ${entries.length}, each once; found ${entries[index]!.sequence}`,
      );
    }
  });
  return order;
}

function diagnosisCodesOf(claim: ClaimShape, mapping: Mapping): (string | undefined)[] {
  mapping.map('diagnosisCodes', 'Claim.diagnosis');
  return sequenceOrder(claim.diagnosis, 'Claim.diagnosis', mapping).map((index, position) => {
    const field = `diagnosisCodes[${position}]`;
    const path = `Claim.diagnosis[${index}].diagnosisCodeableConcept`;
    const codings = claim.diagnosis[index]!.diagnosisCodeableConcept?.coding ?? [];
    const codingIndex = codings.findIndex((each) => each.system === system.icd10cm);
    if (codingIndex < 0) {
      mapping.fail(`${path}.coding`, `needs a coding with system ${system.icd10cm}`, field);
      return undefined;
    }
    mapping.map(field, `${path}.coding[${codingIndex}].code`);
    return codings[codingIndex]!.code;
  });
}

function serviceLinesOf(claim: ClaimShape, mapping: Mapping): Record<string, unknown>[] {
  mapping.map('serviceLines', 'Claim.item');
  return sequenceOrder(claim.item, 'Claim.item', mapping).map((index, position) =>
    serviceLineOf(claim.item[index]!, `Claim.item[${index}]`, `serviceLines[${position}]`, mapping),
  );
}

function serviceLineOf(
  item: ItemShape,
  path: string,
  field: string,
  mapping: Mapping,
): Record<string, unknown> {
  mapping.map(field, path);
  mapping.map(`${field}.units`, `${path}.quantity.value`);
  mapping.map(`${field}.diagnosisPointers`, `${path}.diagnosisSequence`);
  item.diagnosisSequence?.forEach((_, index) =>
    mapping.map(`${field}.diagnosisPointers[${index}]`, `${path}.diagnosisSequence[${index}]`),
  );
  // FHIR: an item without a quantity is one of it (net = quantity × unitPrice × factor).
  const units = item.quantity ? item.quantity.value : 1;
  return {
    procedureCode: procedureCodeOf(item, path, `${field}.procedureCode`, mapping),
    modifiers: modifiersOf(item, path, `${field}.modifiers`, mapping),
    units,
    chargeAmount: chargeOf(item, units, path, `${field}.chargeAmount`, mapping),
    ...serviceDatesOf(item, path, field, mapping),
    ...lineDetailsOf(item, path, field, mapping),
    ...(item.diagnosisSequence ? { diagnosisPointers: item.diagnosisSequence } : {}),
  };
}

/** servicedDate, or servicedPeriod for a service over several days: one of them. */
function serviceDatesOf(
  item: ItemShape,
  path: string,
  field: string,
  mapping: Mapping,
): { serviceDate?: string; serviceDateTo?: string } {
  const period = item.servicedPeriod;
  if (period === undefined) {
    mapping.map(`${field}.serviceDate`, `${path}.servicedDate`);
    return item.servicedDate === undefined ? {} : { serviceDate: item.servicedDate };
  }
  if (item.servicedDate !== undefined) {
    mapping.fail(`${path}.servicedPeriod`, 'must not be sent with servicedDate: send one of them');
  }
  mapping.map(`${field}.serviceDate`, `${path}.servicedPeriod.start`);
  mapping.map(`${field}.serviceDateTo`, `${path}.servicedPeriod.end`);
  if (period.start === undefined || period.end === undefined) {
    mapping.fail(`${path}.servicedPeriod`, 'needs both start and end (dates YYYY-MM-DD)');
  }
  // A period of one day is that day, as servicedDate would say it.
  return {
    ...(period.start === undefined ? {} : { serviceDate: period.start }),
    ...(period.end === undefined || period.end === period.start
      ? {}
      : { serviceDateTo: period.end }),
  };
}

/**
 * Place of service (locationCodeableConcept, CMS place of service codes), the line item control
 * number (our extension, valueString) and minutes (quantity in UCUM "min").
 */
function lineDetailsOf(
  item: ItemShape,
  path: string,
  field: string,
  mapping: Mapping,
): { placeOfServiceCode?: string; lineControlNumber?: string; unitType?: 'minutes' } {
  const details: { placeOfServiceCode?: string; lineControlNumber?: string; unitType?: 'minutes' } =
    {};
  const codings = item.locationCodeableConcept?.coding ?? [];
  if (item.locationCodeableConcept) {
    const index = codings.findIndex((each) => each.system === system.placeOfService);
    if (index < 0) {
      mapping.fail(
        `${path}.locationCodeableConcept.coding`,
        `needs a coding with system ${system.placeOfService}`,
        `${field}.placeOfServiceCode`,
      );
    } else {
      mapping.map(
        `${field}.placeOfServiceCode`,
        `${path}.locationCodeableConcept.coding[${index}].code`,
      );
      if (codings[index]!.code !== undefined) details.placeOfServiceCode = codings[index]!.code;
    }
  }
  const extensions = item.extension ?? [];
  const controlIndex = extensions.findIndex((each) => each.url === extensionUrl.lineControlNumber);
  if (controlIndex >= 0) {
    mapping.map(`${field}.lineControlNumber`, `${path}.extension[${controlIndex}].valueString`);
    details.lineControlNumber = extensions[controlIndex]!.valueString ?? '';
  }
  const quantity = item.quantity;
  if (quantity?.code !== undefined || quantity?.system !== undefined) {
    if (quantity.system !== system.ucum || quantity.code !== 'min') {
      mapping.fail(
        `${path}.quantity`,
        `must be a count (no system or code), or minutes: system ${system.ucum}, code "min"`,
        `${field}.units`,
      );
    } else details.unitType = 'minutes';
  }
  return details;
}

const procedureSystems = new Set([system.cpt, ...hcpcsSystemAliases]);

function procedureCodeOf(item: ItemShape, path: string, field: string, mapping: Mapping) {
  const codings = item.productOrService.coding ?? [];
  const index = codings.findIndex((each) => procedureSystems.has(each.system ?? ''));
  if (index < 0) {
    mapping.fail(
      `${path}.productOrService.coding`,
      `needs a coding with system ${system.cpt} (CPT) or ${system.hcpcs} (HCPCS)`,
      field,
    );
    return undefined;
  }
  mapping.map(field, `${path}.productOrService.coding[${index}].code`);
  return codings[index]!.code;
}

function modifiersOf(item: ItemShape, path: string, field: string, mapping: Mapping) {
  mapping.map(field, `${path}.modifier`);
  return (item.modifier ?? []).map((modifier, index) => {
    const codings = modifier.coding ?? [];
    const codingIndex = codings.findIndex((each) => each.code !== undefined);
    if (codingIndex < 0) {
      mapping.fail(
        `${path}.modifier[${index}].coding`,
        'needs a coding with a code',
        `${field}[${index}]`,
      );
      return undefined;
    }
    mapping.map(`${field}[${index}]`, `${path}.modifier[${index}].coding[${codingIndex}].code`);
    return codings[codingIndex]!.code;
  });
}

/** net, or unitPrice × quantity × factor; when both are sent they must agree to the cent. */
function chargeOf(
  item: ItemShape,
  units: number | undefined,
  path: string,
  field: string,
  mapping: Mapping,
): string | undefined {
  const net =
    item.net?.value === undefined ? undefined : moneyText(item.net, `${path}.net`, field, mapping);
  const product = unitPriceProduct(item, units, path, field, mapping);
  if (item.net?.value !== undefined) {
    mapping.map(field, `${path}.net.value`);
    if (net !== undefined && product !== undefined && !new Decimal(net).eq(product)) {
      mapping.fail(
        `${path}.net.value`,
        `must equal unitPrice × quantity × factor (${product.toFixed(2)})`,
        field,
      );
    }
    return net;
  }
  if (item.unitPrice?.value !== undefined) {
    if (product === undefined) return undefined;
    if (product.decimalPlaces() > 2) {
      mapping.fail(
        `${path}.unitPrice.value`,
        `unitPrice × quantity × factor is ${product.toString()}, more than 2 decimal places: send net`,
        field,
      );
      return undefined;
    }
    mapping.map(field, `${path}.unitPrice.value`);
    return product.toFixed(2);
  }
  mapping.fail(
    `${path}.net`,
    'is required: the line charge (net, or unitPrice and quantity)',
    field,
  );
  return undefined;
}

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

function unitPriceProduct(
  item: ItemShape,
  units: number | undefined,
  path: string,
  field: string,
  mapping: Mapping,
): Decimal | undefined {
  if (!item.unitPrice || item.unitPrice.value === undefined) return undefined;
  const unitPrice = moneyText(item.unitPrice, `${path}.unitPrice`, field, mapping);
  const factor = item.factor ?? 1;
  // A malformed quantity is reported by the schema (as units); it prices nothing here.
  if (unitPrice === undefined || units === undefined || !PLAIN_DECIMAL.test(String(units))) {
    return undefined;
  }
  if (!PLAIN_DECIMAL.test(String(factor))) {
    mapping.fail(`${path}.factor`, 'must be a plain decimal >= 0', field);
    return undefined;
  }
  return new Decimal(unitPrice).times(String(units)).times(String(factor));
}
