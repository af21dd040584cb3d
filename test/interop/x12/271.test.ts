// The 271 writer, checked against text worked out by hand from the guide (005010X279A1), and
// read back by node-x12, an independent parser.
import { X12Parser } from 'node-x12';
import { describe, expect, it } from 'vitest';
import {
  eligibilityAnswerOf,
  notCoveredAnswer,
} from '../../../src/domain/inquiries/eligibility.js';
import { write271, type Transaction271 } from '../../../src/interop/x12/271.js';

const payerId = '6f1c1a52-2c55-4b8e-9a43-0c1f8a6d2b11';

/** Deductible 500.00 with 200.00 met; out-of-pocket maximum 3000.00 with 450.00 met. */
const covered = eligibilityAnswerOf(
  { payerId, date: '2026-06-15', procedureCodes: ['99213', '97110', '27447', '99499'] },
  {
    memberRowId: 'row-1',
    notFound: null,
    coverage: {
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-12-31',
      plan: {
        planId: 'plan-1',
        code: 'GOLD-2026',
        name: 'Gold PPO',
        deductibleAmount: '500.00',
        outOfPocketMaxAmount: '3000.00',
        copayAmount: '25.00',
        coinsurancePercent: '20',
        planYearStartMonth: 1,
        familyDeductibleAmount: null,
        familyOutOfPocketMaxAmount: null,
      },
    },
    planYear: '2026',
    accumulators: { deductibleMetAmount: '200.00', outOfPocketMetAmount: '450.00' },
    familyAccumulators: { deductibleMetAmount: '700.00', outOfPocketMetAmount: '900.00' },
    procedures: [
      { procedureCode: '99213', allowedAmount: '100.00', covered: true, priorAuthRequired: false },
      { procedureCode: '97110', allowedAmount: '40.00', covered: false, priorAuthRequired: false },
      { procedureCode: '27447', allowedAmount: '1450.00', covered: true, priorAuthRequired: true },
    ],
    authorizations: [],
  },
  true,
);

const transaction: Transaction271 = {
  reference: '10001234',
  sources: [
    {
      name: ['PR', '2', 'ABC COMPANY', '', '', '', '', 'PI', payerId],
      payerKnown: true,
      receivers: [
        {
          name: ['1P', '2', 'BONE AND JOINT CLINIC', '', '', '', '', 'SV', '2000035'],
          subscribers: [
            {
              traces: [['1', '93175-012547', '9877281234']],
              name: ['IL', '1', 'SMITH', 'ROBERT', '', '', '', 'MI', 'W100200300'],
              outcome: { kind: 'answered', answer: covered },
              dependents: [],
            },
            {
              traces: [['1', '93175-012548', '9877281234']],
              name: ['IL', '1', 'DOE', 'JANE', '', '', '', 'MI', 'W999'],
              outcome: { kind: 'rejected', reason: 'subscriber_not_found' },
              dependents: [],
            },
            {
              traces: [['1', '93175-012549', '9877281234']],
              name: ['IL', '1', 'ROE', 'RICHARD', '', '', '', 'MI', 'W555'],
              outcome: {
                kind: 'answered',
                answer: notCoveredAnswer(payerId, '2026-06-15', 'no_coverage_on_date'),
              },
              dependents: [],
            },
          ],
        },
      ],
    },
  ],
};

const interchange = {
  senderQualifier: 'ZZ',
  senderId: '123456789012346',
  receiverQualifier: 'ZZ',
  receiverId: '123456789012345',
  applicationSenderId: '1234567890',
  applicationReceiverId: '0987654321',
  controlNumber: 7,
  usageIndicator: 'T' as const,
  preparedAt: new Date('2026-06-15T13:19:42.000Z'),
};

