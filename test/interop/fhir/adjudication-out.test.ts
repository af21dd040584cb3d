// ClaimResponse and ExplanationOfBenefit of the worked claim, decided by the real engine: the exact
// resources, their FHIR R4 validity (Medplum's validator) and their codes against the R4 code
// systems (which the validator does not check).
import type {
  ClaimResponse,
  CodeableConcept,
  ExplanationOfBenefit,
  Resource,
} from '@medplum/fhirtypes';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import type { DecidedRecord, DecisionRecord } from '../../../src/domain/adjudication/types.js';
import {
  claimResponseOf,
  explanationOfBenefitOf,
} from '../../../src/interop/fhir/adjudication-out.js';
import type { ClaimForFhir } from '../../../src/interop/fhir/claim-out.js';
import { fhirProblemsOf, r4CodeSystemConcepts, sampleDecision } from './samples.js';

const claimId = '33333333-3333-4333-8333-333333333333';
const providerId = '22222222-2222-4222-8222-222222222222';
const payerId = '11111111-1111-4111-8111-111111111111';
const decisionId = '44444444-4444-4444-8444-444444444444';

/** The worked claim as getClaim reads it back (units and money as stored). */
const claim: ClaimForFhir = {
  id: claimId,
  status: 'partially_paid',
  providerId,
  payerId,
  patientControlNumber: 'PCN-1001',
  frequencyCode: '1',
  originalClaimId: null,
  totalChargeAmount: '233.50',
  submittedAt: '2026-03-20T10:00:00.000Z',
  member: {
    memberId: 'W123456789',
    firstName: 'Jane',
    lastName: 'Doe',
    birthDate: '1980-02-29',
    gender: 'F',
  },
  diagnosisCodes: ['E119', 'I10'],
  serviceLines: [
    {
      procedureCode: '99213',
      modifiers: ['25'],
      units: '1',
      chargeAmount: '125.00',
      serviceDate: '2026-03-02',
      diagnosisPointers: [1, 2],
    },
    {
      procedureCode: '80053',
      modifiers: [],
      units: '1',
      chargeAmount: '48.50',
      serviceDate: '2026-03-02',
      diagnosisPointers: [1],
    },
    {
      procedureCode: '97810',
      modifiers: [],
      units: '1',
      chargeAmount: '60.00',
      serviceDate: '2026-03-02',
      diagnosisPointers: [2],
    },
  ],
};

function decided(): DecidedRecord {
  const result = sampleDecision();
  return {
    id: decisionId,
    decidedAt: '2026-03-21T08:00:00.000Z',
    decidedBy: 'auto',
    status: result.status,
    paidAmount: result.totals.paidAmount,
    patientResponsibilityAmount: result.totals.patientResponsibilityAmount,
    result,
  };
}

const pended: DecisionRecord = {
  id: decisionId,
  decidedAt: '2026-03-21T08:00:00.000Z',
  decidedBy: 'auto',
  status: 'pended',
  paidAmount: '0.00',
  patientResponsibilityAmount: '0.00',
  result: { outcome: 'pend', pendReasons: ['total charge exceeds the auto-adjudication limit'] },
};

// ---- Building blocks of the expected resources (spelled out, not computed) ----------------------

const THO = 'http://terminology.hl7.org/CodeSystem/adjudication';
const usd = (value: number) => ({ value, currency: 'USD' });
const category = (system: string, code: string, display: string) => ({
  coding: [{ system, code, display }],
});
const submitted = category(THO, 'submitted', 'Submitted Amount');
const eligible = category(THO, 'eligible', 'Eligible Amount');
const copay = category(THO, 'copay', 'CoPay');
const deductible = category(THO, 'deductible', 'Deductible');
const benefit = category(THO, 'benefit', 'Benefit Amount');
const coinsurance = category(
  'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication',
  'coinsurance',
  'Co-insurance',
);
const adjustment = category(
  'https://claimchain.dev/fhir/CodeSystem/adjudication',
  'adjustment',
  'Claim adjustment (835 CAS)',
);

function cas(group: string, reasonCode: string, categoryOf: CodeableConcept, amount: number) {
  return {
    extension: [
      {
        url: 'https://claimchain.dev/fhir/StructureDefinition/adjustment-group',
        valueCode: group,
      },
    ],
    category: categoryOf,
    reason: {
      coding: [{ system: 'https://x12.org/codes/claim-adjustment-reason-codes', code: reasonCode }],
      text: `${group}-${reasonCode}`,
    },
    amount: usd(amount),
  };
}

const amountOf = (categoryOf: CodeableConcept, amount: number) => ({
  category: categoryOf,
  amount: usd(amount),
});

