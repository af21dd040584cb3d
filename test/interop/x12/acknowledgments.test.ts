// The acknowledgments of an 837P: the 999 (005010X231A1), the 277CA (005010X214) and the TA1,
// as exact text worked out by hand from the guides for the sample file, each read back by
// node-x12 (an independent parser, strict: it checks SE01, GE01, IEA01 and control numbers).
// Each text also passes /work/shared/tools/x12check (pyx12) while developing; see the README.
import { describe, expect, it } from 'vitest';
import { write277ca } from '../../../src/interop/x12/277ca.js';
import { write999 } from '../../../src/interop/x12/999.js';
import {
  claimAcknowledgmentOf,
  implementationAcknowledgmentsOf,
  interchangeNoteCodeOf,
  type ClaimDisposition,
} from '../../../src/interop/x12/837p-acknowledgments.js';
import { readProfessionalClaims } from '../../../src/interop/x12/837p-in.js';
import { writeTa1Interchange, type AnswerEnvelope } from '../../../src/interop/x12/envelope-out.js';
import { readInterchange } from '../../../src/interop/x12/envelope-in.js';
import { parseAcknowledgment } from '../../support/x12.js';
import { sampleFile, withAnotherClaim } from './samples.js';

const receivedAt = new Date('2026-12-01T10:30:00Z');
/** The sample's ISA and GS swapped: we answer as RECEIVERS.ID to SUBMITTERS.ID. */
const envelope = (controlNumber: number): AnswerEnvelope => ({
  senderQualifier: 'ZZ',
  senderId: 'RECEIVERS.ID',
  receiverQualifier: 'ZZ',
  receiverId: 'SUBMITTERS.ID',
  controlNumber,
  usageIndicator: 'P',
  preparedAt: receivedAt,
  applicationSenderId: 'RECEIVER CODE',
  applicationReceiverId: 'SENDER CODE',
});

function read(text: string) {
  const reading = readProfessionalClaims(text, { providerNpi: null, claimsMax: 10 });
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  return reading;
}

/** The sample (claim 26463774) and a second claim BAD-2 whose SV102 is negative. */
const withBadLine = withAnotherClaim(
  sampleFile('commercial-health-insurance'),
  'BAD-2',
  (segments) => {
    const index = segments.findIndex((segment) => segment.startsWith('SV1*HC:87070'));
    segments[index] = 'SV1*HC:87070*-15*UN*1***1';
  },
);

const ISA_999 =
  'ISA*00*          *00*          *ZZ*RECEIVERS.ID   *ZZ*SUBMITTERS.ID  *261201*1030*^*00501*000000007*0*P*:~';

