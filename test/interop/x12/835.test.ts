// The 835 writer on a hand-worked remittance (the whole interchange, byte for byte), its
// balancing assertions, and the details of element formatting.
import { describe, expect, it } from 'vitest';
import { write835 } from '../../../src/interop/x12/835.js';
import {
  RemittanceBalanceError,
  reversalOf,
  type Remittance,
  type RemittanceClaim,
} from '../../../src/domain/settlement/remittance-document.js';
import { decimalElement, moneyElement, X12WriteError } from '../../../src/interop/x12/segments.js';
import { parse835, remittanceProblems } from '../../support/x12.js';

const PARTIAL_ID = '5bd295ce-a3bf-4bcd-8779-5fb13c4a9706';
const DENIED_ID = '0b6a1c55-2f1e-4d6c-9a59-3d0f4c7e8a21';
const RECOUPED_ID = '9e0d7f3a-6b2c-4f41-8e5d-1a2b3c4d5e6f';

/**
 * Worked by hand. PCN-1001, partially paid:
 *   99213-25 charge 125.00, allowed 100.00: CO-45 25.00; deductible PR-1 50.00; coinsurance 20 %
 *     of the remaining 50.00 = PR-2 10.00; paid 125.00 − 25.00 − 50.00 − 10.00 = 40.00.
 *   80053 charge 48.50, allowed 40.00: CO-45 8.50; coinsurance 20 % of 40.00 = PR-2 8.00;
 *     paid 48.50 − 8.50 − 8.00 = 32.00.
 *   Claim: charge 173.50, paid 72.00, patient 50.00 + 10.00 + 8.00 = 68.00.
 * PCN-1002, denied: 97110 × 2 charge 90.00, not covered: CO-96 90.00 (N130), paid 0.00.
 * PCN-0950, paid 50.00 in an earlier payment and voided since: 99212 charge 80.00, allowed 70.00:
 *   CO-45 10.00, copay PR-3 20.00, paid 50.00; reversed here with every amount negated.
 * Payment: 72.00 + 0.00 − 50.00 = 22.00.
 */
const partial: RemittanceClaim = {
  patientControlNumber: 'PCN-1001',
  status: 'processed',
  chargeAmount: '173.50',
  paidAmount: '72.00',
  patientResponsibilityAmount: '68.00',
  claimFilingIndicator: '12',
  payerClaimControlNumber: PARTIAL_ID,
  patient: { lastName: 'Doe', firstName: 'Jane', memberId: 'W100200300' },
  claimAdjustments: [],
  lines: [
    {
      procedureCode: '99213',
      modifiers: ['25'],
      chargeAmount: '125.00',
      paidAmount: '40.00',
      units: '1',
      serviceDate: '2026-11-02',
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: '25.00' },
        { group: 'PR', reasonCode: '1', amount: '50.00' },
        { group: 'PR', reasonCode: '2', amount: '10.00' },
      ],
      remarkCodes: [],
    },
    {
      procedureCode: '80053',
      modifiers: [],
      chargeAmount: '48.50',
      paidAmount: '32.00',
      units: '1.000',
      serviceDate: '2026-11-02',
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: '8.50' },
        { group: 'PR', reasonCode: '2', amount: '8.00' },
      ],
      remarkCodes: [],
    },
  ],
};

const denied: RemittanceClaim = {
  patientControlNumber: 'PCN-1002',
  status: 'denied',
  chargeAmount: '90.00',
  paidAmount: '0.00',
  patientResponsibilityAmount: '0.00',
  claimFilingIndicator: '12',
  payerClaimControlNumber: DENIED_ID,
  patient: { lastName: 'Roe', firstName: 'Richard', memberId: 'W100200301' },
  claimAdjustments: [],
  lines: [
    {
      procedureCode: '97110',
      modifiers: [],
      chargeAmount: '90.00',
      paidAmount: '0.00',
      units: '2',
      serviceDate: '2026-11-03',
      adjustments: [{ group: 'CO', reasonCode: '96', amount: '90.00' }],
      remarkCodes: ['N130'],
    },
  ],
};

const paidEarlier: RemittanceClaim = {
  patientControlNumber: 'PCN-0950',
  status: 'processed',
  chargeAmount: '80.00',
  paidAmount: '50.00',
  patientResponsibilityAmount: '20.00',
  claimFilingIndicator: '12',
  payerClaimControlNumber: RECOUPED_ID,
  patient: { lastName: 'Doe', firstName: 'Jane', memberId: 'W100200300' },
  claimAdjustments: [],
  lines: [
    {
      procedureCode: '99212',
      modifiers: [],
      chargeAmount: '80.00',
      paidAmount: '50.00',
      units: '1',
      serviceDate: '2026-10-15',
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: '10.00' },
        { group: 'PR', reasonCode: '3', amount: '20.00' },
      ],
      remarkCodes: [],
    },
  ],
};