const expected271 = [
  'ISA*00*          *00*          *ZZ*123456789012346*ZZ*123456789012345*260615*1319*^*00501*000000007*0*T*:~',
  'GS*HB*1234567890*0987654321*20260615*1319*7*X*005010X279A1~',
  'ST*271*0001*005010X279A1~',
  'BHT*0022*11*10001234*20260615*1319~',
  'HL*1**20*1~',
  `NM1*PR*2*ABC COMPANY*****PI*${payerId}~`,
  'HL*2*1*21*1~',
  'NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035~',
  'HL*3*2*22*0~',
  'TRN*2*93175-012547*9877281234~',
  'NM1*IL*1*SMITH*ROBERT****MI*W100200300~',
  'DTP*356*D8*20260101~',
  'DTP*357*D8*20261231~',
  'EB*1**30**Gold PPO~',
  'REF*18*GOLD-2026~',
  'EB*C*IND*30***23*500~',
  'EB*C*IND*30***29*300~',
  'EB*G*IND*30***23*3000~',
  'EB*G*IND*30***29*2550~',
  'EB*B*IND*30***27*25~',
  'EB*A*IND*30*****0.2~',
  'EB*1*IND*********N**HC:99213~',
  'EB*I*IND*********N**HC:97110~',
  'EB*1*IND*********Y**HC:27447~',
  'HL*4*2*22*0~',
  'TRN*2*93175-012548*9877281234~',
  'NM1*IL*1*DOE*JANE****MI*W999~',
  'AAA*N**75*C~',
  'HL*5*2*22*0~',
  'TRN*2*93175-012549*9877281234~',
  'NM1*IL*1*ROE*RICHARD****MI*W555~',
  'EB*6**30~',
  'SE*31*0001~',
  'GE*1*7~',
  'IEA*1*000000007~',
  '',
].join('\n');

describe('write271', () => {
  it('writes the hand-worked 271: benefits, remaining amounts, AAA and inactive', () => {
    expect(write271(interchange, [transaction])).toBe(expected271);
  });

  it('is read back by node-x12 with its counts and control numbers checked', () => {
    const parsed = new X12Parser(true).parse(write271(interchange, [transaction]));
    if (!('functionalGroups' in parsed)) throw new Error('one interchange expected');
    const set = parsed.functionalGroups[0]!.transactions[0]!;
    const eb = set.segments
      .filter((segment) => segment.tag === 'EB')
      .map((segment) => segment.elements.map((element) => element.value).join('*'));
    expect(eb.slice(1, 5)).toEqual([
      'C*IND*30***23*500',
      'C*IND*30***29*300',
      'G*IND*30***23*3000',
      'G*IND*30***29*2550',
    ]);
    expect(set.segments.length + 2).toBe(31);
  });

  it('writes 22 (service year) as the period of a plan year not starting in January', () => {
    const july = {
      ...covered,
      planYear: { start: '2026-07-01', end: '2027-06-30' },
      procedures: [],
    };
    const text = write271(interchange, [
      {
        ...transaction,
        sources: [
          {
            ...transaction.sources[0]!,
            receivers: [
              {
                ...transaction.sources[0]!.receivers[0]!,
                subscribers: [
                  {
                    ...transaction.sources[0]!.receivers[0]!.subscribers[0]!,
                    outcome: { kind: 'answered', answer: july },
                  },
                ],
              },
            ],
          },
        ],
      },
    ]);
    expect(text).toContain('EB*C*IND*30***22*500~');
    expect(text).toContain('EB*G*IND*30***22*3000~');
  });
});

/**
 * A child under its subscriber (2000D), plan deductible 500 each and 1000 per family,
 * out-of-pocket 2000 and 2500. The child has met nothing; the family 900 and 920 (the
 * subscriber 500 and 520, the spouse 400 and 400). Remaining: the child's own 500 and 2000, the
 * family's 1000 − 900 = 100 and 2500 − 920 = 1580.
 */
