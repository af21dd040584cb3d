// Who a FHIR Claim is for, read as claim-out writes it: Claim.patient is the patient; when the
// focal Coverage (contained) names another contained Patient as its subscriber, with the
// patient's relationship to them, the subscriber is our member and the patient a dependent.
import { z } from 'zod';
import { expected, problemsOf } from '../../domain/validation.js';
import {
  concept,
  containedIndexOf,
  hasCoding,
  list,
  noModifierExtension,
  object,
  reference,
  text,
  type ClaimParts,
  type FocalInsurance,
  type Mapping,
} from './claim-in-support.js';
import { system } from './codes.js';

const patientShape = object({
  resourceType: z.literal('Patient'),
  identifier: list(object({ type: concept.optional(), value: text().optional() })).optional(),
  name: list(
    object({
      use: text().optional(),
      family: text().optional(),
      given: list(text()).optional(),
    }),
  ).optional(),
  birthDate: text('a date YYYY-MM-DD').optional(),
  gender: z
    .enum(['male', 'female', 'other', 'unknown'], {
      error: expected('"male", "female", "other" or "unknown"'),
    })
    .optional(),
  modifierExtension: noModifierExtension,
});

const coverageShape = object({
  resourceType: z.literal('Coverage'),
  subscriber: reference.optional(),
  subscriberId: text().optional(),
  beneficiary: reference.optional(),
  relationship: concept.optional(),
  modifierExtension: noModifierExtension,
});

type PatientShape = z.output<typeof patientShape>;
type CoverageShape = z.output<typeof coverageShape>;

/** FHIR subscriber-relationship codes of a dependent as 837P PAT01 codes (claim-out's inverse). */
const RELATIONSHIP_CODES = { spouse: '01', child: '19', other: 'G8' } as const;
type Relationship = 'self' | keyof typeof RELATIONSHIP_CODES;

/** Who the subscriber is: the patient (self), a contained Patient, or unknown (reported). */
type Subscriber =
  | { kind: 'patient' }
  | { kind: 'other'; index: number; relationshipCode: '01' | '19' | 'G8' }
  | { kind: 'failed' };

/** The member, and the patient when a dependent; absent when a reported problem hides them. */
export function partiesOf(
  claim: ClaimParts,
  focalInsurance: FocalInsurance,
  mapping: Mapping,
): { member?: Record<string, unknown>; patient?: Record<string, unknown> } {
  const patientIndex = patientIndexOf(claim, mapping);
  if (patientIndex === undefined || focalInsurance === 'failed') return {};
  const coverage = focalCoverageOf(claim, focalInsurance, mapping);
  if (coverage === 'failed') return {};
  const subscriber = coverage ? subscriberOf(claim, patientIndex, coverage, mapping) : undefined;
  if (subscriber?.kind === 'failed') return {};
  const memberIndex = subscriber?.kind === 'other' ? subscriber.index : patientIndex;
  const member = memberOf(claim, memberIndex, mapping);
  if (coverage?.data.subscriberId !== undefined && member?.memberId !== undefined) {
    if (coverage.data.subscriberId !== member.memberId) {
      mapping.fail(
        `${coverage.path}.subscriberId`,
        "must be the subscriber's member number (the Patient identifier of type MB), or left out",
        'member.memberId',
      );
    }
  }
  if (subscriber?.kind !== 'other') return { ...(member ? { member } : {}) };
  // A dependent's own identifiers, if sent, are not kept: the member number is the subscriber's.
  const dependent = personOf(claim, patientIndex, 'patient', mapping)?.fields ?? {};
  return {
    ...(member ? { member } : {}),
    patient: { ...dependent, relationshipCode: subscriber.relationshipCode },
  };
}

