// FHIR R4 code systems, extensions and money conversion shared by the FHIR mappers. Every system
// URL is the one HL7 Terminology (THO) or the named implementation guide publishes.
import type {
  ClaimResponseItemAdjudication,
  CodeableConcept,
  Coding,
  Money,
} from '@medplum/fhirtypes';
import { Decimal } from 'decimal.js';
import { MONEY_MAX } from '../../domain/claims/schema.js';

export const system = {
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  /** R4 AdjudicationValueCodes: submitted, copay, eligible, deductible, unallocdeduct, eligpercent, tax, benefit. */
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  /** CARIN Blue Button: amounts R4's adjudication codes lack (coinsurance among them). */
  carinAdjudication: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication',
  /** Ours: 835 CAS adjustments that no published category names (CO and OA groups). */
  claimChainAdjudication: 'https://claimchain.dev/fhir/CodeSystem/adjudication',
  claimAdjustmentReason: 'https://x12.org/codes/claim-adjustment-reason-codes',
  remittanceRemark: 'https://x12.org/codes/remittance-advice-remark-codes',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  relatedClaimRelationship: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  paymentType: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype',
  /** CMS place of service codes, as US Core and CARIN Blue Button name the code system. */
  placeOfService:
    'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set',
  /** UCUM units: "min" for minutes of anesthesia. */
  ucum: 'http://unitsofmeasure.org',
} as const;

/** Other names under which clients send HCPCS Level II codes (HL7 OID registry). */
export const hcpcsSystemAliases: readonly string[] = [
  system.hcpcs,
  'urn:oid:2.16.840.1.113883.6.285',
];

export const extensionUrl = {
  /** 837P CLM05-3 claim frequency: "1" original, "7" replacement, "8" void. valueCode. */
  frequencyCode: 'https://claimchain.dev/fhir/StructureDefinition/frequency-code',
  /** 835 CAS01 claim adjustment group of an adjudication entry: "CO", "PR" or "OA". valueCode. */
  adjustmentGroup: 'https://claimchain.dev/fhir/StructureDefinition/adjustment-group',
  /** 837P REF*6R line item control number on a Claim item (R4 has no item identifier). valueString. */
  lineControlNumber: 'https://claimchain.dev/fhir/StructureDefinition/line-control-number',
  /** 837P DTP*573: the day an earlier payer adjudicated a line (R4 gives an item no date). valueDate. */
  adjudicationDate: 'https://claimchain.dev/fhir/StructureDefinition/adjudication-date',
} as const;

export const professionalClaimType: CodeableConcept = {
  coding: [{ system: system.claimType, code: 'professional' }],
};

/** Categories of item.adjudication, in the order each line lists them. */
export const adjudicationCategory = {
  submitted: { system: system.adjudication, code: 'submitted', display: 'Submitted Amount' },
  eligible: { system: system.adjudication, code: 'eligible', display: 'Eligible Amount' },
  /** CO and OA adjustments (and any PR reason other than 1, 2 and 3). */
  adjustment: {
    system: system.claimChainAdjudication,
    code: 'adjustment',
    display: 'Claim adjustment (835 CAS)',
  },
  copay: { system: system.adjudication, code: 'copay', display: 'CoPay' },
  deductible: { system: system.adjudication, code: 'deductible', display: 'Deductible' },
  /** R4's AdjudicationValueCodes have no coinsurance amount (eligpercent is a percentage). */
  coinsurance: { system: system.carinAdjudication, code: 'coinsurance', display: 'Co-insurance' },
  benefit: { system: system.adjudication, code: 'benefit', display: 'Benefit Amount' },
} as const satisfies Record<string, Coding>;

export type CategoryName = keyof typeof adjudicationCategory;

/** An X12 claim adjustment (CAS): group, CARC and amount. */
interface CasAdjustment {
  group: string;
  reasonCode: string;
  amount: string;
}

/** Patient responsibility by CARC, as the engine assigns it (PR-1, PR-2, PR-3). */
const patientCategoryOfReason: Record<string, CategoryName> = {
  '1': 'deductible',
  '2': 'coinsurance',
  '3': 'copay',
};

export function categoryNameOf(adjustment: CasAdjustment): CategoryName {
  return (
    (adjustment.group === 'PR' ? patientCategoryOfReason[adjustment.reasonCode] : undefined) ??
    'adjustment'
  );
}

/** A CAS adjustment as an adjudication entry: CARC in `reason`, the group in our extension. */
export function adjustmentAdjudication(adjustment: CasAdjustment): ClaimResponseItemAdjudication {
  return {
    extension: [{ url: extensionUrl.adjustmentGroup, valueCode: adjustment.group }],
    category: { coding: [adjudicationCategory[categoryNameOf(adjustment)]] },
    reason: codeableConcept(
      { system: system.claimAdjustmentReason, code: adjustment.reasonCode },
      `${adjustment.group}-${adjustment.reasonCode}`,
    ),
    amount: moneyOf(adjustment.amount),
  };
}

export function codeableConcept(coding: Coding, text?: string): CodeableConcept {
  return text === undefined ? { coding: [coding] } : { coding: [coding], text };
}

// NUMERIC(14,2) money has at most 14 significant digits, well inside the 15 that a binary double
// carries exactly from decimal text and back; the check below proves it for every amount.
const MONEY_TEXT = /^\d{1,12}\.\d{2}$/;

/**
 * FHIR Money from our decimal string. FHIR JSON spells a decimal as a JSON number, so the amount
 * becomes a JS number here and nowhere earlier: no arithmetic is ever done on it.
 */
export function moneyOf(amount: string): Money {
  if (!MONEY_TEXT.test(amount)) throw new Error(`money amount ${amount} is not cents`);
  const value = Number(amount);
  if (!new Decimal(String(value)).eq(amount)) {
    throw new Error(`money amount ${amount} does not survive conversion to a JSON number`);
  }
  return { value, currency: 'USD' };
}

/** Why a FHIR decimal cannot be an amount of money in cents, or its decimal string. */
export function moneyTextOfFhirDecimal(value: number): { text: string } | { problem: string } {
  const text = String(value);
  if (!Number.isFinite(value) || /e/i.test(text))
    return { problem: 'is not a plain decimal amount' };
  if (value < 0) return { problem: 'must not be negative' };
  const amount = new Decimal(text);
  if (amount.decimalPlaces() > 2) return { problem: 'must have at most 2 decimal places' };
  if (amount.gt(MONEY_MAX)) return { problem: `must be at most ${MONEY_MAX.toFixed(2)}` };
  return { text: amount.toFixed(2) };
}

/** ICD-10-CM as FHIR and people spell it ("E11.9"); we store it without the dot, as X12 does. */
export function icd10WithDot(code: string): string {
  return code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code;
}

/** CPT (digits, or 4 digits and F/T/U) or HCPCS Level II (a letter and 4 digits). */
export function procedureCoding(code: string): Coding {
  return { system: /^[A-V]\d{4}$/.test(code) ? system.hcpcs : system.cpt, code };
}

/** Two digits are CPT modifiers ("25", "59"); letters are HCPCS Level II modifiers ("LT", "XU"). */
export function modifierConcept(modifier: string): CodeableConcept {
  return {
    coding: [{ system: /^\d{2}$/.test(modifier) ? system.cpt : system.hcpcs, code: modifier }],
  };
}
