// POST /v1/x12/270 on the real database: the guide's own 270 example (from stupidedi, with the
// payer, member and date adapted to this test's payer) is read and answered with a 271 holding
// the hand-worked figures; the answer is read back by x12-parser, an independent parser.
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X12Parser } from 'node-x12';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type TestEnvironment,
} from '../support/environment.js';
import { createEligibilityScenario, type EligibilityScenario } from '../support/inquiries.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let scenario: EligibilityScenario;
let guide270: string;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  scenario = await createEligibilityScenario(environment);
  guide270 = await readFile(
    new URL(
      '../fixtures/x12/270-generic-request-by-clinic-for-patient-subscriber.x12',
      import.meta.url,
    ),
    'utf8',
  );
});

afterAll(async () => {
  await environment.close();
});

/** The guide's 270 asking our payer about `memberId` on 2026-06-15. */
function adapted(memberId: string, payerId = scenario.payer.organization.id): string {
  return guide270
    .replace('PI*842610001', `PI*${payerId}`)
    .replace('MI*11122333301', `MI*${memberId}`)
    .replace('DTP*291*D8*20060501', 'DTP*291*D8*20260615');
}

function post270(key: string, body: string, contentType = 'application/edi-x12') {
  return request(app)
    .post('/v1/x12/270')
    .set(bearer(key))
    .set('Content-Type', contentType)
    .send(body);
}

async function eventCount(): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    `SELECT count(*) FROM ledger_events WHERE type = 'EligibilityInquired'`,
  );
  return Number(rows[0]!.count);
}

/** The 271's segments between BHT and SE, the envelope's dates and control numbers aside. */
function bodyOf(text: string): string[] {
  const segments = text.split('~\n').filter(Boolean);
  return segments.slice(
    segments.findIndex((segment) => segment.startsWith('HL*1')),
    -3,
  );
}

describe('POST /v1/x12/270', () => {
  it('answers the guide’s 270 with the 271 of a covered member', async () => {
    const response = await post270(scenario.provider.key, adapted(scenario.coveredMemberId));
    expect(response.status, response.text).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/edi-x12/);
    const payerId = scenario.payer.organization.id;
    expect(bodyOf(response.text)).toEqual([
      'HL*1**20*1',
      `NM1*PR*2*ABC COMPANY*****PI*${payerId}`,
      'HL*2*1*21*1',
      'NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035',
      'HL*3*2*22*0',
      'TRN*2*93175-012547*9877281234',
      `NM1*IL*1*SMITH*ROBERT****MI*${scenario.coveredMemberId}`,
      'DTP*356*D8*20260101',
      'DTP*357*D8*20261231',
      'EB*1**30**Test plan',
      `REF*18*${scenario.planCode}`,
      'EB*C*IND*30***23*500',
      'EB*C*IND*30***29*300',
      'EB*G*IND*30***23*3000',
      'EB*G*IND*30***29*2550',
      'EB*B*IND*30***27*25',
      'EB*A*IND*30*****0.2',
    ]);
    // The envelope answers the sender: parties swapped, test data kept, the 270's BHT03 echoed.
    expect(response.text).toMatch(
      /^ISA\*00\* {10}\*00\* {10}\*ZZ\*123456789012346\*ZZ\*123456789012345\*\d{6}\*\d{4}\*\^\*00501\*\d{9}\*0\*T\*:~\n/,
    );
    expect(response.text).toContain('ST*271*0001*005010X279A1~');
    expect(response.text).toMatch(/BHT\*0022\*11\*10001234\*\d{8}\*\d{4}~/);
    const parsed = new X12Parser(true).parse(response.text);
    expect('functionalGroups' in parsed).toBe(true);
  });

  it('answers an unknown member with AAA 75 and an unknown payer with AAA 79, recording each', async () => {
    const before = await eventCount();
    const unknownMember = await post270(scenario.provider.key, adapted('NOSUCH-3'));
    expect(unknownMember.status).toBe(200);
    expect(bodyOf(unknownMember.text).slice(4)).toEqual([
      'HL*3*2*22*0',
      'TRN*2*93175-012547*9877281234',
      'NM1*IL*1*SMITH*ROBERT****MI*NOSUCH-3',
      'AAA*N**75*C',
    ]);
    const unknownPayer = await post270(
      scenario.provider.key,
      adapted(scenario.coveredMemberId, '842610001'),
    );
    expect(bodyOf(unknownPayer.text)).toEqual([
      'HL*1**20*0',
      'NM1*PR*2*ABC COMPANY*****PI*842610001',
      'AAA*N**79*C',
    ]);
    const invalidMember = await post270(scenario.provider.key, adapted('BAD ID'));
    expect(bodyOf(invalidMember.text).slice(-1)).toEqual(['AAA*N**72*C']);
    // Two inquiries were asked; the invalid member id was answered without asking anyone.
    expect(await eventCount()).toBe(before + 2);
  });

  it('refuses a file that is not a 270, another media type and another role, recording nothing', async () => {
    const before = await eventCount();
    const notX12 = await post270(scenario.provider.key, 'hello');
    expect(expectProblem(notX12, 400).title).toBe('invalid_x12');
    const an837 = adapted(scenario.coveredMemberId).replace('GS*HS', 'GS*HC');
    expectProblem(await post270(scenario.provider.key, an837), 400);
    expectProblem(
      await post270(scenario.provider.key, adapted(scenario.coveredMemberId), 'application/json'),
      415,
    );
    expectProblem(await post270(scenario.payer.key, adapted(scenario.coveredMemberId)), 403);
    const auditor = await createActor(environment, 'provider', 'auditor');
    expectProblem(await post270(auditor.key, adapted(scenario.coveredMemberId)), 403);
    expect(await eventCount()).toBe(before);
  });
});
