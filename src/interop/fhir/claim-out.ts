// Our claim as a FHIR R4 Claim (professional), with the member as a contained Patient and
// Coverage. Pure: the answer to POST /v1/fhir/Claim and GET /v1/fhir/Claim/:id, and the source of
// the patient and coverage that ClaimResponse and ExplanationOfBenefit share.
import type {
  Claim,
  ClaimDiagnosis,
  ClaimInsurance,
  ClaimResponse,
  ClaimItem,
  ClaimRelated,
  Coverage,
  Organization,
  Patient,
  Reference,
} from '@medplum/fhirtypes';
import { Decimal } from 'decimal.js';
import type { ClaimSummary } from '../../domain/claims/intake.js';
import type { ClaimDetail } from '../../domain/claims/query.js';
import type { ClaimSubmission } from '../../domain/claims/schema.js';
import {
  adjudicationCategory,
  adjustmentAdjudication,
  codeableConcept,
  extensionUrl,
  icd10WithDot,
  modifierConcept,
  moneyOf,
  procedureCoding,
  professionalClaimType,
  system,
} from './codes.js';

export type Member = ClaimSubmission['member'];
export type Dependent = NonNullable<ClaimSubmission['patient']>;
export type PriorPayer = NonNullable<ClaimSubmission['priorPayers']>[number];

/** What the FHIR resources show of a claim: a stored claim (getClaim) or one just accepted. */
export interface ClaimForFhir extends Pick<
  ClaimSummary,
  | 'id'
  | 'status'
  | 'providerId'
  | 'payerId'
  | 'patientControlNumber'
  | 'frequencyCode'
  | 'originalClaimId'
  | 'totalChargeAmount'
  | 'submittedAt'
> {
  member: Member;
  /** The patient when not the subscriber: Claim.patient, with the member as Coverage.subscriber. */
  patient?: Dependent;
  /** A secondary ("S") or tertiary ("T") claim; absent on a primary claim. */
  payerResponsibilityCode?: 'S' | 'T' | undefined;
  /** The earlier payers' adjudication, on a secondary or tertiary claim. */
  priorPayers?: readonly PriorPayer[] | undefined;
  /** ICD-10-CM without dots, in order: diagnosis sequence 1, 2, ... */
  diagnosisCodes: readonly string[];
  serviceLines: readonly {
    procedureCode: string;
    modifiers: readonly string[];
    /** A decimal such as 1 or "2.5". */
    units: number | string;
    chargeAmount: string;
    serviceDate: string;
    /** The last day of a service period; absent or null for one day. */
    serviceDateTo?: string | null | undefined;
    placeOfServiceCode?: string | null | undefined;
    lineControlNumber?: string | null | undefined;
    /** "minutes" for anesthesia time; absent or "units" otherwise. */
    unitType?: string | undefined;
    diagnosisPointers: readonly number[];
  }[];
}

/** A stored claim (getClaim) as the FHIR resources show it. */
export function claimForFhirOf(detail: ClaimDetail): ClaimForFhir {
  // The member, patient and earlier payers were validated by the claim schema before storing.
  const { patient, payerResponsibilityCode, priorPayers, ...claim } = detail;
  return {
    ...claim,
    member: detail.member as Member,
    ...(patient === undefined ? {} : { patient: patient as Dependent }),
    ...(payerResponsibilityCode === 'S' || payerResponsibilityCode === 'T'
      ? { payerResponsibilityCode, priorPayers: priorPayers as PriorPayer[] }
      : {}),
  };
}

export const PATIENT_ID = 'patient';
export const COVERAGE_ID = 'coverage';

const genderOf = { F: 'female', M: 'male', U: 'unknown' } as const;

export function patientOf(member: Member): Patient {
  return {
    resourceType: 'Patient',
    id: PATIENT_ID,
    identifier: [
      {
        type: codeableConcept({
          system: system.identifierType,
          code: 'MB',
          display: 'Member Number',
        }),
        value: member.memberId,
      },
    ],
    name: [{ family: member.lastName, given: [member.firstName] }],
    gender: genderOf[member.gender],
    birthDate: member.birthDate,
  };
}

export const SUBSCRIBER_ID = 'subscriber';

/** 837P PAT01 as FHIR's subscriber-relationship codes. */
const RELATIONSHIPS = { '01': 'spouse', '19': 'child', G8: 'other' } as const;