const line1Adjudication = [
  amountOf(submitted, 125),
  amountOf(eligible, 95),
  cas('CO', '45', adjustment, 30),
  cas('PR', '3', copay, 25),
  cas('PR', '1', deductible, 50),
  cas('PR', '2', coinsurance, 4),
  amountOf(benefit, 16),
];
const line2Adjudication = [
  amountOf(submitted, 48.5),
  amountOf(eligible, 40),
  cas('CO', '45', adjustment, 8.5),
  cas('PR', '2', coinsurance, 8),
  amountOf(benefit, 32),
];
const line3Adjudication = [
  amountOf(submitted, 60),
  amountOf(eligible, 0),
  cas('CO', '96', adjustment, 60),
  amountOf(benefit, 0),
];
const expectedTotals = [
  amountOf(submitted, 233.5),
  amountOf(eligible, 135),
  amountOf(adjustment, 98.5),
  amountOf(copay, 25),
  amountOf(deductible, 50),
  amountOf(coinsurance, 12),
  amountOf(benefit, 48),
];

const containedPatient = {
  resourceType: 'Patient',
  id: 'patient',
  identifier: [
    {
      type: {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
            code: 'MB',
            display: 'Member Number',
          },
        ],
      },
      value: 'W123456789',
    },
  ],
  name: [{ family: 'Doe', given: ['Jane'] }],
  gender: 'female',
  birthDate: '1980-02-29',
};
const professional = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }],
};
const payment = {
  type: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype', code: 'complete' }],
  },
  amount: usd(48),
};
const remarkNote = {
  number: 1,
  type: 'display',
  text: 'Remark N130 (https://x12.org/codes/remittance-advice-remark-codes)',
};

describe('the worked claim, decided by the engine', () => {
  it('is partially paid: 48.00 of 233.50, as worked by hand in samples.ts', () => {
    expect(sampleDecision().status).toBe('partially_paid');
    expect(sampleDecision().totals).toStrictEqual({
      chargeAmount: '233.50',
      allowedAmount: '135.00',
      paidAmount: '48.00',
      patientResponsibilityAmount: '87.00',
      adjustmentAmount: '185.50',
    });
  });
});

describe('ClaimResponse', () => {
  it('is exactly this for the decided claim', () => {
    expect(claimResponseOf(claim, decided())).toStrictEqual({
      resourceType: 'ClaimResponse',
      id: claimId,
      meta: { versionId: decisionId, lastUpdated: '2026-03-21T08:00:00.000Z' },
      contained: [containedPatient],
      status: 'active',
      type: professional,
      use: 'claim',
      patient: { reference: '#patient' },
      insurer: { reference: `Organization/${payerId}`, type: 'Organization' },
      requestor: { reference: `Organization/${providerId}`, type: 'Organization' },
      request: { reference: `Claim/${claimId}` },
      created: '2026-03-21T08:00:00.000Z',
      outcome: 'complete',
      disposition: 'Partially paid: some lines were denied',
      item: [
        { itemSequence: 1, adjudication: line1Adjudication },
        { itemSequence: 2, adjudication: line2Adjudication },
        { itemSequence: 3, noteNumber: [1], adjudication: line3Adjudication },
      ],
      total: expectedTotals,
      payment,
      processNote: [remarkNote],
    });
  });

  it('is queued, without items, for a claim not yet decided', () => {
    expect(claimResponseOf(claim, null)).toStrictEqual({
      resourceType: 'ClaimResponse',
      id: claimId,
      meta: { lastUpdated: '2026-03-20T10:00:00.000Z' },
      contained: [containedPatient],
      status: 'active',
      type: professional,
      use: 'claim',
      patient: { reference: '#patient' },
      insurer: { reference: `Organization/${payerId}`, type: 'Organization' },
      requestor: { reference: `Organization/${providerId}`, type: 'Organization' },
      request: { reference: `Claim/${claimId}` },
      created: '2026-03-20T10:00:00.000Z',
      outcome: 'queued',
      disposition: 'Received; not yet adjudicated',
    });
  });

  it("is queued for a pended claim, and says nothing of the payer's pend reasons", () => {
    const response = claimResponseOf(claim, pended);
    expect(response).toMatchObject({
      meta: { versionId: decisionId, lastUpdated: '2026-03-21T08:00:00.000Z' },
      outcome: 'queued',
      disposition: 'Pended for review by the payer',
    });
    expect(response.item).toBeUndefined();
    expect(JSON.stringify(response)).not.toContain('auto-adjudication');
  });
});