const child = eligibilityAnswerOf(
  { payerId, date: '2026-06-15', procedureCodes: [] },
  {
    memberRowId: 'row-child',
    notFound: null,
    coverage: {
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
      plan: {
        planId: 'plan-2',
        code: 'FAMILY-1',
        name: 'Family PPO',
        deductibleAmount: '500.00',
        outOfPocketMaxAmount: '2000.00',
        copayAmount: '0.00',
        coinsurancePercent: '20',
        planYearStartMonth: 1,
        familyDeductibleAmount: '1000.00',
        familyOutOfPocketMaxAmount: '2500.00',
      },
    },
    planYear: '2026',
    accumulators: { deductibleMetAmount: '0.00', outOfPocketMetAmount: '0.00' },
    familyAccumulators: { deductibleMetAmount: '900.00', outOfPocketMetAmount: '920.00' },
    procedures: [],
    authorizations: [],
  },
  true,
);

const dependentTransaction: Transaction271 = {
  reference: '10001235',
  sources: [
    {
      name: ['PR', '2', 'ABC COMPANY', '', '', '', '', 'PI', payerId],
      payerKnown: true,
      receivers: [
        {
          name: ['1P', '1', 'JONES', 'MARCUS', '', '', '', 'SV', '0202034'],
          subscribers: [
            {
              traces: [],
              name: ['IL', '1', '', '', '', '', '', 'MI', 'FAM100'],
              outcome: { kind: 'named' },
              dependents: [
                {
                  traces: [['1', '93175-012547', '9877281234']],
                  name: ['03', '1', 'SMITH', 'TED'],
                  outcome: { kind: 'answered', answer: child },
                },
                {
                  traces: [['1', '93175-012548', '9877281234']],
                  name: ['03', '1', 'SMITH', 'NOBODY'],
                  outcome: { kind: 'rejected', reason: 'patient_not_found' },
                },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe('write271 for dependents and families', () => {
  it('answers each dependent in 2000D with its own (IND) and its family’s (FAM) figures', () => {
    const text = write271(interchange, [dependentTransaction]);
    const body = text.split('~\n');
    expect(body.slice(body.indexOf('HL*3*2*22*1'), body.indexOf('SE*29*0001'))).toEqual([
      'HL*3*2*22*1',
      'NM1*IL*1******MI*FAM100',
      'HL*4*3*23*0',
      'TRN*2*93175-012547*9877281234',
      'NM1*03*1*SMITH*TED',
      'DTP*356*D8*20260101',
      'EB*1**30**Family PPO',
      'REF*18*FAMILY-1',
      'EB*C*IND*30***23*500',
      'EB*C*IND*30***29*500',
      'EB*C*FAM*30***23*1000',
      'EB*C*FAM*30***29*100',
      'EB*G*IND*30***23*2000',
      'EB*G*IND*30***29*2000',
      'EB*G*FAM*30***23*2500',
      'EB*G*FAM*30***29*1580',
      'EB*B*IND*30***27*0',
      'EB*A*IND*30*****0.2',
      'HL*5*3*23*0',
      'TRN*2*93175-012548*9877281234',
      'NM1*03*1*SMITH*NOBODY',
      'AAA*N**67*C',
    ]);
    const parsed = new X12Parser(true).parse(text);
    if (!('functionalGroups' in parsed)) throw new Error('one interchange expected');
    const segments = parsed.functionalGroups[0]!.transactions[0]!.segments;
    const fam = segments
      .filter((segment) => segment.tag === 'EB' && segment.elements[1]?.value === 'FAM')
      .map((segment) => segment.elements.map((element) => element.value).join('*'));
    expect(fam).toEqual([
      'C*FAM*30***23*1000',
      'C*FAM*30***29*100',
      'G*FAM*30***23*2500',
      'G*FAM*30***29*1580',
    ]);
    // ST to SE: the 22 segments above, plus ST, BHT, the payer's and the receiver's HL and NM1,
    // and SE (node-x12 leaves ST and SE out of the segments).
    expect(segments.length + 2).toBe(29);
  });

  it('writes no FAM segment for a plan with individual limits only', () => {
    expect(covered.benefits!.family).toBeNull();
    expect(write271(interchange, [transaction])).not.toContain('*FAM*');
  });
});
