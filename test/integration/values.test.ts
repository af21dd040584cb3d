// Values PostgreSQL would refuse (a NUL in text, year 0, a height past int4, a cursor timestamp
// that is no instant) once answered 500 after reaching SQL; they, and control characters that
// PostgreSQL would have stored (escape, bell), are now a 422 naming the field, for every route
// and every intake path, and nothing is written. The echo of a value never appears in the answer.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/domain/organizations.js';
import { bearer, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  tableFingerprints,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { cursorOf } from '../support/fuzz.js';
import { sampleFhirClaim } from '../interop/fhir/samples.js';
import { edited, sampleFile, sampleNpi } from '../interop/x12/samples.js';

let environment: TestEnvironment;
let app: Express;
let operatorAdmin: Actor;
let payer: Actor;
let payerAdmin: string;
let payerFinance: string;
let provider: Actor;
let planId: string;
let memberId: string;
let coverageId: string;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  operatorAdmin = await createActor(environment, 'operator', 'admin');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  provider = await createActor(environment, 'provider', 'provider_biller', undefined, sampleNpi);
  const keyOf = async (role: 'admin' | 'finance') =>
    (await issueApiKey(environment.database, { orgId: payer.organization.id, role })).key;
  payerAdmin = await keyOf('admin');
  payerFinance = await keyOf('finance');
  planId = await created('/v1/payer/plans', plan());
  memberId = await created('/v1/payer/members', {
    memberId: 'M-1',
    firstName: 'Jane',
    lastName: 'Doe',
    birthDate: '1980-02-29',
  });
  coverageId = await created(`/v1/payer/members/${memberId}/coverages`, {
    planId,
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
  });
});

afterAll(async () => {
  await environment.close();
});

async function created(path: string, body: object): Promise<string> {
  const response = await request(app).post(path).set(bearer(payerAdmin)).send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id as string;
}

const plan = (name = 'Gold plan') => ({
  code: `GOLD-${randomUUID().slice(0, 8)}`,
  name,
  deductibleAmount: '500.00',
  outOfPocketMaxAmount: '3000.00',
  copayAmount: '25.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
});

type Method = 'get' | 'post' | 'put';

interface Refusal {
  method: Method;
  path: () => string;
  body?: () => object;
  key: () => string;
  field: string;
}

const stamp = (createdAt: string) => cursorOf({ createdAt, id: randomUUID() });

const REFUSALS: Record<string, Refusal> = {
  'a NUL in an organization name': {
    method: 'post',
    path: () => '/v1/organizations',
    body: () => ({ name: 'Acme\u0000Health', kind: 'provider' }),
    key: () => operatorAdmin.key,
    field: 'name',
  },
  'an ANSI escape in an organization name': {
    method: 'post',
    path: () => '/v1/organizations',
    body: () => ({ name: 'Acme \u001b[31mHealth', kind: 'payer' }),
    key: () => operatorAdmin.key,
    field: 'name',
  },
  'a bell in a key label': {
    method: 'post',
    path: () => '/v1/api-keys',
    body: () => ({ role: 'auditor', label: 'ops\u0007' }),
    key: () => payerAdmin,
    field: 'label',
  },
  'a NUL in a plan name': {
    method: 'post',
    path: () => '/v1/payer/plans',
    body: () => plan('Gold\u0000'),
    key: () => payerAdmin,
    field: 'name',
  },
  'a C1 control in a plan name, on update': {
    method: 'put',
    path: () => `/v1/payer/plans/${planId}`,
    body: () => plan('Gold\u0085plan'),
    key: () => payerAdmin,
    field: 'name',
  },
  'an unpaired surrogate in a member name': {
    method: 'post',
    path: () => '/v1/payer/members',
    body: () => ({
      memberId: 'M-2',
      firstName: 'Jo\ud800',
      lastName: 'Doe',
      birthDate: '1980-01-01',
    }),
    key: () => payerAdmin,
    field: 'firstName',
  },
  'year 0 as a coverage start': {
    method: 'post',
    path: () => `/v1/payer/members/${memberId}/coverages`,
    body: () => ({ planId, effectiveFrom: '0000-01-01', effectiveTo: null }),
    key: () => payerAdmin,
    field: 'effectiveFrom',
  },
  'February 30 as a coverage end, on update': {
    method: 'put',
    path: () => `/v1/payer/coverages/${coverageId}`,
    body: () => ({ planId, effectiveFrom: '2026-01-01', effectiveTo: '2026-02-30' }),
    key: () => payerAdmin,
    field: 'effectiveTo',
  },
  'year 0 as a prior authorization start': {
    method: 'post',
    path: () => '/v1/payer/prior-authorizations',
    body: () => ({
      memberId,
      providerId: provider.organization.id,
      procedureCode: '99213',
      unitsAuthorized: 1,
      validFrom: '0000-01-01',
      validTo: '2026-12-31',
    }),
    key: () => payerAdmin,
    field: 'validFrom',
  },
  'year 0 as a paid date': {
    method: 'post',
    path: () => `/v1/settlement/batches/${randomUUID()}/confirmation`,
    body: () => ({ traceNumber: 'TRN-1', amount: '10.00', paidDate: '0000-01-01' }),
    key: () => payerFinance,
    field: 'paidDate',
  },
  'a NUL in a review note': {
    method: 'post',
    path: () => `/v1/claims/${randomUUID()}/decision`,
    body: () => ({ note: 'ok\u0000', lines: [{ lineNumber: 1, adjustments: [] }] }),
    key: () => payer.key,
    field: 'note',
  },
  'an escape in a claim member name': {
    method: 'post',
    path: () => '/v1/claims',
    body: () => {
      const claim = validClaim(payer.organization.id);
      return { ...claim, member: { ...claim.member, lastName: 'Doe\u001b]0;x\u0007' } };
    },
    key: () => provider.key,
    field: 'member.lastName',
  },
  'year 0 as submittedFrom': {
    method: 'get',
    path: () => '/v1/claims?submittedFrom=0000-01-01',
    key: () => payer.key,
    field: 'submittedFrom',
  },
  'a claims cursor of year 0': {
    method: 'get',
    path: () =>
      `/v1/claims?cursor=${cursorOf({ submittedAt: '0000-01-01T00:00:00.000Z', id: randomUUID() })}`,
    key: () => payer.key,
    field: 'cursor',
  },
  'a settlement cursor whose timestamp is not one': {
    method: 'get',
    path: () => `/v1/settlement/batches?cursor=${stamp('not a time')}`,
    key: () => payerFinance,
    field: 'cursor',
  },
  'a reconciliation cursor of year 0': {
    method: 'get',
    path: () =>
      `/v1/reconciliation/runs?cursor=${cursorOf({ startedAt: '0000-01-01T00:00:00Z', id: randomUUID() })}`,
    key: () => payerFinance,
    field: 'cursor',
  },
  'a fee schedule cursor with a NUL': {
    method: 'get',
    path: () =>
      `/v1/payer/fee-schedule?cursor=${cursorOf({ procedureCode: '9\u00009213', modifier: '' })}`,
    key: () => payerAdmin,
    field: 'cursor',
  },
  'afterHeight=1e10': {
    method: 'get',
    path: () => '/v1/ledger/blocks?afterHeight=1e10',
    key: () => payer.key,
    field: 'afterHeight',
  },
  'afterHeight past int4': {
    method: 'get',
    path: () => '/v1/ledger/blocks?afterHeight=2147483648',
    key: () => payer.key,
    field: 'afterHeight',
  },
  'a block height past int4': {
    method: 'get',
    path: () => '/v1/ledger/blocks/99999999999',
    key: () => payer.key,
    field: 'height',
  },
  'asOfHeight=1e10': {
    method: 'get',
    path: () => '/v1/balances?asOfHeight=1e10',
    key: () => payerFinance,
    field: 'asOfHeight',
  },
  'a page size of 0x10': {
    method: 'get',
    path: () => '/v1/review-queue?limit=0x10',
    key: () => payer.key,
    field: 'limit',
  },
};