const remittance: Remittance = {
  interchange: {
    senderQualifier: '30',
    senderId: '061234567',
    receiverQualifier: 'ZZ',
    receiverId: 'RIVERSIDE.FM',
    controlNumber: 42,
    usageIndicator: 'T',
    preparedAt: new Date('2026-11-25T14:03:09.123Z'),
  },
  payment: {
    amount: '22.00',
    method: 'ACH',
    effectiveDate: '2026-11-25',
    traceNumber: 'TRN-2026-0001',
    originatingCompanyId: '1061234567',
  },
  payer: {
    name: 'Acme Health Plan',
    payerIdentifier: '60054',
    address: {
      line1: '100 Insurance Way',
      line2: null,
      city: 'Hartford',
      stateCode: 'CT',
      postalCode: '06101',
      countryCode: 'US',
    },
    businessContact: { name: 'Provider Services', phone: '8005550100', email: null },
    technicalContact: { name: 'EDI Support', phone: '8005550199', email: 'edi@acme.example' },
  },
  payee: {
    name: 'Riverside Family Medicine',
    npi: '1234567893',
    payerAssignedId: 'P1',
    address: {
      line1: '1 Riverside Dr',
      line2: 'Suite 200',
      city: 'Springfield',
      stateCode: 'IL',
      postalCode: '627011234',
      countryCode: 'US',
    },
    taxId: '371234567',
  },
  productionDate: '2026-11-25',
  claims: [reversalOf(paidEarlier), partial, denied],
  providerAdjustments: [],
};

const EXPECTED = `ISA*00*          *00*          *30*061234567      *ZZ*RIVERSIDE.FM   *261125*1403*^*00501*000000042*0*T*:~
GS*HP*061234567*RIVERSIDE.FM*20261125*1403*42*X*005010X221A1~
ST*835*0042~
BPR*I*22*C*ACH************20261125~
TRN*1*TRN-2026-0001*1061234567~
DTM*405*20261125~
N1*PR*Acme Health Plan~
N3*100 Insurance Way~
N4*Hartford*CT*06101~
REF*2U*60054~
PER*CX*Provider Services*TE*8005550100~
PER*BL*EDI Support*TE*8005550199*EM*edi@acme.example~
N1*PE*Riverside Family Medicine*XX*1234567893~
N3*1 Riverside Dr*Suite 200~
N4*Springfield*IL*627011234~
REF*TJ*371234567~
LX*1~
CLP*PCN-0950*22*-80*-50*-20*12*${RECOUPED_ID}~
NM1*QC*1*DOE*JANE****MI*W100200300~
DTM*232*20261015~
DTM*233*20261015~
SVC*HC:99212*-80*-50**1~
DTM*472*20261015~
CAS*CO*45*-10~
CAS*PR*3*-20~
CLP*PCN-1001*1*173.5*72*68*12*${PARTIAL_ID}~
NM1*QC*1*DOE*JANE****MI*W100200300~
DTM*232*20261102~
DTM*233*20261102~
SVC*HC:99213:25*125*40**1~
DTM*472*20261102~
CAS*CO*45*25~
CAS*PR*1*50**2*10~
SVC*HC:80053*48.5*32**1~
DTM*472*20261102~
CAS*CO*45*8.5~
CAS*PR*2*8~
CLP*PCN-1002*4*90*0*0*12*${DENIED_ID}~
NM1*QC*1*ROE*RICHARD****MI*W100200301~
DTM*232*20261103~
DTM*233*20261103~
SVC*HC:97110*90*0**2~
DTM*472*20261103~
CAS*CO*96*90~
LQ*HE*N130~
SE*44*0042~
GE*1*42~
IEA*1*000000042~
`;

