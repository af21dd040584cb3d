// Trading partners on the real database: identifiers registered by the operator (each one
// organization's: a second is 409), an 837P addressing its payer by payer id, a clearinghouse
// submitting the claims of the providers that authorized it, the sender's ISA06 checked, and an
// 835 carrying the payer's and the provider's identifiers.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  randomNpi,
  tableFingerprints,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, fetch835, keyOf, paidClaim } from '../support/settlement.js';
import { parse835, parseAcknowledgment, remittanceProblems } from '../support/x12.js';
import {
  edited,
  replaceSegment,
  sampleFile,
  withAnotherClaim,
  withInterchangeControlNumber,
} from '../interop/x12/samples.js';

let environment: TestEnvironment;
let app: Express;
let operator: Actor;
let payer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  operator = await createActor(environment, 'operator', 'admin');
  payer = await createActor(environment, 'payer', 'payer_adjudicator', 'ACME HEALTH PLAN');
});

afterAll(async () => {
  await environment.close();
});

function putIdentifiers(orgId: string, body: unknown, key = operator.key) {
  return request(app)
    .put(`/v1/organizations/${orgId}/identifiers`)
    .set(bearer(key))
    .send(body as object);
}

function postX12(text: string, key: string, idempotencyKey?: string) {
  const call = request(app)
    .post('/v1/x12/837')
    .set(bearer(key))
    .set('Content-Type', 'application/edi-x12');
  if (idempotencyKey !== undefined) call.set('Idempotency-Key', idempotencyKey);
  return call.send(text);
}

const adminOf = async (actor: Actor) => keyOf(environment, actor.organization.id, 'admin');

let nextControlNumber = 1;

/**
 * The commercial sample from the billing provider `npi`, CLM01 unique, the payer as given, and an
 * ISA13 of its own (the same ISA13 again would be a duplicate interchange).
 */
function claimFile(npi: string, payerName: string) {
  const file = edited(sampleFile('commercial-health-insurance'), (segments) => {
    replaceSegment('NM1*85*', `NM1*85*2*BEN KILDARE SERVICE*****XX*${npi}`)(segments);
    replaceSegment('NM1*PR*', payerName)(segments);
    replaceSegment('CLM*', `CLM*PCN${randomUUID().slice(0, 8)}*100***11:B:1*Y*A*Y*I`)(segments);
  });
  return withInterchangeControlNumber(file, nextControlNumber++);
}

/** A file of two claims: the first from billing provider `firstNpi`, the second from `secondNpi`. */
function twoProviderFile(firstNpi: string, secondNpi: string, payerName: string) {
  return withAnotherClaim(claimFile(firstNpi, payerName), `PCN${randomUUID().slice(0, 8)}`, (s) =>
    s.splice(0, 1, 'HL*3**20*1', `NM1*85*2*SECOND PRACTICE*****XX*${secondNpi}`, 'HL*4*3*22*0'),
  );
}