describe('999', () => {
  it('accepts the set of a file the reader found nothing wrong with', () => {
    const reading = read(sampleFile('commercial-health-insurance'));
    const text = write999(envelope(7), implementationAcknowledgmentsOf(reading));
    expect(text).toBe(
      [
        ISA_999,
        'GS*FA*RECEIVER CODE*SENDER CODE*20261201*1030*7*X*005010X231A1~',
        'ST*999*0001*005010X231A1~',
        'AK1*HC*1*005010X222A1~', // GS01, GS06, GS08 of the 837
        'AK2*837*0021*005010X222A1~', // ST01, ST02, ST03
        'IK5*A~',
        'AK9*A*1*1*1~', // 1 set in GE01, 1 received, 1 accepted
        'SE*6*0001~',
        'GE*1*7~',
        'IEA*1*000000007~',
        '',
      ].join('\n'),
    );
    const parsed = parseAcknowledgment(text);
    expect(parsed.isa13).toBe('000000007');
    expect(parsed.groups[0]!.sets[0]!.map((segment) => segment[0])).toEqual([
      'ST',
      'AK1',
      'AK2',
      'IK5',
      'AK9',
      'SE',
    ]);
  });

  it('names a bad element at its segment, loop and claim; the set is accepted with errors', () => {
    const reading = read(withBadLine);
    const text = write999(envelope(7), implementationAcknowledgmentsOf(reading));
    expect(text).toBe(
      [
        ISA_999,
        'GS*FA*RECEIVER CODE*SENDER CODE*20261201*1030*7*X*005010X231A1~',
        'ST*999*0001*005010X231A1~',
        'AK1*HC*1*005010X222A1~',
        'AK2*837*0021*005010X222A1~',
        // SV1 is segment 53 of the set, in loop 2400; "8": it has data element errors.
        'IK3*SV1*53*2400*8~',
        'CTX*CLM01:BAD-2~', // the claim it belongs to
        // SV102 (element 782, monetary amount): I12, implementation pattern match failure.
        'IK4*2*782*I12*-15~',
        'IK5*E*5~', // accepted with errors: the other claim goes on; 5: segments in error
        'AK9*E*1*1*1~',
        'SE*9*0001~',
        'GE*1*7~',
        'IEA*1*000000007~',
        '',
      ].join('\n'),
    );
    const set = parseAcknowledgment(text).groups[0]!.sets[0]!;
    expect(set.find((segment) => segment[0] === 'IK4')).toEqual(['IK4', '2', '782', 'I12', '-15']);
  });

  it('rejects a set every claim of which the reader refused; a missing element is "1"', () => {
    const reading = read(
      sampleFile('commercial-health-insurance').replace('DMG*D8*19430501*M', 'DMG*D8**M'),
    );
    const [group] = implementationAcknowledgmentsOf(reading);
    expect(group!.transactionSets[0]).toMatchObject({
      verdict: 'R',
      errors: [
        {
          segmentId: 'DMG',
          // Loop 2010BA of the guide is loop 2010 of the standard: IK303 holds 4 characters.
          loop: '2010',
          syntaxErrorCode: '8',
          // Before the claim's CLM (in 2010BA): no CTX; the birth date is never echoed.
          patientControlNumber: undefined,
          elements: [{ position: 2, referenceNumber: '1251', errorCode: '1', badValue: undefined }],
        },
      ],
    });
    expect(write999(envelope(7), [group!])).toContain('IK5*R*5~\nAK9*R*1*1*0~');
    expect(write999(envelope(7), [group!])).toMatch(/\nIK3\*DMG\*\d+\*2010\*8~\n/);
  });
});