describe('write835', () => {
  it('writes the hand-worked remittance exactly', () => {
    expect(write835(remittance)).toBe(EXPECTED);
  });

  it('is read back by node-x12 with every balancing and envelope rule holding', () => {
    const parsed = parse835(write835(remittance));
    expect(remittanceProblems(parsed)).toEqual([]);
    expect(parsed.claims.map((claim) => claim.clp[2])).toEqual(['22', '1', '4']);
  });

  it('writes the same text for the same remittance (an idempotent document)', () => {
    expect(write835(remittance)).toBe(write835(structuredClone(remittance)));
  });

  it('makes a zero payment a notification: BPR01 H and BPR04 NON', () => {
    const text = write835({
      ...remittance,
      payment: { ...remittance.payment, amount: '0.00' },
      claims: [denied],
    });
    expect(text).toContain('\nBPR*H*0*C*NON************20261125~\n');
    expect(remittanceProblems(parse835(text))).toEqual([]);
  });

  it('writes provider-level adjustments as PLB, positive amounts reducing the payment', () => {
    const text = write835({
      ...remittance,
      payment: { ...remittance.payment, amount: '12.00' },
      providerAdjustments: [
        { reasonCode: 'WO', reference: RECOUPED_ID, amount: '15.00' },
        { reasonCode: 'L6', reference: null, amount: '-5.00' },
      ],
    });
    expect(text).toContain(`\nPLB*1234567893*20261231*WO:${RECOUPED_ID}*15*L6*-5~\nSE*45*0042~\n`);
    expect(remittanceProblems(parse835(text))).toEqual([]);
  });

  it('names the parties by name alone when no profile is known, as before profiles', () => {
    const text = write835({
      ...remittance,
      payer: {
        name: 'Acme Health Plan',
        payerIdentifier: null,
        address: null,
        businessContact: null,
        technicalContact: null,
      },
      payee: { ...remittance.payee, address: null, taxId: null },
    });
    expect(text).toContain(
      '\nN1*PR*Acme Health Plan~\nN1*PE*Riverside Family Medicine*XX*1234567893~\nLX*1~\n',
    );
    expect(remittanceProblems(parse835(text))).toEqual([]);
  });

  it('names a payee without an NPI by its EIN (FI) when known, and always by REF*PQ', () => {
    const noNpi = { name: 'No NPI Clinic', npi: null, payerAssignedId: 'P-77', address: null };
    const withoutEin = write835({ ...remittance, payee: { ...noNpi, taxId: null } });
    expect(withoutEin).toContain('\nN1*PE*No NPI Clinic~\nREF*PQ*P-77~\n');
    const withEin = write835({ ...remittance, payee: { ...noNpi, taxId: '371234567' } });
    expect(withEin).toContain('\nN1*PE*No NPI Clinic*FI*371234567~\nREF*PQ*P-77~\n');
  });

  it('writes a contact with only an email, and N404 for an address outside the US', () => {
    const text = write835({
      ...remittance,
      payer: {
        ...remittance.payer,
        address: { ...remittance.payer.address!, countryCode: 'PR' },
        businessContact: null,
        technicalContact: { name: 'EDI Support', phone: null, email: 'edi@acme.example' },
      },
    });
    expect(text).toContain(
      '\nN4*Hartford*CT*06101*PR~\nREF*2U*60054~\nPER*BL*EDI Support*EM*edi@acme.example~\n',
    );
  });

  it('refuses a contact it cannot write: no phone and no email, or a phone not of 10 digits', () => {
    const withContact = (phone: string | null) =>
      write835({
        ...remittance,
        payer: { ...remittance.payer, technicalContact: { name: 'EDI', phone, email: null } },
      });
    expect(() => withContact(null)).toThrow(/^PER\*BL has no phone or email$/);
    expect(() => withContact('555-0100')).toThrow(X12WriteError);
  });

  it('puts at most six reasons of one group in a CAS and merges a repeated reason', () => {
    const reasons = ['45', '96', '97', '16', '18', '29', '45', '50'];
    const adjustments = reasons.map((reasonCode) => ({
      group: 'CO' as const,
      reasonCode,
      amount: '1.00',
    }));
    const claim: RemittanceClaim = {
      ...denied,
      chargeAmount: '8.00',
      lines: [{ ...denied.lines[0]!, chargeAmount: '8.00', adjustments, remarkCodes: [] }],
    };
    const text = write835({
      ...remittance,
      payment: { ...remittance.payment, amount: '0.00' },
      claims: [claim],
    });
    expect(text).toContain('\nCAS*CO*45*2**96*1**97*1**16*1**18*1**29*1~\nCAS*CO*50*1~\n');
  });

  it('replaces delimiters and line breaks in names, and refuses them in identifiers', () => {
    const text = write835(withPatient({ lastName: "O'Brien*Smith\n", firstName: 'Jane' }));
    expect(text).toContain("\nNM1*QC*1*O'BRIEN SMITH*JANE****MI*W100200300~\n");
    expect(() =>
      write835({
        ...remittance,
        claims: [reversalOf(paidEarlier), { ...partial, patientControlNumber: 'A*B' }, denied],
      }),
    ).toThrow(X12WriteError);
  });
});

/** The remittance with the partially paid claim's patient renamed. */
function withPatient(name: { lastName: string; firstName: string | null }): Remittance {
  const renamed = { ...partial, patient: { ...partial.patient, ...name } };
  return { ...remittance, claims: [reversalOf(paidEarlier), renamed, denied] };
}

