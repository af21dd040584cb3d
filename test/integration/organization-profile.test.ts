// The remittance profile of an organization through the HTTP API on a real database: set by the
// organization's own admin (or the operator's), normalized, shown in GET /v1/organizations/me,
// every bad field named with nothing written, and a ledger event that holds no profile values.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/domain/organizations.js';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let app: Express;
let operatorAdmin: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  operatorAdmin = await createActor(environment, 'operator', 'admin');
});

afterAll(async () => {
  await environment.close();
});

/** As a payer's billing staff would type it: hyphens, parentheses, lower-case state. */
const payerProfile = {
  address: { line1: '100 Insurance Way', city: 'Hartford', stateCode: 'ct', postalCode: '06101' },
  taxId: '06-1234567',
  businessContact: { name: 'Provider Services', phone: '(800) 555-0100' },
  technicalContact: { name: 'EDI Support', phone: '800.555.0199', email: 'edi@acme.example' },
};

const putProfile = (key: string, body: unknown, id = 'me') =>
  request(app)
    .put(`/v1/organizations/${id}/profile`)
    .set(bearer(key))
    .send(body as object);

async function profileEvents(orgId: string) {
  const { rows } = await environment.database.pool.query<{ payload: Record<string, unknown> }>(
    `SELECT payload FROM ledger_events
      WHERE aggregate_id = $1 AND type = 'OrganizationProfileSet' ORDER BY seq`,
    [orgId],
  );
  return rows.map((row) => row.payload);
}

describe('PUT /v1/organizations/me/profile', () => {
  it("sets the admin's own profile, normalized, and shows it in GET /v1/organizations/me", async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    const response = await putProfile(admin.key, payerProfile);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const expected = {
      address: {
        line1: '100 Insurance Way',
        line2: null,
        city: 'Hartford',
        stateCode: 'CT',
        postalCode: '06101',
        countryCode: 'US',
      },
      taxId: '061234567',
      businessContact: { name: 'Provider Services', phone: '8005550100', email: null },
      technicalContact: { name: 'EDI Support', phone: '8005550199', email: 'edi@acme.example' },
    };
    expect(response.body).toMatchObject({ profile: expected, profileVersion: 1 });

    const me = await request(app).get('/v1/organizations/me').set(bearer(admin.key));
    expect(me.body).toMatchObject({ organization: { profile: expected, profileVersion: 1 } });

    const events = await profileEvents(admin.organization.id);
    expect(events).toEqual([
      {
        organizationId: admin.organization.id,
        profileVersion: 1,
        partsSet: ['address', 'taxId', 'businessContact', 'technicalContact'],
      },
    ]);
  });

  it('changes nothing when the profile in force is sent again, and clears it with {}', async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    await putProfile(admin.key, payerProfile);
    // What GET answers can be sent back as it is.
    const me = await request(app).get('/v1/organizations/me').set(bearer(admin.key));
    const again = await putProfile(
      admin.key,
      (me.body as { organization: { profile: object } }).organization.profile,
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ profileVersion: 1 });
    expect(await profileEvents(admin.organization.id)).toHaveLength(1);

    const cleared = await putProfile(admin.key, {});
    expect(cleared.body).toMatchObject({
      profile: { address: null, taxId: null, businessContact: null, technicalContact: null },
      profileVersion: 2,
    });
    expect((await profileEvents(admin.organization.id))[1]).toMatchObject({ partsSet: [] });
  });

  it('names every bad field with 422 and changes nothing', async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    await putProfile(admin.key, payerProfile);
    const response = await putProfile(admin.key, {
      address: {
        line1: '100 Insurance Way*Suite 4',
        line2: '',
        city: 'H',
        stateCode: 'XX',
        postalCode: '0610',
        countryCode: 'CA',
      },
      taxId: '00-1234567',
      businessContact: { name: 'Provider Services', phone: '555-0100' },
      technicalContact: { name: 'EDI Support' },
      website: 'acme.example',
    });
    expect(fieldsOf(response).sort()).toEqual(
      [
        'address.line1',
        'address.line2',
        'address.city',
        'address.stateCode',
        'address.postalCode',
        'address.countryCode',
        'taxId',
        'businessContact.phone',
        'technicalContact.phone',
        'website',
      ].sort(),
    );
    const me = await request(app).get('/v1/organizations/me').set(bearer(admin.key));
    expect(me.body).toMatchObject({
      organization: { profileVersion: 1, profile: { taxId: '061234567' } },
    });
    expect(await profileEvents(admin.organization.id)).toHaveLength(1);
  });

  it('refuses contacts on a provider, naming them: only a payer has 835 contacts', async () => {
    const admin = await createActor(environment, 'provider', 'admin');
    const response = await putProfile(admin.key, payerProfile);
    expect(fieldsOf(response)).toEqual(['businessContact', 'technicalContact']);
    const { address, taxId } = payerProfile;
    const ok = await putProfile(admin.key, { address, taxId });
    expect(ok.status).toBe(200);
  });

  it.each(['finance', 'auditor', 'payer_adjudicator'] as const)(
    'answers 403 to a %s key and writes nothing',
    async (role) => {
      const actor = await createActor(environment, 'payer', role);
      expectProblem(await putProfile(actor.key, payerProfile), 403);
      expect(await profileEvents(actor.organization.id)).toEqual([]);
    },
  );
});