describe('replacements and voids', () => {
  it('a decision reversed by a replacement is cancelled, its amounts kept', () => {
    const replaced = { ...claim, status: 'replaced' };
    for (const resource of [
      claimResponseOf(replaced, decided()),
      explanationOfBenefitOf(replaced, decided()),
    ]) {
      expect(resource).toMatchObject({
        status: 'cancelled',
        outcome: 'complete',
        disposition: 'Reversed: the claim was replaced by a later claim',
        payment: { amount: usd(48) },
      });
      expect(fhirProblemsOf(resource)).toEqual([]);
    }
    expect(claimResponseOf({ ...claim, status: 'voided' }, decided())).toMatchObject({
      status: 'cancelled',
      disposition: 'Reversed: the claim was voided',
    });
  });

  it('a processed void (no decision of its own) is complete, without items', () => {
    const voidClaim = {
      ...claim,
      frequencyCode: '8',
      originalClaimId: decisionId,
      status: 'voided',
    };
    const response = claimResponseOf(voidClaim, null);
    expect(response).toMatchObject({
      status: 'active',
      outcome: 'complete',
      disposition: "Void processed: the original claim's decision was reversed",
    });
    expect(response.item).toBeUndefined();
    expect(claimResponseOf({ ...voidClaim, status: 'submitted' }, null).outcome).toBe('queued');
  });
});

describe('ExplanationOfBenefit', () => {
  it('is exactly this for the decided claim', () => {
    expect(explanationOfBenefitOf(claim, decided())).toStrictEqual({
      resourceType: 'ExplanationOfBenefit',
      id: claimId,
      meta: { versionId: decisionId, lastUpdated: '2026-03-21T08:00:00.000Z' },
      contained: [
        containedPatient,
        {
          resourceType: 'Coverage',
          id: 'coverage',
          status: 'active',
          subscriberId: 'W123456789',
          beneficiary: { reference: '#patient' },
          payor: [{ reference: `Organization/${payerId}`, type: 'Organization' }],
        },
      ],
      status: 'active',
      type: professional,
      use: 'claim',
      patient: { reference: '#patient' },
      insurer: { reference: `Organization/${payerId}`, type: 'Organization' },
      billablePeriod: { start: '2026-03-02', end: '2026-03-02' },
      created: '2026-03-21T08:00:00.000Z',
      provider: { reference: `Organization/${providerId}`, type: 'Organization' },
      claim: { reference: `Claim/${claimId}` },
      claimResponse: { reference: `ClaimResponse/${claimId}` },
      outcome: 'complete',
      disposition: 'Partially paid: some lines were denied',
      diagnosis: [
        {
          sequence: 1,
          diagnosisCodeableConcept: {
            coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }],
          },
        },
        {
          sequence: 2,
          diagnosisCodeableConcept: {
            coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }],
          },
        },
      ],
      insurance: [{ focal: true, coverage: { reference: '#coverage' } }],
      item: [
        {
          sequence: 1,
          diagnosisSequence: [1, 2],
          productOrService: {
            coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }],
          },
          modifier: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '25' }] }],
          servicedDate: '2026-03-02',
          quantity: { value: 1 },
          net: usd(125),
          adjudication: line1Adjudication,
        },
        {
          sequence: 2,
          diagnosisSequence: [1],
          productOrService: {
            coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '80053' }],
          },
          servicedDate: '2026-03-02',
          quantity: { value: 1 },
          net: usd(48.5),
          adjudication: line2Adjudication,
        },
        {
          sequence: 3,
          diagnosisSequence: [2],
          productOrService: {
            coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '97810' }],
          },
          servicedDate: '2026-03-02',
          quantity: { value: 1 },
          net: usd(60),
          noteNumber: [1],
          adjudication: line3Adjudication,
        },
      ],
      total: expectedTotals,
      payment,
      processNote: [remarkNote],
    });
  });

  it('names the claim it replaces', () => {
    const replacement = { ...claim, frequencyCode: '7', originalClaimId: decisionId };
    expect(explanationOfBenefitOf(replacement, decided()).related).toStrictEqual([
      {
        claim: { reference: `Claim/${decisionId}` },
        relationship: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
              code: 'prior',
            },
          ],
        },
      },
    ]);
  });
});

describe('invariants', () => {
  it('balances every item: submitted = benefit + every CAS adjustment', () => {
    for (const resource of [
      claimResponseOf(claim, decided()),
      explanationOfBenefitOf(claim, decided()),
    ]) {
      for (const item of resource.item ?? []) {
        const amounts = (code: string) =>
          item.adjudication!.filter((entry) => entry.category.coding?.[0]?.code === code);
        const sum = (entries: { amount?: { value?: number } }[]) =>
          entries.reduce((total, entry) => total.plus(String(entry.amount!.value)), new Decimal(0));
        const adjustments = item.adjudication!.filter((entry) => entry.reason !== undefined);
        expect(sum(amounts('submitted')).eq(sum(amounts('benefit')).plus(sum(adjustments)))).toBe(
          true,
        );
      }
    }
  });

  it('refuses a decision of another claim (a bug, never a resource)', () => {
    const twoLines = { ...claim, serviceLines: claim.serviceLines.slice(0, 2) };
    expect(() => claimResponseOf(twoLines, decided())).toThrow(/does not fit claim/);
    const tampered = decided();
    tampered.paidAmount = '48.01';
    expect(() => explanationOfBenefitOf(claim, tampered)).toThrow(/does not balance/);
  });
});

