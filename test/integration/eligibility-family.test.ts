// Eligibility of dependents and families on the real database, in every channel (JSON, the
// guide's dependent 270 answered by a 271, FHIR): a dependent is covered by its own coverage or
// else its subscriber's, as adjudication has it, and the answer carries the family's figures.
//
// Worked by hand. Family plan: deductible 500 each and 1000 per family, out-of-pocket 2000 and
// 2500. The Smiths: John (subscriber, covered by the plan), Jane and Mary (dependents without
// coverage of their own). Met in 2026: John 500 and 520, Jane 400 and 400, Mary nothing; the
// family 900 and 920. Mary's answer: her own remaining 500 and 2000, the family's 100 and 1580,
// so at most 100 of deductible and 1580 out of pocket can still be asked of her. Jane: her own
// remaining 100 and 1600, the family's the same 100 and 1580.
// The Roes: Richard (subscriber, family plan), Rita (own coverage on an individual plan from
// January to March 2026): covered by her own plan in February, by none in June (a dependent with
// coverage of its own is covered by that alone).
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { X12Parser } from 'node-x12';
import type { CoverageEligibilityResponse } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { insertAccumulators, insertFamilyAccumulators } from '../support/payer.js';
import { fhirProblemsOf, r4CodeSystemConcepts } from '../interop/fhir/samples.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let payer: Actor;
let provider: Actor;
let familyPlan: { id: string; code: string };
let individualPlan: { id: string; code: string };
let guide270: string;

const smith = {
  john: { memberId: 'FAM500100', firstName: 'John', lastName: 'Smith', birthDate: '1963-05-19' },
  jane: { memberId: 'FAM500101', firstName: 'Jane', lastName: 'Smith', birthDate: '1965-02-03' },
  // The dependent of the guide's 270 example.
  mary: { memberId: 'FAM500102', firstName: 'Mary', lastName: 'Smith', birthDate: '1978-10-14' },
};
const roe = {
  richard: {
    memberId: 'FAM600100',
    firstName: 'Richard',
    lastName: 'Roe',
    birthDate: '1970-01-01',
  },
  rita: { memberId: 'FAM600101', firstName: 'Rita', lastName: 'Roe', birthDate: '1972-07-07' },
};

async function payerPost(path: string, body: object): Promise<{ id: string; code?: string }> {
  const response = await request(app).post(path).set(bearer(payer.key)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; code?: string };
}

async function enroll(
  person: { memberId: string; firstName: string; lastName: string; birthDate: string },
  subscriberRowId?: string,
): Promise<string> {
  const member = await payerPost('/v1/payer/members', {
    ...person,
    gender: 'U',
    ...(subscriberRowId ? { subscriberMemberId: subscriberRowId, relationshipCode: '19' } : {}),
  });
  return member.id;
}

async function cover(memberRowId: string, planId: string, effectiveTo: string | null = null) {
  await payerPost(`/v1/payer/members/${memberRowId}/coverages`, {
    planId,
    effectiveFrom: '2026-01-01',
    effectiveTo,
  });
}

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  provider = await createActor(environment, 'provider', 'provider_biller');
  const plan = (code: string, family: boolean) =>
    payerPost('/v1/payer/plans', {
      code,
      name: family ? 'Family PPO' : 'Solo HMO',
      deductibleAmount: '500.00',
      outOfPocketMaxAmount: '2000.00',
      copayAmount: '0.00',
      coinsurancePercent: '20',
      planYearStartMonth: 1,
      ...(family
        ? { familyDeductibleAmount: '1000.00', familyOutOfPocketMaxAmount: '2500.00' }
        : {}),
    });
  const created = [await plan('FAMILY-PPO', true), await plan('SOLO-HMO', false)];
  familyPlan = { id: created[0]!.id, code: 'FAMILY-PPO' };
  individualPlan = { id: created[1]!.id, code: 'SOLO-HMO' };

  const john = await enroll(smith.john);
  await cover(john, familyPlan.id);
  const jane = await enroll(smith.jane, john);
  await enroll(smith.mary, john);
  await insertAccumulators(environment, john, familyPlan.id, '2026', {
    deductibleMetAmount: '500.00',
    outOfPocketMetAmount: '520.00',
  });
  await insertAccumulators(environment, jane, familyPlan.id, '2026', {
    deductibleMetAmount: '400.00',
    outOfPocketMetAmount: '400.00',
  });
  await insertFamilyAccumulators(environment, john, familyPlan.id, '2026', {
    deductibleMetAmount: '900.00',
    outOfPocketMetAmount: '920.00',
  });

  const richard = await enroll(roe.richard);
  await cover(richard, familyPlan.id);
  const rita = await enroll(roe.rita, richard);
  await cover(rita, individualPlan.id, '2026-03-31');

  guide270 = await readFile(
    new URL(
      '../fixtures/x12/270-generic-request-by-physician-for-patient-dependent.x12',
      import.meta.url,
    ),
    'utf8',
  );
});

