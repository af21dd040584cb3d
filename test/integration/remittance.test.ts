// The 835 remittance and the FHIR PaymentReconciliation of settlement batches on real
// PostgreSQL: claims submitted through the API and adjudicated (a payment with a fee schedule
// reduction, deductible and coinsurance, a partial payment, a denial, and a void of a claim paid
// in an earlier batch), settled, fetched through the API, parsed back with node-x12 and checked
// from the parsed segments; who may fetch them; the same document on every fetch; the parties'
// addresses, contacts and EINs from their remittance profiles.
import { Decimal } from 'decimal.js';
import type { PaymentReconciliation } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { paymentReconciliationSystem } from '../../src/interop/fhir/payment-reconciliation.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createTestEnvironment,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import {
  insertFeeScheduleEntry,
  insertMember,
  insertPayerRules,
  insertPlan,
} from '../support/payer.js';
import {
  createParties as createSettlementParties,
  fetch835 as fetch835Of,
  keyOf as keyOfRole,
  PAYER_REMITTANCE_PROFILE,
  type Parties,
} from '../support/settlement.js';
import { parse835, remittanceProblems } from '../support/x12.js';
import { fhirProblemsOf, r4CodeSystemConcepts } from '../interop/fhir/samples.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;

interface SettledBatch {
  id: string;
  amount: string;
  adjustments: { claimId: string; amount: string }[];
}

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
});

afterAll(async () => {
  await environment.close();
});

const keyOf = (orgId: string, role: 'finance' | 'admin') => keyOfRole(environment, orgId, role);

/**
 * A payer pricing 99213 at 100.00, 80053 at 40.00 and not covering 97110, with a plan of a
 * 30.00 deductible and 20 % coinsurance; member M-1 is covered, M-UNKNOWN is not.
 */
async function configurePayer(environment: TestEnvironment, payerId: string): Promise<void> {
  await insertFeeScheduleEntry(environment, payerId, '99213', '100.00');
  await insertFeeScheduleEntry(environment, payerId, '80053', '40.00');
  await insertFeeScheduleEntry(environment, payerId, '97110', '50.00', { covered: false });
  await insertPayerRules(environment, payerId, '5000.00');
  const planId = await insertPlan(environment, payerId, {
    deductibleAmount: '30.00',
    outOfPocketMaxAmount: '100000.00',
    copayAmount: '0.00',
    coinsurancePercent: '20',
  });
  await insertMember(environment, payerId, 'M-1', planId);
}

const createParties = () => createSettlementParties(environment, configurePayer);

let serviceDay = 0;

/** Submits a claim through the API and adjudicates it; each claim has its own service date. */
async function submitAndAdjudicate(
  parties: Parties,
  codes: string[],
  extra: Record<string, unknown> = {},
  memberId = 'M-1',
): Promise<{ id: string; status: string; patientControlNumber: string }> {
  serviceDay += 1;
  const serviceDate = new Date(Date.UTC(2026, 2, serviceDay)).toISOString().slice(0, 10);
  const claim = validClaim(parties.payerId);
  const response = await request(app)
    .post('/v1/claims')
    .set(bearer(parties.biller))
    .send({
      ...claim,
      member: { ...claim.member, memberId },
      serviceLines: codes.map((procedureCode) => ({
        procedureCode,
        units: 1,
        chargeAmount: procedureCode === '80053' ? '48.50' : '125.00',
        serviceDate,
      })),
      ...extra,
    });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const id = response.body.id as string;
  const outcome = await adjudicateClaim(environment.database, id);
  return { id, status: outcome.status, patientControlNumber: claim.patientControlNumber };
}

async function settle(parties: Parties): Promise<SettledBatch> {
  const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  expect(run.body.batches).toHaveLength(1);
  return run.body.batches[0] as SettledBatch;
}

const fetch835 = (key: string, batchId: string) => fetch835Of(app, key, batchId);

