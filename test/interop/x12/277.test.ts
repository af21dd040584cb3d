// The 277 writer, checked against text worked out by hand from the guide (005010X212) and read
// back by node-x12, an independent parser; and the mapping of our answers to STC status codes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClaimStatusAnswer } from '../../../src/domain/inquiries/claim-status-service.js';
import { categoryOf } from '../../../src/domain/claims/status.js';
import { read276 } from '../../../src/interop/x12/276-in.js';
import { write277, type Transaction277 } from '../../../src/interop/x12/277.js';
import { answersOf276, questionsOf276 } from '../../../src/interop/x12/claim-status-exchange.js';
import { parseAcknowledgment } from '../../support/x12.js';

const paidClaimId = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';
const pendedClaimId = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9';

const transaction: Transaction277 = {
  reference: 'ABC276XXX',
  sources: [
    {
      name: ['PR', '2', 'ABC INSURANCE', '', '', '', '', 'PI', '12345'],
      receivers: [
        {
          name: ['41', '2', 'XYZ SERVICE', '', '', '', '', '46', 'X67E'],
          providers: [
            {
              name: ['1P', '2', 'HOME HOSPITAL', '', '', '', '', 'XX', '1666666661'],
              subscribers: [
                {
                  name: ['IL', '1', 'SMITH', 'FRED', '', '', '', 'MI', '123456789A'],
                  claims: [
                    {
                      trace: ['1', 'ABCXYZ1'],
                      categoryCode: 'F1',
                      statusCode: '65',
                      effectiveDate: '2026-06-12',
                      totalChargeAmount: '173.50',
                      paidAmount: '92.00',
                      adjudicatedDate: '2026-06-03',
                      payment: { date: '2026-06-12', traceNumber: 'EFT-0042' },
                      claimId: paidClaimId,
                      patientControlNumber: 'SM123456',
                      serviceDates: { from: '2026-06-01', to: '2026-06-02' },
                    },
                    {
                      trace: ['1', 'ABCXYZ2'],
                      categoryCode: 'A4',
                      statusCode: '35',
                      effectiveDate: '2026-06-15',
                      totalChargeAmount: null,
                      paidAmount: null,
                      adjudicatedDate: null,
                      payment: null,
                      claimId: null,
                      patientControlNumber: 'JO234567',
                      serviceDates: { from: '2026-06-01', to: '2026-06-01' },
                    },
                  ],
                  dependents: [
                    {
                      name: ['QC', '1', 'MANN', 'JOSEPH'],
                      claims: [
                        {
                          trace: ['1', 'ABCXYZ3'],
                          categoryCode: 'P2',
                          statusCode: '20',
                          effectiveDate: '2026-06-10',
                          totalChargeAmount: '150.00',
                          paidAmount: null,
                          adjudicatedDate: null,
                          payment: null,
                          claimId: pendedClaimId,
                          patientControlNumber: 'MA345678',
                          serviceDates: { from: '2026-05-01', to: '2026-05-01' },
                        },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  ],
};

const envelope = {
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

const expected277 = [
  'ISA*00*          *00*          *ZZ*123456789012346*ZZ*123456789012345*260615*1319*^*00501*000000007*0*T*:~',
  'GS*HN*1234567890*0987654321*20260615*1319*7*X*005010X212~',
  'ST*277*0001*005010X212~',
  'BHT*0010*08*ABC276XXX*20260615*1319*DG~',
  'HL*1**20*1~',
  'NM1*PR*2*ABC INSURANCE*****PI*12345~',
  'HL*2*1*21*1~',
  'NM1*41*2*XYZ SERVICE*****46*X67E~',
  'HL*3*2*19*1~',
  'NM1*1P*2*HOME HOSPITAL*****XX*1666666661~',
  'HL*4*3*22*1~',
  'NM1*IL*1*SMITH*FRED****MI*123456789A~',
  'TRN*2*ABCXYZ1~',
  'STC*F1:65*20260612**173.5*92*20260603**20260612*EFT-0042~',
  `REF*1K*${paidClaimId}~`,
  'REF*EJ*SM123456~',
  'DTP*472*RD8*20260601-20260602~',
  'TRN*2*ABCXYZ2~',
  'STC*A4:35*20260615~',
  'REF*EJ*JO234567~',
  'DTP*472*D8*20260601~',
  'HL*5*4*23~',
  'NM1*QC*1*MANN*JOSEPH~',
  'TRN*2*ABCXYZ3~',
  'STC*P2:20*20260610**150~',
  `REF*1K*${pendedClaimId}~`,
  'REF*EJ*MA345678~',
  'DTP*472*D8*20260501~',
  'SE*27*0001~',
  'GE*1*7~',
  'IEA*1*000000007~',
];

describe('write277', () => {
  it('writes the hand-worked 277, which node-x12 reads back', () => {
    const text = write277(envelope, [transaction]);
    expect(text).toBe(`${expected277.join('\n')}\n`);
    const parsed = parseAcknowledgment(text);
    expect(parsed.isa13).toBe('000000007');
    const [set] = parsed.groups[0]!.sets;
    expect(parsed.groups[0]!.gs.slice(1, 2)).toEqual(['HN']);
    expect(set!.filter((segment) => segment[0] === 'STC')).toEqual([
      ['STC', 'F1:65', '20260612', '', '173.5', '92', '20260603', '', '20260612', 'EFT-0042'],
      ['STC', 'A4:35', '20260615'],
      ['STC', 'P2:20', '20260610', '', '150'],
    ]);
    expect(set!.at(-1)).toEqual(['SE', '27', '0001']);
  });
});

describe('answersOf276', () => {
  const guide = read276(
    readFileSync(new URL('../../fixtures/x12/276-claim-request.x12', import.meta.url), 'utf8'),
  );
  if (guide.status !== 'read') throw new Error('the guide’s 276 must read');
  const claim = (
    overrides: Partial<ClaimStatusAnswer['claims'][number]>,
  ): ClaimStatusAnswer['claims'][number] => ({
    claimId: paidClaimId,
    status: 'paid',
    category: categoryOf('F1'),
    frequencyCode: '1',
    submittedAt: '2026-06-01T10:00:00.000Z',
    serviceDates: { from: '2026-06-01', to: '2026-06-01' },
    totalChargeAmount: '173.50',
    decidedAt: '2026-06-02T08:00:00.000Z',
    paidAmount: '92.00',
    patientResponsibilityAmount: '81.50',
    payment: null,
    ...overrides,
  });
  const answer = (claims: ClaimStatusAnswer['claims']): ClaimStatusAnswer => ({
    payerId: '12345',
    patientControlNumber: 'X',
    found: claims.length > 0,
    category: claims.length > 0 ? null : categoryOf('A4'),
    claims,
    ledgerEventId: 'event',
  });

  it('asks one question per tracking loop, in the file’s order', () => {
    expect(questionsOf276(guide.transactions)).toEqual([
      {
        payerId: '12345',
        patientControlNumber: 'SM123456',
        serviceDates: { from: '2005-08-31', to: '2005-09-06' },
        totalChargeAmount: '8513.88',
      },
      {
        payerId: '12345',
        patientControlNumber: 'JO234567',
        serviceDates: { from: '2005-07-31', to: '2005-08-09' },
        totalChargeAmount: '7599',
      },
      {
        payerId: '12345',
        patientControlNumber: 'MA345678',
        serviceDates: null,
        totalChargeAmount: null,
      },
    ]);
  });

  it('maps paid (confirmed or not), denied, pended and not found to their status codes', () => {
    const confirmed = {
      batchId: 'b',
      amount: '92.00',
      batchStatus: 'confirmed',
      traceNumber: 'EFT-0042',
      paidDate: '2026-06-12',
    };
    const [content] = answersOf276(
      guide.transactions,
      [
        answer([
          claim({ status: 'settled', payment: confirmed }),
          claim({
            payment: { ...confirmed, batchStatus: 'issued', traceNumber: null, paidDate: null },
          }),
        ]),
        answer([claim({ status: 'denied', category: categoryOf('F2'), paidAmount: '0.00' })]),
        answer([]),
      ],
      '2026-06-15',
    );
    const provider = content!.sources[0]!.receivers[0]!.providers;
    const stcOf = (status: (typeof provider)[number]['subscribers'][number]['claims'][number]) => [
      `${status.categoryCode}:${status.statusCode}`,
      status.effectiveDate,
      status.paidAmount,
      status.adjudicatedDate,
      status.payment?.traceNumber ?? null,
    ];
    expect(provider[0]!.subscribers.map((subscriber) => subscriber.claims.map(stcOf))).toEqual([
      [
        ['F1:65', '2026-06-12', '92.00', '2026-06-02', 'EFT-0042'],
        ['F1:3', '2026-06-02', '92.00', '2026-06-02', null],
      ],
      [['F2:1', '2026-06-02', '0.00', '2026-06-02', null]],
    ]);
    const notFound = provider[1]!.subscribers[0]!.dependents[0]!.claims;
    expect(notFound).toEqual([
      {
        trace: ['1', 'ABCXYZ3'],
        categoryCode: 'A4',
        statusCode: '35',
        effectiveDate: '2026-06-15',
        totalChargeAmount: null,
        paidAmount: null,
        adjudicatedDate: null,
        payment: null,
        claimId: null,
        patientControlNumber: 'MA345678',
        serviceDates: null,
      },
    ]);
    const pended = answersOf276(
      guide.transactions,
      [
        answer([claim({ status: 'pended', category: categoryOf('P2'), paidAmount: null })]),
        answer([]),
        answer([]),
      ],
      '2026-06-15',
    )[0]!.sources[0]!.receivers[0]!.providers[0]!.subscribers[0]!.claims.map(stcOf);
    expect(pended).toEqual([['P2:20', '2026-06-02', null, null, null]]);
  });
});
