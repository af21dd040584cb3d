// 837P in: the samples built from the 005010X222A1 examples read into exactly the claims
// POST /v1/claims would take; each structural fault is named by segment, element, loop and place;
// a fault refuses its own claim only, unless it is in the envelope or the transaction header.
import { describe, expect, it } from 'vitest';
import {
  readProfessionalClaims,
  type ProfessionalClaimsReading,
  type ReadingContext,
  type X12ClaimReading,
  partyIdentifiersOf,
  readClaimLoops,
} from '../../../src/interop/x12/837p-in.js';
import type { X12Problem } from '../../../src/interop/x12/envelope-in.js';
import {
  edited,
  replaceSegment,
  sampleFile,
  sampleNpi,
  samplePayerId,
  withAnotherClaim,
} from './samples.js';

const commercial = sampleFile('commercial-health-insurance');
const context: ReadingContext = { providerNpi: sampleNpi, claimsMax: 1_000 };

function claimsOf(text: string, readingContext = context): X12ClaimReading[] {
  const reading = readProfessionalClaims(text, readingContext);
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading.claims;
}

function fileProblemsOf(text: string, readingContext = context): X12Problem[] {
  const reading: ProfessionalClaimsReading = readProfessionalClaims(text, readingContext);
  if (reading.status !== 'malformed') throw new Error('expected the file to be refused');
  return reading.problems;
}

/** The problems of the file's only (or `index`th) claim. */
function claimProblemsOf(text: string, index = 0, readingContext = context): X12Problem[] {
  const entry = claimsOf(text, readingContext)[index]!.entry;
  if (!('problems' in entry)) throw new Error('expected the claim to be rejected');
  return entry.problems;
}

function submissionOf(text: string, index = 0) {
  const entry = claimsOf(text)[index]!.entry;
  if ('problems' in entry) throw new Error(JSON.stringify(entry.problems));
  return entry.submission;
}

const line = (
  procedureCode: string,
  chargeAmount: string,
  serviceDate: string,
  diagnosisPointers: number[],
  more: { modifiers?: string[]; units?: number } = {},
) => ({
  procedureCode,
  modifiers: more.modifiers ?? [],
  units: more.units ?? 1,
  chargeAmount,
  serviceDate,
  diagnosisPointers,
});

describe('the published samples', () => {
  it('commercial health insurance: claim 26463774, four lines, the claim POST /v1/claims takes', () => {
    const [claim] = claimsOf(commercial);
    expect(claim).toMatchObject({
      transactionSetControlNumber: '0021',
      patientControlNumber: '26463774',
      segmentPosition: 23,
      line: 25,
    });
    expect(submissionOf(commercial)).toStrictEqual({
      payerId: samplePayerId,
      patientControlNumber: '26463774',
      frequencyCode: '1',
      placeOfServiceCode: '11',
      member: {
        memberId: 'JS00111223333',
        firstName: 'JOHN',
        lastName: 'SMITH',
        birthDate: '1943-05-01',
        gender: 'M',
      },
      diagnosisCodes: ['J020', 'Z1159'],
      serviceLines: [
        line('99213', '40.00', '2026-10-03', [1]),
        line('87070', '15.00', '2026-10-03', [1]),
        line('99214', '35.00', '2026-10-10', [2]),
        line('86663', '10.00', '2026-10-10', [2]),
      ],
      totalChargeAmount: '100.00',
    });
  });

  it('several service lines: modifiers, units, pointers, a one-day RD8; other loops passed over', () => {
    const reading = readProfessionalClaims(sampleFile('several-service-lines'), context);
    expect(reading).toMatchObject({ status: 'read', interchangeControlNumber: '000000017' });
    expect(submissionOf(sampleFile('several-service-lines'))).toStrictEqual({
      payerId: samplePayerId,
      patientControlNumber: 'SSL-7001',
      frequencyCode: '1',
      placeOfServiceCode: '11',
      member: {
        memberId: 'W123456789',
        firstName: 'JANE',
        lastName: 'DOE',
        birthDate: '1980-02-29',
        gender: 'F',
      },
      diagnosisCodes: ['E119', 'I10', 'M1711'],
      serviceLines: [
        {
          ...line('99214', '125.00', '2026-11-02', [1, 2], { modifiers: ['25'] }),
          lineControlNumber: 'L1',
        },
        line('36415', '12.50', '2026-11-02', [1]),
        line('80053', '48.50', '2026-11-02', [1, 3]),
        line('93000', '55.00', '2026-11-02', [2]),
        line('20610', '180.00', '2026-11-02', [3], { modifiers: ['RT'] }),
        line('J1030', '18.75', '2026-11-02', [3], { units: 2 }),
        line('97110', '90.00', '2026-11-02', [3], { modifiers: ['GP', '59'], units: 3 }),
      ],
      totalChargeAmount: '529.75',
    });
  });

  it('the example as published, the patient a dependant (2000C): the patient read from 2010CA', () => {
    const asPublished = edited(commercial, (segments) => {
      replaceSegment('HL*2*', 'HL*2*1*22*1')(segments);
      replaceSegment('SBR*', 'SBR*P**2222-SJ******CI')(segments);
      const clm = segments.findIndex((segment) => segment.startsWith('CLM*'));
      segments.splice(clm, 0, 'HL*3*2*23*0', 'PAT*19', 'NM1*QC*1*SMITH*TED', 'DMG*D8*19730501*M');
    });
    expect(submissionOf(asPublished).patient).toEqual({
      firstName: 'TED',
      lastName: 'SMITH',
      birthDate: '1973-05-01',
      gender: 'M',
      relationshipCode: '19',
    });
  });
});