describe('277CA', () => {
  it('acknowledges one claim accepted and one rejected, with the totals', () => {
    const reading = read(withBadLine);
    const groups = implementationAcknowledgmentsOf(reading);
    const dispositions: ClaimDisposition[] = [
      { status: 'accepted', claimId: 'a96448d8-c938-4854-ac0c-56b210fc6dbc' },
      { status: 'rejected', fields: [] },
    ];
    const acknowledgment = claimAcknowledgmentOf(reading, dispositions, groups, {
      reference: 'A96448D8',
      informationSourceName: 'CLAIMCHAIN',
      receivedAt,
    });
    const text = write277ca(envelope(8), acknowledgment!);
    expect(text).toBe(
      [
        'ISA*00*          *00*          *ZZ*RECEIVERS.ID   *ZZ*SUBMITTERS.ID  *261201*1030*^*00501*000000008*0*P*:~',
        'GS*HN*RECEIVER CODE*SENDER CODE*20261201*1030*8*X*005010X214~',
        'ST*277*0001*005010X214~',
        'BHT*0085*08*A96448D8*20261201*1030*TH~',
        'HL*1**20*1~', // 2000A information source: us, as the 837's NM1*40 named us
        'NM1*AY*2*CLAIMCHAIN*****46*66783JJT~',
        'TRN*1*A96448D8~',
        'DTP*050*D8*20261201~',
        'DTP*009*D8*20261201~',
        'HL*2*1*21*1~', // 2000B information receiver: the submitter (NM1*41), its BHT03
        'NM1*41*2*PREMIER BILLING SERVICE*****46*TGJ23~',
        'TRN*2*244579~',
        'STC*A1:19:PR*20261201*WQ*200~', // both claims: 100 + 100
        'QTY*90*1~',
        'QTY*AA*1~',
        'AMT*YU*100~',
        'AMT*YY*100~',
        'HL*3*2*19*1~', // 2000C billing provider
        'NM1*85*2*BEN KILDARE SERVICE*****XX*1234567893~',
        'TRN*1*0~',
        'STC*A1:19:85**WQ*200~',
        'QTY*QA*1~',
        'QTY*QC*1~',
        'AMT*YU*100~',
        'AMT*YY*100~',
        'HL*4*3*PT~', // 2000D: the accepted claim, REF*1K our claim id
        'NM1*QC*1*SMITH*JOHN****MI*JS00111223333~',
        'TRN*2*26463774~',
        'STC*A2:20*20261201*WQ*100~',
        'REF*1K*a96448d8-c938-4854-ac0c-56b210fc6dbc~',
        'DTP*472*RD8*20261003-20261010~',
        'HL*5*3*PT~', // 2000D: the rejected claim, A7:21 invalid information
        'NM1*QC*1*SMITH*JOHN****MI*JS00111223333~',
        'TRN*2*BAD-2~',
        'STC*A7:21*20261201*U*100~',
        'DTP*472*RD8*20261003-20261010~',
        'SE*35*0001~',
        'GE*1*8~',
        'IEA*1*000000008~',
        '',
      ].join('\n'),
    );
    const set = parseAcknowledgment(text).groups[0]!.sets[0]!;
    expect(set.filter((segment) => segment[0] === 'STC').map((segment) => segment[1])).toEqual([
      'A1:19:PR',
      'A1:19:85',
      'A2:20',
      'A7:21',
    ]);
  });

  it('an unknown payer is A3:116, a duplicate A3:78 naming the first claim', () => {
    const reading = read(withBadLine);
    const groups = implementationAcknowledgmentsOf(reading);
    const acknowledgment = claimAcknowledgmentOf(
      reading,
      [
        { status: 'duplicate', claimId: 'first-claim' },
        { status: 'rejected', fields: ['payerId'] },
      ],
      groups,
      { reference: 'R', informationSourceName: 'CLAIMCHAIN', receivedAt },
    );
    const claims = acknowledgment!.providers[0]!.claims;
    expect(claims.map((claim) => [claim.status, claim.payerClaimControlNumber])).toEqual([
      [{ category: 'A3', code: '78', accepted: false }, 'first-claim'],
      // BAD-2's own fault is the reader's, which comes first: A7.
      [{ category: 'A7', code: '21', accepted: false }, undefined],
    ]);
  });
});

describe('TA1', () => {
  it('echoes ISA13, ISA09 and ISA10 and names the fault', () => {
    const text = writeTa1Interchange(envelope(9), {
      controlNumber: '000000905',
      date: '261015',
      time: '1253',
      acknowledgmentCode: 'R',
      noteCode: '001',
    });
    expect(text).toBe(
      [
        'ISA*00*          *00*          *ZZ*RECEIVERS.ID   *ZZ*SUBMITTERS.ID  *261201*1030*^*00501*000000009*0*P*:~',
        'TA1*000000905*261015*1253*R*001~',
        'IEA*0*000000009~',
        '',
      ].join('\n'),
    );
  });

  it('note codes: 001 IEA02 ≠ ISA13, 021 IEA01, 017 version, 023 truncated, 024 content', () => {
    const sample = sampleFile('commercial-health-insurance');
    const noteOf = (text: string) => {
      const reading = readInterchange(text, {
        functionalIdentifierCode: 'HC',
        version: '005010X222A1',
        transactionSetIdentifierCode: '837',
      });
      if (reading.status !== 'malformed') throw new Error('expected a refusal');
      return interchangeNoteCodeOf(reading.problems[0]!);
    };
    expect(noteOf(sample.replace('IEA*1*000000905', 'IEA*1*000000906'))).toBe('001');
    expect(noteOf(sample.replace('IEA*1*', 'IEA*2*'))).toBe('021');
    expect(noteOf(sample.replace('*00501*', '*00401*'))).toBe('017');
    expect(noteOf(sample.slice(0, -2))).toBe('023');
    expect(noteOf(sample.replace('GE*1*1~', 'GE*2*1~'))).toBe('024');
  });
});