afterAll(async () => {
  await environment.close();
});

function askJson(memberId: string, date = '2026-06-15') {
  return request(app)
    .get('/v1/eligibility')
    .set(bearer(provider.key))
    .query({ payerId: payer.organization.id, memberId, date });
}

const accumulated = (amount: string, metAmount: string, remainingAmount: string) => ({
  amount,
  metAmount,
  remainingAmount,
});

describe('GET /v1/eligibility of dependents and families', () => {
  it('covers a dependent without coverage of its own by its subscriber’s, with the family figures', async () => {
    const response = await askJson(smith.mary.memberId);
    expect(response.status, response.text).toBe(200);
    expect(response.body.covered).toBe(true);
    expect(response.body.plan).toEqual({ code: familyPlan.code, name: 'Family PPO' });
    expect(response.body.coverage).toEqual({ effectiveFrom: '2026-01-01', effectiveTo: null });
    expect(response.body.benefits).toEqual({
      individual: {
        deductible: accumulated('500.00', '0.00', '500.00'),
        outOfPocketMaximum: accumulated('2000.00', '0.00', '2000.00'),
      },
      family: {
        deductible: accumulated('1000.00', '900.00', '100.00'),
        outOfPocketMaximum: accumulated('2500.00', '920.00', '1580.00'),
      },
      effectiveRemaining: { deductibleAmount: '100.00', outOfPocketAmount: '1580.00' },
    });
    const jane = await askJson(smith.jane.memberId);
    expect(jane.body.benefits.individual.deductible).toEqual(
      accumulated('500.00', '400.00', '100.00'),
    );
    expect(jane.body.benefits.effectiveRemaining).toEqual({
      deductibleAmount: '100.00',
      outOfPocketAmount: '1580.00',
    });
  });

  it('covers a dependent with coverage of its own by that alone, individual-only', async () => {
    const february = await askJson(roe.rita.memberId, '2026-02-15');
    expect(february.body.covered).toBe(true);
    expect(february.body.plan).toEqual({ code: individualPlan.code, name: 'Solo HMO' });
    expect(february.body.coverage).toEqual({
      effectiveFrom: '2026-01-01',
      effectiveTo: '2026-03-31',
    });
    expect(february.body.benefits.family).toBeNull();
    expect(february.body.benefits.effectiveRemaining).toEqual({
      deductibleAmount: '500.00',
      outOfPocketAmount: '2000.00',
    });
    // Her subscriber is covered in June; her own coverage has ended, and it alone applies.
    const june = await askJson(roe.rita.memberId, '2026-06-15');
    expect(june.body.covered).toBe(false);
    expect(june.body.notCovered.reason).toBe('no_coverage_on_date');
    expect((await askJson(roe.richard.memberId)).body.covered).toBe(true);
  });
});

/** The guide's dependent 270, asking our payer about `subscriberId`'s dependent on 2026-06-15. */
function adapted(subscriberId: string, dependentName = 'SMITH*MARY'): string {
  return guide270
    .replace('PI*842610001', `PI*${payer.organization.id}`)
    .replace('MI*11122333301', `MI*${subscriberId}`)
    .replace('NM1*03*1*SMITH*MARY', `NM1*03*1*${dependentName}`)
    .replace('DTP*291*D8*20060501', 'DTP*291*D8*20260615');
}

function post270(body: string) {
  return request(app)
    .post('/v1/x12/270')
    .set(bearer(provider.key))
    .set('Content-Type', 'application/edi-x12')
    .send(body);
}

/** The 271's segments from the subscriber's HL to SE (SE excluded). */
function subscriberLoops(text: string): string[] {
  const segments = text.split('~\n').filter(Boolean);
  return segments.slice(
    segments.findIndex((segment) => segment.startsWith('HL*3')),
    segments.findIndex((segment) => segment.startsWith('SE*')),
  );
}

async function eventCount(): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    `SELECT count(*) FROM ledger_events WHERE type = 'EligibilityInquired'`,
  );
  return Number(rows[0]!.count);
}

