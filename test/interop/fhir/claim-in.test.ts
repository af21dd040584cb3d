// FHIR Claim in: the sample maps to exactly the claim POST /v1/claims would take, and every
// problem names the FHIR path the client sent (never our own field names).
import type { Claim, ClaimItem, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { mapFhirClaim, type FhirClaimMapping } from '../../../src/interop/fhir/claim-in.js';
import { fhirClaimOf } from '../../../src/interop/fhir/claim-out.js';
import { fhirProblemsOf, sampleFhirClaim } from './samples.js';

const payerId = '11111111-1111-4111-8111-111111111111';
const providerId = '22222222-2222-4222-8222-222222222222';
const priorClaimId = '55555555-5555-4555-8555-555555555555';

/** The sample with one change made by `edit` (on a deep copy). */
function claimWith(edit: (claim: Claim) => void): Claim {
  const claim = structuredClone(sampleFhirClaim(payerId));
  edit(claim);
  return claim;
}

const item = (claim: Claim, index: number) => claim.item![index]!;
const patient = (claim: Claim) => claim.contained![0] as Patient;

function accepted(mapping: FhirClaimMapping) {
  if (mapping.status !== 'accepted') throw new Error(JSON.stringify(mapping.problems));
  return mapping;
}

function problemsOf(body: unknown, httpStatus: 400 | 422 = 422) {
  const mapping = mapFhirClaim(body, providerId);
  if (mapping.status !== 'rejected') throw new Error('expected the claim to be rejected');
  expect(mapping.httpStatus).toBe(httpStatus);
  return mapping.problems;
}

describe('the sample professional claim', () => {
  it('is valid FHIR R4', () => {
    expect(fhirProblemsOf(sampleFhirClaim(payerId))).toEqual([]);
  });

  it('maps onto the ClaimSubmission of POST /v1/claims', () => {
    const { submission } = accepted(mapFhirClaim(sampleFhirClaim(payerId), providerId));
    expect(submission).toStrictEqual({
      payerId,
      patientControlNumber: 'PCN-1001',
      frequencyCode: '1',
      member: {
        memberId: 'W123456789',
        firstName: 'Jane',
        lastName: 'Doe',
        birthDate: '1980-02-29',
        gender: 'F',
      },
      // In sequence order (the sample lists I10 first, as sequence 2), without the dot.
      diagnosisCodes: ['E119', 'I10'],
      serviceLines: [
        {
          procedureCode: '99213',
          modifiers: ['25'],
          units: 1,
          chargeAmount: '125.00',
          serviceDate: '2026-03-02',
          diagnosisPointers: [1, 2],
        },
        {
          // unitPrice 48.5 × quantity 1
          procedureCode: '80053',
          modifiers: [],
          units: 1,
          chargeAmount: '48.50',
          serviceDate: '2026-03-02',
          diagnosisPointers: [1],
        },
        {
          procedureCode: '97810',
          modifiers: [],
          units: 1,
          chargeAmount: '60.00',
          serviceDate: '2026-03-02',
          diagnosisPointers: [2],
        },
      ],
      totalChargeAmount: '233.50',
    });
  });

  it('survives the round trip through the Claim we answer with', () => {
    const { submission } = accepted(mapFhirClaim(sampleFhirClaim(payerId), providerId));
    const answered = fhirClaimOf({
      ...submission,
      id: '33333333-3333-4333-8333-333333333333',
      status: 'submitted',
      providerId,
      originalClaimId: null,
      totalChargeAmount: '233.50',
      submittedAt: '2026-03-20T10:00:00.000Z',
    });
    expect(fhirProblemsOf(answered)).toEqual([]);
    const again = accepted(mapFhirClaim(answered, providerId)).submission;
    expect(again).toStrictEqual({ ...submission });
  });
});

describe('money', () => {
  it.each([
    [125.5, '125.50'],
    [125, '125.00'],
    [0.1, '0.10'],
    [9999999999.99, '9999999999.99'],
  ])('a FHIR decimal %s is the decimal string %s', (value, text) => {
    const claim = claimWith((each) => {
      item(each, 0).net = { value, currency: 'USD' };
      delete each.total;
    });
    expect(accepted(mapFhirClaim(claim, providerId)).submission.serviceLines[0]!.chargeAmount).toBe(
      text,
    );
  });

  it.each([
    [125.555, 'must have at most 2 decimal places'],
    [-5, 'must not be negative'],
    [1e21, 'is not a plain decimal amount'],
    [1000000000000, 'must be at most 999999999999.99'],
  ])('refuses %s at the FHIR path', (value, message) => {
    const claim = claimWith((each) => {
      item(each, 1).net = { value, currency: 'USD' };
    });
    expect(problemsOf(claim)).toEqual([{ field: 'Claim.item[1].net.value', message }]);
  });

  it('refuses a zero charge as the schema does, at the FHIR path', () => {
    const claim = claimWith((each) => {
      item(each, 0).net = { value: 0 };
      delete each.total;
    });
    expect(problemsOf(claim)).toEqual([
      { field: 'Claim.item[0].net.value', message: 'must be greater than 0' },
    ]);
  });

  it('refuses a decimal sent as a JSON string (FHIR decimals are numbers)', () => {
    const claim = claimWith((each) => {
      (item(each, 0).net as unknown as { value: string }).value = '125.00';
    });
    expect(problemsOf(claim)).toEqual([
      { field: 'Claim.item[0].net.value', message: 'must be a JSON number (a FHIR decimal)' },
    ]);
  });

  it('prices unitPrice × quantity × factor exactly, never in floating point', () => {
    const claim = claimWith((each) => {
      item(each, 1).unitPrice = { value: 0.1 };
      item(each, 1).quantity = { value: 3 };
      delete each.total;
    });
    const lines = accepted(mapFhirClaim(claim, providerId)).submission.serviceLines;
    expect(lines[1]!.chargeAmount).toBe('0.30'); // 0.1 * 3 is 0.30000000000000004 in binary
    expect(lines[1]!.units).toBe(3);
  });

  it('applies factor, and takes an item without quantity as one', () => {
    const claim = claimWith((each) => {
      item(each, 1).unitPrice = { value: 40 };
      item(each, 1).factor = 0.5;
      delete item(each, 1).quantity;
      delete each.total;
    });
    const line = accepted(mapFhirClaim(claim, providerId)).submission.serviceLines[1]!;
    expect(line).toMatchObject({ units: 1, chargeAmount: '20.00' });
  });

  it('refuses a unitPrice × quantity with more than 2 decimals, asking for net', () => {
    const claim = claimWith((each) => {
      item(each, 1).unitPrice = { value: 4.01 };
      item(each, 1).quantity = { value: 2.5 };
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.item[1].unitPrice.value',
        message: 'unitPrice × quantity × factor is 10.025, more than 2 decimal places: send net',
      },
    ]);
  });

  it('refuses a net that disagrees with unitPrice × quantity', () => {
    const claim = claimWith((each) => {
      item(each, 0).unitPrice = { value: 120 };
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.item[0].net.value',
        message: 'must equal unitPrice × quantity × factor (120.00)',
      },
    ]);
  });

  it('refuses an item without a charge, and money in another currency', () => {
    const claim = claimWith((each) => {
      delete item(each, 0).net;
      item(each, 2).net = { value: 60, currency: 'EUR' };
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.item[0].net',
        message: 'is required: the line charge (net, or unitPrice and quantity)',
      },
      { field: 'Claim.item[2].net.currency', message: 'must be "USD"' },
    ]);
  });

  it('checks total.value against the sum of the items', () => {
    const claim = claimWith((each) => {
      each.total = { value: 233.49, currency: 'USD' };
    });
    expect(problemsOf(claim)).toEqual([
      { field: 'Claim.total.value', message: 'must equal the sum of the line charges (233.50)' },
    ]);
  });
});