describe('values PostgreSQL would refuse, or store as a trap', () => {
  it.each(Object.entries(REFUSALS))(
    '%s: 422 naming the field, nothing written',
    async (_what, refusal) => {
      const before = await tableFingerprints(environment);
      const call = request(app)[refusal.method](refusal.path()).set(bearer(refusal.key()));
      const response = await (refusal.body ? call.send(refusal.body()) : call);
      expect(fieldsOf(response)).toEqual([refusal.field]);
      expect(response.text).not.toMatch(/\\u0000|\\u001b|\\u0007|\\ud800/);
      expect(await tableFingerprints(environment)).toEqual(before);
    },
  );

  it('takes names of every script as they are: accents, Korean, emoji', async () => {
    const response = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: 'Clínica São José 김 🩺', kind: 'provider' });
    expect(response.status, response.text).toBe(201);
    expect(response.body.name).toBe('Clínica São José 김 🩺');
  });

  it('a FHIR Claim with a NUL in the patient name: 422 at the FHIR path, nothing written', async () => {
    const claim = sampleFhirClaim(payer.organization.id);
    const patient = claim.contained![0] as { name: { family: string }[] };
    patient.name[0]!.family = 'Do\u0000e';
    const before = await tableFingerprints(environment);
    const response = await request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(provider.key))
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify(claim));
    expect(response.status, response.text).toBe(422);
    expect(response.body.issue).toEqual([
      expect.objectContaining({
        expression: ['Claim.contained[0].name[0].family'],
        details: { text: 'must not contain control characters other than tab and line breaks' },
      }),
    ]);
    expect(await tableFingerprints(environment)).toEqual(before);
  });

  it('an 837P claim with an escape in the subscriber name is refused at NM103, alone', async () => {
    const file = edited(
      sampleFile('commercial-health-insurance', payer.organization.id),
      (segments) => {
        const index = segments.findIndex((segment) => segment.startsWith('NM1*IL*'));
        segments[index] = segments[index]!.replace('*SMITH*', '*SMI\u001bTH*');
      },
    );
    const before = await tableFingerprints(environment);
    const response = await request(app)
      .post('/v1/x12/837')
      .set(bearer(provider.key))
      .set('Content-Type', 'application/edi-x12')
      .send(file);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(response.body.results[0].errors).toEqual([
      expect.objectContaining({
        field: 'NM103',
        segment: 'NM1',
        loop: '2010BA',
        message: 'must not contain control characters (such as NUL, escape or a line break)',
      }),
    ]);
    // Only the interchange is recorded (with its 999 and 277CA rejecting the claim).
    const { x12_interchanges: interchangesBefore, ...othersBefore } = before;
    const { x12_interchanges: interchangesAfter, ...othersAfter } =
      await tableFingerprints(environment);
    expect(othersAfter).toEqual(othersBefore);
    expect(interchangesAfter).not.toEqual(interchangesBefore);
  });
});