describe('PUT /v1/organizations/:id/identifiers', () => {
  it('the operator sets them; the organization reads its own; an event records them', async () => {
    const response = await putIdentifiers(payer.organization.id, {
      payerId: '60054',
      interchange: { qualifier: '30', id: '061234567' },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({
      npi: null,
      payerId: '60054',
      interchange: { qualifier: '30', id: '061234567' },
      taxId: null,
    });
    const me = await request(app).get('/v1/organizations/me').set(bearer(payer.key));
    expect(me.body.organization).toMatchObject({
      payerId: '60054',
      interchange: { qualifier: '30', id: '061234567' },
    });
    const events = await environment.database.pool.query<{ payload: unknown }>(
      `SELECT payload FROM ledger_events WHERE type = 'OrganizationIdentifiersSet'
        AND aggregate_id = $1`,
      [payer.organization.id],
    );
    expect(events.rows.map((row) => row.payload)).toEqual([
      {
        organizationId: payer.organization.id,
        npi: null,
        payerId: '60054',
        interchangeQualifier: '30',
        interchangeId: '061234567',
      },
    ]);
    // The same identifiers again change nothing.
    const before = await tableFingerprints(environment);
    const again = await putIdentifiers(payer.organization.id, {
      payerId: '60054',
      interchange: { qualifier: '30', id: '061234567' },
    });
    expect(again.status).toBe(200);
    expect(await tableFingerprints(environment)).toEqual(before);
  });

  it('a second organization with the same payer id, interchange id or NPI is 409, writing nothing', async () => {
    const otherPayer = await createActor(environment, 'payer', 'payer_adjudicator');
    const provider = await createActor(environment, 'provider', 'provider_biller');
    const before = await tableFingerprints(environment);
    const samePayerId = await putIdentifiers(otherPayer.organization.id, { payerId: '60054' });
    expect(expectProblem(samePayerId, 409).detail).toBe(
      'an organization with this payer id is already registered',
    );
    const sameInterchange = await putIdentifiers(provider.organization.id, {
      npi: provider.organization.npi,
      interchange: { qualifier: 'ZZ', id: '061234567' },
    });
    expect(expectProblem(sameInterchange, 409).detail).toBe(
      'an organization with this interchange id is already registered',
    );
    const sameNpi = await putIdentifiers(otherPayer.organization.id, {
      npi: provider.organization.npi,
    });
    expect(expectProblem(sameNpi, 409).detail).toBe(
      'an organization with this NPI is already registered',
    );
    expect(await tableFingerprints(environment)).toEqual(before);
  });

  it('names every bad field in one 422 and writes nothing; only the operator admin may', async () => {
    const provider = await createActor(environment, 'provider', 'provider_biller');
    const providerAdmin = await adminOf(provider);
    const before = await tableFingerprints(environment);
    const bad = await putIdentifiers(provider.organization.id, {
      npi: '1234567890',
      payerId: '6',
      interchange: { qualifier: 'XX', id: 'MUCH-TOO-LONG-AN-ID' },
      extra: true,
    });
    expect(fieldsOf(bad).sort()).toEqual([
      'extra',
      'interchange.id',
      'interchange.qualifier',
      'npi',
      'payerId',
    ]);
    const shapes = await putIdentifiers(provider.organization.id, {
      payerId: '11111111-1111-4111-8111-111111111111',
      interchange: { qualifier: 'ZZ', id: 'A*B' },
    });
    expect(expectProblem(shapes, 422).errors).toEqual([
      {
        field: 'payerId',
        message: 'must not be a UUID: a UUID in NM109 names a ClaimChain organization id',
      },
      { field: 'interchange.id', message: 'must be 1-15 letters, digits or . / _ -' },
    ]);
    const notPayer = await putIdentifiers(provider.organization.id, { payerId: '60055' });
    expect(expectProblem(notPayer, 422).errors).toEqual([
      { field: 'payerId', message: 'a provider organization has no payer id' },
    ]);
    const ownAdmin = await putIdentifiers(provider.organization.id, {}, providerAdmin);
    expectProblem(ownAdmin, 403);
    expect(await tableFingerprints(environment)).toEqual(before);
  });
});

describe('POST /v1/x12/837: the payer by payer id', () => {
  let provider: Actor;

  beforeAll(async () => {
    provider = await createActor(environment, 'provider', 'provider_biller');
  });

  it('NM1*PR … PI*60054 is the payer whose payer id is 60054', async () => {
    const file = claimFile(provider.organization.npi!, 'NM1*PR*2*ACME HEALTH PLAN*****PI*60054');
    const response = await postX12(file, provider.key);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ accepted: 1, rejected: 0 });
    const claimId = response.body.results[0].claimId as string;
    const stored = await request(app).get(`/v1/claims/${claimId}`).set(bearer(payer.key));
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ payerId: payer.organization.id });
  });

  it('an unknown payer id is a per-claim error at NM109 of 2010BB; the UUID form still works', async () => {
    const unknown = claimFile(provider.organization.npi!, 'NM1*PR*2*NOBODY*****PI*99999');
    const byUuid = claimFile(
      provider.organization.npi!,
      `NM1*PR*2*ACME HEALTH PLAN*****PI*${payer.organization.id}`,
    );
    const response = await postX12(unknown, provider.key);
    expect(response.status, response.text).toBe(200);
    expect(response.body.results[0]).toMatchObject({
      status: 'rejected',
      errors: [
        {
          field: 'NM109',
          loop: '2010BB',
          segment: 'NM1',
          message: 'no payer organization has payer id "99999"',
        },
      ],
    });
    const accepted = await postX12(byUuid, provider.key);
    expect(accepted.body).toMatchObject({ accepted: 1 });
    expect(accepted.body.results[0].claim.payerId).toBe(payer.organization.id);
  });
});

