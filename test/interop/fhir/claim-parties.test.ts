// FHIR Claims of dependents and of secondary and tertiary claims, both ways: what fhirClaimOf
// writes, mapFhirClaim reads back to the same submission, and what does not fit is refused at
// the FHIR path the client sent.
import type { Claim, ClaimResponse, Coverage } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { claimSubmissionSchema, type ClaimSubmission } from '../../../src/domain/claims/schema.js';
import { mapFhirClaim } from '../../../src/interop/fhir/claim-in.js';
import { fhirClaimOf, type ClaimForFhir } from '../../../src/interop/fhir/claim-out.js';
import { fhirProblemsOf } from './samples.js';

const payerId = '11111111-1111-4111-8111-111111111111';
const providerId = '22222222-2222-4222-8222-222222222222';

/** Jack Smith's child Ted, seen twice; the primary paid 70.00 of line 1 and nothing of line 2. */
const dependentClaim: ClaimSubmission = {
  payerId,
  patientControlNumber: 'PCN-DEP-1',
  frequencyCode: '1',
  member: {
    memberId: 'FAM-1001',
    firstName: 'Jack',
    lastName: 'Smith',
    birthDate: '1943-10-22',
    gender: 'M',
  },
  patient: {
    firstName: 'Ted',
    lastName: 'Smith',
    birthDate: '2015-05-01',
    gender: 'M',
    relationshipCode: '19',
  },
  diagnosisCodes: ['J020'],
  serviceLines: [
    {
      procedureCode: '99213',
      modifiers: [],
      units: 1,
      chargeAmount: '120.00',
      serviceDate: '2026-03-02',
      diagnosisPointers: [1],
    },
    {
      procedureCode: '87880',
      modifiers: ['QW'],
      units: 1,
      chargeAmount: '30.00',
      serviceDate: '2026-03-02',
      diagnosisPointers: [1],
    },
  ],
  totalChargeAmount: '150.00',
};

const primary = {
  responsibilityCode: 'P' as const,
  payerName: 'Key Insurance Company',
  payerIdentifier: '999996666',
  paidAmount: '70.00',
  claimAdjustments: [{ group: 'OA' as const, reasonCode: '94', amount: '0.50' }],
  lines: [
    {
      lineNumber: 1,
      paidAmount: '70.00',
      adjustments: [
        { group: 'CO' as const, reasonCode: '45', amount: '20.00' },
        { group: 'PR' as const, reasonCode: '2', amount: '30.00' },
      ],
      adjudicationDate: '2026-03-10',
    },
    {
      lineNumber: 2,
      paidAmount: '0.00',
      adjustments: [{ group: 'PR' as const, reasonCode: '1', amount: '30.00' }],
    },
  ],
};

const secondary = {
  responsibilityCode: 'S' as const,
  payerName: 'Second Mutual',
  payerIdentifier: 'SM-42',
  paidAmount: '24.00',
  claimAdjustments: [],
  lines: [{ lineNumber: 1, paidAmount: '24.00', adjustments: [] }],
};

/** The claim as stored and read back for FHIR (getClaim's shape). */
function stored(submission: ClaimSubmission): ClaimForFhir {
  return {
    ...submission,
    id: '33333333-3333-4333-8333-333333333333',
    status: 'submitted',
    providerId,
    originalClaimId: null,
    totalChargeAmount: '150.00',
    submittedAt: '2026-03-20T10:00:00.000Z',
  };
}

function submissionOf(claim: unknown): ClaimSubmission {
  const mapping = mapFhirClaim(claim, providerId);
  if (mapping.status !== 'accepted') throw new Error(JSON.stringify(mapping.problems));
  return mapping.submission;
}

function problemsOf(claim: unknown) {
  const mapping = mapFhirClaim(claim, providerId);
  if (mapping.status !== 'rejected') throw new Error('expected the claim to be rejected');
  expect(mapping.httpStatus).toBe(422);
  return mapping.problems;
}

const secondaryClaim = claimSubmissionSchema.parse({
  ...dependentClaim,
  payerResponsibilityCode: 'S',
  priorPayers: [primary],
});
// Jack's own claim: the dependent's claim without its patient.
const subscriberClaim = Object.fromEntries(
  Object.entries(dependentClaim).filter(([key]) => key !== 'patient'),
);
const tertiaryClaim = claimSubmissionSchema.parse({
  ...subscriberClaim,
  payerResponsibilityCode: 'T',
  priorPayers: [secondary, primary],
});