/** A dependent patient: names, gender and birth date; its member number is the subscriber's. */
export function dependentOf(patient: Dependent): Patient {
  return {
    resourceType: 'Patient',
    id: PATIENT_ID,
    name: [{ family: patient.lastName, given: [patient.firstName] }],
    gender: genderOf[patient.gender],
    birthDate: patient.birthDate,
  };
}

/**
 * The member's coverage as far as the claim tells it: who pays, the member number, and for a
 * dependent the subscriber (a contained Patient) and the relationship; the beneficiary is
 * always the patient.
 */
export function coverageOf(
  claim: Pick<ClaimForFhir, 'payerId' | 'member'> & { patient?: Dependent | undefined },
): Coverage {
  const dependent = claim.patient && {
    subscriber: { reference: `#${SUBSCRIBER_ID}` },
    relationship: codeableConcept({
      system: system.subscriberRelationship,
      code: RELATIONSHIPS[claim.patient.relationshipCode],
    }),
  };
  return {
    resourceType: 'Coverage',
    id: COVERAGE_ID,
    status: 'active',
    ...(dependent ? { subscriber: dependent.subscriber } : {}),
    subscriberId: claim.member.memberId,
    beneficiary: { reference: `#${PATIENT_ID}` },
    ...(dependent ? { relationship: dependent.relationship } : {}),
    payor: [organization(claim.payerId)],
  };
}

/** The contained Patients: the patient, and for a dependent the subscriber after it. */
function partiesOf(claim: ClaimForFhir): Patient[] {
  if (!claim.patient) return [patientOf(claim.member)];
  return [dependentOf(claim.patient), { ...patientOf(claim.member), id: SUBSCRIBER_ID }];
}

export function organization(id: string): Reference<Organization> {
  return { reference: `Organization/${id}`, type: 'Organization' };
}

export function fhirClaimOf(claim: ClaimForFhir): Claim {
  return {
    resourceType: 'Claim',
    id: claim.id,
    meta: { lastUpdated: claim.submittedAt },
    contained: [
      ...partiesOf(claim),
      coverageOf(claim),
      ...(claim.priorPayers ?? []).map((prior) => priorClaimResponseOf(prior, claim.submittedAt)),
    ],
    extension: [{ url: extensionUrl.frequencyCode, valueCode: claim.frequencyCode }],
    identifier: [{ value: claim.patientControlNumber }],
    status: 'active',
    type: professionalClaimType,
    use: 'claim',
    patient: { reference: `#${PATIENT_ID}` },
    created: claim.submittedAt,
    insurer: organization(claim.payerId),
    provider: organization(claim.providerId),
    priority: codeableConcept({ system: system.processPriority, code: 'normal' }),
    ...relatedOf(claim),
    diagnosis: diagnosesOf(claim.diagnosisCodes),
    insurance: insuranceOf(claim),
    item: claim.serviceLines.map(itemOf),
    total: moneyOf(claim.totalChargeAmount),
  };
}

/** Insurance sequence by payer responsibility: 1 primary, 2 secondary, 3 tertiary. */
export const INSURANCE_SEQUENCES = { P: 1, S: 2, T: 3 } as const;

const priorClaimResponseId = (prior: PriorPayer) =>
  prior.responsibilityCode === 'P' ? 'primary-payer' : 'secondary-payer';

/**
 * Our coverage is focal, in the claim's payer sequence; each earlier payer comes before it, its
 * adjudication a contained ClaimResponse. R4 requires a coverage there: the payer's name says it.
 */
function insuranceOf(claim: ClaimForFhir): ClaimInsurance[] {
  const priors = [...(claim.priorPayers ?? [])].sort(
    (a, b) => INSURANCE_SEQUENCES[a.responsibilityCode] - INSURANCE_SEQUENCES[b.responsibilityCode],
  );
  return [
    ...priors.map((prior) => ({
      sequence: INSURANCE_SEQUENCES[prior.responsibilityCode],
      focal: false,
      coverage: { display: prior.payerName },
      claimResponse: { reference: `#${priorClaimResponseId(prior)}` },
    })),
    {
      sequence: INSURANCE_SEQUENCES[claim.payerResponsibilityCode ?? 'P'],
      focal: true,
      coverage: { reference: `#${COVERAGE_ID}` },
    },
  ];
}

const cents = (amount: string) => moneyOf(new Decimal(amount).toFixed(2));