describe('a clearinghouse', () => {
  let clearinghouse: Actor;
  let first: Actor;
  let second: Actor;
  let stranger: Actor;
  const payerName = 'NM1*PR*2*ACME HEALTH PLAN*****PI*60054';

  beforeAll(async () => {
    clearinghouse = await createActor(environment, 'clearinghouse', 'provider_biller', 'HUB');
    first = await createActor(environment, 'provider', 'provider_biller');
    second = await createActor(environment, 'provider', 'provider_biller');
    stranger = await createActor(environment, 'provider', 'provider_biller');
    for (const provider of [first, second]) {
      const response = await request(app)
        .post(`/v1/organizations/me/clearinghouses/${clearinghouse.organization.id}`)
        .set(bearer(await adminOf(provider)));
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({
        providerId: provider.organization.id,
        clearinghouseId: clearinghouse.organization.id,
        revokedAt: null,
      });
    }
  });

  it("submits the claims of two authorizing providers, each stored as its provider's", async () => {
    const file = twoProviderFile(first.organization.npi!, second.organization.npi!, payerName);
    const response = await postX12(file, clearinghouse.key, 'hub-file-1');
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ accepted: 2, rejected: 0 });
    const [firstClaim, secondClaim] = response.body.results as { claimId: string }[];
    const read = (provider: Actor, claimId: string) =>
      request(app).get(`/v1/claims/${claimId}`).set(bearer(provider.key));
    expect((await read(first, firstClaim!.claimId)).body.providerId).toBe(first.organization.id);
    expect((await read(second, secondClaim!.claimId)).body.providerId).toBe(second.organization.id);
    expect((await read(first, secondClaim!.claimId)).status).toBe(404);
    const event = await environment.database.pool.query<{
      actor_org_id: string;
      payload: Record<string, unknown>;
    }>(
      `SELECT actor_org_id, payload FROM ledger_events
        WHERE type = 'ClaimSubmitted' AND aggregate_id = $1`,
      [firstClaim!.claimId],
    );
    expect(event.rows[0]).toMatchObject({
      actor_org_id: clearinghouse.organization.id,
      payload: {
        providerOrgId: first.organization.id,
        submitterOrgId: clearinghouse.organization.id,
      },
    });
    // The key is the clearinghouse's; the same file again is the same answer.
    const replay = await postX12(file, clearinghouse.key, 'hub-file-1');
    expect(replay.body).toEqual(response.body);
    const records = await environment.database.pool.query(
      `SELECT 1 FROM idempotency_records WHERE org_id = $1 AND key = 'hub-file-1'`,
      [clearinghouse.organization.id],
    );
    expect(records.rowCount).toBe(1);
    // Without the key, the same interchange is refused (409), stored as the clearinghouse's...
    const repeated = await postX12(file, clearinghouse.key);
    expect(expectProblem(repeated, 409).title).toBe('duplicate_interchange');
    expect(repeated.body.interchangeId).toBe(response.body.interchangeId);
    // ... and the same claims in a new interchange are duplicates of their provider's claims.
    const again = await postX12(
      withInterchangeControlNumber(file, nextControlNumber++),
      clearinghouse.key,
    );
    expect(again.body.results.map((result: { status: string }) => result.status)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(again.body.results[1].claimId).toBe(secondClaim!.claimId);
  });

  it("its interchange and acknowledgments are the clearinghouse's; the 277CA names each claim's provider", async () => {
    const file = twoProviderFile(first.organization.npi!, second.organization.npi!, payerName);
    const answered = await request(app)
      .post('/v1/x12/837')
      .set(bearer(clearinghouse.key))
      .set('Content-Type', 'application/edi-x12')
      .set('Accept', 'application/edi-x12')
      .send(file);
    expect(answered.status, answered.text).toBe(200);
    expect(answered.text).toContain('\nAK9*A*1*1*1~\n');
    const path = /<([^>]+)>; rel="interchange"/.exec(String(answered.headers.link))![1]!;
    const stored = await request(app).get(path).set(bearer(clearinghouse.key));
    expect(stored.status, stored.text).toBe(200);
    const results = stored.body.answer.results as {
      patientControlNumber: string;
      claimId: string;
      claim: { providerId: string };
    }[];
    expect(results.map((result) => result.claim.providerId)).toEqual([
      first.organization.id,
      second.organization.id,
    ]);
    const ack277 = await request(app).get(`${path}/277ca`).set(bearer(clearinghouse.key));
    expect(ack277.status, ack277.text).toBe(200);
    // 2000C (NM1*85) names a billing provider by NPI; its 2000D claims (TRN*2 CLM01) follow it.
    const providerOfClaim = new Map<string, string>();
    let provider: string | undefined;
    for (const segment of parseAcknowledgment(ack277.text).groups[0]!.sets[0]!) {
      if (segment[0] === 'NM1' && segment[1] === '85') provider = segment[9];
      if (segment[0] === 'TRN' && segment[1] === '2' && provider !== undefined) {
        providerOfClaim.set(segment[2]!, provider);
      }
    }
    expect(providerOfClaim).toEqual(
      new Map([
        [results[0]!.patientControlNumber, first.organization.npi!],
        [results[1]!.patientControlNumber, second.organization.npi!],
      ]),
    );
    // The authorizing providers did not send it: to them it does not exist.
    for (const tail of ['', '/999', '/277ca']) {
      expectProblem(await request(app).get(`${path}${tail}`).set(bearer(first.key)), 404);
    }
    const listed = await request(app).get('/v1/x12/interchanges').set(bearer(first.key));
    expect(listed.body.interchanges).toEqual([]);
  });

  it('refuses at 2010AA NM109 a provider that did not authorize it, or revoked, or an unknown NPI', async () => {
    const refusal = {
      status: 'rejected',
      errors: [{ field: 'NM109', loop: '2010AA', segment: 'NM1' }],
    };
    for (const npi of [stranger.organization.npi!, randomNpi()]) {
      const file = twoProviderFile(first.organization.npi!, npi, payerName);
      const response = await postX12(file, clearinghouse.key);
      expect(response.body.results[0].status).toBe('accepted');
      expect(response.body.results[1]).toMatchObject(refusal);
      expect(response.body.results[1].errors[0].message).toBe(
        `is NPI ${npi}: no provider with this NPI has authorized the submitting clearinghouse`,
      );
    }
    const revoked = await request(app)
      .delete(`/v1/organizations/me/clearinghouses/${clearinghouse.organization.id}`)
      .set(bearer(await adminOf(second)));
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const events = await environment.database.pool.query<{ type: string }>(
      `SELECT type FROM ledger_events WHERE aggregate_id = $1 ORDER BY seq`,
      [second.organization.id],
    );
    expect(events.rows.map((row) => row.type)).toEqual([
      'OrganizationRegistered',
      'ClearinghouseAuthorized',
      'ClearinghouseRevoked',
    ]);
    const file = twoProviderFile(first.organization.npi!, second.organization.npi!, payerName);
    const response = await postX12(file, clearinghouse.key);
    expect(response.body.results[1]).toMatchObject(refusal);
    const list = await request(app)
      .get('/v1/organizations/me/clearinghouses')
      .set(bearer(clearinghouse.key));
    expect(
      (list.body.authorizations as { providerId: string; revokedAt: string | null }[])
        .map((entry) => [entry.providerId, entry.revokedAt === null])
        .sort(),
    ).toEqual(
      [
        [first.organization.id, true],
        [second.organization.id, false],
      ].sort(),
    );
  });

  it('submits only 837P files and reads no claims; a provider submits only its own', async () => {
    const json = await request(app).post('/v1/claims').set(bearer(clearinghouse.key)).send({});
    expectProblem(json, 403);
    expectProblem(await request(app).get('/v1/claims').set(bearer(clearinghouse.key)), 403);
    const forOther = claimFile(second.organization.npi!, payerName);
    const response = await postX12(forOther, first.key);
    expect(response.body.results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ field: 'NM109', loop: '2010AA' }],
    });
    const notClearinghouse = await request(app)
      .post(`/v1/organizations/me/clearinghouses/${stranger.organization.id}`)
      .set(bearer(await adminOf(first)));
    expectProblem(notClearinghouse, 404);
  });

  it('its ISA05/ISA06 must be its registered interchange id, once it has one (else 400 or TA1)', async () => {
    const registered = await putIdentifiers(clearinghouse.organization.id, {
      interchange: { qualifier: 'ZZ', id: 'CLAIMSHUB' },
    });
    expect(registered.status, registered.text).toBe(200);
    const file = claimFile(first.organization.npi!, payerName);
    const before = await tableFingerprints(environment);
    const refused = await postX12(file, clearinghouse.key);
    expect(expectProblem(refused, 400).errors).toEqual([
      {
        field: 'ISA06',
        segment: 'ISA',
        element: 'ISA06',
        line: 1,
        message:
          'is "SUBMITTERS.ID"; the submitting organization sends as ISA05 "ZZ", ISA06 "CLAIMSHUB"',
      },
    ]);
    expect(await tableFingerprints(environment)).toEqual(before);
    // Asked for X12, the refusal is a TA1: TA105 006, invalid interchange sender id.
    const ta1 = await request(app)
      .post('/v1/x12/837')
      .set(bearer(clearinghouse.key))
      .set('Content-Type', 'application/edi-x12')
      .set('Accept', 'application/edi-x12')
      .send(file);
    expect(ta1.status).toBe(400);
    expect(ta1.text).toContain(`\nTA1*${file.slice(90, 99)}*261015*1253*R*006~\n`);
    const asItself = file.replace('*ZZ*SUBMITTERS.ID  *', '*ZZ*CLAIMSHUB      *');
    const accepted = await postX12(asItself, clearinghouse.key);
    expect(accepted.body).toMatchObject({ accepted: 1 });
  });
});