describe('GET /v1/settlement/batches/:id/835', () => {
  let parties: Parties;
  let firstBatch: SettledBatch;
  let secondBatch: SettledBatch;
  let voidedOriginal: { id: string; patientControlNumber: string };
  const statuses: Record<string, string> = {};

  beforeAll(async () => {
    parties = await createParties();
    // Paid in the first batch, then voided: recouped in the second.
    const original = await submitAndAdjudicate(parties, ['99213', '80053']);
    expect(original.status).toBe('paid');
    voidedOriginal = original;
    firstBatch = await settle(parties);

    const voided = await submitAndAdjudicate(parties, ['99213', '80053'], {
      frequencyCode: '8',
      originalClaimId: original.id,
    });
    expect(voided.status).toBe('voided');
    // The void gave the deductible back: this claim meets it again (PR-1), with CO-45 and PR-2.
    const paid = await submitAndAdjudicate(parties, ['99213', '80053']);
    const partial = await submitAndAdjudicate(parties, ['99213', '97110']);
    const denied = await submitAndAdjudicate(parties, ['99213'], {}, 'M-UNKNOWN');
    Object.assign(statuses, { [paid.id]: paid.status, [partial.id]: partial.status });
    statuses[denied.id] = denied.status;
    expect([paid.status, partial.status, denied.status]).toEqual([
      'paid',
      'partially_paid',
      'denied',
    ]);
    secondBatch = await settle(parties);
    expect(secondBatch.adjustments).toEqual([
      { claimId: original.id, amount: expect.stringMatching(/^-\d+\.\d{2}$/) as string },
    ]);
  });

  it('answers a balanced 835 that node-x12 reads, paying exactly the batch amount', async () => {
    const response = await fetch835(parties.providerFinance, secondBatch.id);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/edi-x12/);
    expect(response.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="?835-\\d+-${secondBatch.id}\\.x12"?$`),
    );
    expect(response.headers['cache-control']).toBe('no-store');
    const parsed = parse835(response.text);
    expect(remittanceProblems(parsed)).toEqual([]);
    // ST03 is Not Used in 005010X221A1: ST02 is the control number, at least 4 digits.
    const control = String(Number(parsed.rawIsa13)).padStart(4, '0');
    expect(response.text).toContain(`\nST*835*${control}~\n`);
    expect(new Decimal(parsed.bpr[2]!).equals(secondBatch.amount)).toBe(true);
    expect(parsed.interchange.header.valueOf(15)).toBe('T');

    const byClaimId = new Map(parsed.claims.map((claim) => [claim.clp[7]!, claim]));
    expect(byClaimId.size).toBe(4);
    const reversal = byClaimId.get(voidedOriginal.id)!;
    expect(reversal.clp[1]).toBe(voidedOriginal.patientControlNumber);
    expect(reversal.clp[2]).toBe('22');
    expect(new Decimal(reversal.clp[4]!).equals(secondBatch.adjustments[0]!.amount)).toBe(true);
    for (const [claimId, status] of Object.entries(statuses)) {
      expect(byClaimId.get(claimId)!.clp[2]).toBe(status === 'denied' ? '4' : '1');
    }
    // 99213 charged 125.00, allowed 100.00: CO-45 25.00, deductible PR-1 30.00, coinsurance 20 %
    // of the remaining 70.00 = PR-2 14.00, paid 56.00. 97110 is not covered: CO-96 with N130.
    expect(response.text).toMatch(/\nCAS\*CO\*45\*25~\nCAS\*PR\*1\*30\*\*2\*14~\n/);
    expect(response.text).toMatch(/\nCAS\*CO\*96\*125~\nLQ\*HE\*N130~\n/);
    // The provider billed these patients, so their names are in NM1*QC.
    expect(response.text).toContain('\nNM1*QC*1*DOE*JANE****MI*M-1~\n');
  });

  it('is the same document on every fetch, by payer or provider, until the payment is confirmed', async () => {
    const asProvider = await fetch835(parties.providerFinance, secondBatch.id);
    const asPayer = await fetch835(parties.payerFinance, secondBatch.id);
    expect(asPayer.text).toBe(asProvider.text);
    const trn = parse835(asProvider.text).trn;
    expect(trn[2]).toBe(secondBatch.id);

    const confirmed = await request(app)
      .post(`/v1/settlement/batches/${secondBatch.id}/confirmation`)
      .set(bearer(parties.payerFinance))
      .send({
        traceNumber: `EFT-${secondBatch.id.slice(0, 8)}`,
        amount: secondBatch.amount,
        paidDate: '2026-12-01',
      });
    expect(confirmed.status).toBe(200);
    const after = parse835((await fetch835(parties.providerFinance, secondBatch.id)).text);
    expect(after.trn[2]).toBe(`EFT-${secondBatch.id.slice(0, 8)}`);
    expect(after.bpr[16]).toBe('20261201');
    expect(after.rawIsa13).toBe(parse835(asProvider.text).rawIsa13);
  });

  it('gives every batch its own control number', async () => {
    const first = parse835((await fetch835(parties.providerFinance, firstBatch.id)).text);
    const second = parse835((await fetch835(parties.providerFinance, secondBatch.id)).text);
    expect(remittanceProblems(first)).toEqual([]);
    expect(first.rawIsa13).not.toBe(second.rawIsa13);
    expect(first.claims.map((claim) => claim.clp[2])).toEqual(['1']);
  });

  it('answers 404 to another organization and 403 to a role that may not read batches', async () => {
    const stranger = await createParties();
    expectProblem(await fetch835(stranger.payerFinance, secondBatch.id), 404);
    expectProblem(await fetch835(stranger.providerFinance, secondBatch.id), 404);
    expectProblem(await fetch835(parties.biller, secondBatch.id), 403);
    expectProblem(await fetch835(parties.providerFinance, 'not-a-uuid'), 422);
  });

  it('makes a batch of denials only a notification of zero (BPR H, NON)', async () => {
    const onlyDenied = await createParties();
    await submitAndAdjudicate(onlyDenied, ['99213'], {}, 'M-UNKNOWN');
    const batch = await settle(onlyDenied);
    expect(batch.amount).toBe('0.00');
    const parsed = parse835((await fetch835(onlyDenied.providerFinance, batch.id)).text);
    expect(remittanceProblems(parsed)).toEqual([]);
    expect([parsed.bpr[1], parsed.bpr[2], parsed.bpr[4]]).toEqual(['H', '0', 'NON']);
  });

  describe('GET /v1/fhir/PaymentReconciliation/:id', () => {
    const fetchResource = (key: string, batchId: string) =>
      request(app).get(`/v1/fhir/PaymentReconciliation/${batchId}`).set(bearer(key));

    it('describes the batch as a valid FHIR R4 PaymentReconciliation that adds up', async () => {
      const response = await fetchResource(parties.providerFinance, secondBatch.id);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
      const resource = JSON.parse(response.text) as PaymentReconciliation;
      expect(fhirProblemsOf(resource)).toEqual([]);
      expect(resource).toMatchObject({
        resourceType: 'PaymentReconciliation',
        id: secondBatch.id,
        status: 'active',
        outcome: 'complete',
        paymentDate: '2026-12-01',
        paymentIssuer: { reference: `Organization/${parties.payerId}` },
        requestor: { reference: `Organization/${parties.providerId}` },
        paymentIdentifier: {
          system: paymentReconciliationSystem.paymentTrace,
          value: `EFT-${secondBatch.id.slice(0, 8)}`,
        },
      });
      const details = resource.detail ?? [];
      expect(details).toHaveLength(4);
      const total = details.reduce(
        (sum, detail) => sum.plus(String(detail.amount!.value)),
        new Decimal(0),
      );
      expect(total.equals(secondBatch.amount)).toBe(true);
      expect(new Decimal(String(resource.paymentAmount.value)).equals(secondBatch.amount)).toBe(
        true,
      );
      const recoupment = details.find(
        (detail) => detail.request?.reference === `Claim/${voidedOriginal.id}`,
      );
      expect(recoupment?.type.coding?.[0]?.code).toBe('adjustment');
      expect(recoupment?.amount?.value).toBeLessThan(0);

      const paymentTypes = r4CodeSystemConcepts(paymentReconciliationSystem.paymentType);
      for (const detail of details) {
        const coding = detail.type.coding![0]!;
        expect(paymentTypes.has(`${coding.system}|${coding.code}`)).toBe(true);
      }
      const outcomes = r4CodeSystemConcepts('http://hl7.org/fhir/remittance-outcome');
      expect(outcomes.has(`http://hl7.org/fhir/remittance-outcome|${resource.outcome}`)).toBe(true);
    });

    it('is queued until the payment is confirmed', async () => {
      const response = await fetchResource(parties.payerFinance, firstBatch.id);
      const resource = JSON.parse(response.text) as PaymentReconciliation;
      expect(fhirProblemsOf(resource)).toEqual([]);
      expect(resource.outcome).toBe('queued');
      expect(resource.paymentIdentifier?.value).toBe(firstBatch.id);
    });

    it('answers 404 (OperationOutcome) to another organization and for a non-batch id', async () => {
      const stranger = await createParties();
      for (const answer of [
        await fetchResource(stranger.providerFinance, secondBatch.id),
        await fetchResource(parties.providerFinance, 'no-such-batch'),
      ]) {
        expect(answer.status).toBe(404);
        expect(JSON.parse(answer.text)).toMatchObject({ resourceType: 'OperationOutcome' });
      }
      expect((await fetchResource(parties.biller, secondBatch.id)).status).toBe(403);
    });
  });
});