describe('problems name the FHIR path', () => {
  const cases: [string, (claim: Claim) => void, string, string][] = [
    [
      'an insurer that is not an Organization reference',
      (claim) => (claim.insurer = { reference: `Payer/${payerId}` }),
      'Claim.insurer.reference',
      'must reference the payer as "Organization/<payer id>"',
    ],
    [
      'an insurer id that is not a UUID',
      (claim) => (claim.insurer = { reference: 'Organization/acme' }),
      'Claim.insurer.reference',
      'must be a UUID',
    ],
    [
      'a claim number with a trailing space',
      (claim) => (claim.identifier![0]!.value = 'PCN1001 '),
      'Claim.identifier[0].value',
      'must be 1-38 printable characters, without leading or trailing spaces (it is CLM01 in the 837P and CLP01 in the 835)',
    ],
    [
      'an institutional claim',
      (claim) => (claim.type.coding![0]!.code = 'institutional'),
      'Claim.type',
      'must have the coding http://terminology.hl7.org/CodeSystem/claim-type|professional',
    ],
    [
      'a preauthorization',
      (claim) => (claim.use = 'preauthorization'),
      'Claim.use',
      'must be "claim" (preauthorization and predetermination are not supported)',
    ],
    [
      'a malformed ICD-10-CM code (sequence 1, listed second)',
      (claim) => (claim.diagnosis![1]!.diagnosisCodeableConcept!.coding![0]!.code = 'E11.9XXXXX'),
      'Claim.diagnosis[1].diagnosisCodeableConcept.coding[0].code',
      'must be an ICD-10-CM code such as "E11.9"',
    ],
    [
      'a diagnosis coded in another system',
      (claim) => (claim.diagnosis![0]!.diagnosisCodeableConcept!.coding![0]!.system = 'urn:x'),
      'Claim.diagnosis[0].diagnosisCodeableConcept.coding',
      'needs a coding with system http://hl7.org/fhir/sid/icd-10-cm',
    ],
    [
      'a procedure code of the wrong shape',
      (claim) => (item(claim, 0).productOrService.coding![0]!.code = '9921'),
      'Claim.item[0].productOrService.coding[0].code',
      'must be a CPT or HCPCS code such as "99213" or "J1885"',
    ],
    [
      'a procedure without a CPT or HCPCS coding',
      (claim) => (item(claim, 2).productOrService = { text: 'acupuncture' }),
      'Claim.item[2].productOrService.coding',
      'needs a coding with system http://www.ama-assn.org/go/cpt (CPT) or https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets (HCPCS)',
    ],
    [
      'a bad modifier',
      (claim) => (item(claim, 0).modifier![0]!.coding![0]!.code = '2'),
      'Claim.item[0].modifier[0].coding[0].code',
      'must be a two-character modifier such as "25"',
    ],
    [
      'a service date in the future',
      (claim) => (item(claim, 2).servicedDate = '2099-01-01'),
      'Claim.item[2].servicedDate',
      'must not be in the future',
    ],
    [
      'an item without a service date',
      (claim) => delete item(claim, 2).servicedDate,
      'Claim.item[2].servicedDate',
      'is required',
    ],
    [
      'a diagnosisSequence with no such diagnosis',
      (claim) => (item(claim, 0).diagnosisSequence = [1, 3]),
      'Claim.item[0].diagnosisSequence[1]',
      'points at diagnosis 3 but the claim has 2',
    ],
    [
      'units with 4 decimals',
      (claim) => {
        item(claim, 0).quantity = { value: 1.2345 };
        delete claim.total;
      },
      'Claim.item[0].quantity.value',
      'must have at most 3 decimal places',
    ],
    [
      'item sequences that skip one',
      (claim) => (item(claim, 2).sequence = 4),
      'Claim.item[2].sequence',
      'sequences must be 1 to 3, each once; found 4',
    ],
    [
      'a member number with a space',
      (claim) => (patient(claim).identifier![0]!.value = 'W 123'),
      'Claim.contained[0].identifier[0].value',
      'must be 2-80 letters, digits or hyphens',
    ],
    [
      'a patient without a family name',
      (claim) => delete patient(claim).name![0]!.family,
      'Claim.contained[0].name[0].family',
      'is required',
    ],
    [
      'a patient without a name',
      (claim) => delete patient(claim).name,
      'Claim.contained[0].name',
      'is required: the member name',
    ],
    [
      'a birth date that is no date',
      (claim) => (patient(claim).birthDate = '1980-02-30'),
      'Claim.contained[0].birthDate',
      'is not a real calendar date',
    ],
    [
      'a gender outside the value set',
      (claim) => ((patient(claim) as { gender: string }).gender = 'f'),
      'Claim.contained[0].gender',
      'must be "male", "female", "other" or "unknown"',
    ],
    [
      'a patient referenced rather than contained',
      (claim) => (claim.patient = { reference: 'Patient/123' }),
      'Claim.patient.reference',
      'must reference a Patient contained in the Claim ("#id"): the member travels with the claim',
    ],
    [
      'another provider organization',
      (claim) => (claim.provider = { reference: `Organization/${payerId}` }),
      'Claim.provider.reference',
      `must be your own organization (Organization/${providerId}) or left out`,
    ],
    [
      'a modifier extension',
      (claim) => (item(claim, 0).modifierExtension = [{ url: 'urn:x', valueBoolean: true }]),
      'Claim.item[0].modifierExtension',
      'is not supported: a modifier extension could change the meaning of the claim',
    ],
    [
      'sub-items',
      (claim) =>
        (item(claim, 0).detail = [
          { sequence: 1, productOrService: { text: 'x' } },
        ] as ClaimItem['detail']),
      'Claim.item[0].detail',
      'is not supported: send each service as its own item',
    ],
    [
      'a replacement without the claim it replaces',
      (claim) =>
        (claim.extension = [
          { url: 'https://claimchain.dev/fhir/StructureDefinition/frequency-code', valueCode: '7' },
        ]),
      'Claim.related',
      'is required for a replacement or void',
    ],
    [
      'a frequency code that does not exist',
      (claim) =>
        (claim.extension = [
          { url: 'https://claimchain.dev/fhir/StructureDefinition/frequency-code', valueCode: '6' },
        ]),
      'Claim.extension[0].valueCode',
      'must be "1" (original), "7" (replacement) or "8" (void)',
    ],
  ];

  it.each(cases)('%s', (_, edit, field, message) => {
    expect(problemsOf(claimWith(edit))).toEqual([{ field, message }]);
  });

  it('reports every problem at once', () => {
    const claim = claimWith((each) => {
      item(each, 0).net = { value: 1.001 };
      item(each, 2).servicedDate = '2026-02-30';
      patient(each).birthDate = 'yesterday';
    });
    expect(problemsOf(claim).map((problem) => problem.field)).toEqual([
      'Claim.item[0].net.value',
      'Claim.contained[0].birthDate',
      'Claim.item[2].servicedDate',
    ]);
  });

  it('answers 400 for a body that is not a Claim', () => {
    expect(problemsOf({ resourceType: 'Patient' }, 400)).toEqual([
      { field: 'Claim.resourceType', message: 'must be "Claim"' },
    ]);
    expect(problemsOf([], 400)).toEqual([
      { field: 'Claim', message: 'the body must be a FHIR Claim resource (a JSON object)' },
    ]);
  });

  it('names an element of the wrong JSON type', () => {
    const claim = claimWith((each) => {
      (each as unknown as { item: unknown }).item = { sequence: 1 };
    });
    expect(problemsOf(claim)).toEqual([{ field: 'Claim.item', message: 'must be a JSON array' }]);
  });
});

