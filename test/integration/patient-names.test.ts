// Patient names on their way from intake to the 835, on the real database: a name with accents is
// stored as given and remitted in the X12 character set; a name of which X12 keeps nothing is
// refused by each intake (JSON, FHIR, 837P) with the field named and nothing written; a claim
// stored with such a name before intake refused it still gets its batch's 835. Neither the
// answers nor the logs ever carry the name.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phiKeysOf } from '../../src/api/app.js';
import { createLogger } from '../../src/infra/logger.js';
import { decryptPhi, encryptPhi } from '../../src/infra/phi.js';
import { bearer, fieldsOf, postClaim } from '../support/api.js';
import {
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, fetch835, paidClaim, type Parties } from '../support/settlement.js';
import { parse835, remittanceProblems } from '../support/x12.js';
import { sampleFhirClaim } from '../interop/fhir/samples.js';
import { sampleFile, sampleNpi } from '../interop/x12/samples.js';

const UNWRITABLE = '李';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;
const logLines: string[] = [];

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment, createLogger('info', { write: (line) => logLines.push(line) }));
  parties = await createParties(environment);
});

afterAll(async () => {
  await environment.close();
});

/** The standard claim's member (M-PAID, covered) under another name. */
function memberNamed(lastName: string, firstName: string) {
  return { ...validClaim(parties.payerId).member, memberId: 'M-PAID', lastName, firstName };
}

async function settledBatchId(): Promise<string> {
  const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  expect(run.body.batches).toHaveLength(1);
  return run.body.batches[0].id as string;
}

/** A claim row as stored before intake refused unwritable names: its member renamed in place. */
async function renameStoredMember(claimId: string, lastName: string, firstName: string) {
  const phiKeys = phiKeysOf(environment.config);
  const { rows } = await environment.database.pool.query<{ ciphertext: string; version: number }>(
    'SELECT member_ciphertext AS ciphertext, phi_key_version AS version FROM claims WHERE id = $1',
    [claimId],
  );
  const member = JSON.parse(decryptPhi(phiKeys, rows[0]!)) as Record<string, unknown>;
  const sealed = encryptPhi(phiKeys, JSON.stringify({ ...member, lastName, firstName }));
  await environment.database.pool.query(
    'UPDATE claims SET member_ciphertext = $2, phi_key_version = $3 WHERE id = $1',
    [claimId, sealed.ciphertext, sealed.version],
  );
}

describe('a patient name in the 835', () => {
  it('is written without diacritics, and a stored name of nothing writable leaves the batch whole', async () => {
    const accented = await paidClaim(environment, app, parties, 'M-PAID', {
      member: memberNamed('Peña', 'José'),
    });
    const stored = await paidClaim(environment, app, parties);
    await renameStoredMember(stored.id, UNWRITABLE, UNWRITABLE);
    expect([accented.status, stored.status]).toEqual(['paid', 'paid']);

    const batchId = await settledBatchId();
    const response = await fetch835(app, parties.providerFinance, batchId);
    expect(response.status, response.text).toBe(200);
    const parsed = parse835(response.text);
    expect(remittanceProblems(parsed)).toEqual([]);
    expect(parsed.claims.map((claim) => claim.clp[7]).sort()).toEqual(
      [accented.id, stored.id].sort(),
    );
    expect(response.text).toContain('\nNM1*QC*1*PENA*JOSE****MI*M-PAID~\n');
    // The guide makes NM103/NM104 situational; CLP01 and NM109 still name the patient.
    expect(response.text).toContain('\nNM1*QC*1******MI*M-PAID~\n');
    expect(response.text).toMatch(/\nST\*835\*\d{4,9}~\n/);
    expect(logLines.join('')).not.toContain(UNWRITABLE);
  });

  it('is stored as given: the claim reads back with its accents', async () => {
    const accented = await paidClaim(environment, app, parties, 'M-PAID', {
      member: memberNamed('Peña', 'José'),
    });
    const response = await request(app)
      .get(`/v1/claims/${accented.id}`)
      .set(bearer(parties.biller));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.member).toMatchObject({ lastName: 'Peña', firstName: 'José' });
  });
});

describe('a name of which X12 keeps nothing is refused at intake', () => {
  it('by POST /v1/claims, naming member.lastName and member.firstName', async () => {
    const before = await intakeRowCounts(environment);
    const claim = validClaim(parties.payerId, { member: memberNamed(UNWRITABLE, '-.') });
    const response = await postClaim(app, parties.biller, claim);
    expect(fieldsOf(response)).toEqual(['member.firstName', 'member.lastName']);
    expect(response.body.errors[0].message).toMatch(/X12 character set/);
    expect(response.text).not.toContain(UNWRITABLE);
    expect(logLines.join('')).not.toContain(UNWRITABLE);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('by POST /v1/fhir/Claim, naming the Patient family name', async () => {
    const before = await intakeRowCounts(environment);
    const claim = sampleFhirClaim(parties.payerId, `PCN-${randomUUID().slice(0, 8)}`);
    const patient = claim.contained![0] as { name: { family: string }[] };
    patient.name[0]!.family = UNWRITABLE;
    const response = await request(app)
      .post('/v1/fhir/Claim')
      .set(bearer(parties.biller))
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify(claim));
    expect(response.status, response.text).toBe(422);
    const outcome = JSON.parse(response.text) as { issue: { expression?: string[] }[] };
    expect(outcome.issue.map((issue) => issue.expression)).toEqual([
      ['Claim.contained[0].name[0].family'],
    ]);
    expect(response.text).not.toContain(UNWRITABLE);
    expect(logLines.join('')).not.toContain(UNWRITABLE);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });

  it('by POST /v1/x12/837, naming NM103 of loop 2010BA', async () => {
    const before = await intakeRowCounts(environment);
    const file = sampleFile('commercial-health-insurance', parties.payerId)
      .replace('NM1*IL*1*SMITH*JOHN*', `NM1*IL*1*${UNWRITABLE}*JOHN*`)
      .replaceAll(sampleNpi, parties.providerNpi);
    const response = await request(app)
      .post('/v1/x12/837')
      .set(bearer(parties.biller))
      .set('Content-Type', 'application/edi-x12')
      .send(file);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(response.body.results[0].errors).toMatchObject([
      { field: 'NM103', segment: 'NM1', loop: '2010BA' },
    ]);
    expect(response.text).not.toContain(UNWRITABLE);
    expect(logLines.join('')).not.toContain(UNWRITABLE);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});