/**
 * An earlier payer's adjudication as it reported it (837P loops 2320, 2330B, 2430): what it paid
 * on the claim (payment) and per line (benefit), and its CAS adjustments. `created` is when we
 * received it with the claim: the claim does not say when the payer made it.
 */
function priorClaimResponseOf(prior: PriorPayer, receivedAt: string): ClaimResponse {
  return {
    resourceType: 'ClaimResponse',
    id: priorClaimResponseId(prior),
    status: 'active',
    type: professionalClaimType,
    use: 'claim',
    patient: { reference: `#${PATIENT_ID}` },
    created: receivedAt,
    insurer: { identifier: { value: prior.payerIdentifier }, display: prior.payerName },
    outcome: 'complete',
    ...(prior.lines.length > 0
      ? {
          item: prior.lines.map((line) => ({
            itemSequence: line.lineNumber,
            ...(line.adjudicationDate
              ? {
                  extension: [
                    { url: extensionUrl.adjudicationDate, valueDate: line.adjudicationDate },
                  ],
                }
              : {}),
            adjudication: [
              {
                category: { coding: [adjudicationCategory.benefit] },
                amount: cents(line.paidAmount),
              },
              ...line.adjustments.map(priorAdjustment),
            ],
          })),
        }
      : {}),
    ...(prior.claimAdjustments.length > 0
      ? { adjudication: prior.claimAdjustments.map(priorAdjustment) }
      : {}),
    payment: {
      type: codeableConcept({ system: system.paymentType, code: 'complete' }),
      amount: cents(prior.paidAmount),
    },
  };
}

/** Amounts as sent may lack cents ("20"): FHIR shows them as every amount, in cents. */
const priorAdjustment = (adjustment: PriorPayer['claimAdjustments'][number]) =>
  adjustmentAdjudication({ ...adjustment, amount: new Decimal(adjustment.amount).toFixed(2) });

/** Diagnoses numbered 1, 2, ... in the claim's order, as the items' diagnosisSequence counts them. */
export function diagnosesOf(
  codes: readonly string[],
): Pick<ClaimDiagnosis, 'sequence' | 'diagnosisCodeableConcept'>[] {
  return codes.map((code, index) => ({
    sequence: index + 1,
    diagnosisCodeableConcept: codeableConcept({ system: system.icd10cm, code: icd10WithDot(code) }),
  }));
}

/** What a Claim item and an ExplanationOfBenefit item say alike of a service line. */
export type ItemBasics = Pick<
  ClaimItem,
  | 'sequence'
  | 'diagnosisSequence'
  | 'productOrService'
  | 'modifier'
  | 'servicedDate'
  | 'servicedPeriod'
  | 'locationCodeableConcept'
  | 'extension'
  | 'quantity'
  | 'net'
>;

export function itemOf(line: ClaimForFhir['serviceLines'][number], index: number): ItemBasics {
  return {
    sequence: index + 1,
    diagnosisSequence: [...line.diagnosisPointers],
    productOrService: { coding: [procedureCoding(line.procedureCode)] },
    ...(line.modifiers.length > 0 ? { modifier: line.modifiers.map(modifierConcept) } : {}),
    ...(line.serviceDateTo
      ? { servicedPeriod: { start: line.serviceDate, end: line.serviceDateTo } }
      : { servicedDate: line.serviceDate }),
    ...(line.placeOfServiceCode
      ? {
          locationCodeableConcept: codeableConcept({
            system: system.placeOfService,
            code: line.placeOfServiceCode,
          }),
        }
      : {}),
    ...(line.lineControlNumber
      ? {
          extension: [{ url: extensionUrl.lineControlNumber, valueString: line.lineControlNumber }],
        }
      : {}),
    quantity:
      line.unitType === 'minutes'
        ? { value: Number(line.units), system: system.ucum, code: 'min', unit: 'minutes' }
        : { value: Number(line.units) },
    net: moneyOf(line.chargeAmount),
  };
}

/** A replacement or void names the claim it replaces as a "prior" related claim. */
export function relatedOf(claim: Pick<ClaimForFhir, 'originalClaimId'>): {
  related?: ClaimRelated[];
} {
  if (!claim.originalClaimId) return {};
  return {
    related: [
      {
        claim: { reference: `Claim/${claim.originalClaimId}` },
        relationship: codeableConcept({ system: system.relatedClaimRelationship, code: 'prior' }),
      },
    ],
  };
}
