// The 276 reader on the guide's own claim request (stupidedi's copy, unchanged): the hierarchy,
// traces, patient control numbers, charges and dates as the file has them; and each value we
// cannot look a claim up with named at its segment and element.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { read276 } from '../../../src/interop/x12/276-in.js';

const guide276 = readFileSync(
  new URL('../../fixtures/x12/276-claim-request.x12', import.meta.url),
  'utf8',
);

function problemsOf(text: string) {
  const reading = read276(text);
  if (reading.status !== 'malformed') throw new Error('expected a malformed file');
  return reading.problems.map(({ segment, element, loop, line, message }) => ({
    segment,
    element,
    loop,
    line,
    message,
  }));
}

describe('read276', () => {
  it('reads the guide’s claim request', () => {
    const reading = read276(guide276);
    if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
    expect(reading.transactions).toHaveLength(1);
    const [transaction] = reading.transactions;
    expect(transaction!.reference).toBe('ABC276XXX');
    const [source] = transaction!.sources;
    expect(source!.payerId).toBe('12345');
    expect(source!.name).toEqual(['PR', '2', 'ABC INSURANCE', '', '', '', '', 'PI', '12345']);
    const [receiver] = source!.receivers;
    expect(receiver!.name[2]).toBe('XYZ SERVICE');
    expect(receiver!.providers.map((provider) => provider.npi)).toEqual([
      '1666666661',
      '1666666666',
    ]);
    const [hospital, physicians] = receiver!.providers;
    expect(hospital!.subscribers).toEqual([
      {
        name: ['IL', '1', 'SMITH', 'FRED', '', '', '', 'MI', '123456789A'],
        trackings: [
          {
            trace: ['1', 'ABCXYZ1'],
            patientControlNumber: 'SM123456',
            totalChargeAmount: '8513.88',
            serviceDates: { from: '2005-08-31', to: '2005-09-06' },
          },
        ],
        dependents: [],
      },
      {
        name: ['IL', '1', 'JONES', 'MARY', '', '', '', 'MI', '234567890A'],
        trackings: [
          {
            trace: ['1', 'ABCXYZ2'],
            patientControlNumber: 'JO234567',
            totalChargeAmount: '7599',
            serviceDates: { from: '2005-07-31', to: '2005-08-09' },
          },
        ],
        dependents: [],
      },
    ]);
    // The dependent's claim: its service line's SVC and DTP are not the claim's.
    expect(physicians!.subscribers).toEqual([
      {
        name: ['IL', '1', 'MANN', 'JOHN', '', '', '', 'MI', '345678901'],
        trackings: [],
        dependents: [
          {
            name: ['QC', '1', 'MANN', 'JOSEPH'],
            trackings: [
              {
                trace: ['1', 'ABCXYZ3'],
                patientControlNumber: 'MA345678',
                totalChargeAmount: null,
                serviceDates: null,
              },
            ],
          },
        ],
      },
    ]);
  });

  it('names every value it cannot look a claim up with', () => {
    const text = guide276
      .replace('REF*EJ*SM123456~', '')
      .replace('AMT*T3*7599~', 'AMT*T3*75.999~')
      .replace('DTP*472*RD8*20050731-20050809', 'DTP*472*RD8*20050809-20050731')
      .replace('NM1*PR*2*ABC INSURANCE*****PI*12345', 'NM1*PR*2*ABC INSURANCE*****PI')
      .replace('REF*EJ*MA345678', 'REF*EJ*MA 3456\u00e978')
      .replace(/SE\*36\*0001/, 'SE*35*0001');
    expect(problemsOf(text)).toEqual([
      {
        segment: 'NM1',
        element: 'NM109',
        loop: '2100A',
        line: 1,
        message: 'the payer’s id is required',
      },
      {
        segment: 'TRN',
        element: 'TRN02',
        loop: '2200D',
        line: 1,
        message: 'REF*EJ, the patient control number, is required',
      },
      {
        segment: 'AMT',
        element: 'AMT02',
        loop: '2200D',
        line: 1,
        message: 'not an amount of whole cents',
      },
      {
        segment: 'DTP',
        element: 'DTP03',
        loop: '2200D',
        line: 1,
        message: 'not a date (D8 CCYYMMDD) or a range (RD8 CCYYMMDD-CCYYMMDD)',
      },
      {
        segment: 'REF',
        element: 'REF02',
        loop: '2200E',
        line: 1,
        message: 'not a patient control number (1-38 characters, as CLM01)',
      },
    ]);
  });

  it('refuses a patient with no tracking loop and levels out of order', () => {
    const noTracking = guide276
      .replace(
        'TRN*1*ABCXYZ2~REF*BLT*111~REF*EJ*JO234567~AMT*T3*7599~DTP*472*RD8*20050731-20050809~',
        '',
      )
      .replace(/SE\*36\*0001/, 'SE*31*0001');
    expect(problemsOf(noTracking)).toEqual([
      {
        segment: 'HL',
        element: 'HL03',
        loop: '2000D',
        line: 1,
        message: 'no claim status tracking (TRN) under this patient',
      },
    ]);
    const unnested = guide276.replace('HL*3*2*19*1', 'HL*3*2*22*1');
    expect(problemsOf(unnested)[0]).toMatchObject({
      segment: 'HL',
      element: 'HL03',
      message: 'HL levels must nest 20, 21, 19, 22, 23',
    });
    const a270 = guide276.replace('GS*HR', 'GS*HS');
    expect(read276(a270).status).toBe('malformed');
  });
});
