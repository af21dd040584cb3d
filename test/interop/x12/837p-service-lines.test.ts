// 837P in, issue 10: what the guide allows that we now read (PER in 2420E, spaces inside CLM01, a
// byte-order mark, any line break after terminators), a transaction set that is not claims for
// payment refused on its own, every fault of a claim named together, and the everyday line
// details: service periods (RD8), place of service (CLM05-1, SV105), line item control numbers
// (REF*6R) and anesthesia minutes (SV103 MJ).
import { describe, expect, it } from 'vitest';
import {
  readProfessionalClaims,
  type ReadingContext,
  type X12ClaimReading,
} from '../../../src/interop/x12/837p-in.js';
import type { X12Problem } from '../../../src/interop/x12/envelope-in.js';
import { edited, replaceSegment, sampleFile, sampleNpi } from './samples.js';

const commercial = sampleFile('commercial-health-insurance');
const context: ReadingContext = { providerNpi: sampleNpi, claimsMax: 1_000 };

function claimsOf(text: string): X12ClaimReading[] {
  const reading = readProfessionalClaims(text, context);
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading.claims;
}

function submissionOf(text: string, index = 0) {
  const entry = claimsOf(text)[index]!.entry;
  if ('problems' in entry) throw new Error(JSON.stringify(entry.problems));
  return entry.submission;
}

function problemsOf(text: string, index = 0): X12Problem[] {
  const entry = claimsOf(text)[index]!.entry;
  if (!('problems' in entry)) throw new Error('expected the claim to be rejected');
  return entry.problems;
}

/** Inserts `added` right after the first segment starting with `prefix`. */
function insertAfter(prefix: string, ...added: string[]) {
  return (segments: string[]) => {
    const index = segments.findIndex((segment) => segment.startsWith(prefix));
    if (index < 0) throw new Error(`no segment starts with ${prefix}`);
    segments.splice(index + 1, 0, ...added);
  };
}

describe('tolerant reading', () => {
  // CLM01 with spaces inside; an ordering provider (2420E) with its contact PER on line 1.
  const tolerant = edited(commercial, (segments) => {
    replaceSegment('CLM*', 'CLM*A 2646 3774*100***11:B:1*Y*A*Y*I')(segments);
    insertAfter(
      'DTP*472*D8*20261003',
      'NM1*DK*1*WELBY*MARCUS****XX*1234567893',
      'PER*IC*FRONT DESK*TE*3055550111',
    )(segments);
  });

  it('PER in loop 2420E is passed over, and CLM01 keeps its spaces as sent', () => {
    const submission = submissionOf(tolerant);
    expect(submission.patientControlNumber).toBe('A 2646 3774');
    expect(submission.serviceLines.map((line) => line.procedureCode)).toEqual([
      '99213',
      '87070',
      '99214',
      '86663',
    ]);
  });

  it.each([
    ['a byte-order mark and CRLF', (text: string) => `\uFEFF${text.replaceAll('~\n', '~\r\n')}`],
    ['CR alone', (text: string) => text.replaceAll('~\n', '~\r')],
    ['no line breaks', (text: string) => text.replaceAll('~\n', '~')],
  ])('%s after the terminators read the same claim', (_, variant) => {
    expect(submissionOf(variant(tolerant))).toStrictEqual(submissionOf(tolerant));
  });

  it('a CLM01 with a leading space is refused at CLM01, as the JSON API refuses it', () => {
    const text = edited(commercial, replaceSegment('CLM*', 'CLM* 26463774*100***11:B:1*Y*A*Y*I'));
    expect(problemsOf(text)).toEqual([
      {
        field: 'CLM01',
        segment: 'CLM',
        element: 'CLM01',
        loop: '2300',
        segmentPosition: 23,
        line: 25,
        message:
          'must be 1-38 printable characters, without leading or trailing spaces (it is CLM01 in the 837P and CLP01 in the 835)',
      },
    ]);
  });
});

