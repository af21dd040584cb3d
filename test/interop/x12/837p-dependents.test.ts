// The guide's COB examples (a dependent patient, loop 2000C; a claim to the secondary payer with
// the primary's adjudication in loops 2320, 2330B and 2430) read into exactly the claims below.
import { describe, expect, it } from 'vitest';
import { readProfessionalClaims } from '../../../src/interop/x12/837p-in.js';
import { edited, replaceSegment, sampleFile, samplePayerId, sampleNpi } from './samples.js';

function readingOf(text: string) {
  const reading = readProfessionalClaims(text, { providerNpi: sampleNpi, claimsMax: 10 });
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading.claims;
}

const theLines = [
  { code: '99213', charge: '43.00', pointers: [1, 2, 3, 4] },
  { code: '90782', charge: '15.00', pointers: [1, 2] },
  { code: 'J3301', charge: '21.04', pointers: [1, 2] },
].map(({ code, charge, pointers }) => ({
  procedureCode: code,
  modifiers: [],
  units: 1,
  chargeAmount: charge,
  serviceDate: '2005-10-03',
  diagnosisPointers: pointers,
}));

describe('the guide’s COB claims with a dependent patient', () => {
  it('maps the claim to payer B (secondary) with payer A’s adjudication', () => {
    const [claim] = readingOf(sampleFile('cob-claim-to-payer-b'));
    expect(claim!.entry).toEqual({
      submission: {
        payerId: samplePayerId,
        patientControlNumber: '26407789',
        frequencyCode: '1',
        placeOfServiceCode: '11',
        member: {
          memberId: '222334444',
          firstName: 'JACK',
          lastName: 'SMITH',
          birthDate: '1943-10-22',
          gender: 'M',
        },
        patient: {
          firstName: 'TED',
          lastName: 'SMITH',
          birthDate: '1973-05-01',
          gender: 'M',
          relationshipCode: '19',
        },
        payerResponsibilityCode: 'S',
        priorPayers: [
          {
            responsibilityCode: 'P',
            payerName: 'KEY INSURANCE COMPANY',
            payerIdentifier: '999996666',
            paidAmount: '39.15',
            claimAdjustments: [
              { group: 'PR', reasonCode: '1', amount: '21.89' },
              { group: 'PR', reasonCode: '2', amount: '15.00' },
            ],
            lines: [
              {
                lineNumber: 1,
                paidAmount: '40.00',
                adjustments: [{ group: 'CO', reasonCode: '42', amount: '3.00' }],
                adjudicationDate: '2005-10-15',
              },
              {
                lineNumber: 2,
                paidAmount: '15.00',
                adjustments: [],
                adjudicationDate: '2005-10-15',
              },
              {
                lineNumber: 3,
                paidAmount: '21.04',
                adjustments: [],
                adjudicationDate: '2005-10-15',
              },
            ],
          },
        ],
        diagnosisCodes: ['J309', 'E785', 'E669', 'K219'],
        serviceLines: theLines,
        totalChargeAmount: '79.04',
      },
    });
  });

  it('maps the claim to payer A (primary) with the dependent; the later payer’s loop 2320 is passed over', () => {
    const [claim] = readingOf(sampleFile('cob-claim-to-payer-a'));
    expect(claim!.entry).toEqual({
      submission: {
        payerId: samplePayerId,
        patientControlNumber: '26407789',
        frequencyCode: '1',
        placeOfServiceCode: '11',
        member: {
          memberId: '111223333',
          firstName: 'JANE',
          lastName: 'SMITH',
          birthDate: '1943-05-01',
          gender: 'F',
        },
        patient: {
          firstName: 'TED',
          lastName: 'SMITH',
          birthDate: '1973-05-01',
          gender: 'M',
          relationshipCode: '19',
        },
        diagnosisCodes: ['J309', 'E785', 'E669', 'K219'],
        serviceLines: theLines,
        totalChargeAmount: '79.04',
      },
    });
  });

  it('names the element at fault: a patient loop without PAT, a secondary claim without AMT*D', () => {
    const withoutPat = edited(sampleFile('cob-claim-to-payer-b'), replaceSegment('PAT*'));
    const [first] = readingOf(withoutPat);
    expect(first!.entry).toEqual({
      problems: [expect.objectContaining({ segment: 'PAT', loop: '2000C' })],
    });
    const withoutPaid = edited(sampleFile('cob-claim-to-payer-b'), replaceSegment('AMT*D*'));
    const [second] = readingOf(withoutPaid);
    expect(second!.entry).toEqual({
      problems: [
        expect.objectContaining({
          segment: 'AMT',
          loop: '2320',
          message: expect.stringContaining('AMT*D'),
        }),
      ],
    });
    const badRelationship = edited(
      sampleFile('cob-claim-to-payer-b'),
      replaceSegment('PAT*', 'PAT*20'),
    );
    const [third] = readingOf(badRelationship);
    expect(third!.entry).toEqual({
      problems: [expect.objectContaining({ segment: 'PAT', element: 'PAT01', loop: '2000C' })],
    });
  });
});