describe('round trip: the FHIR Claim we write reads back to the same submission', () => {
  it.each([
    ['a dependent’s claim', dependentClaim],
    ['a dependent’s secondary claim', secondaryClaim],
    ['a subscriber’s tertiary claim', tertiaryClaim],
  ])('%s', (_, submission) => {
    const fhir = fhirClaimOf(stored(submission));
    expect(fhirProblemsOf(fhir)).toEqual([]);
    const back = submissionOf(JSON.parse(JSON.stringify(fhir)));
    // The earlier payers come back in sequence order (the tertiary's were listed S, P).
    expect(back).toStrictEqual({
      ...submission,
      ...(submission.priorPayers
        ? {
            priorPayers: [...submission.priorPayers].sort((a, b) =>
              a.responsibilityCode.localeCompare(b.responsibilityCode),
            ),
          }
        : {}),
    });
    expect(back.patient === undefined).toBe(submission.patient === undefined);
  });
});

describe('what fhirClaimOf writes of them', () => {
  it('a secondary claim: the primary’s entry first, its adjudication a contained ClaimResponse', () => {
    const fhir = fhirClaimOf(stored(secondaryClaim));
    expect(fhir.insurance).toStrictEqual([
      {
        sequence: 1,
        focal: false,
        coverage: { display: 'Key Insurance Company' },
        claimResponse: { reference: '#primary-payer' },
      },
      { sequence: 2, focal: true, coverage: { reference: '#coverage' } },
    ]);
    const response = fhir.contained![3] as ClaimResponse;
    expect(response.insurer).toStrictEqual({
      identifier: { value: '999996666' },
      display: 'Key Insurance Company',
    });
    expect(response.payment!.amount).toStrictEqual({ value: 70, currency: 'USD' });
    expect(response.adjudication).toHaveLength(1);
    expect(response.adjudication![0]!.reason!.text).toBe('OA-94');
    expect(response.item![0]).toStrictEqual({
      itemSequence: 1,
      extension: [
        {
          url: 'https://claimchain.dev/fhir/StructureDefinition/adjudication-date',
          valueDate: '2026-03-10',
        },
      ],
      adjudication: [
        {
          category: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/adjudication',
                code: 'benefit',
                display: 'Benefit Amount',
              },
            ],
          },
          amount: { value: 70, currency: 'USD' },
        },
        {
          extension: [
            {
              url: 'https://claimchain.dev/fhir/StructureDefinition/adjustment-group',
              valueCode: 'CO',
            },
          ],
          category: {
            coding: [
              {
                system: 'https://claimchain.dev/fhir/CodeSystem/adjudication',
                code: 'adjustment',
                display: 'Claim adjustment (835 CAS)',
              },
            ],
          },
          reason: {
            coding: [{ system: 'https://x12.org/codes/claim-adjustment-reason-codes', code: '45' }],
            text: 'CO-45',
          },
          amount: { value: 20, currency: 'USD' },
        },
        expect.objectContaining({ reason: expect.objectContaining({ text: 'PR-2' }) }),
      ],
    });
  });

  it('amounts sent without cents ("70") are written in cents and read back so', () => {
    const claim = stored({
      ...secondaryClaim,
      priorPayers: [{ ...primary, paidAmount: '70', claimAdjustments: [], lines: [] }],
    });
    const fhir = fhirClaimOf(claim);
    expect((fhir.contained![3] as ClaimResponse).payment!.amount.value).toBe(70);
    expect(submissionOf(fhir).priorPayers![0]!.paidAmount).toBe('70.00');
  });
});

/** The FHIR Claim of `submission` with one change made by `edit`. */
function fhirWith(submission: ClaimSubmission, edit: (claim: Claim) => void): Claim {
  const claim = structuredClone(fhirClaimOf(stored(submission)));
  edit(claim);
  return claim;
}

const coverage = (claim: Claim) =>
  claim.contained!.find((each) => each.resourceType === 'Coverage') as Coverage;
const relationship = (code: string) => ({
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code }],
});

