// The 16 examples of the 837P guide (005010X222A1), as published (test/fixtures/x12/x222a1, see
// its NOTICE.md), each read into exactly the claim we store or refused for exactly the reasons
// named. The files are changed in memory only, and each change is named in the table:
//  - every file: NM1*PR NM109 (2010BB) becomes the test's payer id (the reader is given no
//    look-up of external payer ids here). Their ISA15 stays "T" (test data): intake reads a
//    test interchange in full (test mode);
//  - icd10: the examples predate ICD-10; each ICD-9 code (HI BK/BF) becomes the ICD-10-CM code
//    of the same condition (ABK/ABF), from the table below;
//  - npi: the billing provider's NPI (2010AA NM109) has no valid check digit in the example;
//    it becomes a valid one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isValidNpi } from '../../../src/domain/validation.js';
import { readProfessionalClaims, type X12ClaimReading } from '../../../src/interop/x12/837p-in.js';
import { samplePayerId, sampleNpi } from './samples.js';

/** ICD-9-CM code of an example → the ICD-10-CM code of the same condition. */
const ICD10_OF_ICD9: Readonly<Record<string, string>> = {
  '0340': 'J020', // streptococcal sore throat
  '03591': 'A46', // erysipelas
  '2724': 'E785', // hyperlipidemia
  '2780': 'E669', // obesity
  '2859': 'D649', // anemia, unspecified
  '25000': 'E119', // type 2 diabetes without complications
  '3449': 'G839', // paralytic syndrome, unspecified
  '36616': 'H2510', // age-related nuclear cataract
  '436': 'I639', // cerebral infarction
  '4659': 'J069', // acute upper respiratory infection
  '4779': 'J309', // allergic rhinitis
  '496': 'J449', // chronic obstructive pulmonary disease
  '51881': 'J9600', // acute respiratory failure
  '53081': 'K219', // gastro-esophageal reflux
  '71516': 'M1710', // osteoarthritis of the knee
  '71906': 'M25469', // effusion of the knee
  '7215': 'M4820', // kissing spine
  '8540': 'S069X0A', // intracranial injury
  '8628': 'S299XXA', // injury of the thorax
  '9592': 'S4990XA', // injury of the shoulder and upper arm
  '9951': 'T783XXA', // angioneurotic edema
  E8888: 'W19XXXA', // fall
  V7389: 'Z1159', // screening for viral disease
};

type Change = 'icd10' | 'npi';

function exampleText(name: string, changes: readonly Change[]): string {
  let text = readFileSync(
    new URL(`../../fixtures/x12/x222a1/${name}.edi`, import.meta.url),
    'utf8',
  );
  text = text.replace(/(NM1\*PR\*[^~]*?\*(?:PI|XV)\*)[^~*]+/, `$1${samplePayerId}`);
  if (changes.includes('npi')) {
    text = text.replace(/(NM1\*85\*[^~]*\*XX\*)\d+/, `$1${sampleNpi}`);
  }
  if (changes.includes('icd10')) {
    text = text.replace(/~HI\*([^~]*)/, (_, elements: string) => {
      const codes = elements.split('*').map((element) => {
        const [qualifier, code] = element.split(':') as [string, string];
        const icd10 = ICD10_OF_ICD9[code];
        if (!icd10) throw new Error(`no ICD-10-CM code for ${code}`);
        return `A${qualifier}:${icd10}`;
      });
      return `~HI*${codes.join('*')}`;
    });
  }
  return text;
}

const member = (
  memberId: string,
  firstName: string,
  lastName: string,
  birthDate: string,
  gender: string,
) => ({ memberId, firstName, lastName, birthDate, gender });

/** A line: code, modifiers, units, charge, date, pointers, and the optional details. */
const line = (
  procedureCode: string,
  modifiers: string[],
  units: number,
  chargeAmount: string,
  serviceDate: string,
  diagnosisPointers: number[],
  details: Record<string, unknown> = {},
) => ({
  procedureCode,
  modifiers,
  units,
  chargeAmount,
  serviceDate,
  ...details,
  diagnosisPointers,
});

const homeInfusionPeriod = {
  serviceDate: '2004-02-01',
  serviceDateTo: '2004-02-07',
  placeOfServiceCode: '12',
};
const infusionLine = (code: string, units: number, chargeAmount: string) => ({
  procedureCode: code,
  modifiers: [],
  units,
  chargeAmount,
  ...homeInfusionPeriod,
  diagnosisPointers: [1],
});

/** What a claim of a transaction set that is not a claim, or that we cannot take, is refused for. */
const ENCOUNTER = [
  'BHT06',
  'is "RP" (reporting: an encounter, not a claim for payment): ClaimChain takes claims for payment only ("CH"); this transaction set is refused',
];