describe('the 835 carries the identifiers', () => {
  it("ISA05/06 and GS02 the payer's, ISA07/08 and GS03 the provider's, REF*2U the payer id", async () => {
    const parties = await createParties(environment);
    const payerIds = await putIdentifiers(parties.payerId, {
      payerId: 'SX123',
      interchange: { qualifier: 'ZZ', id: 'SX123EDI' },
    });
    expect(payerIds.status, payerIds.text).toBe(200);
    const providerIds = await putIdentifiers(parties.providerId, {
      npi: parties.providerNpi,
      interchange: { qualifier: '30', id: '371234567' },
    });
    expect(providerIds.status, providerIds.text).toBe(200);
    await paidClaim(environment, app as never, parties);
    const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
    expect(run.status, run.text).toBe(200);
    const batchId = run.body.batches[0].id as string;
    const response = await fetch835(app as never, parties.providerFinance, batchId);
    expect(response.status, response.text).toBe(200);
    const text = response.text;
    expect(text.slice(0, 106)).toMatch(
      /^ISA\*00\* {10}\*00\* {10}\*ZZ\*SX123EDI {7}\*30\*371234567 {6}\*\d{6}\*\d{4}\*\^\*00501\*\d{9}\*0\*T\*:~$/,
    );
    expect(text).toMatch(/\nGS\*HP\*SX123EDI\*371234567\*/);
    const parsed = parse835(text);
    expect(remittanceProblems(parsed)).toEqual([]);
    expect(parsed.payerLoop.map((values) => values.slice(0, 3))).toEqual([
      ['N1', 'PR', parsed.payerLoop[0]![2]],
      ['N3', '100 Insurance Way'],
      ['N4', 'Hartford', 'CT'],
      ['REF', '2U', 'SX123'],
      ['PER', 'BL', 'EDI Support'],
    ]);
  });
});