describe('FHIR R4 validity', () => {
  const resources: [string, Resource][] = [
    ['the decided ClaimResponse', claimResponseOf(claim, decided())],
    ['the queued ClaimResponse', claimResponseOf(claim, null)],
    ['the pended ClaimResponse', claimResponseOf(claim, pended)],
    ['the ExplanationOfBenefit', explanationOfBenefitOf(claim, decided())],
  ];

  it.each(resources)('%s passes Medplum validateResource', (_, resource) => {
    expect(fhirProblemsOf(resource)).toEqual([]);
  });

  it('the validator is not vacuous: it catches a missing adjudication category', () => {
    const broken = structuredClone(claimResponseOf(claim, decided()));
    delete (broken.item![0]!.adjudication[0] as { category?: CodeableConcept }).category;
    expect(fhirProblemsOf(broken)).toEqual([
      'ClaimResponse.item[0].adjudication[0].category: Missing required property',
    ]);
  });
});

describe('codes against the R4 code systems (validateResource does not check value sets)', () => {
  const adjudicationCodes = r4CodeSystemConcepts(THO);
  // Documented exceptions: R4 has no code for a coinsurance amount (eligpercent is a percentage)
  // nor for a contractual adjustment; both bindings are "example" strength, so others are valid.
  const allowedOutsideR4 = new Map([
    ['http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication|coinsurance', 'Co-insurance'],
    [
      'https://claimchain.dev/fhir/CodeSystem/adjudication|adjustment',
      'Claim adjustment (835 CAS)',
    ],
  ]);

  function categoriesOf(resource: ClaimResponse | ExplanationOfBenefit) {
    const items = (resource.item ?? []).flatMap((item) => item.adjudication ?? []);
    return [...items, ...(resource.total ?? [])].flatMap((entry) => entry.category.coding ?? []);
  }

  it.each([
    ['ClaimResponse', claimResponseOf(claim, decided())],
    ['ExplanationOfBenefit', explanationOfBenefitOf(claim, decided())],
  ] as const)(
    'every adjudication category of the %s is in the R4 value set or documented',
    (_, resource) => {
      const categories = categoriesOf(resource);
      expect(categories.length).toBeGreaterThan(0);
      for (const coding of categories) {
        const key = `${coding.system}|${coding.code}`;
        const display = adjudicationCodes.get(key) ?? allowedOutsideR4.get(key);
        expect(display, key).toBeDefined();
        expect(coding.display, key).toBe(display);
      }
      const r4Used = new Set(
        categories.filter((coding) => coding.system === THO).map((coding) => coding.code),
      );
      expect([...r4Used].sort()).toEqual([
        'benefit',
        'copay',
        'deductible',
        'eligible',
        'submitted',
      ]);
    },
  );

  it('uses R4 codes for outcome, claim type, use, payment type, relationship and identifier type', () => {
    const response = claimResponseOf(claim, decided());
    const eob = explanationOfBenefitOf(
      { ...claim, frequencyCode: '7', originalClaimId: claimId },
      decided(),
    );
    const inR4 = (system: string, code: string | undefined) =>
      r4CodeSystemConcepts(system).has(`${system}|${code}`);
    for (const resource of [response, claimResponseOf(claim, null), eob]) {
      expect(inR4('http://hl7.org/fhir/remittance-outcome', resource.outcome)).toBe(true);
      expect(inR4('http://hl7.org/fhir/claim-use', resource.use)).toBe(true);
      const type = resource.type.coding![0]!;
      expect(inR4(type.system!, type.code)).toBe(true);
    }
    const paymentType = response.payment!.type.coding![0]!;
    expect(inR4(paymentType.system!, paymentType.code)).toBe(true);
    const relationship = eob.related![0]!.relationship!.coding![0]!;
    expect(inR4(relationship.system!, relationship.code)).toBe(true);
    const identifierType = (eob.contained![0] as { identifier: { type: CodeableConcept }[] })
      .identifier[0]!.type.coding![0]!;
    const v2Concepts = r4CodeSystemConcepts(identifierType.system!);
    expect(v2Concepts.get(`${identifierType.system}|${identifierType.code}`)).toBe(
      identifierType.display,
    );
  });
});