describe('frequency and the claim replaced', () => {
  const frequency = (valueCode: string) => ({
    url: 'https://claimchain.dev/fhir/StructureDefinition/frequency-code',
    valueCode,
  });
  const prior = {
    claim: { reference: `Claim/${priorClaimId}` },
    relationship: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship',
          code: 'prior',
        },
      ],
    },
  };

  it('takes a related "prior" claim without the extension as a replacement ("7")', () => {
    const claim = claimWith((each) => (each.related = [prior]));
    const mapping = accepted(mapFhirClaim(claim, providerId));
    expect(mapping.submission).toMatchObject({ frequencyCode: '7', originalClaimId: priorClaimId });
    expect(mapping.fhirPathOf('originalClaimId')).toBe('Claim.related[0].claim.reference');
  });

  it('takes a void only when the extension says "8"', () => {
    const claim = claimWith((each) => {
      each.related = [{ relationship: { text: 'see also' } }, prior];
      each.extension = [frequency('8')];
    });
    expect(accepted(mapFhirClaim(claim, providerId)).submission).toMatchObject({
      frequencyCode: '8',
      originalClaimId: priorClaimId,
    });
  });

  it('refuses an original ("1") that names a prior claim, at the related claim', () => {
    const claim = claimWith((each) => {
      each.related = [prior];
      each.extension = [frequency('1')];
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.related[0].claim.reference',
        message: 'must be absent on an original claim (frequencyCode "1")',
      },
    ]);
  });

  it('refuses a prior claim that is not a Claim reference', () => {
    const claim = claimWith((each) => {
      each.related = [{ ...prior, claim: { reference: 'Invoice/1' } }];
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.related[0].claim.reference',
        message: 'must reference the claim replaced as "Claim/<claim id>"',
      },
    ]);
  });
});

