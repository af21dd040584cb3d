// FHIR Claim items, issue 10: a service period (servicedPeriod), the place of service
// (locationCodeableConcept, CMS codes), the line item control number (our extension) and
// anesthesia minutes (quantity in UCUM "min"), in and back out as valid FHIR R4.
import type { Claim } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { mapFhirClaim } from '../../../src/interop/fhir/claim-in.js';
import { fhirClaimOf } from '../../../src/interop/fhir/claim-out.js';
import { fhirProblemsOf, sampleFhirClaim } from './samples.js';

const payerId = '11111111-1111-4111-8111-111111111111';
const providerId = '22222222-2222-4222-8222-222222222222';
const placeOfService =
  'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set';
const lineControlNumberUrl = 'https://claimchain.dev/fhir/StructureDefinition/line-control-number';

function claimWith(edit: (claim: Claim) => void): Claim {
  const claim = structuredClone(sampleFhirClaim(payerId));
  edit(claim);
  return claim;
}

/** The first item with a period, a place of service, a control number; the third in minutes. */
const detailed = claimWith((claim) => {
  const first = claim.item![0]!;
  delete first.servicedDate;
  first.servicedPeriod = { start: '2026-03-02', end: '2026-03-04' };
  first.locationCodeableConcept = { coding: [{ system: placeOfService, code: '22' }] };
  first.extension = [{ url: lineControlNumberUrl, valueString: 'LINE 0001' }];
  claim.item![2]!.quantity = { value: 45, system: 'http://unitsofmeasure.org', code: 'min' };
});

function submissionOf(claim: Claim) {
  const mapping = mapFhirClaim(claim, providerId);
  if (mapping.status !== 'accepted') throw new Error(JSON.stringify(mapping.problems));
  return mapping.submission;
}

describe('item details', () => {
  it('is valid FHIR R4 and maps onto the line fields', () => {
    expect(fhirProblemsOf(detailed)).toEqual([]);
    const lines = submissionOf(detailed).serviceLines;
    expect(lines[0]).toMatchObject({
      serviceDate: '2026-03-02',
      serviceDateTo: '2026-03-04',
      placeOfServiceCode: '22',
      lineControlNumber: 'LINE 0001',
    });
    expect(lines[1]).not.toHaveProperty('serviceDateTo');
    expect(lines[2]).toMatchObject({ units: 45, unitType: 'minutes', chargeAmount: '60.00' });
  });

  it('survives the round trip through the Claim we answer with', () => {
    const submission = submissionOf(detailed);
    const answered = fhirClaimOf({
      ...submission,
      id: '33333333-3333-4333-8333-333333333333',
      status: 'submitted',
      providerId,
      originalClaimId: null,
      totalChargeAmount: '233.50',
      submittedAt: '2026-03-20T10:00:00.000Z',
    });
    expect(fhirProblemsOf(answered)).toEqual([]);
    expect(answered.item![0]).toMatchObject({
      servicedPeriod: { start: '2026-03-02', end: '2026-03-04' },
      locationCodeableConcept: { coding: [{ system: placeOfService, code: '22' }] },
      extension: [{ url: lineControlNumberUrl, valueString: 'LINE 0001' }],
    });
    expect(answered.item![0]).not.toHaveProperty('servicedDate');
    expect(submissionOf(answered)).toStrictEqual(submission);
  });

  it.each([
    [
      'servicedDate and servicedPeriod both',
      (claim: Claim) =>
        (claim.item![0]!.servicedPeriod = { start: '2026-03-02', end: '2026-03-03' }),
      'Claim.item[0].servicedPeriod',
      'must not be sent with servicedDate: send one of them',
    ],
    [
      'a period that ends before it starts',
      (claim: Claim) => {
        delete claim.item![0]!.servicedDate;
        claim.item![0]!.servicedPeriod = { start: '2026-03-04', end: '2026-03-02' };
      },
      'Claim.item[0].servicedPeriod.end',
      'must not be before serviceDate (the first day of the period)',
    ],
    [
      'a place of service of another code system',
      (claim: Claim) =>
        (claim.item![1]!.locationCodeableConcept = { coding: [{ system: 'urn:x', code: '11' }] }),
      'Claim.item[1].locationCodeableConcept.coding',
      `needs a coding with system ${placeOfService}`,
    ],
    [
      'a place of service code that is not one',
      (claim: Claim) =>
        (claim.item![1]!.locationCodeableConcept = {
          coding: [{ system: placeOfService, code: '111' }],
        }),
      'Claim.item[1].locationCodeableConcept.coding[0].code',
      'must be a two-digit CMS place of service code such as "11" (office)',
    ],
    [
      'a control number with an X12 delimiter',
      (claim: Claim) =>
        (claim.item![1]!.extension = [{ url: lineControlNumberUrl, valueString: 'L*1' }]),
      'Claim.item[1].extension[0].valueString',
      'must not contain the X12 delimiters * : ^ ~ (837P REF*6R, 835 REF*6R)',
    ],
    [
      'a quantity in hours',
      (claim: Claim) =>
        (claim.item![2]!.quantity = { value: 1, system: 'http://unitsofmeasure.org', code: 'h' }),
      'Claim.item[2].quantity',
      'must be a count (no system or code), or minutes: system http://unitsofmeasure.org, code "min"',
    ],
  ])('%s is named at its FHIR path', (_, edit, field, message) => {
    const mapping = mapFhirClaim(claimWith(edit), providerId);
    expect(mapping).toMatchObject({ status: 'rejected', problems: [{ field, message }] });
    expect(mapping.status === 'rejected' && mapping.problems).toHaveLength(1);
  });
});
