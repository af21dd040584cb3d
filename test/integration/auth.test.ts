// Authentication (API keys), organization scoping (someone else's claim is a 404) and roles
// (a 403 for the wrong one), through the HTTP API on a real database.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/organizations.js';
import { bearer, expectProblem, fieldsOf, postBatch, postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let app: Express;
let operatorAdmin: Actor;
let providerA: Actor;
let providerB: Actor;
let payerOne: Actor;
let payerTwo: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  operatorAdmin = await createActor(environment, 'operator', 'admin');
  providerA = await createActor(environment, 'provider', 'provider_biller');
  providerB = await createActor(environment, 'provider', 'provider_biller');
  payerOne = await createActor(environment, 'payer', 'payer_adjudicator');
  payerTwo = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment.close();
});

async function issueKey(admin: Actor, input: { role: Role; orgId?: string }) {
  return request(app).post('/v1/api-keys').set(bearer(admin.key)).send(input);
}

async function countRows(table: 'organizations' | 'api_keys' | 'ledger_events'): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    `SELECT count(*) FROM ${table}`,
  );
  return Number(rows[0]!.count);
}

describe('authentication', () => {
  it('lets a valid key in (the control for the 401 cases below)', async () => {
    const response = await request(app).get('/v1/organizations/me').set(bearer(providerA.key));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      organization: { id: providerA.organization.id, kind: 'provider' },
      role: 'provider_biller',
      apiKeyId: providerA.keyId,
    });
  });

  it('answers 401 without an Authorization header', async () => {
    const problem = expectProblem(await request(app).get('/v1/claims'), 401);
    expect(problem.title).toBe('unauthenticated');
  });

  it.each([
    ['a Basic scheme', () => `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['a bare "Bearer"', () => 'Bearer'],
    ['"Bearer" with two tokens', () => `Bearer ${providerA.key} extra`],
    ['the key without a scheme', () => providerA.key],
    ['an empty header', () => ''],
  ])('answers 401 to a malformed Authorization header: %s', async (_name, header) => {
    const response = await request(app).get('/v1/claims').set('Authorization', header());
    expect(expectProblem(response, 401).title).toBe('unauthenticated');
  });

  it.each([
    ['an unknown key with the right prefix', `cck_${randomBytes(24).toString('base64url')}`],
    ['a key without the prefix', randomBytes(24).toString('base64url')],
    ['a valid key with one character changed', 'changed'],
  ])('answers 401 to %s', async (_name, key) => {
    const presented = key === 'changed' ? `${providerA.key.slice(0, -1)}!` : key;
    const response = await request(app).get('/v1/claims').set(bearer(presented));
    expect(expectProblem(response, 401).detail).toMatch(/unknown or revoked/);
  });

  it('answers 401 to a revoked key at once, even right after it was used', async () => {
    const admin = await createActor(environment, 'provider', 'admin');
    const issued = await issueKey(admin, { role: 'provider_biller' });
    expect(issued.status).toBe(201);
    const { id, key } = issued.body as { id: string; key: string };
    // Used once, so this process has the principal cached.
    expect((await request(app).get('/v1/claims').set(bearer(key))).status).toBe(200);

    const revoked = await request(app).delete(`/v1/api-keys/${id}`).set(bearer(admin.key));
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id });
    expect(Number.isNaN(Date.parse((revoked.body as { revokedAt: string }).revokedAt))).toBe(false);

    const afterwards = await request(app).get('/v1/claims').set(bearer(key));
    expect(expectProblem(afterwards, 401).detail).toMatch(/unknown or revoked/);
    const write = await postClaim(app, key, validClaim(payerOne.organization.id));
    expectProblem(write, 401);
    const events = await environment.database.pool.query<{ type: string }>(
      'SELECT type FROM ledger_events WHERE aggregate_id = $1 ORDER BY seq',
      [id],
    );
    expect(events.rows.map((row) => row.type)).toEqual(['ApiKeyIssued', 'ApiKeyRevoked']);
  });

  it("does not let an organization's admin revoke another organization's key", async () => {
    const otherAdmin = await createActor(environment, 'payer', 'admin');
    const victim = await createActor(environment, 'provider', 'provider_biller');
    const response = await request(app)
      .delete(`/v1/api-keys/${victim.keyId}`)
      .set(bearer(otherAdmin.key));
    expectProblem(response, 404);
    expect((await request(app).get('/v1/claims').set(bearer(victim.key))).status).toBe(200);
  });

  it('answers 422 naming "id" to a key id that is not a UUID', async () => {
    const admin = await createActor(environment, 'provider', 'admin');
    const response = await request(app).delete('/v1/api-keys/not-a-uuid').set(bearer(admin.key));
    expect(fieldsOf(response)).toEqual(['id']);
  });

  it("lets the operator admin revoke any organization's key", async () => {
    const victim = await createActor(environment, 'payer', 'payer_adjudicator');
    const response = await request(app)
      .delete(`/v1/api-keys/${victim.keyId}`)
      .set(bearer(operatorAdmin.key));
    expect(response.status).toBe(200);
    expectProblem(await request(app).get('/v1/claims').set(bearer(victim.key)), 401);
  });
});

describe("another organization's claim", () => {
  let claimId: string;

  beforeAll(async () => {
    const response = await postClaim(app, providerA.key, validClaim(payerOne.organization.id));
    expect(response.status).toBe(201);
    claimId = (response.body as { id: string }).id;
  });

  it('is readable by its provider and by its payer', async () => {
    for (const actor of [providerA, payerOne]) {
      const response = await request(app).get(`/v1/claims/${claimId}`).set(bearer(actor.key));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: claimId });
    }
  });

  it('answers 404 to a second provider, exactly like a claim that does not exist', async () => {
    // One request id for both, so that their bodies may be equal to the byte.
    const ask = (id: string) =>
      request(app)
        .get(`/v1/claims/${id}`)
        .set(bearer(providerB.key))
        .set('X-Request-Id', 'same-request-id');
    const foreign = await ask(claimId);
    const missing = await ask(randomUUID());
    expectProblem(foreign, 404);
    expectProblem(missing, 404);
    expect(foreign.body).toEqual(missing.body);
  });

  it("answers 404 to a payer that is not the claim's payer", async () => {
    const response = await request(app).get(`/v1/claims/${claimId}`).set(bearer(payerTwo.key));
    expectProblem(response, 404);
  });

  it('does not appear in the lists of the other provider or the other payer', async () => {
    for (const actor of [providerB, payerTwo]) {
      const response = await request(app).get('/v1/claims').set(bearer(actor.key));
      expect(response.status).toBe(200);
      const ids = (response.body as { claims: { id: string }[] }).claims.map((claim) => claim.id);
      expect(ids).not.toContain(claimId);
    }
  });
});

describe('roles', () => {
  it.each([
    ['payer', 'payer_adjudicator'],
    ['payer', 'auditor'],
    ['provider', 'auditor'],
    ['provider', 'finance'],
    ['provider', 'admin'],
  ] as const)('answers 403 when a %s %s POSTs a claim, and writes nothing', async (kind, role) => {
    const actor = await createActor(environment, kind, role);
    const before = await intakeRowCounts(environment);
    const single = await postClaim(app, actor.key, validClaim(payerOne.organization.id));
    expect(expectProblem(single, 403).title).toBe('forbidden');
    const batch = await postBatch(app, actor.key, [validClaim(payerOne.organization.id)]);
    expectProblem(batch, 403);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it.each(['provider_biller', 'auditor', 'finance'] as const)(
    'answers 403 when a %s asks for an API key',
    async (role) => {
      const actor = await createActor(environment, 'provider', role);
      const keysBefore = await countRows('api_keys');
      const response = await issueKey(actor, { role: 'provider_biller' });
      expectProblem(response, 403);
      expect(await countRows('api_keys')).toBe(keysBefore);
    },
  );

  it.each([
    ['provider', 'admin'],
    ['payer', 'admin'],
    ['operator', 'auditor'],
    ['operator', 'finance'],
  ] as const)('answers 403 when a %s %s registers an organization', async (kind, role) => {
    const actor = await createActor(environment, kind, role);
    const organizationsBefore = await countRows('organizations');
    const response = await request(app)
      .post('/v1/organizations')
      .set(bearer(actor.key))
      .send({ name: 'Sneaky Clinic', kind: 'provider' });
    expectProblem(response, 403);
    expect(await countRows('organizations')).toBe(organizationsBefore);
  });

  it('lets the operator admin register an organization and issue it a working key', async () => {
    const created = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: 'Lakeside Family Practice', kind: 'provider', npi: '1234567893' });
    expect(created.status).toBe(201);
    const organization = created.body as { id: string; name: string; kind: string };
    expect(organization).toMatchObject({ name: 'Lakeside Family Practice', kind: 'provider' });

    const issued = await issueKey(operatorAdmin, {
      orgId: organization.id,
      role: 'provider_biller',
    });
    expect(issued.status).toBe(201);
    const key = issued.body as { key: string; orgId: string; role: string };
    expect(key).toMatchObject({ orgId: organization.id, role: 'provider_biller' });
    expect(key.key).toMatch(/^cck_/);

    const me = await request(app).get('/v1/organizations/me').set(bearer(key.key));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      organization: { id: organization.id },
      role: 'provider_biller',
    });
    const claim = await postClaim(app, key.key, validClaim(payerOne.organization.id));
    expect(claim.status).toBe(201);
  });

  it('refuses an organization name an 835 cannot write, naming the field', async () => {
    const organizationsBefore = await countRows('organizations');
    const response = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: '李医院', kind: 'payer' });
    expect(response.status).toBe(422);
    expect(fieldsOf(response)).toEqual(['name']);
    expect(response.text).not.toContain('李');
    expect(await countRows('organizations')).toBe(organizationsBefore);
  });

  it('refuses a second organization with an NPI already registered, writing nothing', async () => {
    const first = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: 'Harbor Pediatrics', kind: 'provider', npi: '1760427785' });
    expect(first.status).toBe(201);
    const organizationsBefore = await countRows('organizations');
    const eventsBefore = await countRows('ledger_events');
    const second = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: 'Harbor Pediatrics East', kind: 'provider', npi: '1760427785' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      title: 'conflict',
      detail: 'an organization with this NPI is already registered',
    });
    expect(await countRows('organizations')).toBe(organizationsBefore);
    expect(await countRows('ledger_events')).toBe(eventsBefore);
  });

  it('answers 422 naming the field when the operator admin registers a bad organization', async () => {
    const organizationsBefore = await countRows('organizations');
    const response = await request(app)
      .post('/v1/organizations')
      .set(bearer(operatorAdmin.key))
      .send({ name: 'Bad NPI Clinic', kind: 'provider', npi: '1234567890' });
    expect(fieldsOf(response)).toEqual(['npi']);
    expect(await countRows('organizations')).toBe(organizationsBefore);
  });

  it("lets an organization's admin issue keys for its own organization only", async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    const implicit = await issueKey(admin, { role: 'payer_adjudicator' });
    expect(implicit.status).toBe(201);
    expect(implicit.body).toMatchObject({ orgId: admin.organization.id });
    const explicit = await issueKey(admin, { orgId: admin.organization.id, role: 'finance' });
    expect(explicit.status).toBe(201);

    const keysBefore = await countRows('api_keys');
    const foreign = await issueKey(admin, { orgId: providerA.organization.id, role: 'admin' });
    expectProblem(foreign, 403);
    expect(await countRows('api_keys')).toBe(keysBefore);
  });

  it('refuses a role that does not fit the organization, naming "role"', async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    expect(fieldsOf(await issueKey(admin, { role: 'provider_biller' }))).toEqual(['role']);
  });
});