describe('the 835 with the parties’ remittance profiles', () => {
  const putProfile = async (orgId: string, body: object) => {
    const response = await request(app)
      .put('/v1/organizations/me/profile')
      .set(bearer(await keyOf(orgId, 'admin')))
      .send(body);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  };

  it('is not settled for a payer whose profile lacks what loop 1000A requires: 409, nothing written', async () => {
    const parties = await createSettlementParties(environment, configurePayer, {
      payerProfile: false,
    });
    await submitAndAdjudicate(parties, ['99213']);
    const batchesBefore = await environment.database.pool.query(
      'SELECT count(*)::int AS count FROM settlement_batches',
    );
    const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
    expect(run.status).toBe(409);
    expect(run.body.detail).toBe(
      'the payer cannot settle until its remittance profile has: address (835 N3/N4), ' +
        'technicalContact (835 PER*BL); set it with PUT /v1/organizations/me/profile',
    );
    const batchesAfter = await environment.database.pool.query(
      'SELECT count(*)::int AS count FROM settlement_batches',
    );
    expect(batchesAfter.rows).toEqual(batchesBefore.rows);
    await putProfile(parties.payerId, { address: PAYER_REMITTANCE_PROFILE.address });
    const stillMissing = await request(app)
      .post('/v1/settlement/run')
      .set(bearer(parties.payerFinance));
    expect(stillMissing.status).toBe(409);
    expect(stillMissing.body.detail).toContain('has: technicalContact (835 PER*BL);');
  });

  it('carries the addresses, the payer’s contacts and EIN (TRN03) and the payee’s EIN', async () => {
    const parties = await createParties();
    await submitAndAdjudicate(parties, ['99213']);
    const batch = await settle(parties);
    const before = parse835((await fetch835(parties.providerFinance, batch.id)).text);
    expect(before.trn[3]).toMatch(/^9\d{9}$/);
    // The payer's address and technical contact, without which it could not settle.
    expect(before.payerLoop.map((values) => values[0])).toEqual(['N1', 'N3', 'N4', 'PER']);

    await putProfile(parties.payerId, {
      address: {
        line1: '100 Insurance Way',
        city: 'Hartford',
        stateCode: 'CT',
        postalCode: '06101',
      },
      taxId: '06-1234567',
      businessContact: { name: 'Provider Services', phone: '800-555-0100' },
    });
    await putProfile(parties.providerId, {
      address: {
        line1: '1 Riverside Dr',
        line2: 'Suite 200',
        city: 'Springfield',
        stateCode: 'IL',
        postalCode: '62701-1234',
      },
      taxId: '37-1234567',
    });
    const response = await fetch835(parties.providerFinance, batch.id);
    const parsed = parse835(response.text);
    expect(remittanceProblems(parsed)).toEqual([]);
    expect(parsed.trn[3]).toBe('1061234567');
    // The payer's one contact is written as the technical contact the guide requires.
    expect(response.text).toMatch(
      new RegExp(
        String.raw`\nN1\*PR\*[^~]+~\nN3\*100 Insurance Way~\nN4\*Hartford\*CT\*06101~\nPER\*BL\*Provider Services\*TE\*8005550100~\nN1\*PE\*[^~]+\*XX\*` +
          `${parties.providerNpi}` +
          String.raw`~\nN3\*1 Riverside Dr\*Suite 200~\nN4\*Springfield\*IL\*627011234~\nREF\*TJ\*371234567~\nLX\*1~\n`,
      ),
    );
    // Every fetch gives the same document, by payer or provider, while the profiles stay.
    expect((await fetch835(parties.payerFinance, batch.id)).text).toBe(response.text);
    expect(parsed.rawIsa13).toBe(before.rawIsa13);
  });
});
