// GET /v1/claim-status on the real database: a provider finds its claim by its patient control
// number through submission, adjudication and settlement; the 277 category of each status; the
// answer for no claim; who may ask; the ledger event.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, paidClaim, type Parties } from '../support/settlement.js';
import { statusCategoryOf } from '../../src/domain/claims/status.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
});

afterAll(async () => {
  await environment.close();
});

function ask(key: string, query: Record<string, string>) {
  return request(app).get('/v1/claim-status').set(bearer(key)).query(query);
}

async function patientControlNumberOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ pcn: string }>(
    'SELECT patient_control_number AS pcn FROM claims WHERE id = $1',
    [claimId],
  );
  return rows[0]!.pcn;
}

describe('GET /v1/claim-status', () => {
  it('follows a claim from submitted to paid to settled, with its payment', async () => {
    const submitted = validClaim(parties.payerId, { patientControlNumber: 'PCN-STATUS-1' });
    const created = await request(app)
      .post('/v1/claims')
      .set(bearer(parties.biller))
      .send(submitted);
    expect(created.status).toBe(201);
    const first = await ask(parties.biller, {
      payerId: parties.payerId,
      patientControlNumber: 'PCN-STATUS-1',
    });
    expect(first.status).toBe(200);
    expect(first.body.claims).toEqual([
      {
        claimId: created.body.id,
        status: 'submitted',
        category: {
          code: 'A2',
          description: 'Acknowledgement/Acceptance into adjudication system',
        },
        frequencyCode: '1',
        submittedAt: created.body.submittedAt,
        serviceDates: { from: '2026-11-02', to: '2026-11-02' },
        totalChargeAmount: '173.50',
        decidedAt: null,
        paidAmount: null,
        patientResponsibilityAmount: null,
        payment: null,
      },
    ]);

    // The standard payer pays 92.00 of the standard claim of member M-PAID.
    const paid = await paidClaim(environment, app, parties);
    const pcn = await patientControlNumberOf(paid.id);
    const decided = await ask(parties.biller, {
      payerId: parties.payerId,
      patientControlNumber: pcn,
    });
    expect(decided.body.claims[0]).toMatchObject({
      status: 'paid',
      category: { code: 'F1' },
      paidAmount: '92.00',
      payment: null,
    });
    const [batch] = await settlePayer(environment.database, parties.payerId);
    const settled = await ask(parties.biller, {
      payerId: parties.payerId,
      patientControlNumber: pcn,
    });
    expect(settled.body.claims[0]).toMatchObject({
      status: 'settled',
      category: { code: 'F1' },
      payment: {
        batchId: batch!.id,
        amount: '92.00',
        batchStatus: 'issued',
        traceNumber: null,
        paidDate: null,
      },
    });
  });

  it('narrows by date of service, and answers A4 when nothing matches', async () => {
    const onOtherDate = await ask(parties.biller, {
      payerId: parties.payerId,
      patientControlNumber: 'PCN-STATUS-1',
      serviceDate: '2026-11-03',
    });
    expect(onOtherDate.status).toBe(200);
    expect(onOtherDate.body).toEqual({
      payerId: parties.payerId,
      patientControlNumber: 'PCN-STATUS-1',
      found: false,
      category: {
        code: 'A4',
        description:
          'Acknowledgement/Not Found: the claim cannot be found in the adjudication system',
      },
      claims: [],
      ledgerEventId: expect.any(String) as string,
    });
    const onDate = await ask(parties.biller, {
      payerId: parties.payerId,
      patientControlNumber: 'PCN-STATUS-1',
      serviceDate: '2026-11-02',
    });
    expect(onDate.body.found).toBe(true);
  });

  it('shows another provider nothing of the claim, and refuses payers and bad fields', async () => {
    const otherProvider = await createActor(environment, 'provider', 'provider_biller');
    const other = await ask(otherProvider.key, {
      payerId: parties.payerId,
      patientControlNumber: 'PCN-STATUS-1',
    });
    expect(other.body.found).toBe(false);
    const events = await environment.database.pool.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM ledger_events WHERE id = $1`,
      [other.body.ledgerEventId],
    );
    expect(events.rows[0]!.payload).toEqual({
      inquiryId: other.body.ledgerEventId,
      channel: 'json',
      inquirerOrgId: otherProvider.organization.id,
      payerOrgId: parties.payerId,
      memberRowId: null,
      date: null,
      result: 'not_found',
    });
    const before = await environment.database.pool.query('SELECT count(*) FROM ledger_events');
    expectProblem(
      await ask(parties.payerAdmin, { payerId: parties.payerId, patientControlNumber: 'X1' }),
      403,
    );
    expect(
      fieldsOf(
        await ask(parties.biller, {
          payerId: parties.providerId,
          patientControlNumber: 'PCN*1',
          serviceDate: '2026-13-01',
        }),
      ).sort(),
    ).toEqual(['patientControlNumber', 'serviceDate']);
    expect(
      fieldsOf(
        await ask(parties.biller, { payerId: parties.providerId, patientControlNumber: 'X' }),
      ),
    ).toEqual(['payerId']);
    const after = await environment.database.pool.query('SELECT count(*) FROM ledger_events');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});

describe('statusCategoryOf', () => {
  it('maps each status to its 277 category', () => {
    const codes = Object.fromEntries(
      [
        'submitted',
        'pended',
        'denied',
        'voided',
        'replaced',
        'paid',
        'partially_paid',
        'settled',
      ].map((status) => [status, statusCategoryOf(status, '10.00').code]),
    );
    expect(codes).toEqual({
      submitted: 'A2',
      pended: 'P2',
      denied: 'F2',
      voided: 'F3',
      replaced: 'F3',
      paid: 'F1',
      partially_paid: 'F1',
      settled: 'F1',
    });
    expect(statusCategoryOf('paid', '0.00').code).toBe('F4');
  });
});