describe('names in the X12 character set', () => {
  it('keeps the letters of a name and drops its diacritics, in upper case', () => {
    const text = write835(withPatient({ lastName: 'Peña', firstName: 'José' }));
    expect(text).toContain('\nNM1*QC*1*PENA*JOSE****MI*W100200300~\n');
    expect(remittanceProblems(parse835(text))).toEqual([]);
  });

  it('truncates a name that grows past its element (ß is ss) to 60 and 35 characters', () => {
    const text = write835(withPatient({ lastName: 'ß'.repeat(40), firstName: 'Æ'.repeat(20) }));
    expect(text).toContain(`\nNM1*QC*1*${'SS'.repeat(30)}*${'AE'.repeat(17)}A****MI*W100200300~\n`);
  });

  // Intake refuses such names; a claim stored before it did must not stop its batch's 835.
  it('leaves out a stored name with nothing writable, and writes the rest of the batch', () => {
    const nothingWritable = write835(withPatient({ lastName: '李', firstName: '小龙' }));
    expect(nothingWritable).toContain('\nNM1*QC*1******MI*W100200300~\n');
    expect(remittanceProblems(parse835(nothingWritable))).toEqual([]);
    expect(parse835(nothingWritable).claims).toHaveLength(3);
    const lastNameOnly = write835(withPatient({ lastName: '李', firstName: 'Jane' }));
    expect(lastNameOnly).toContain('\nNM1*QC*1**JANE****MI*W100200300~\n');
    const punctuationOnly = write835(withPatient({ lastName: 'Doe', firstName: '-.' }));
    expect(punctuationOnly).toContain('\nNM1*QC*1*DOE*****MI*W100200300~\n');
    expect(nothingWritable + lastNameOnly).not.toMatch(/[^\n -~]/);
  });

  it('never puts the value it cannot write into its error message', () => {
    const messageOf = (write: () => unknown) => {
      try {
        write();
      } catch (error) {
        expect(error).toBeInstanceOf(X12WriteError);
        return (error as Error).message;
      }
      throw new Error('expected an X12WriteError');
    };
    const badMemberId = { ...partial, patient: { ...partial.patient, memberId: 'W1*Doe' } };
    expect(
      messageOf(() => write835({ ...remittance, claims: [reversalOf(paidEarlier), badMemberId] })),
    ).toBe('NM109 holds a delimiter or a character outside printable ASCII');
    const payerNamedInHanzi = { ...remittance.payer, name: '李氏' };
    expect(messageOf(() => write835({ ...remittance, payer: payerNamedInHanzi }))).toBe(
      'N102 (payer name) has nothing writable in X12',
    );
  });
});

describe('balancing is asserted before anything is written', () => {
  const withPartial = (changed: RemittanceClaim) => ({
    ...remittance,
    claims: [reversalOf(paidEarlier), changed, denied],
  });

  it('refuses a line whose charge minus adjustments is not its payment', () => {
    const lines = [{ ...partial.lines[0]!, paidAmount: '40.01' }, partial.lines[1]!];
    expect(() => write835(withPartial({ ...partial, lines, paidAmount: '72.01' }))).toThrow(
      /line 1: charge 125.00 − adjustments 85.00 ≠ paid 40.01/,
    );
  });

  it('refuses a claim whose charge minus all adjustments is not CLP04', () => {
    const claimAdjustments = [{ group: 'OA' as const, reasonCode: '23', amount: '1.00' }];
    expect(() => write835(withPartial({ ...partial, claimAdjustments }))).toThrow(
      RemittanceBalanceError,
    );
  });

  it('refuses a CLP05 that is not the sum of the PR adjustments', () => {
    expect(() =>
      write835(withPartial({ ...partial, patientResponsibilityAmount: '60.00' })),
    ).toThrow(/CLP05 60.00 ≠ Σ PR adjustments 68.00/);
  });

  it('refuses a BPR02 other than Σ CLP04 − Σ PLB', () => {
    expect(() =>
      write835({ ...remittance, payment: { ...remittance.payment, amount: '72.00' } }),
    ).toThrow(/BPR02 72.00 ≠ Σ CLP04 22.00 − Σ PLB 0.00/);
  });

  it('refuses a reversal with positive amounts and a denial that pays', () => {
    expect(() =>
      write835({
        ...remittance,
        claims: [{ ...reversalOf(paidEarlier), status: 'processed' }, partial, denied],
      }),
    ).toThrow(/wrong sign/);
    expect(() => write835(withPartial({ ...partial, status: 'denied' }))).toThrow(
      /denied, yet paid/,
    );
  });
});

describe('X12 decimals (data type R)', () => {
  it.each([
    ['100.00', '100'],
    ['100.50', '100.5'],
    ['0.05', '0.05'],
    ['-92.00', '-92'],
    ['-0.00', '0'],
    ['123456789012.34', '123456789012.34'],
  ])('%s is written %s', (amount, written) => {
    expect(moneyElement(amount)).toBe(written);
  });

  it('refuses fractions of a cent in money, but not in units', () => {
    expect(() => moneyElement('1.005')).toThrow(X12WriteError);
    expect(decimalElement('2.500')).toBe('2.5');
  });
});