/** The guide's claim to payer B, secondary to payer A (both COB examples carry it). */
const COB_CLAIM_TO_PAYER_B = {
  patientControlNumber: '26407789',
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
        {
          group: 'PR',
          reasonCode: '1',
          amount: '21.89',
        },
        {
          group: 'PR',
          reasonCode: '2',
          amount: '15.00',
        },
      ],
      lines: [
        {
          lineNumber: 1,
          paidAmount: '40.00',
          adjustments: [
            {
              group: 'CO',
              reasonCode: '42',
              amount: '3.00',
            },
          ],
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
  serviceLines: [
    {
      procedureCode: '99213',
      modifiers: [],
      units: 1,
      chargeAmount: '43.00',
      serviceDate: '2005-10-03',
      diagnosisPointers: [1, 2, 3, 4],
    },
    {
      procedureCode: '90782',
      modifiers: [],
      units: 1,
      chargeAmount: '15.00',
      serviceDate: '2005-10-03',
      diagnosisPointers: [1, 2],
    },
    {
      procedureCode: 'J3301',
      modifiers: [],
      units: 1,
      chargeAmount: '21.04',
      serviceDate: '2005-10-03',
      diagnosisPointers: [1, 2],
    },
  ],
  totalChargeAmount: '79.04',
};

type Expectation = { accepted: Record<string, unknown> } | { refused: string[][] };

const EXAMPLES: [name: string, changes: Change[], expected: Expectation][] = [
  [
    'ambulance',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '051068',
        placeOfServiceCode: '41',
        member: member('012345678A', 'SARAH', 'JONES', '1963-07-29', 'F'),
        diagnosisCodes: ['S299XXA', 'W19XXXA', 'S4990XA', 'S069X0A'],
        serviceLines: [
          line('A0427', ['RH'], 1, '700.00', '2005-02-08', [1, 2, 3, 4], {
            lineControlNumber: '1001',
          }),
          line('A0425', ['RH'], 21, '8.20', '2005-02-08', [1, 2, 3, 4], {
            lineControlNumber: '1002',
          }),
          line('A0422', ['RH'], 1, '46.00', '2005-02-08', [1, 2, 3, 4], {
            lineControlNumber: '1003',
          }),
          line('A0382', ['RH'], 1, '12.30', '2005-02-08', [1, 2, 3, 4], {
            lineControlNumber: '1004',
          }),
        ],
        totalChargeAmount: '766.50',
      },
    },
  ],
  [
    'anesthesia',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '153829140',
        placeOfServiceCode: '22',
        member: member('123456789A', 'MARGARET', 'JONES', '1974-03-03', 'F'),
        diagnosisCodes: ['H2510'],
        serviceLines: [
          line('00142', ['QK', 'QS', 'P1'], 61, '827.00', '2005-01-12', [1], {
            unitType: 'minutes',
          }),
        ],
        totalChargeAmount: '827.00',
      },
    },
  ],
  [
    'chiropractic',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '125WILL',
        placeOfServiceCode: '11',
        member: member('123456789A', 'MATTHEW', 'WILLIAMSON', '1925-01-10', 'M'),
        diagnosisCodes: ['M4820'],
        serviceLines: [
          line('98940', [], 1, '145.50', '2005-02-15', [1], { lineControlNumber: '01' }),
        ],
        totalChargeAmount: '145.50',
      },
    },
  ],
  [
    'drug-administered-in-the-physician-office',
    ['icd10'],
    {
      accepted: {
        patientControlNumber: 'CLMNO12345',
        placeOfServiceCode: '11',
        member: member('MBRID12345', 'Steve', 'Vaughn', '1943-05-01', 'M'),
        diagnosisCodes: ['A46'],
        serviceLines: [
          line('90782', [], 1, '50.00', '2004-07-11', [1], { placeOfServiceCode: '11' }),
          line('J1550', [], 1, '53.37', '2004-07-11', [1], { placeOfServiceCode: '11' }),
        ],
        totalChargeAmount: '103.37',
      },
    },
  ],
  [
    'home-infusion-therapy-pharmacy-(adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410)',
    ['icd10'],
    {
      accepted: {
        patientControlNumber: 'CLMNO12345',
        placeOfServiceCode: '12',
        member: member('MBRID01234', 'Steve', 'Smith', '1943-05-01', 'M'),
        diagnosisCodes: ['J069'],
        // SV101-7 (a description, "Sod Chl 0.9% see NDC#") is not kept.
        serviceLines: [
          infusionLine('S9500', 7, '1400.00'),
          infusionLine('J0696', 56, '682.50'),
          infusionLine('J7051', 28, '15.12'),
          infusionLine('J3490', 7, '67.69'),
          infusionLine('J3490', 14, '57.12'),
          infusionLine('J3490', 7, '10.50'),
        ],
        totalChargeAmount: '2232.93',
      },
    },
  ],
  [
    'home-infusion-therapy-pharmacy-(adjudicated-with-NDC-in-loop-2410)',
    ['icd10'],
    {
      accepted: {
        patientControlNumber: 'CLMNO12345',
        placeOfServiceCode: '12',
        member: member('MBRID01234', 'Steve', 'Smith', '1943-05-01', 'M'),
        diagnosisCodes: ['J069'],
        serviceLines: [
          infusionLine('S9500', 7, '1400.00'),
          infusionLine('S5001', 7, '682.50'),
          infusionLine('S5000', 14, '15.12'),
          infusionLine('S5000', 7, '67.69'),
          infusionLine('S5000', 14, '57.12'),
          infusionLine('S5000', 7, '10.50'),
        ],
        totalChargeAmount: '2232.93',
      },
    },
  ],
  [
    'oxygen',
    ['icd10', 'npi'],
    {
      accepted: {
        // CLM01 with a space inside, kept as sent; an RD8 of one day is that day.
        patientControlNumber: 'R03996273 #01',
        placeOfServiceCode: '11',
        member: member('111222333A', 'TERRY', 'SMITH', '1938-01-05', 'F'),
        diagnosisCodes: ['J449', 'J9600', 'D649'],
        serviceLines: [
          line('E1390', ['RR'], 1, '461.10', '2005-03-21', [1, 2]),
          line('E0431', ['RR'], 1, '59.14', '2005-03-21', [1, 2]),
        ],
        totalChargeAmount: '520.24',
      },
    },
  ],
  [
    'ppo-repriced-claim',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: 'ABC123-RI',
        placeOfServiceCode: '11',
        member: member('00124A089', 'DIAMOND', 'RING', '1940-12-29', 'F'),
        diagnosisCodes: ['J449', 'E119'],
        serviceLines: [
          line('E0570', ['RR'], 1, '25.00', '2005-05-14', [1, 2]),
          line('A7003', ['NU'], 1, '3.75', '2005-05-14', [1]),
        ],
        totalChargeAmount: '28.75',
      },
    },
  ],
  [
    'wheelchair',
    ['icd10'],
    {
      accepted: {
        patientControlNumber: 'SMI123',
        placeOfServiceCode: '12',
        member: member('987654321A', 'JAMES', 'SMITH', '1920-10-23', 'M'),
        diagnosisCodes: ['I639', 'G839'],
        serviceLines: [line('K0001', ['RR', 'KH', 'BR'], 1, '75.00', '2005-03-21', [1, 2])],
        totalChargeAmount: '75.00',
      },
    },
  ],
  // A dependent patient (2000C), and secondary claims with the primary's adjudication.
  [
    'commercial-health-insurance',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '26463774',
        placeOfServiceCode: '11',
        member: {
          memberId: 'JS00111223333',
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
        diagnosisCodes: ['J020', 'Z1159'],
        serviceLines: [
          {
            procedureCode: '99213',
            modifiers: [],
            units: 1,
            chargeAmount: '40.00',
            serviceDate: '2006-10-03',
            diagnosisPointers: [1],
          },
          {
            procedureCode: '87070',
            modifiers: [],
            units: 1,
            chargeAmount: '15.00',
            serviceDate: '2006-10-03',
            diagnosisPointers: [1],
          },
          {
            procedureCode: '99214',
            modifiers: [],
            units: 1,
            chargeAmount: '35.00',
            serviceDate: '2006-10-10',
            diagnosisPointers: [2],
          },
          {
            procedureCode: '86663',
            modifiers: [],
            units: 1,
            chargeAmount: '10.00',
            serviceDate: '2006-10-10',
            diagnosisPointers: [2],
          },
        ],
        totalChargeAmount: '100.00',
      },
    },
  ],
  [
    'out-of-network-repriced-claim',
    ['icd10'],
    {
      accepted: {
        patientControlNumber: 'TS234H3',
        placeOfServiceCode: '23',
        member: {
          memberId: '57976235C',
          firstName: 'MATTHEW',
          lastName: 'SMITH',
          birthDate: '1956-10-15',
          gender: 'M',
        },
        patient: {
          firstName: 'TOM',
          lastName: 'SMITH',
          birthDate: '1996-08-07',
          gender: 'M',
          relationshipCode: '19',
        },
        diagnosisCodes: ['T783XXA'],
        serviceLines: [
          {
            procedureCode: '99284',
            modifiers: [],
            units: 1,
            chargeAmount: '252.71',
            serviceDate: '2005-05-06',
            diagnosisPointers: [1],
          },
        ],
        totalChargeAmount: '252.71',
      },
    },
  ],
  [
    'COB-claim-from-billing-provider-to-payer-a',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '26407789',
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
        // The same lines as the claim to payer B.
        diagnosisCodes: COB_CLAIM_TO_PAYER_B.diagnosisCodes,
        serviceLines: COB_CLAIM_TO_PAYER_B.serviceLines,
        totalChargeAmount: '79.04',
      },
    },
  ],
  [
    'COB-claim-from-billing-provider-to-payer-b',
    ['icd10', 'npi'],
    {
      accepted: COB_CLAIM_TO_PAYER_B,
    },
  ],
  [
    'COB-claim-from-payer-a-to-payer-b-in-payer-to-payer',
    ['icd10', 'npi'],
    {
      accepted: {
        ...COB_CLAIM_TO_PAYER_B,
        // As payer A forwards it: the member id and name as that file spells them.
        member: { ...COB_CLAIM_TO_PAYER_B.member, memberId: '22233444', lastName: 'SmITH' },
      },
    },
  ],
  [
    'medicare-secondary-payer-COB',
    ['icd10', 'npi'],
    {
      accepted: {
        patientControlNumber: '101KEN6055',
        placeOfServiceCode: '11',
        member: {
          memberId: '102200221B1',
          firstName: 'WAYNE',
          lastName: 'MEDYUM',
          birthDate: '1956-01-10',
          gender: 'M',
        },
        payerResponsibilityCode: 'S',
        priorPayers: [
          {
            responsibilityCode: 'P',
            payerName: 'COMMERCE',
            payerIdentifier: '59999',
            paidAmount: '80.00',
            claimAdjustments: [],
            lines: [
              {
                lineNumber: 1,
                paidAmount: '80.00',
                adjustments: [
                  {
                    group: 'CO',
                    reasonCode: '42',
                    amount: '25.00',
                  },
                  {
                    group: 'PR',
                    reasonCode: '2',
                    amount: '15.00',
                  },
                ],
                adjudicationDate: '2005-01-28',
              },
            ],
          },
        ],
        diagnosisCodes: ['M1710', 'M25469'],
        serviceLines: [
          {
            procedureCode: '99203',
            modifiers: ['25'],
            units: 1,
            chargeAmount: '120.00',
            serviceDate: '2005-01-19',
            diagnosisPointers: [1, 2],
          },
        ],
        totalChargeAmount: '120.00',
      },
    },
  ],
  // Refused by decision: an encounter (BHT06 RP) is not a claim for payment.
  ['encounter', ['icd10', 'npi'], { refused: [ENCOUNTER] }],
];