describe('PUT /v1/organizations/:id/profile', () => {
  it("answers 404 to another organization's admin, as for an id that does not exist", async () => {
    const admin = await createActor(environment, 'payer', 'admin');
    const victim = await createActor(environment, 'payer', 'admin');
    const foreign = await putProfile(admin.key, payerProfile, victim.organization.id);
    const missing = await putProfile(admin.key, payerProfile, randomUUID());
    expectProblem(foreign, 404);
    expectProblem(missing, 404);
    // Alike but for each answer's own request id.
    const withoutRequestId = ({ requestId: _requestId, ...body }: Record<string, unknown>) => body;
    expect(withoutRequestId(foreign.body)).toEqual(withoutRequestId(missing.body));
    expect(await profileEvents(victim.organization.id)).toEqual([]);
    expect(fieldsOf(await putProfile(admin.key, payerProfile, 'not-a-uuid'))).toEqual(['id']);
  });

  it("lets an admin use its own id, and the operator's admin set any organization's", async () => {
    const admin = await createActor(environment, 'provider', 'admin');
    const own = await putProfile(admin.key, { taxId: '371234567' }, admin.organization.id);
    expect(own.body).toMatchObject({ profile: { taxId: '371234567' }, profileVersion: 1 });

    const byOperator = await putProfile(
      operatorAdmin.key,
      { taxId: '371234568' },
      admin.organization.id,
    );
    expect(byOperator.status).toBe(200);
    const { rows } = await environment.database.pool.query<{ actor_org_id: string }>(
      `SELECT actor_org_id FROM ledger_events
        WHERE aggregate_id = $1 AND type = 'OrganizationProfileSet' ORDER BY seq`,
      [admin.organization.id],
    );
    expect(rows.map((row) => row.actor_org_id)).toEqual([
      admin.organization.id,
      operatorAdmin.organization.id,
    ]);
    const key = await issueApiKey(environment.database, {
      orgId: admin.organization.id,
      role: 'auditor',
    });
    const me = await request(app).get('/v1/organizations/me').set(bearer(key.key));
    expect(me.body).toMatchObject({
      organization: { profile: { taxId: '371234568' }, profileVersion: 2 },
    });
  });
});

describe('the database', () => {
  it.each([
    ['half an address', `city = 'Hartford'`],
    [
      'a state code in lower case',
      `address_line1 = 'x', city = 'Hartford', state_code = 'ct', postal_code = '06101', country_code = 'US'`,
    ],
    [
      'a ZIP of 6 digits',
      `address_line1 = 'x', city = 'Hartford', state_code = 'CT', postal_code = '061011', country_code = 'US'`,
    ],
    ['an EIN with a 00 prefix', `tax_id = '001234567'`],
    ['a contact without a phone or email', `business_contact_name = 'Provider Services'`],
    [
      'a contact on a provider',
      `kind = 'provider', business_contact_name = 'A', business_contact_phone = '8005550100'`,
    ],
  ])('refuses %s, whatever writes it', async (_name, assignments) => {
    const payer = await createActor(environment, 'payer', 'admin');
    await expect(
      environment.database.pool.query(`UPDATE organizations SET ${assignments} WHERE id = $1`, [
        payer.organization.id,
      ]),
    ).rejects.toThrow(/violates check constraint/);
  });
});