describe('dependents: what does not fit is refused at its FHIR path', () => {
  it('a subscriber’s claim with relationship self reads as before: Claim.patient is the member', () => {
    const claim = fhirWith(tertiaryClaim, (each) => {
      coverage(each).relationship = relationship('self');
      coverage(each).subscriber = { reference: '#patient' };
    });
    expect(submissionOf(claim).member).toStrictEqual(tertiaryClaim.member);
    expect(submissionOf(claim).patient).toBeUndefined();
  });

  it.each([
    [
      'self with another subscriber',
      (claim: Claim) => (coverage(claim).relationship = relationship('self')),
      'Claim.contained[2].relationship',
      /is self, but the subscriber is not Claim.patient/,
    ],
    [
      'no relationship with another subscriber',
      (claim: Claim) => delete coverage(claim).relationship,
      'Claim.contained[2].relationship',
      /is required when the subscriber is not Claim.patient/,
    ],
    [
      'a child without a subscriber',
      (claim: Claim) => delete coverage(claim).subscriber,
      'Claim.contained[2].subscriber',
      /is required when the relationship is child/,
    ],
    [
      'a child who is their own subscriber',
      (claim: Claim) => (coverage(claim).subscriber = { reference: '#patient' }),
      'Claim.contained[2].subscriber.reference',
      /must not be Claim.patient when the relationship is child/,
    ],
    [
      'a subscriber not contained',
      (claim: Claim) => (coverage(claim).subscriber = { reference: 'Patient/123' }),
      'Claim.contained[2].subscriber.reference',
      /must reference a Patient contained in the Claim/,
    ],
    [
      'a relationship 837P cannot say',
      (claim: Claim) => (coverage(claim).relationship = relationship('parent')),
      'Claim.contained[2].relationship.coding[0].code',
      /must be self, spouse, child or other/,
    ],
    [
      'a beneficiary who is not the patient',
      (claim: Claim) => (coverage(claim).beneficiary = { reference: '#subscriber' }),
      'Claim.contained[2].beneficiary.reference',
      /must be the Claim.patient reference/,
    ],
    [
      'a subscriberId that is not the subscriber’s member number',
      (claim: Claim) => (coverage(claim).subscriberId = 'FAM-9999'),
      'Claim.contained[2].subscriberId',
      /must be the subscriber's member number/,
    ],
    [
      'a focal coverage that is not contained',
      (claim: Claim) => (claim.insurance[0]!.coverage = { reference: '#nothing' }),
      'Claim.insurance[0].coverage.reference',
      /must reference a Coverage contained in the Claim/,
    ],
    [
      'two focal entries',
      (claim: Claim) => claim.insurance.push({ ...claim.insurance[0]!, sequence: 2 }),
      'Claim.insurance',
      /exactly one entry with focal true/,
    ],
  ])('%s', (_, edit, path, message) => {
    expect(problemsOf(fhirWith(dependentClaim, edit))).toEqual([
      { field: path, message: expect.stringMatching(message) },
    ]);
  });

  it('a dependent without a name: the path of the patient’s name', () => {
    const claim = fhirWith(
      dependentClaim,
      (each) => delete (each.contained![0] as { name?: unknown }).name,
    );
    expect(problemsOf(claim)).toEqual([
      { field: 'Claim.contained[0].name', message: 'is required: the patient name' },
    ]);
  });
});

describe('earlier payers: what does not fit is refused at its FHIR path', () => {
  const response = (claim: Claim) => claim.contained![3] as ClaimResponse;

  it.each([
    [
      'a secondary claim without the primary’s entry',
      (claim: Claim) => claim.insurance.shift(),
      'Claim.insurance',
      /needs an entry for each earlier payer \(sequence 1\)/,
    ],
    [
      'the primary’s entry without its adjudication',
      (claim: Claim) => delete claim.insurance[0]!.claimResponse,
      'Claim.insurance[0].claimResponse',
      /is required: the earlier payer’s adjudication/,
    ],
    [
      'a focal sequence past the tertiary',
      (claim: Claim) => (claim.insurance[1]!.sequence = 4),
      'Claim.insurance[1].sequence',
      /must be 1 .*, 2 .* or 3/,
    ],
    [
      'two entries of one sequence',
      (claim: Claim) => (claim.insurance[0]!.sequence = 2),
      'Claim.insurance[1].sequence',
      /Claim.insurance\[0\] has 2 too/,
    ],
    [
      'an adjustment without its group',
      (claim: Claim) => delete response(claim).item![0]!.adjudication[1]!.extension,
      'Claim.contained[3].item[0].adjudication[1].extension',
      /needs the extension .*adjustment-group/,
    ],
    [
      'a patient share without its reason code',
      (claim: Claim) => delete response(claim).item![1]!.adjudication[1]!.reason,
      'Claim.contained[3].item[1].adjudication[1].reason',
      /is required: the claim adjustment reason code/,
    ],
    [
      'a line paid more than its charge',
      (claim: Claim) => (response(claim).item![1]!.adjudication[0]!.amount!.value = 31),
      'Claim.contained[3].item[1].adjudication[0].amount.value',
      /must not exceed the line's charge 30.00/,
    ],
    [
      'a line the claim does not have',
      (claim: Claim) => (response(claim).item![1]!.itemSequence = 3),
      'Claim.contained[3].item[1].itemSequence',
      /the claim has no such line/,
    ],
    [
      'a payer without a name',
      (claim: Claim) => delete response(claim).insurer.display,
      'Claim.contained[3].insurer.display',
      /is required/,
    ],
    [
      'a claim payment in euros',
      (claim: Claim) => (response(claim).payment!.amount.currency = 'EUR'),
      'Claim.contained[3].payment.amount.currency',
      /must be "USD"/,
    ],
  ])('%s', (_, edit, path, message) => {
    expect(problemsOf(fhirWith(secondaryClaim, edit))).toEqual([
      { field: path, message: expect.stringMatching(message) },
    ]);
  });

  it('ignores payers after ours: a primary claim naming the secondary coverage is a primary claim', () => {
    const claim = fhirWith(dependentClaim, (each) =>
      each.insurance.push({ sequence: 2, focal: false, coverage: { display: 'Second Mutual' } }),
    );
    expect(submissionOf(claim)).toStrictEqual(dependentClaim);
  });
});
