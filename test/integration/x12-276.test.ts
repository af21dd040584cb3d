// POST /v1/x12/276 on the real database: the guide's own 276 (stupidedi's copy, its payer,
// providers' NPIs and patient control numbers replaced by this test's) asks after a paid, settled
// and confirmed claim, a pended one and one that does not exist; the 277 answers each as the JSON
// route does, read back by node-x12. Another provider's claim is not found; a payer id in NM109
// finds the payer; each tracking loop is a ClaimStatusInquired event.
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { setOrganizationIdentifiers } from '../../src/domain/trading-partners.js';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, paidClaim, type Parties } from '../support/settlement.js';
import { parseAcknowledgment } from '../support/x12.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;
let guide276: string;
let paidId: string;
let pendedId: string;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
  guide276 = await readFile(
    new URL('../fixtures/x12/276-claim-request.x12', import.meta.url),
    'utf8',
  );
  paidId = (
    await paidClaim(environment, app, parties, 'M-PAID', { patientControlNumber: 'PCN-276-PAID' })
  ).id;
  // Over the payer's 5,000.00 auto-adjudication limit: it pends for a person.
  const pended = await paidClaim(environment, app, parties, 'M-PAID', {
    patientControlNumber: 'PCN-276-PENDED',
    serviceLines: [
      { procedureCode: '99213', units: 1, chargeAmount: '6000.00', serviceDate: '2026-03-15' },
    ],
  });
  expect(pended.status).toBe('pended');
  pendedId = pended.id;
  const [batch] = await settlePayer(environment.database, parties.payerId);
  const confirmed = await request(app)
    .post(`/v1/settlement/batches/${batch!.id}/confirmation`)
    .set(bearer(parties.payerFinance))
    .send({ traceNumber: 'EFT-276-1', amount: '92.00', paidDate: '2026-11-20' });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
});

afterAll(async () => {
  await environment.close();
});

/** The guide's 276 asking this test's payer, as this test's provider, about these claims. */
function adapted(payerId = parties.payerId, npi = parties.providerNpi): string {
  return guide276
    .replace('PI*12345', `PI*${payerId}`)
    .replaceAll(/XX\*16666666\d\d/g, `XX*${npi}`)
    .replace('REF*EJ*SM123456', 'REF*EJ*PCN-276-PAID')
    .replace('AMT*T3*8513.88', 'AMT*T3*173.5')
    .replace('DTP*472*RD8*20050831-20050906', 'DTP*472*RD8*20260101-20261231')
    .replace('REF*EJ*JO234567', 'REF*EJ*PCN-276-PENDED')
    .replace('AMT*T3*7599', 'AMT*T3*6000')
    .replace('DTP*472*RD8*20050731-20050809', 'DTP*472*D8*20260315')
    .replace('REF*EJ*MA345678', 'REF*EJ*PCN-276-NONE');
}

function post276(key: string, body: string) {
  return request(app)
    .post('/v1/x12/276')
    .set(bearer(key))
    .set('Content-Type', 'application/edi-x12')
    .send(body);
}

async function statusEvents(): Promise<Record<string, unknown>[]> {
  const { rows } = await environment.database.pool.query<{ payload: Record<string, unknown> }>(
    `SELECT payload FROM ledger_events WHERE type = 'ClaimStatusInquired' ORDER BY seq`,
  );
  return rows.map((row) => row.payload);
}

/** The 277's segments from the first HL to the SE, exclusive. */
function bodyOf(text: string): string[] {
  const segments = text.split('~\n').filter(Boolean);
  return segments.slice(
    segments.findIndex((segment) => segment.startsWith('HL*1')),
    -3,
  );
}

async function jsonStatus(patientControlNumber: string) {
  const response = await request(app)
    .get('/v1/claim-status')
    .set(bearer(parties.biller))
    .query({ payerId: parties.payerId, patientControlNumber });
  return response.body.claims[0] as { decidedAt: string; serviceDates: { from: string } };
}

const d8 = (isoDate: string) => isoDate.slice(0, 10).replaceAll('-', '');