describe('the patient', () => {
  it.each([
    ['female', 'F'],
    ['male', 'M'],
    ['other', 'U'],
    ['unknown', 'U'],
    [undefined, 'U'],
  ] as const)('gender %s is %s', (gender, expected) => {
    const claim = claimWith((each) => {
      if (gender === undefined) delete patient(each).gender;
      else patient(each).gender = gender;
    });
    expect(accepted(mapFhirClaim(claim, providerId)).submission.member.gender).toBe(expected);
  });

  it('is the only contained Patient when Claim.patient is left out', () => {
    const claim = claimWith((each) => {
      delete (each as Partial<Claim>).patient;
      each.contained!.unshift({ resourceType: 'Organization', id: 'org1', name: 'Acme' });
    });
    expect(accepted(mapFhirClaim(claim, providerId)).submission.member.memberId).toBe('W123456789');
  });

  it('takes the member number from the identifier of type MB among several', () => {
    const claim = claimWith((each) => {
      patient(each).identifier!.unshift({ system: 'urn:mrn', value: 'MRN-77' });
    });
    const mapping = accepted(mapFhirClaim(claim, providerId));
    expect(mapping.submission.member.memberId).toBe('W123456789');
    expect(mapping.fhirPathOf('member.memberId')).toBe('Claim.contained[0].identifier[1].value');
  });

  it('refuses several identifiers none of which is the member number', () => {
    const claim = claimWith((each) => {
      patient(each).identifier = [{ value: 'A1' }, { value: 'B2' }];
    });
    expect(problemsOf(claim)).toEqual([
      {
        field: 'Claim.contained[0].identifier',
        message:
          'needs the member number: one identifier, or one of type http://terminology.hl7.org/CodeSystem/v2-0203|MB',
      },
    ]);
  });
});

describe('fhirPathOf, for problems found after mapping (an unknown payer)', () => {
  it('names the FHIR path of our fields', () => {
    const mapping = accepted(mapFhirClaim(sampleFhirClaim(payerId), providerId));
    expect(mapping.fhirPathOf('payerId')).toBe('Claim.insurer.reference');
    expect(mapping.fhirPathOf('originalClaimId')).toBe('Claim.related');
    expect(mapping.fhirPathOf('serviceLines[1].chargeAmount')).toBe(
      'Claim.item[1].unitPrice.value',
    );
    expect(mapping.fhirPathOf('diagnosisCodes[0]')).toBe(
      'Claim.diagnosis[1].diagnosisCodeableConcept.coding[0].code',
    );
    expect(mapping.fhirPathOf('member.gender')).toBe('Claim.contained[0].gender');
    expect(mapping.fhirPathOf('not.a.field')).toBe('Claim');
  });
});