describe('each structural fault of a claim is named, and refuses that claim only', () => {
  it('a segment outside its loop', () => {
    const problems = claimProblemsOf(
      edited(commercial, (segments) => {
        const lx = segments.indexOf('LX*1');
        const [sv1] = segments.splice(lx + 1, 1);
        segments.splice(lx, 0, sv1!, 'DMG*D8*19430501*M');
      }),
    );
    expect(problems).toEqual([
      {
        field: 'SV1',
        segment: 'SV1',
        loop: '2300',
        segmentPosition: 26,
        line: 28,
        message: 'SV1 is not a segment of loop 2300',
      },
      {
        field: 'DMG',
        segment: 'DMG',
        loop: '2300',
        segmentPosition: 27,
        line: 29,
        message: 'DMG is not a segment of loop 2300',
      },
      {
        field: 'SV1',
        segment: 'SV1',
        loop: '2400',
        segmentPosition: 28,
        line: 30,
        message: 'SV1 (professional service) is required in loop 2400',
      },
    ]);
  });

  it('CLM without its required elements', () => {
    const problems = claimProblemsOf(
      edited(commercial, replaceSegment('CLM*', 'CLM*26463774*100***11:B*Y**Y*I')),
    );
    expect(
      problems.map(({ field, loop, segmentPosition, message }) => ({
        field,
        loop,
        segmentPosition,
        message,
      })),
    ).toEqual([
      {
        field: 'CLM07',
        loop: '2300',
        segmentPosition: 23,
        message: 'is required: the assignment or plan participation code (A, B or C)',
      },
      { field: 'CLM05-3', loop: '2300', segmentPosition: 23, message: 'is required' },
    ]);
  });

  it('SV1 with a bad composite: no qualifier, or another qualifier', () => {
    const noComposite = claimProblemsOf(
      edited(commercial, replaceSegment('SV1*HC:87070', 'SV1*87070*15*UN*1***1')),
    );
    expect(noComposite).toEqual([
      {
        field: 'SV101',
        segment: 'SV1',
        element: 'SV101',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message:
          'must be a composite: "HC", the procedure code and up to 4 modifiers, such as HC:99213:25',
      },
    ]);
    const otherQualifier = claimProblemsOf(
      edited(commercial, replaceSegment('SV1*HC:87070', 'SV1*WK:87070*15*UN*1***1')),
    );
    expect(otherQualifier).toMatchObject([
      { field: 'SV101-1', message: 'must be "HC": only CPT and HCPCS procedure codes are taken' },
    ]);
  });

  it('a service line without DTP*472', () => {
    const problems = claimProblemsOf(edited(commercial, replaceSegment('DTP*472*D8*20261010')));
    expect(problems).toEqual([
      {
        field: 'DTP',
        segment: 'DTP',
        loop: '2400',
        segmentPosition: 32,
        line: 34,
        message: 'DTP*472 (date of service) is required in loop 2400',
      },
    ]);
  });

  it('an unknown HL hierarchy: a level code, a parent that is not there, numbering', () => {
    const unknownLevel = claimProblemsOf(
      edited(commercial, replaceSegment('HL*2*', 'HL*2*1*99*0')),
    );
    expect(unknownLevel[0]).toEqual({
      field: 'HL03',
      segment: 'HL',
      element: 'HL03',
      loop: '2000',
      segmentPosition: 15,
      line: 17,
      message: 'is "99": an 837P level is 20 (billing provider), 22 (subscriber) or 23 (patient)',
    });
    const noParent = claimProblemsOf(edited(commercial, replaceSegment('HL*2*', 'HL*2*7*22*0')));
    expect(noParent).toEqual([
      {
        field: 'HL02',
        segment: 'HL',
        element: 'HL02',
        loop: '2000B',
        segmentPosition: 15,
        line: 17,
        message: 'must name the HL01 of an earlier billing provider (HL03 "20")',
      },
    ]);
    const numbering = claimProblemsOf(edited(commercial, replaceSegment('HL*2*', 'HL*5*1*22*0')));
    expect(numbering).toMatchObject([
      { field: 'HL01', message: 'must number the HL segments 1, 2, 3… in order; expected 2' },
    ]);
  });

  it('problems the claim schema finds are named at the element they came from', () => {
    const problems = claimProblemsOf(
      edited(commercial, (segments) => {
        replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15.005*UN*1***1')(segments);
        replaceSegment('DMG*', 'DMG*D8*19430231*M')(segments);
      }),
    );
    expect(problems).toEqual([
      {
        field: 'DMG02',
        segment: 'DMG',
        element: 'DMG02',
        loop: '2010BA',
        segmentPosition: 20,
        line: 22,
        message: 'is not a real calendar date',
      },
      {
        field: 'SV102',
        segment: 'SV1',
        element: 'SV102',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message: 'must be a decimal string with at most 2 decimal places',
      },
    ]);
    // The claim-wide checks (pointers, total) run once every field is well-formed.
    const pointer = claimProblemsOf(
      edited(commercial, replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15*UN*1***1:5')),
    );
    expect(pointer).toEqual([
      {
        field: 'SV107-2',
        segment: 'SV1',
        element: 'SV107-2',
        loop: '2400',
        segmentPosition: 30,
        line: 32,
        message: 'points at diagnosis 5 but the claim has 2',
      },
    ]);
    const total = claimProblemsOf(
      edited(commercial, replaceSegment('CLM*', 'CLM*26463774*110***11:B:1*Y*A*Y*I')),
    );
    expect(total).toMatchObject([
      {
        field: 'CLM02',
        segment: 'CLM',
        loop: '2300',
        message: 'must equal the sum of the line charges (100.00)',
      },
    ]);
  });

  it('a billing provider NPI other than the organization’s, or not an NPI', () => {
    const other = edited(
      commercial,
      replaceSegment('NM1*85*', 'NM1*85*2*BEN KILDARE SERVICE*****XX*9876543213'),
    );
    expect(claimProblemsOf(other)).toEqual([
      {
        field: 'NM109',
        segment: 'NM1',
        element: 'NM109',
        loop: '2010AA',
        segmentPosition: 8,
        line: 10,
        message:
          'is NPI 9876543213; the billing provider must be the organization submitting the file (NPI 1234567893)',
      },
    ]);
    const noNpiOnFile = { ...context, providerNpi: null };
    expect(claimsOf(other, noNpiOnFile)[0]!.entry).toHaveProperty('submission');
    const bad = edited(
      commercial,
      replaceSegment('NM1*85*', 'NM1*85*2*BEN KILDARE SERVICE*****XX*1234567890'),
    );
    expect(claimProblemsOf(bad, 0, noNpiOnFile)).toMatchObject([
      {
        field: 'NM109',
        loop: '2010AA',
        message: 'must be a 10-digit NPI with a valid check digit',
      },
    ]);
  });

  it('payer: NM109 of 2010BB is a payer id (NM108 PI) or a ClaimChain id; locate() names it for later problems', () => {
    const byPayerId = edited(
      commercial,
      replaceSegment('NM1*PR*', 'NM1*PR*2*KEY INSURANCE COMPANY*****PI*999996666'),
    );
    expect(claimProblemsOf(byPayerId)).toMatchObject([
      {
        field: 'NM109',
        loop: '2010BB',
        segmentPosition: 21,
        message: 'no payer organization has payer id "999996666"',
      },
    ]);
    const payerOrgId = '22222222-2222-4222-8222-222222222222';
    const known = { ...context, payersByPayerId: new Map([['999996666', payerOrgId]]) };
    const [resolved] = claimsOf(byPayerId, known);
    expect(resolved!.entry).toMatchObject({ submission: { payerId: payerOrgId } });
    const planId = edited(
      commercial,
      replaceSegment('NM1*PR*', 'NM1*PR*2*KEY INSURANCE COMPANY*****XV*999996666'),
    );
    expect(claimProblemsOf(planId, 0, known)).toMatchObject([
      {
        field: 'NM109',
        loop: '2010BB',
        message:
          'must be the payer\'s payer id (with NM108 "PI") or its ClaimChain id (a UUID, as GET /v1/organizations?kind=payer lists)',
      },
    ]);
    const [claim] = claimsOf(commercial);
    expect(claim!.locate('payerId', 'no payer organization has this id')).toEqual({
      field: 'NM109',
      segment: 'NM1',
      element: 'NM109',
      loop: '2010BB',
      segmentPosition: 21,
      line: 23,
      message: 'no payer organization has this id',
    });
    expect(claim!.locate('originalClaimId', 'x')).toMatchObject({ field: 'REF', loop: '2300' });
  });

  it('replacements and voids: REF*F8 carries the original claim id', () => {
    const originalId = '55555555-5555-4555-8555-555555555555';
    const replacement = edited(commercial, (segments) => {
      replaceSegment('CLM*', 'CLM*26463774*100***11:B:7*Y*A*Y*I')(segments);
      segments.splice(segments.indexOf('REF*D9*17312345600006351') + 1, 0, `REF*F8*${originalId}`);
    });
    expect(submissionOf(replacement)).toMatchObject({
      frequencyCode: '7',
      originalClaimId: originalId,
    });
    const voidWithout = edited(
      commercial,
      replaceSegment('CLM*', 'CLM*26463774*100***11:B:8*Y*A*Y*I'),
    );
    expect(claimProblemsOf(voidWithout)).toMatchObject([
      {
        field: 'REF',
        loop: '2300',
        message:
          'REF*F8 (payer claim control number: the ClaimChain id of the claim replaced or voided) is required when CLM05-3 is "7" or "8"',
      },
    ]);
  });

  it('what our claims cannot be: secondary claims without the primary’s adjudication, ICD-9 codes, units other than UN and MJ', () => {
    const fields = (text: string) =>
      claimProblemsOf(text).map((problem) => `${problem.field}: ${problem.message}`);
    expect(fields(edited(commercial, replaceSegment('SBR*', 'SBR*S*18*2222-SJ******CI')))).toEqual([
      'SBR01: must name the primary payer ("P"), each once, with its adjudication',
    ]);
    expect(fields(edited(commercial, replaceSegment('HI*', 'HI*BK:0340*BF:V7389')))).toEqual([
      'HI01-1: is "BK" (ICD-9-CM): send ICD-10-CM codes ("ABK")',
      'HI02-1: is "BF" (ICD-9-CM): send ICD-10-CM codes ("ABF")',
    ]);
    expect(
      fields(edited(commercial, replaceSegment('SV1*HC:87070', 'SV1*HC:87070*15*F2*30***1'))),
    ).toEqual(['SV103: must be "UN" (units) or "MJ" (minutes)']);
  });

  it('one bad claim of several leaves the others accepted', () => {
    const text = withAnotherClaim(commercial, 'SECOND-1', (segments) => {
      const index = segments.findIndex((segment) => segment.startsWith('SV1*HC:99214'));
      segments[index] = 'SV1*HC:9921*35*UN*1***2';
    });
    const claims = claimsOf(withAnotherClaim(text, 'THIRD-1'));
    expect(
      claims.map((claim) => [claim.patientControlNumber, 'submission' in claim.entry]),
    ).toEqual([
      ['26463774', true],
      ['SECOND-1', false],
      ['THIRD-1', true],
    ]);
    expect(claims[1]!.entry).toMatchObject({
      problems: [
        {
          field: 'SV101-2',
          loop: '2400',
          segmentPosition: 56,
          line: 58,
          message: 'must be a CPT or HCPCS code such as "99213" or "J1885"',
        },
      ],
    });
  });

  it('messages never repeat the member’s name, id or birth date', () => {
    const faults = [
      replaceSegment('DMG*', 'DMG*D8*19430501*X'),
      replaceSegment('NM1*IL*', 'NM1*IL*1*SMITH*JOHN****ZZ*JS00111223333'),
      replaceSegment('NM1*IL*', 'NM1*IL*1*SMITH*****MI*JS 00111223333'),
      replaceSegment('DMG*', 'DMG*D8*29430501*M'),
    ];
    for (const fault of faults) {
      const text = JSON.stringify(claimProblemsOf(edited(commercial, fault)));
      for (const phi of ['SMITH', 'JOHN', 'JS00111223333', '19430501', '1943-05-01', '2943']) {
        expect(text).not.toContain(phi);
      }
    }
  });
});

describe('faults that refuse the whole file', () => {
  it('a transaction header that lacks its submitter', () => {
    const noSubmitter = edited(commercial, (segments) => {
      replaceSegment('NM1*41*')(segments);
      replaceSegment('PER*')(segments);
    });
    expect(fileProblemsOf(noSubmitter)).toMatchObject([
      { field: 'BHT', message: 'NM1*41 (submitter name (1000A)) is required after BHT' },
    ]);
  });

  it('a file without claims, or with more than the limit', () => {
    const noClaims = edited(commercial, (segments) => {
      const clm = segments.findIndex((segment) => segment.startsWith('CLM*'));
      segments.splice(clm, segments.length - clm - 3);
    });
    expect(fileProblemsOf(noClaims)).toEqual([
      { field: 'CLM', segment: 'CLM', message: 'the file holds no claim (CLM)' },
    ]);
    expect(
      fileProblemsOf(withAnotherClaim(commercial, 'SECOND-1'), { ...context, claimsMax: 1 }),
    ).toEqual([
      { field: 'CLM', segment: 'CLM', message: 'the file holds 2 claims; at most 1 per file' },
    ]);
  });
});

describe('trading partners: who sent the file and for whom', () => {
  const otherNpi = '1245319599';
  // The sample's claim once more, under a second billing provider (HL 3) as subscriber HL 4.
  const twoProviders = withAnotherClaim(commercial, 'SECOND-2', (segments) => {
    segments.splice(
      0,
      1,
      'HL*3**20*1',
      `NM1*85*2*SECOND PRACTICE*****XX*${otherNpi}`,
      'N3*1 MAIN ST',
      'N4*MIAMI*FL*33111',
      'HL*4*3*22*0',
    );
  });

  it('lists the payer ids and billing provider NPIs the claims name, once each', () => {
    const file = edited(
      commercial,
      replaceSegment('NM1*PR*', 'NM1*PR*2*ACME HEALTH PLAN*****PI*60054'),
    );
    const loops = readClaimLoops(withAnotherClaim(file, 'SECOND-2'), 10);
    if (loops.status !== 'read') throw new Error('expected the file to be read');
    expect(partyIdentifiersOf(loops.claims)).toEqual({
      payerIds: ['60054'],
      billingProviderNpis: [sampleNpi],
    });
    const uuidLoops = readClaimLoops(commercial, 10);
    if (uuidLoops.status !== 'read') throw new Error('expected the file to be read');
    expect(partyIdentifiersOf(uuidLoops.claims).payerIds).toEqual([]);
  });

  it("a clearinghouse's file: each claim is its billing provider's, when that provider authorized it", () => {
    const providerA = '33333333-3333-4333-8333-333333333333';
    const clearinghouse: ReadingContext = {
      providerNpi: null,
      claimsMax: 10,
      authorizedProviders: new Map([[sampleNpi, providerA]]),
    };
    const [first, second] = claimsOf(twoProviders, clearinghouse);
    expect(first!.providerOrgId).toBe(providerA);
    expect(first!.entry).toHaveProperty('submission');
    expect(second!.providerOrgId).toBeUndefined();
    expect(second!.entry).toMatchObject({
      problems: [
        {
          field: 'NM109',
          loop: '2010AA',
          message: `is NPI ${otherNpi}: no provider with this NPI has authorized the submitting clearinghouse`,
        },
      ],
    });
  });

  it('ISA05/ISA06 must be the registered sender; none registered: any sender', () => {
    const registered = { qualifier: 'ZZ' as const, id: 'SUBMITTERS.ID' };
    expect(claimsOf(commercial, { ...context, sender: registered })).toHaveLength(1);
    expect(
      fileProblemsOf(commercial, { ...context, sender: { ...registered, id: 'OTHER' } }),
    ).toEqual([
      {
        field: 'ISA06',
        segment: 'ISA',
        element: 'ISA06',
        line: 1,
        message:
          'is "SUBMITTERS.ID"; the submitting organization sends as ISA05 "ZZ", ISA06 "OTHER"',
      },
    ]);
    expect(
      fileProblemsOf(commercial, { ...context, sender: { ...registered, qualifier: '30' } }),
    ).toMatchObject([
      {
        element: 'ISA05',
        message: 'is "ZZ"; the submitting organization sends as ISA05 "30", ISA06 "SUBMITTERS.ID"',
      },
    ]);
  });
});