describe('a transaction set that is not claims for payment is refused alone', () => {
  /** The file with its transaction set repeated as ST02 0022, BHT06 `purpose`, CLM01 `second`. */
  function withSecondSet(purpose: string): string {
    return edited(commercial, (segments) => {
      const st = segments.findIndex((segment) => segment.startsWith('ST*'));
      const se = segments.findIndex((segment) => segment.startsWith('SE*'));
      const copy = segments
        .slice(st, se + 1)
        .map((segment) => segment.replace('*0021', '*0022'))
        .map((segment) => segment.replace('*1023*CH', `*1023*${purpose}`))
        .map((segment) => segment.replace('CLM*26463774', 'CLM*SECOND'));
      segments.splice(se + 1, 0, ...copy);
      replaceSegment('GE*', 'GE*2*1')(segments);
    });
  }

  it.each([
    [
      'RP',
      'is "RP" (reporting: an encounter, not a claim for payment): ClaimChain takes claims for payment only ("CH"); this transaction set is refused',
    ],
    [
      '31',
      'is "31" (subrogation demand): ClaimChain takes claims for payment from providers only ("CH"); this transaction set is refused',
    ],
    ['ZZ', 'must be "CH" (chargeable: a claim for payment); this transaction set is refused'],
  ])(
    'BHT06 %s: its claims are refused with that reason only; the other set is read',
    (purpose, message) => {
      const claims = claimsOf(withSecondSet(purpose));
      expect(
        claims.map((claim) => [claim.transactionSetControlNumber, claim.patientControlNumber]),
      ).toEqual([
        ['0021', '26463774'],
        ['0022', 'SECOND'],
      ]);
      expect('submission' in claims[0]!.entry).toBe(true);
      // The second set starts on line 41 (ISA, GS and the 38 segments of the first set before it).
      expect(claims[1]!.entry).toStrictEqual({
        problems: [
          {
            field: 'BHT06',
            segment: 'BHT',
            element: 'BHT06',
            loop: 'header',
            segmentPosition: 2,
            line: 42,
            message,
          },
        ],
      });
    },
  );
});

describe('every fault of a claim is named together', () => {
  it('a malformed charge no longer hides a dangling diagnosis pointer, nor a wrong CLM02', () => {
    const text = edited(commercial, (segments) => {
      replaceSegment('CLM*', 'CLM*26463774*101***11:B:1*Y*A*Y*I')(segments);
      replaceSegment('SV1*HC:99213', 'SV1*HC:99213*40.001*UN*1***1')(segments);
      replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15*UN*1***5')(segments);
    });
    expect(problemsOf(text).map((problem) => [problem.element, problem.message])).toEqual([
      ['SV102', 'must be a decimal string with at most 2 decimal places'],
      ['SV107-1', 'points at diagnosis 5 but the claim has 2'],
    ]);
    // With the charge mended, the total is checked again and named with the pointer.
    const mended = edited(text, replaceSegment('SV1*HC:99213', 'SV1*HC:99213*40*UN*1***1'));
    expect(problemsOf(mended).map((problem) => [problem.element, problem.message])).toEqual([
      ['SV107-1', 'points at diagnosis 5 but the claim has 2'],
      ['CLM02', 'must equal the sum of the line charges (100.00)'],
    ]);
  });
});

describe('service periods: DTP*472 RD8', () => {
  const withPeriod = (value: string) =>
    edited(commercial, replaceSegment('DTP*472*D8*20261010', `DTP*472*RD8*${value}`));

  it('a range of days becomes serviceDate and serviceDateTo; a range of one day is that day', () => {
    expect(submissionOf(withPeriod('20261010-20261012')).serviceLines[2]).toStrictEqual({
      procedureCode: '99214',
      modifiers: [],
      units: 1,
      chargeAmount: '35.00',
      serviceDate: '2026-10-10',
      serviceDateTo: '2026-10-12',
      diagnosisPointers: [2],
    });
    expect(submissionOf(withPeriod('20261010-20261010')).serviceLines[2]).not.toHaveProperty(
      'serviceDateTo',
    );
  });

  it('a range that ends before it starts, or is not a range, is named at DTP03', () => {
    const at = { field: 'DTP03', segment: 'DTP', element: 'DTP03', loop: '2400' };
    expect(problemsOf(withPeriod('20261012-20261010'))).toEqual([
      {
        ...at,
        segmentPosition: 34,
        line: 36,
        message: 'must not be before serviceDate (the first day of the period)',
      },
    ]);
    expect(problemsOf(withPeriod('20261010'))).toEqual([
      { ...at, segmentPosition: 34, line: 36, message: 'must be a date range CCYYMMDD-CCYYMMDD' },
    ]);
  });
});