/** The contained Patient that Claim.patient references ("#id"), or the only one contained. */
function patientIndexOf(claim: ClaimParts, mapping: Mapping): number | undefined {
  const reference = claim.patient?.reference;
  if (reference === undefined) {
    const patients = (claim.contained ?? []).flatMap((each, index) =>
      each.resourceType === 'Patient' ? [index] : [],
    );
    if (patients.length === 1) return patients[0];
    mapping.fail(
      'Claim.patient',
      'is required: a reference to a contained Patient ("#id")',
      'member',
    );
    return undefined;
  }
  const index = containedIndexOf(claim, 'Patient', reference);
  if (index < 0) {
    mapping.fail(
      'Claim.patient.reference',
      'must reference a Patient contained in the Claim ("#id"): the member travels with the claim',
      'member',
    );
    return undefined;
  }
  return index;
}

/**
 * The focal insurance's Coverage when it is contained; a coverage not sent with the claim (a
 * display, or a reference to a server's Coverage) names no subscriber: the patient is the member.
 */
function focalCoverageOf(
  claim: ClaimParts,
  focalInsurance: number | 'none',
  mapping: Mapping,
): { data: CoverageShape; path: string } | 'failed' | undefined {
  if (focalInsurance === 'none') return undefined;
  const reference = claim.insurance![focalInsurance]!.coverage.reference;
  if (!reference?.startsWith('#')) return undefined;
  const index = containedIndexOf(claim, 'Coverage', reference);
  if (index < 0) {
    mapping.fail(
      `Claim.insurance[${focalInsurance}].coverage.reference`,
      'must reference a Coverage contained in the Claim ("#id")',
      'member',
    );
    return 'failed';
  }
  const shaped = coverageShape.safeParse(claim.contained![index]);
  if (!shaped.success) {
    for (const problem of problemsOf(shaped.error, ['Claim', 'contained', index])) {
      mapping.fail(problem.field, problem.message, 'member');
    }
    return 'failed';
  }
  return { data: shaped.data, path: `Claim.contained[${index}]` };
}

/** The subscriber by the Coverage's subscriber and relationship (absent: self). */
function subscriberOf(
  claim: ClaimParts,
  patientIndex: number,
  coverage: { data: CoverageShape; path: string },
  mapping: Mapping,
): Subscriber {
  const { data, path } = coverage;
  const patientReference = `#${claim.contained![patientIndex]!.id}`;
  if (
    data.beneficiary?.reference !== undefined &&
    data.beneficiary.reference !== patientReference
  ) {
    mapping.fail(
      `${path}.beneficiary.reference`,
      'must be the Claim.patient reference (the coverage is the patient’s), or left out',
      'member',
    );
    return { kind: 'failed' };
  }
  const relationship = relationshipOf(data, path, mapping);
  if (relationship === 'failed') return { kind: 'failed' };
  const subscriberReference = data.subscriber?.reference;
  const isPatient = subscriberReference === undefined || subscriberReference === patientReference;
  if (relationship === 'self' || relationship === undefined) {
    if (isPatient) return { kind: 'patient' };
    mapping.fail(
      `${path}.relationship`,
      relationship === 'self'
        ? 'is self, but the subscriber is not Claim.patient: give the patient’s relationship to the subscriber (spouse, child or other)'
        : 'is required when the subscriber is not Claim.patient: spouse, child or other',
      'member',
    );
    return { kind: 'failed' };
  }
  if (subscriberReference === undefined) {
    mapping.fail(
      `${path}.subscriber`,
      `is required when the relationship is ${relationship}: a reference to the contained Patient who holds the coverage ("#id")`,
      'member',
    );
    return { kind: 'failed' };
  }
  const index = containedIndexOf(claim, 'Patient', subscriberReference);
  if (isPatient || index < 0) {
    mapping.fail(
      `${path}.subscriber.reference`,
      isPatient
        ? `must not be Claim.patient when the relationship is ${relationship}: the subscriber holds the coverage, the patient is their dependent`
        : 'must reference a Patient contained in the Claim ("#id")',
      'member',
    );
    return { kind: 'failed' };
  }
  mapping.map('patient.relationshipCode', `${path}.relationship`);
  return { kind: 'other', index, relationshipCode: RELATIONSHIP_CODES[relationship] };
}