describe('POST /v1/x12/270 about a dependent (2000D)', () => {
  it('answers the guide’s dependent in 2000D with its own and its family’s figures', async () => {
    const before = await eventCount();
    const response = await post270(adapted(smith.john.memberId));
    expect(response.status, response.text).toBe(200);
    expect(subscriberLoops(response.text)).toEqual([
      'HL*3*2*22*1',
      `NM1*IL*1******MI*${smith.john.memberId}`,
      'HL*4*3*23*0',
      'TRN*2*93175-012547*9877281234',
      'NM1*03*1*SMITH*MARY',
      'DTP*356*D8*20260101',
      'EB*1**30**Family PPO',
      `REF*18*${familyPlan.code}`,
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
    ]);
    // One inquiry: the dependent's; the subscriber was not asked about.
    expect(await eventCount()).toBe(before + 1);
    const parsed = new X12Parser(true).parse(response.text);
    if (!('functionalGroups' in parsed)) throw new Error('one interchange expected');
    const segments = parsed.functionalGroups[0]!.transactions[0]!.segments;
    const family = segments
      .filter((segment) => segment.tag === 'EB' && segment.elements[1]?.value === 'FAM')
      .map((segment) => segment.elements.map((element) => element.value).join('*'));
    expect(family).toEqual([
      'C*FAM*30***23*1000',
      'C*FAM*30***29*100',
      'G*FAM*30***23*2500',
      'G*FAM*30***29*1580',
    ]);
  });

  it('answers an unknown dependent AAA 67 and an unknown subscriber AAA 75', async () => {
    const unknownDependent = await post270(adapted(smith.john.memberId, 'SMITH*MARIE'));
    expect(subscriberLoops(unknownDependent.text)).toEqual([
      'HL*3*2*22*1',
      `NM1*IL*1******MI*${smith.john.memberId}`,
      'HL*4*3*23*0',
      'TRN*2*93175-012547*9877281234',
      'NM1*03*1*SMITH*MARIE',
      'AAA*N**67*C',
    ]);
    // Mary is Richard Roe's dependent no more than Marie is John Smith's.
    const notHisDependent = await post270(adapted(roe.richard.memberId));
    expect(subscriberLoops(notHisDependent.text).slice(-1)).toEqual(['AAA*N**67*C']);
    const unknownSubscriber = await post270(adapted('NOSUCH-7'));
    expect(subscriberLoops(unknownSubscriber.text)).toEqual([
      'HL*3*2*22*1',
      'NM1*IL*1******MI*NOSUCH-7',
      'AAA*N**75*C',
      'HL*4*3*23*0',
      'TRN*2*93175-012547*9877281234',
      'NM1*03*1*SMITH*MARY',
      'AAA*N**67*C',
    ]);
    const noBirthDate = await post270(
      adapted(smith.john.memberId).replace('DMG*D8*19781014', 'DMG*D8*19781314'),
    );
    expect(subscriberLoops(noBirthDate.text).slice(-1)).toEqual(['AAA*N**58*C']);
  });
});

function fhirRequest(memberId: string) {
  return {
    resourceType: 'CoverageEligibilityRequest',
    status: 'active',
    purpose: ['benefits'],
    patient: { reference: '#patient' },
    servicedDate: '2026-06-15',
    created: '2026-06-15',
    insurer: { reference: `Organization/${payer.organization.id}` },
    contained: [{ resourceType: 'Patient', id: 'patient', identifier: [{ value: memberId }] }],
  };
}

function postFhir(body: unknown) {
  return request(app)
    .post('/v1/fhir/CoverageEligibilityRequest')
    .set(bearer(provider.key))
    .set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify(body));
}

const money = (value: number) => ({ value, currency: 'USD' });
const unitSystem = 'http://terminology.hl7.org/CodeSystem/benefit-unit';

describe('POST /v1/fhir/CoverageEligibilityRequest of a dependent', () => {
  it('gives the family’s figures as an item of unit family, valid R4', async () => {
    const response = await postFhir(fhirRequest(smith.mary.memberId));
    expect(response.status, response.text).toBe(200);
    const resource = JSON.parse(response.text) as CoverageEligibilityResponse;
    expect(fhirProblemsOf(resource)).toEqual([]);
    expect(r4CodeSystemConcepts(unitSystem).has(`${unitSystem}|family`)).toBe(true);
    const items = resource.insurance![0]!.item!;
    const unitOf = (item: (typeof items)[number]) => item.unit?.coding?.[0]?.code;
    expect(items.map(unitOf)).toEqual(['individual', 'family']);
    const family = items[1]!;
    expect(family.term?.coding?.[0]?.code).toBe('annual');
    // Remaining = allowed − used: 1000 − 900 = 100 and 2500 − 920 = 1580.
    expect(
      family.benefit!.map((benefit) => [
        benefit.type.coding?.[0]?.code,
        benefit.allowedMoney,
        benefit.usedMoney,
      ]),
    ).toEqual([
      ['deductible', money(1000), money(900)],
      ['out-of-pocket-maximum', money(2500), money(920)],
    ]);
    expect(items[0]!.benefit![0]!.usedMoney).toEqual(money(0));
  });

  it('gives no family item for a dependent covered by an individual-only plan', async () => {
    const body = { ...fhirRequest(roe.rita.memberId), servicedDate: '2026-02-15' };
    const resource = JSON.parse((await postFhir(body)).text) as CoverageEligibilityResponse;
    expect(fhirProblemsOf(resource)).toEqual([]);
    expect(resource.insurance![0]!.inforce).toBe(true);
    expect(resource.insurance![0]!.item!.map((item) => item.unit?.coding?.[0]?.code)).toEqual([
      'individual',
    ]);
  });
});