describe('place of service: CLM05-1 and SV105', () => {
  it('the claim takes CLM05-1; a line with SV105 keeps its own', () => {
    const text = edited(commercial, replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15*UN*1*22**1'));
    const submission = submissionOf(text);
    expect(submission.placeOfServiceCode).toBe('11');
    expect(submission.serviceLines.map((line) => line.placeOfServiceCode)).toEqual([
      undefined,
      '22',
      undefined,
      undefined,
    ]);
  });

  it('a code that is not two digits is named at CLM05-1 or SV105', () => {
    const text = edited(commercial, (segments) => {
      replaceSegment('CLM*', 'CLM*26463774*100***1:B:1*Y*A*Y*I')(segments);
      replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15*UN*1*00**1')(segments);
    });
    const message = 'must be a two-digit CMS place of service code such as "11" (office)';
    expect(problemsOf(text)).toEqual([
      {
        field: 'CLM05-1',
        segment: 'CLM',
        element: 'CLM05-1',
        loop: '2300',
        segmentPosition: 23,
        line: 25,
        message,
      },
      {
        field: 'SV105',
        segment: 'SV1',
        element: 'SV105',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message,
      },
    ]);
  });
});

describe('line item control numbers: REF*6R', () => {
  it('is kept per line as sent, spaces inside included', () => {
    const text = edited(commercial, insertAfter('DTP*472*D8*20261003', 'REF*6R*LINE 0001'));
    const lines = submissionOf(text).serviceLines;
    expect(lines.map((line) => line.lineControlNumber)).toEqual([
      'LINE 0001',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('more than 50 characters, or twice in a line, is named', () => {
    const long = edited(commercial, insertAfter('DTP*472*D8*20261003', `REF*6R*${'X'.repeat(51)}`));
    expect(problemsOf(long)).toEqual([
      {
        field: 'REF02',
        segment: 'REF',
        element: 'REF02',
        loop: '2400',
        segmentPosition: 29,
        line: 31,
        message:
          'must be 1-50 printable characters, without leading or trailing spaces (837P REF*6R, 835 REF*6R)',
      },
    ]);
    const twice = edited(commercial, insertAfter('DTP*472*D8*20261003', 'REF*6R*A1', 'REF*6R*A2'));
    expect(problemsOf(twice)).toEqual([
      {
        field: 'REF',
        segment: 'REF',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message: 'REF appears more than once in loop 2400',
      },
    ]);
  });
});

describe('anesthesia minutes: SV103 MJ', () => {
  const anesthesia = (minutes: string) =>
    edited(commercial, replaceSegment('SV1*HC:87070', `SV1*HC:00400*15*MJ*${minutes}***1`));

  it('the quantity is minutes: unitType "minutes"', () => {
    expect(submissionOf(anesthesia('60')).serviceLines[1]).toStrictEqual({
      procedureCode: '00400',
      modifiers: [],
      units: 60,
      unitType: 'minutes',
      chargeAmount: '15.00',
      serviceDate: '2026-10-03',
      diagnosisPointers: [1],
    });
  });

  it('minutes are whole: a fraction is named at SV104', () => {
    expect(problemsOf(anesthesia('30.5'))).toEqual([
      {
        field: 'SV104',
        segment: 'SV1',
        element: 'SV104',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message: 'must be a whole number of minutes when unitType is "minutes"',
      },
    ]);
  });
});
