// Our claim as a FHIR Claim (the answer to POST /v1/fhir/Claim and GET /v1/fhir/Claim/:id), and
// errors as OperationOutcome.
import { describe, expect, it } from 'vitest';
import { fhirClaimOf, type ClaimForFhir } from '../../../src/interop/fhir/claim-out.js';
import { moneyOf, moneyTextOfFhirDecimal } from '../../../src/interop/fhir/codes.js';
import { operationOutcomeOf } from '../../../src/interop/fhir/outcome.js';
import { fhirProblemsOf } from './samples.js';

const claim: ClaimForFhir = {
  id: '33333333-3333-4333-8333-333333333333',
  status: 'submitted',
  providerId: '22222222-2222-4222-8222-222222222222',
  payerId: '11111111-1111-4111-8111-111111111111',
  patientControlNumber: 'PCN-1001',
  frequencyCode: '7',
  originalClaimId: '55555555-5555-4555-8555-555555555555',
  totalChargeAmount: '134.55',
  submittedAt: '2026-03-20T10:00:00.000Z',
  member: {
    memberId: 'W123456789',
    firstName: 'John',
    lastName: 'Roe',
    birthDate: '1975-06-01',
    gender: 'M',
  },
  diagnosisCodes: ['M25561'],
  serviceLines: [
    {
      procedureCode: '97110',
      modifiers: ['GP', '59'],
      units: '2.5',
      chargeAmount: '120.00',
      serviceDate: '2026-03-02',
      diagnosisPointers: [1],
    },
    {
      procedureCode: 'J1885',
      modifiers: [],
      units: 1,
      chargeAmount: '14.55',
      serviceDate: '2026-03-03',
      diagnosisPointers: [1],
    },
  ],
};

describe('fhirClaimOf', () => {
  it('is exactly this for a replacement with a HCPCS line', () => {
    const CPT = 'http://www.ama-assn.org/go/cpt';
    const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
    expect(fhirClaimOf(claim)).toStrictEqual({
      resourceType: 'Claim',
      id: claim.id,
      meta: { lastUpdated: '2026-03-20T10:00:00.000Z' },
      contained: [
        {
          resourceType: 'Patient',
          id: 'patient',
          identifier: [
            {
              type: {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
                    code: 'MB',
                    display: 'Member Number',
                  },
                ],
              },
              value: 'W123456789',
            },
          ],
          name: [{ family: 'Roe', given: ['John'] }],
          gender: 'male',
          birthDate: '1975-06-01',
        },
        {
          resourceType: 'Coverage',
          id: 'coverage',
          status: 'active',
          subscriberId: 'W123456789',
          beneficiary: { reference: '#patient' },
          payor: [{ reference: `Organization/${claim.payerId}`, type: 'Organization' }],
        },
      ],
      extension: [
        { url: 'https://claimchain.dev/fhir/StructureDefinition/frequency-code', valueCode: '7' },
      ],
      identifier: [{ value: 'PCN-1001' }],
      status: 'active',
      type: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' },
        ],
      },
      use: 'claim',
      patient: { reference: '#patient' },
      created: '2026-03-20T10:00:00.000Z',
      insurer: { reference: `Organization/${claim.payerId}`, type: 'Organization' },
      provider: { reference: `Organization/${claim.providerId}`, type: 'Organization' },
      priority: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' },
        ],
      },
      related: [
        {
          claim: { reference: `Claim/${claim.originalClaimId}` },
          relationship: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
                code: 'prior',
              },
            ],
          },
        },
      ],
      diagnosis: [
        {
          sequence: 1,
          diagnosisCodeableConcept: {
            coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'M25.561' }],
          },
        },
      ],
      insurance: [{ sequence: 1, focal: true, coverage: { reference: '#coverage' } }],
      item: [
        {
          sequence: 1,
          diagnosisSequence: [1],
          productOrService: { coding: [{ system: CPT, code: '97110' }] },
          modifier: [
            { coding: [{ system: HCPCS, code: 'GP' }] },
            { coding: [{ system: CPT, code: '59' }] },
          ],
          servicedDate: '2026-03-02',
          quantity: { value: 2.5 },
          net: { value: 120, currency: 'USD' },
        },
        {
          sequence: 2,
          diagnosisSequence: [1],
          productOrService: { coding: [{ system: HCPCS, code: 'J1885' }] },
          servicedDate: '2026-03-03',
          quantity: { value: 1 },
          net: { value: 14.55, currency: 'USD' },
        },
      ],
      total: { value: 134.55, currency: 'USD' },
    });
  });

  it('is valid FHIR R4', () => {
    expect(fhirProblemsOf(fhirClaimOf(claim))).toEqual([]);
    expect(
      fhirProblemsOf(fhirClaimOf({ ...claim, frequencyCode: '1', originalClaimId: null })),
    ).toEqual([]);
  });
});

describe('money between decimal strings and FHIR decimals', () => {
  it('converts cents exactly, up to NUMERIC(14,2)', () => {
    expect(moneyOf('999999999999.99')).toStrictEqual({ value: 999999999999.99, currency: 'USD' });
    expect(moneyOf('0.10')).toStrictEqual({ value: 0.1, currency: 'USD' });
    expect(() => moneyOf('1.5')).toThrow(/not cents/);
    expect(moneyTextOfFhirDecimal(999999999999.99)).toStrictEqual({ text: '999999999999.99' });
    expect(moneyTextOfFhirDecimal(0.07)).toStrictEqual({ text: '0.07' });
  });
});

describe('operationOutcomeOf', () => {
  it('names FHIR paths as expression and HTTP headers as location', () => {
    expect(
      operationOutcomeOf(422, 'invalid FHIR Claim', [
        { field: 'Claim.item[1].net.value', message: 'must have at most 2 decimal places' },
        { field: 'Claim.item[2].servicedDate', message: 'is required' },
        { field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' },
      ]),
    ).toStrictEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'invalid',
          details: { text: 'must have at most 2 decimal places' },
          expression: ['Claim.item[1].net.value'],
        },
        {
          severity: 'error',
          code: 'required',
          details: { text: 'is required' },
          expression: ['Claim.item[2].servicedDate'],
        },
        {
          severity: 'error',
          code: 'invalid',
          details: { text: 'must be 1-255 printable ASCII characters' },
          location: ['http.Idempotency-Key'],
        },
      ],
    });
  });

  it('answers an error without fields with one issue of the status', () => {
    const outcome = operationOutcomeOf(404, 'claim not found');
    expect(outcome).toStrictEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'not-found', details: { text: 'claim not found' } }],
    });
    expect(fhirProblemsOf(outcome)).toEqual([]);
  });
});