function onlyClaimOf(text: string): X12ClaimReading {
  const reading = readProfessionalClaims(text, { providerNpi: null, claimsMax: 10 });
  if (reading.status !== 'read') throw new Error(JSON.stringify(reading.problems));
  expect(reading.claims).toHaveLength(1);
  return reading.claims[0]!;
}

describe('the 837P guide examples (005010X222A1)', () => {
  it('are all sixteen, each once in the table', () => {
    expect(new Set(EXAMPLES.map(([name]) => name)).size).toBe(16);
  });

  it.each(EXAMPLES)('%s (changed: %j)', (name, changes, expected) => {
    // "npi" is named exactly where the example's NPI is not valid.
    const publishedNpi = /NM1\*85\*[^~]*\*XX\*(\d+)/.exec(exampleText(name, []))![1]!;
    expect(changes.includes('npi')).toBe(!isValidNpi(publishedNpi));
    const claim = onlyClaimOf(exampleText(name, changes));
    if ('accepted' in expected) {
      expect(claim.entry).toStrictEqual({
        submission: { payerId: samplePayerId, frequencyCode: '1', ...expected.accepted },
      });
    } else {
      const entry = claim.entry as { problems: { element?: string; message: string }[] };
      expect(entry.problems.map((problem) => [problem.element, problem.message])).toEqual(
        expected.refused,
      );
    }
  });

  it('without ICD-10 codes, every example is refused at its HI qualifiers too', () => {
    const claim = onlyClaimOf(exampleText('wheelchair', []));
    expect(claim.entry).toStrictEqual({
      problems: [
        expect.objectContaining({
          element: 'HI01-1',
          message: 'is "BK" (ICD-9-CM): send ICD-10-CM codes ("ABK")',
        }),
        expect.objectContaining({
          element: 'HI02-1',
          message: 'is "BF" (ICD-9-CM): send ICD-10-CM codes ("ABF")',
        }),
      ],
    });
  });
});
