// The guide's COB examples (a dependent patient, loop 2000C; a claim to the secondary payer with
// the primary's adjudication in loops 2320, 2330B and 2430), edited to lack what the guide
// requires. How the examples themselves map is 837p-guide-examples.test.ts's table.
import { describe, expect, it } from 'vitest';
import { readProfessionalClaims } from '../../../src/interop/x12/837p-in.js';
import { edited, replaceSegment, sampleFile, sampleNpi } from './samples.js';

function readingOf(text: string) {
  const reading = readProfessionalClaims(text, { providerNpi: sampleNpi, claimsMax: 10 });
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading.claims;
}

describe('the guide’s COB claims with a dependent patient', () => {
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
