// Dependents, family accumulators and secondary claims on real PostgreSQL, through the API: a
// family enrolled as a subscriber and two dependents covered by the subscriber's coverage, claims
// naming the subscriber and the patient, family limits under concurrency, secondary claims under
// both COB methods, and the 835 that names patient and subscriber and shows OA-23.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccumulatorAmounts } from '../../src/domain/adjudication/index.js';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { bearer, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { insertFeeScheduleEntry } from '../support/payer.js';
import { createParties, fetch835, type Parties } from '../support/settlement.js';
import { parse835, remittanceProblems } from '../support/x12.js';
import { sampleFile, sampleNpi } from '../interop/x12/samples.js';
import { fhirProblemsOf } from '../interop/fhir/samples.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment, async (env, payerId) => {
    for (const [code, allowed] of [
      ['29881', '600.00'],
      ['73721', '400.00'],
      ['80053', '300.00'],
      ['99213', '100.00'],
    ] as const) {
      await insertFeeScheduleEntry(env, payerId, code, allowed);
    }
  });
});

afterAll(async () => {
  await environment.close();
});

async function payerPost(path: string, body: object, status = 201) {
  const response = await request(app).post(path).set(bearer(parties.payerAdjudicator)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return response.body as Record<string, unknown> & { id: string };
}

let planCount = 0;
/** Deductible 500 each, 1000 per family; out-of-pocket 2000 and 2500; coinsurance 20 %. */
async function familyPlan(overrides: object = {}): Promise<string> {
  planCount += 1;
  const plan = await payerPost('/v1/payer/plans', {
    code: `FAMILY-${planCount}`,
    name: 'Family PPO',
    deductibleAmount: '500.00',
    outOfPocketMaxAmount: '2000.00',
    copayAmount: '0.00',
    coinsurancePercent: '20',
    planYearStartMonth: 1,
    familyDeductibleAmount: '1000.00',
    familyOutOfPocketMaxAmount: '2500.00',
    ...overrides,
  });
  return plan.id;
}

const people = {
  subscriber: { firstName: 'Jack', lastName: 'Smith', birthDate: '1943-10-22', gender: 'M' },
  spouse: { firstName: 'Jane', lastName: 'Smith', birthDate: '1945-05-01', gender: 'F' },
  child: { firstName: 'Ted', lastName: 'Smith', birthDate: '1973-05-01', gender: 'M' },
} as const;

/** A subscriber covered by the plan, and a spouse and a child without coverage of their own. */
async function enrollFamily(memberId: string, planId: string) {
  const subscriber = await payerPost('/v1/payer/members', { memberId, ...people.subscriber });
  await payerPost(`/v1/payer/members/${subscriber.id}/coverages`, {
    planId,
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
  });
  const dependent = (person: object, suffix: string, relationshipCode: string) =>
    payerPost('/v1/payer/members', {
      memberId: `${memberId}-${suffix}`,
      ...person,
      subscriberMemberId: subscriber.id,
      relationshipCode,
    });
  return {
    subscriber: subscriber.id,
    spouse: (await dependent(people.spouse, '01', '01')).id,
    child: (await dependent(people.child, '02', '19')).id,
  };
}

/** A claim naming the subscriber, and the patient when it is a dependent. */
async function submit(
  memberId: string,
  procedureCode: string,
  chargeAmount: string,
  patient?: keyof typeof people,
  extra: object = {},
): Promise<string> {
  const claim = validClaim(parties.payerId);
  const dependent =
    patient && patient !== 'subscriber'
      ? { patient: { ...people[patient], relationshipCode: patient === 'spouse' ? '01' : '19' } }
      : {};
  const response = await request(app)
    .post('/v1/claims')
    .set(bearer(parties.biller))
    .send({
      ...claim,
      member: { memberId, ...people.subscriber },
      ...dependent,
      diagnosisCodes: ['J02.0'],
      serviceLines: [{ procedureCode, units: 1, chargeAmount, serviceDate: '2026-03-02' }],
      ...extra,
    });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

async function decisionOf(claimId: string) {
  const response = await request(app).get(`/v1/claims/${claimId}`).set(bearer(parties.biller));
  return response.body.decision as {
    status: string;
    totals: { paidAmount: string };
    lines: { paidAmount: string; adjustmentsText: string }[];
  };
}

describe('a family: a subscriber and two dependents', () => {
  it('enrolls dependents under their subscriber and refuses what cannot be a family', async () => {
    const planId = await familyPlan();
    const family = await enrollFamily('FAM-ENROLL', planId);
    const read = await request(app)
      .get(`/v1/payer/members/${family.child}`)
      .set(bearer(parties.payerAdjudicator));
    expect(read.body).toMatchObject({
      memberId: 'FAM-ENROLL-02',
      subscriberMemberId: family.subscriber,
      relationshipCode: '19',
    });
    // A dependent of a dependent, a dependent without its subscriber, a twin with the same names.
    const refusals = [
      [{ subscriberMemberId: family.child, relationshipCode: '19' }, 422, 'subscriberMemberId'],
      [{ relationshipCode: '19' }, 422, 'subscriberMemberId'],
      [{ subscriberMemberId: family.subscriber, relationshipCode: '18' }, 422, 'relationshipCode'],
    ] as const;
    for (const [fields, status, field] of refusals) {
      const response = await request(app)
        .post('/v1/payer/members')
        .set(bearer(parties.payerAdjudicator))
        .send({ memberId: 'FAM-X', ...people.child, ...fields });
      expect(response.status).toBe(status);
      expect(fieldsOf(response)).toEqual([field]);
    }
    const twin = await request(app)
      .post('/v1/payer/members')
      .set(bearer(parties.payerAdjudicator))
      .send({
        memberId: 'FAM-TWIN',
        ...people.child,
        subscriberMemberId: family.subscriber,
        relationshipCode: '19',
      });
    expect(twin.status).toBe(409);
  });

  it('caps the third member’s deductible by the family remainder (worked by hand)', async () => {
    const planId = await familyPlan();
    const family = await enrollFamily('FAM-WORKED', planId);
    // Subscriber, allowed 600: PR-1 500, PR-2 20, paid 80 (family 500 / 520).
    const first = await submit('FAM-WORKED', '29881', '600.00', 'subscriber');
    await adjudicateClaim(environment.database, first);
    expect((await decisionOf(first)).lines[0]!.adjustmentsText).toBe('PR-1 500.00, PR-2 20.00');
    // Spouse, allowed 400: PR-1 400, paid 0 (family 900 / 920).
    const second = await submit('FAM-WORKED', '73721', '400.00', 'spouse');
    await adjudicateClaim(environment.database, second);
    expect((await decisionOf(second)).lines[0]!.adjustmentsText).toBe('PR-1 400.00');
    // Child, allowed 300: the family has 100 of its deductible left: PR-1 100, PR-2 40, paid 160.
    const third = await submit('FAM-WORKED', '80053', '300.00', 'child');
    await adjudicateClaim(environment.database, third);
    const decision = await decisionOf(third);
    expect(decision.lines[0]!.adjustmentsText).toBe('PR-1 100.00, PR-2 40.00');
    expect(decision.totals.paidAmount).toBe('160.00');
    const { rows } = await environment.database.pool.query<{
      member_id: string;
      d: string;
      o: string;
    }>(
      `SELECT member_id, deductible_met_amount::text AS d, out_of_pocket_met_amount::text AS o
         FROM accumulators WHERE plan_id = $1 ORDER BY d DESC`,
      [planId],
    );
    // The FHIR Claim of the child's claim: the child is Claim.patient (and the Coverage's
    // beneficiary), the subscriber the Coverage's subscriber, with the relationship.
    const fhir = await request(app).get(`/v1/fhir/Claim/${third}`).set(bearer(parties.biller));
    expect(fhir.status).toBe(200);
    expect(fhirProblemsOf(fhir.body)).toEqual([]);
    expect(fhir.body.patient).toEqual({ reference: '#patient' });
    expect(fhir.body.contained).toEqual([
      {
        resourceType: 'Patient',
        id: 'patient',
        name: [{ family: 'Smith', given: ['Ted'] }],
        gender: 'male',
        birthDate: '1973-05-01',
      },
      expect.objectContaining({
        resourceType: 'Patient',
        id: 'subscriber',
        identifier: [expect.objectContaining({ value: 'FAM-WORKED' })],
        name: [{ family: 'Smith', given: ['Jack'] }],
      }),
      expect.objectContaining({
        resourceType: 'Coverage',
        subscriber: { reference: '#subscriber' },
        subscriberId: 'FAM-WORKED',
        beneficiary: { reference: '#patient' },
        relationship: {
          coding: [
            expect.objectContaining({
              system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
              code: 'child',
            }),
          ],
        },
      }),
    ]);
    expect(rows).toEqual([
      { member_id: family.subscriber, d: '500.00', o: '520.00' },
      { member_id: family.spouse, d: '400.00', o: '400.00' },
      { member_id: family.child, d: '100.00', o: '140.00' },
    ]);
    // The reads an eligibility answer uses: the member's own row, the family's on the subscriber's.
    const amountsOf = (level: 'family' | 'member', ownerRowId: string) =>
      readAccumulatorAmounts(environment.database.pool, level, {
        ownerRowId,
        planId,
        planYear: '2026',
      });
    expect(await amountsOf('family', family.subscriber)).toEqual({
      deductibleMetAmount: '1000.00',
      outOfPocketMetAmount: '1060.00',
    });
    expect(await amountsOf('member', family.child)).toEqual({
      deductibleMetAmount: '100.00',
      outOfPocketMetAmount: '140.00',
    });
    expect(await amountsOf('family', family.child)).toBeUndefined();
  });

  it('gives two family members adjudicated at once the totals of one after the other', async () => {
    const planId = await familyPlan();
    await enrollFamily('FAM-RACE', planId);
    const first = await submit('FAM-RACE', '29881', '600.00', 'subscriber');
    await adjudicateClaim(environment.database, first);
    // Spouse 400 and child 300 at once. In either order the family meets exactly 1000 of
    // deductible and 1060 of out-of-pocket (spouse first: 400 + 100 and 40 coinsurance; child
    // first: 300 + 200 and 40), and the two claims pay 160 together.
    const spouseClaim = await submit('FAM-RACE', '73721', '400.00', 'spouse');
    const childClaim = await submit('FAM-RACE', '80053', '300.00', 'child');
    await Promise.all([
      adjudicateClaim(environment.database, spouseClaim),
      adjudicateClaim(environment.database, childClaim),
    ]);
    const paid = await Promise.all([spouseClaim, childClaim].map(decisionOf));
    expect(paid.map((decision) => decision.status)).toEqual(['paid', 'paid']);
    expect(paid.reduce((sum, decision) => sum + Number(decision.totals.paidAmount), 0)).toBe(160);
    const { rows } = await environment.database.pool.query(
      `SELECT deductible_met_amount::text AS d, out_of_pocket_met_amount::text AS o
         FROM family_accumulators WHERE plan_id = $1`,
      [planId],
    );
    expect(rows).toEqual([{ d: '1000.00', o: '1060.00' }]);
    const sums = await environment.database.pool.query(
      `SELECT sum(deductible_met_amount)::text AS d, sum(out_of_pocket_met_amount)::text AS o
         FROM accumulators WHERE plan_id = $1`,
      [planId],
    );
    expect(sums.rows).toEqual([{ d: '1000.00', o: '1060.00' }]);
  });

  it('denies CO-31 a patient who is no dependent of the subscriber, and voids give back to the family', async () => {
    const planId = await familyPlan();
    await enrollFamily('FAM-VOID', planId);
    const claim = validClaim(parties.payerId);
    const stranger = await request(app)
      .post('/v1/claims')
      .set(bearer(parties.biller))
      .send({
        ...claim,
        member: { memberId: 'FAM-VOID', ...people.subscriber },
        patient: { ...people.child, firstName: 'Theodora', relationshipCode: '19' },
      });
    expect(stranger.status).toBe(201);
    await adjudicateClaim(environment.database, stranger.body.id as string);
    const denied = await decisionOf(stranger.body.id as string);
    expect(denied.status).toBe('denied');
    expect(denied.lines[0]!.adjustmentsText).toMatch(/^CO-31 /);
    // The child's claim, then its void: the family's and the child's figures go back to zero.
    const childClaim = await submit('FAM-VOID', '80053', '300.00', 'child');
    await adjudicateClaim(environment.database, childClaim);
    const voidClaim = await submit('FAM-VOID', '80053', '300.00', 'child', {
      frequencyCode: '8',
      originalClaimId: childClaim,
    });
    await adjudicateClaim(environment.database, voidClaim);
    const family = await environment.database.pool.query(
      `SELECT deductible_met_amount::text AS d, out_of_pocket_met_amount::text AS o
         FROM family_accumulators WHERE plan_id = $1`,
      [planId],
    );
    expect(family.rows).toEqual([{ d: '0.00', o: '0.00' }]);
  });
});

const primaryPaid70 = {
  payerResponsibilityCode: 'S',
  priorPayers: [
    {
      responsibilityCode: 'P',
      payerName: 'Key Insurance Company',
      payerIdentifier: '999996666',
      paidAmount: '70.00',
      lines: [
        {
          lineNumber: 1,
          paidAmount: '70.00',
          adjustments: [{ group: 'CO', reasonCode: '45', amount: '20.00' }],
          adjudicationDate: '2026-03-10',
        },
      ],
    },
  ],
};

describe('secondary claims', () => {
  it('refuses coordination fields that do not fit together, naming them', async () => {
    const claim = validClaim(parties.payerId);
    const cases = [
      [{ priorPayers: primaryPaid70.priorPayers }, 'priorPayers'],
      [{ payerResponsibilityCode: 'S' }, 'priorPayers'],
      [{ payerResponsibilityCode: 'T', priorPayers: primaryPaid70.priorPayers }, 'priorPayers'],
      [
        {
          ...primaryPaid70,
          priorPayers: [{ ...primaryPaid70.priorPayers[0], paidAmount: '999.00' }],
        },
        'priorPayers[0].paidAmount',
      ],
    ] as const;
    for (const [fields, field] of cases) {
      const response = await request(app)
        .post('/v1/claims')
        .set(bearer(parties.biller))
        .send({ ...claim, ...fields });
      expect(response.status).toBe(422);
      expect(fieldsOf(response)).toEqual([field]);
    }
  });

  it.each([
    // Allowed 100 of 120 (CO-45 20), deductible met, coinsurance 20 %, primary paid 70.
    // Non-duplication: normal benefit 80 − 70 = 10; the member owes 20. Carve-out: 30 left,
    // coinsurance 6, paid 24.
    ['non_duplication', '10.00', 'CO-45 20.00, OA-23 70.00, PR-2 20.00'],
    ['carve_out', '24.00', 'CO-45 20.00, OA-23 70.00, PR-2 6.00'],
  ])(
    'pays the remainder under %s (worked by hand), and its 835 shows OA-23',
    async (cobMethod, paid, text) => {
      const planId = await familyPlan({
        deductibleAmount: '0.00',
        familyDeductibleAmount: '0.00',
        cobMethod,
      });
      const memberId = `COB-${cobMethod.replace('_', '-')}`;
      await enrollFamily(memberId, planId);
      const claimId = await submit(memberId, '99213', '120.00', 'child', primaryPaid70);
      await adjudicateClaim(environment.database, claimId);
      const decision = await decisionOf(claimId);
      expect(decision.totals.paidAmount).toBe(paid);
      expect(decision.lines[0]!.adjustmentsText).toBe(text);
      const stored = await environment.database.pool.query(
        'SELECT payer_responsibility_code, prior_payers FROM claims WHERE id = $1',
        [claimId],
      );
      expect(stored.rows[0]).toEqual({
        payer_responsibility_code: 'S',
        // As accepted: the schema's defaults filled in.
        prior_payers: [{ ...primaryPaid70.priorPayers[0], claimAdjustments: [] }],
      });
      if (cobMethod !== 'carve_out') return;
      const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
      expect(run.status).toBe(200);
      const batchId = (run.body.batches as { id: string }[])[0]!.id;
      const response = await fetch835(app, parties.providerFinance, batchId);
      const text835 = response.body as string;
      const parsed = parse835(text835);
      expect(remittanceProblems(parsed)).toEqual([]);
      const claim = parsed.claims.find((each) => each.clp[7] === claimId)!;
      expect(claim.clp.slice(2, 6)).toEqual(['2', '120', '24', '6']);
      expect(text835).toContain('NM1*QC*1*SMITH*TED~');
      expect(text835).toContain(`NM1*IL*1*SMITH*JACK****MI*${memberId}~`);
      expect(text835).toMatch(/CAS\*OA\*23\*70~/);
      const directory = await mkdtemp(join(tmpdir(), 'dependent-835-'));
      const file = join(directory, '835.x12');
      await writeFile(file, text835);
      // Debian's python3 (with python3-defusedxml, which .ci/run installs), not whatever python3
      // is first on the PATH.
      const checked = await promisify(execFile)('/usr/bin/python3', [
        '/work/shared/tools/x12check',
        file,
      ]).catch((error: { stdout: string; stderr: string }) => error);
      // pyx12 against the 835 guide (005010X221A1): "<file>: ok" when it finds nothing.
      expect(`${checked.stdout}${checked.stderr}`.trim()).toBe(`${file}: ok`);
    },
  );
});

describe('a dependent’s secondary claim through POST /v1/fhir/Claim', () => {
  const postFhir = (body: unknown) =>
    request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(parties.biller))
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify(body));
  const readClaim = async (id: string) =>
    (await request(app).get(`/v1/claims/${id}`).set(bearer(parties.biller))).body as Record<
      string,
      unknown
    >;

  it('is stored with the patient and earlier payer, and adjudicated, like the same claim sent as JSON', async () => {
    const planId = await familyPlan({
      deductibleAmount: '0.00',
      familyDeductibleAmount: '0.00',
      cobMethod: 'non_duplication',
    });
    // Two families alike: the JSON claim is the first family's; the same claim sent through FHIR
    // is the second's (the same service twice in one family would be a duplicate, CO-18).
    await enrollFamily('COB-FHIR-A', planId);
    await enrollFamily('COB-FHIR-B', planId);
    const viaJson = await submit('COB-FHIR-A', '99213', '120.00', 'child', primaryPaid70);
    // The FHIR Claim we answer for it, sent back for the other family under another control number.
    const written = await request(app).get(`/v1/fhir/Claim/${viaJson}`).set(bearer(parties.biller));
    expect(written.status).toBe(200);
    expect(fhirProblemsOf(written.body)).toEqual([]);
    const fhirClaim = JSON.parse(written.text.replaceAll('COB-FHIR-A', 'COB-FHIR-B')) as {
      identifier: { value: string }[];
    };
    fhirClaim.identifier = [{ value: 'PCN-FHIR-COB' }];
    const posted = await postFhir(fhirClaim);
    expect(posted.status, posted.text).toBe(201);
    const created = JSON.parse(posted.text) as { id: string };
    expect(fhirProblemsOf(created as never)).toEqual([]);
    // The 201 answer is the Claim as stored: GET answers it byte for byte.
    const reread = await request(app)
      .get(`/v1/fhir/Claim/${created.id}`)
      .set(bearer(parties.biller));
    expect(reread.text).toBe(posted.text);

    const [fromFhir, fromJson] = [await readClaim(created.id), await readClaim(viaJson)];
    const content = ({ id, submittedAt, events, commitment, ...rest }: Record<string, unknown>) => {
      expect([id, submittedAt, events, commitment]).not.toContain(undefined);
      return rest;
    };
    expect(content(fromFhir)).toStrictEqual({
      ...content(fromJson),
      patientControlNumber: 'PCN-FHIR-COB',
      member: { ...(fromJson.member as object), memberId: 'COB-FHIR-B' },
    });
    expect(fromFhir).toMatchObject({
      patient: { firstName: 'Ted', lastName: 'Smith', relationshipCode: '19' },
      member: { memberId: 'COB-FHIR-B', firstName: 'Jack' },
      payerResponsibilityCode: 'S',
      priorPayers: [{ ...primaryPaid70.priorPayers[0], claimAdjustments: [] }],
    });

    for (const id of [viaJson, created.id]) await adjudicateClaim(environment.database, id);
    const [fhirDecision, jsonDecision] = [await decisionOf(created.id), await decisionOf(viaJson)];
    // Non-duplication as worked by hand above: 80 − 70 = 10 paid, OA-23 70.
    expect(jsonDecision.totals.paidAmount).toBe('10.00');
    expect(jsonDecision.lines[0]!.adjustmentsText).toBe('CO-45 20.00, OA-23 70.00, PR-2 20.00');
    expect({ ...fhirDecision, decidedAt: null }).toStrictEqual({
      ...jsonDecision,
      decidedAt: null,
    });
  });

  it('refuses a subscriber named with relationship self at its FHIR path, writing nothing', async () => {
    const viaJson = await submit('COB-FHIR-BAD', '99213', '120.00', 'child');
    const written = await request(app).get(`/v1/fhir/Claim/${viaJson}`).set(bearer(parties.biller));
    const fhirClaim = written.body as {
      identifier: { value: string }[];
      contained: { resourceType: string; relationship?: unknown }[];
    };
    fhirClaim.identifier = [{ value: 'PCN-FHIR-SELF' }];
    fhirClaim.contained[2]!.relationship = {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' },
      ],
    };
    const before = await intakeRowCounts(environment);
    const response = await postFhir(fhirClaim);
    expect(response.status).toBe(422);
    const outcome = JSON.parse(response.text) as { issue: { expression: string[] }[] };
    expect(outcome.issue.map((issue) => issue.expression)).toEqual([
      ['Claim.contained[2].relationship'],
    ]);
    expect(response.text).not.toMatch(/Smith|Ted|Jack|COB-FHIR/);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('the guide’s COB example through POST /v1/x12/837', () => {
  it('accepts the claim to payer B with its dependent and payer A’s adjudication', async () => {
    const billing = await createActor(
      environment,
      'provider',
      'provider_biller',
      undefined,
      sampleNpi,
    );
    const response = await request(app)
      .post('/v1/x12/837')
      .set(bearer(billing.key))
      .set('Content-Type', 'application/edi-x12')
      .send(sampleFile('cob-claim-to-payer-b', parties.payerId));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ accepted: 1, rejected: 0 });
    const claimId = response.body.results[0].claimId as string;
    const { rows } = await environment.database.pool.query(
      `SELECT payer_responsibility_code, prior_payers->0->>'paidAmount' AS paid,
              patient_ciphertext IS NOT NULL AS has_patient
         FROM claims WHERE id = $1`,
      [claimId],
    );
    expect(rows).toEqual([{ payer_responsibility_code: 'S', paid: '39.15', has_patient: true }]);
  });
});