/** The code of the subscriber-relationship coding: self, spouse, child or other. */
function relationshipOf(
  coverage: CoverageShape,
  path: string,
  mapping: Mapping,
): Relationship | 'failed' | undefined {
  if (coverage.relationship === undefined) return undefined;
  const codings = coverage.relationship.coding ?? [];
  const index = codings.findIndex((each) => each.system === system.subscriberRelationship);
  if (index < 0) {
    mapping.fail(
      `${path}.relationship.coding`,
      `needs a coding with system ${system.subscriberRelationship}`,
      'member',
    );
    return 'failed';
  }
  const code = codings[index]!.code ?? '';
  if (code === 'self' || Object.hasOwn(RELATIONSHIP_CODES, code)) return code as Relationship;
  mapping.fail(
    `${path}.relationship.coding[${index}].code`,
    'must be self, spouse, child or other (the relationships an 837P patient may have)',
    'member',
  );
  return 'failed';
}

/** The member: the member number, names, birth date and gender of a contained Patient. */
function memberOf(
  claim: ClaimParts,
  index: number,
  mapping: Mapping,
): Record<string, unknown> | undefined {
  const person = personOf(claim, index, 'member', mapping);
  if (person === undefined) return undefined;
  const path = `Claim.contained[${index}]`;
  return { memberId: memberIdOf(person.identifiers, path, mapping), ...person.fields };
}

const genders = { female: 'F', male: 'M', other: 'U', unknown: 'U' } as const;

/** Names, birth date and gender of the contained Patient at `index`, as our `field`. */
function personOf(
  claim: ClaimParts,
  index: number,
  field: 'member' | 'patient',
  mapping: Mapping,
):
  | { fields: Record<string, unknown>; identifiers: NonNullable<PatientShape['identifier']> }
  | undefined {
  const path = `Claim.contained[${index}]`;
  mapping.map(field, path);
  const shaped = patientShape.safeParse(claim.contained![index]);
  if (!shaped.success) {
    for (const problem of problemsOf(shaped.error, ['Claim', 'contained', index])) {
      mapping.fail(problem.field, problem.message, field);
    }
    return undefined;
  }
  const patient = shaped.data;
  mapping.map(`${field}.birthDate`, `${path}.birthDate`);
  mapping.map(`${field}.gender`, `${path}.gender`);
  return {
    fields: {
      ...namesOf(patient.name ?? [], path, field, mapping),
      birthDate: patient.birthDate,
      ...(patient.gender === undefined ? {} : { gender: genders[patient.gender] }),
    },
    identifiers: patient.identifier ?? [],
  };
}

/** The identifier of type MB (member number), or the only identifier. */
function memberIdOf(
  identifiers: NonNullable<PatientShape['identifier']>,
  path: string,
  mapping: Mapping,
): string | undefined {
  const typed = identifiers.findIndex((each) => hasCoding(each.type, system.identifierType, 'MB'));
  const index = typed >= 0 ? typed : identifiers.length === 1 ? 0 : -1;
  if (index < 0) {
    mapping.fail(
      `${path}.identifier`,
      `needs the member number: one identifier, or one of type ${system.identifierType}|MB`,
      'member.memberId',
    );
    return undefined;
  }
  mapping.map('member.memberId', `${path}.identifier[${index}].value`);
  return identifiers[index]!.value;
}

/** The official name, or the first: family is the last name, the first given name the first. */
function namesOf(
  names: NonNullable<PatientShape['name']>,
  path: string,
  field: 'member' | 'patient',
  mapping: Mapping,
): { firstName?: string; lastName?: string } {
  const official = names.findIndex((name) => name.use === 'official');
  const index = official >= 0 ? official : 0;
  const name = names[index];
  if (!name) {
    mapping.fail(
      `${path}.name`,
      `is required: the ${field} name`,
      `${field}.firstName`,
      `${field}.lastName`,
    );
    return {};
  }
  const namePath = `${path}.name[${index}]`;
  mapping.map(`${field}.lastName`, `${namePath}.family`);
  mapping.map(
    `${field}.firstName`,
    name.given?.length ? `${namePath}.given[0]` : `${namePath}.given`,
  );
  return { firstName: name.given?.[0], lastName: name.family };
}