describe('POST /v1/x12/276', () => {
  it('answers paid and confirmed, pended and not found, as the JSON route does', async () => {
    const before = (await statusEvents()).length;
    const response = await post276(parties.biller, adapted());
    expect(response.status, response.text).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/edi-x12/);
    // One event per tracking loop, with no patient data.
    const events = (await statusEvents()).slice(before);
    expect(events.map((event) => [event.channel, event.date, event.result])).toEqual([
      ['x12', '2026-01-01', 'found'],
      ['x12', '2026-03-15', 'found'],
      ['x12', null, 'not_found'], // its DTP*472 follows an SVC: a service line's, not asked
    ]);
    expect(JSON.stringify(events)).not.toMatch(/SMITH|MANN|123456789A|PCN-276/);
    const paid = await jsonStatus('PCN-276-PAID');
    const pended = await jsonStatus('PCN-276-PENDED');
    const npi = parties.providerNpi;
    const today = d8(new Date().toISOString());
    expect(bodyOf(response.text)).toEqual([
      'HL*1**20*1',
      `NM1*PR*2*ABC INSURANCE*****PI*${parties.payerId}`,
      'HL*2*1*21*1',
      'NM1*41*2*XYZ SERVICE*****46*X67E',
      'HL*3*2*19*1',
      `NM1*1P*2*HOME HOSPITAL*****XX*${npi}`,
      'HL*4*3*22*0',
      'NM1*IL*1*SMITH*FRED****MI*123456789A',
      'TRN*2*ABCXYZ1',
      `STC*F1:65*20261120**173.5*92*${d8(paid.decidedAt)}**20261120*EFT-276-1`,
      `REF*1K*${paidId}`,
      'REF*EJ*PCN-276-PAID',
      `DTP*472*D8*${d8(paid.serviceDates.from)}`,
      'HL*5*3*22*0',
      'NM1*IL*1*JONES*MARY****MI*234567890A',
      'TRN*2*ABCXYZ2',
      `STC*P2:20*${d8(pended.decidedAt)}**6000`,
      `REF*1K*${pendedId}`,
      'REF*EJ*PCN-276-PENDED',
      'DTP*472*D8*20260315',
      'HL*6*2*19*1',
      `NM1*1P*2*HOME HOSPITAL PHYSICIANS*****XX*${npi}`,
      'HL*7*6*22*1',
      'NM1*IL*1*MANN*JOHN****MI*345678901',
      'HL*8*7*23',
      'NM1*QC*1*MANN*JOSEPH',
      'TRN*2*ABCXYZ3',
      `STC*A4:35*${today}`,
      'REF*EJ*PCN-276-NONE',
    ]);
    // The envelope answers the sender: parties swapped, test data kept, the 276's BHT03 echoed.
    expect(response.text).toMatch(
      /^ISA\*00\* {10}\*00\* {10}\*ZZ\*123456789012346\*ZZ\*123456789012345\*\d{6}\*\d{4}\*\^\*00501\*\d{9}\*0\*T\*:~\n/,
    );
    expect(response.text).toMatch(/BHT\*0010\*08\*ABC276XXX\*\d{8}\*\d{4}\*DG~/);
    const parsed = parseAcknowledgment(response.text);
    expect(parsed.groups[0]!.gs[1]).toBe('HN');
    expect(parsed.groups[0]!.sets[0]![0]).toEqual(['ST', '277', '0001', '005010X212']);
  });

  it('does not find a claim whose charge or dates differ from those asked', async () => {
    const wrongCharge = adapted().replace('AMT*T3*173.5', 'AMT*T3*173.49');
    const response = await post276(parties.biller, wrongCharge);
    expect(bodyOf(response.text).slice(8, 10)).toEqual([
      'TRN*2*ABCXYZ1',
      expect.stringMatching(/^STC\*A4:35\*\d{8}$/),
    ]);
  });

  it('never finds another provider’s claim, and finds the payer by its payer id', async () => {
    const other = await createActor(environment, 'provider', 'provider_biller');
    const theirs = await request(app)
      .post('/v1/claims')
      .set(bearer(other.key))
      .send(validClaim(parties.payerId, { patientControlNumber: 'PCN-276-THEIRS' }));
    expect(theirs.status).toBe(201);
    await setOrganizationIdentifiers(environment.database, undefined, parties.payerId, {
      payerId: '60054',
    });
    const asking = adapted('60054').replace('REF*EJ*PCN-276-PAID', 'REF*EJ*PCN-276-THEIRS');
    const response = await post276(parties.biller, asking);
    expect(response.status, response.text).toBe(200);
    const body = bodyOf(response.text);
    expect(body[1]).toBe('NM1*PR*2*ABC INSURANCE*****PI*60054');
    expect(body.slice(8, 11)).toEqual([
      'TRN*2*ABCXYZ1',
      expect.stringMatching(/^STC\*A4:35\*\d{8}$/),
      'REF*EJ*PCN-276-THEIRS',
    ]);
    expect(response.text).not.toContain(theirs.body.id);
    // The pended claim is still found through the payer id.
    expect(body).toContain(`REF*1K*${pendedId}`);
  });

  it('refuses another provider’s NPI, an unknown payer, a bad file and other roles, recording nothing', async () => {
    const before = (await statusEvents()).length;
    const foreign = await post276(parties.biller, adapted(parties.payerId, '1234567893'));
    expect(expectProblem(foreign, 403).detail).toMatch(/2100C NM109/);
    const unknownPayer = await post276(parties.biller, adapted('99999'));
    expect(fieldsOf(unknownPayer)).toEqual(['2100A NM109']);
    const noPcn = await post276(
      parties.biller,
      adapted().replace('REF*EJ*PCN-276-NONE', 'REF*EJ*'),
    );
    const problem = expectProblem(noPcn, 400);
    expect(problem.errors?.[0]).toMatchObject({ segment: 'REF', element: 'REF02', loop: '2200E' });
    expectProblem(await post276(parties.biller, 'hello'), 400);
    expectProblem(await post276(parties.payerAdjudicator, adapted()), 403);
    expect((await statusEvents()).length).toBe(before);
  });
});
