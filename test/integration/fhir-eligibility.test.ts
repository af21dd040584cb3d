// POST /v1/fhir/CoverageEligibilityRequest on the real database: the hand-worked figures as
// FHIR benefits, the response valid per Medplum's R4 validator, errors at FHIR paths.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageEligibilityResponse } from '@medplum/fhirtypes';
import { bearer } from '../support/api.js';
import { createTestEnvironment, testApp, type TestEnvironment } from '../support/environment.js';
import { createEligibilityScenario, type EligibilityScenario } from '../support/inquiries.js';
import { fhirProblemsOf } from '../interop/fhir/samples.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let scenario: EligibilityScenario;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  scenario = await createEligibilityScenario(environment);
});

afterAll(async () => {
  await environment.close();
});

function eligibilityRequest(memberId: string, overrides: Record<string, unknown> = {}) {
  return {
    resourceType: 'CoverageEligibilityRequest',
    status: 'active',
    purpose: ['validation', 'benefits'],
    patient: { reference: '#patient' },
    servicedDate: '2026-06-15',
    created: '2026-06-15',
    insurer: { reference: `Organization/${scenario.payer.organization.id}` },
    contained: [
      {
        resourceType: 'Patient',
        id: 'patient',
        identifier: [
          {
            type: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }],
            },
            value: memberId,
          },
        ],
      },
    ],
    item: [
      {
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '27447' }] },
      },
    ],
    ...overrides,
  };
}

function post(body: unknown, key = scenario.provider.key) {
  return request(app)
    .post('/v1/fhir/CoverageEligibilityRequest')
    .set(bearer(key))
    .set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify(body));
}

const money = (value: number) => ({ value, currency: 'USD' });

describe('POST /v1/fhir/CoverageEligibilityRequest', () => {
  it('answers a valid CoverageEligibilityResponse with the hand-worked benefits', async () => {
    const response = await post(eligibilityRequest(scenario.coveredMemberId));
    expect(response.status, response.text).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const resource = JSON.parse(response.text) as CoverageEligibilityResponse;
    expect(fhirProblemsOf(resource)).toEqual([]);
    expect(resource.outcome).toBe('complete');
    const insurance = resource.insurance![0]!;
    expect(insurance.inforce).toBe(true);
    expect(insurance.benefitPeriod).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    expect(insurance.coverage.display).toBe(`Test plan (${scenario.planCode})`);
    const [plan, procedure] = insurance.item!;
    expect(plan!.benefit).toEqual([
      {
        type: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'deductible' },
          ],
        },
        allowedMoney: money(500),
        usedMoney: money(200),
      },
      {
        type: {
          coding: [
            {
              system: 'https://claimchain.dev/fhir/CodeSystem/benefit-type',
              code: 'out-of-pocket-maximum',
            },
          ],
        },
        allowedMoney: money(3000),
        usedMoney: money(450),
      },
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay' }],
        },
        allowedMoney: money(25),
      },
      {
        type: {
          coding: [
            {
              system: 'https://claimchain.dev/fhir/CodeSystem/benefit-type',
              code: 'coinsurance-percent',
            },
          ],
        },
        allowedString: '20',
      },
    ]);
    // Remaining = allowed − used: 500 − 200 = 300 and 3000 − 450 = 2550.
    expect(plan!.benefit![0]!.allowedMoney!.value! - plan!.benefit![0]!.usedMoney!.value!).toBe(
      300,
    );
    expect(procedure).toMatchObject({
      productOrService: { coding: [{ code: '27447' }] },
      excluded: false,
      authorizationRequired: true,
      benefit: [{ allowedMoney: money(1450) }],
    });
    const event = await environment.database.pool.query<{ payload: { channel: string } }>(
      `SELECT payload FROM ledger_events WHERE id = $1`,
      [resource.request.identifier!.value],
    );
    expect(event.rows[0]!.payload.channel).toBe('fhir');
  });

  it('answers not in force, and an unknown member without insurance, both valid', async () => {
    const inactive = JSON.parse(
      (await post(eligibilityRequest(scenario.coveredMemberId, { servicedDate: '2027-03-01' })))
        .text,
    ) as CoverageEligibilityResponse;
    expect(fhirProblemsOf(inactive)).toEqual([]);
    expect(inactive.insurance![0]!.inforce).toBe(false);
    expect(inactive.insurance![0]!.item).toBeUndefined();
    const unknown = JSON.parse(
      (await post(eligibilityRequest('NOSUCH-4'))).text,
    ) as CoverageEligibilityResponse;
    expect(fhirProblemsOf(unknown)).toEqual([]);
    expect(unknown.insurance).toBeUndefined();
    expect(unknown.disposition).toBe('the payer has no member with this member id');
  });

  it('names bad fields at their FHIR paths and records nothing', async () => {
    const before = await environment.database.pool.query(
      `SELECT count(*) FROM ledger_events WHERE type = 'EligibilityInquired'`,
    );
    const unknownPayer = await post(
      eligibilityRequest(scenario.coveredMemberId, {
        insurer: { reference: `Organization/${scenario.provider.organization.id}` },
      }),
    );
    expect(unknownPayer.status).toBe(422);
    expect(JSON.parse(unknownPayer.text).issue[0].expression).toEqual([
      'CoverageEligibilityRequest.insurer.reference',
    ]);
    const bad = await post(
      eligibilityRequest('no spaces', {
        servicedDate: '2026-02-30',
        item: [{ productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt' }] } }],
      }),
    );
    expect(bad.status).toBe(422);
    const paths = (JSON.parse(bad.text) as { issue: { expression: string[] }[] }).issue.map(
      (issue) => issue.expression[0],
    );
    expect(paths).toEqual(['CoverageEligibilityRequest.servicedDate']);
    const badMember = await post(eligibilityRequest('no spaces'));
    expect(
      JSON.parse(badMember.text).issue.map((i: { expression: string[] }) => i.expression[0]),
    ).toEqual(['CoverageEligibilityRequest.contained[0].identifier[0].value']);
    expect((await post({ resourceType: 'Claim' })).status).toBe(400);
    const after = await environment.database.pool.query(
      `SELECT count(*) FROM ledger_events WHERE type = 'EligibilityInquired'`,
    );
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});
