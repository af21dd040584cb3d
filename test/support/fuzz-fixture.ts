// The records the fuzz tests aim at: a payer and a provider with keys of every role, a paid and
// settled claim, a pended claim, payer configuration, an interchange, a reconciliation run and a
// sealed event, so that hostile input also reaches past the lookups.
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { issueApiKey } from '../../src/domain/organizations.js';
import { runReconciliation } from '../../src/domain/reconciliation/service.js';
import { settlePayer } from '../../src/domain/settlement/service.js';
import { sealPending } from '../../src/ledger/seal.js';
import { parseSignerKey } from '../../src/ledger/tlog/note.js';
import { sampleFile, withInterchangeControlNumber } from '../interop/x12/samples.js';
import { bearer } from './api.js';
import { createActor, validClaim, type TestEnvironment } from './environment.js';
import { createParties, keyOf, paidClaim } from './settlement.js';

export type Caller =
  | 'nobody'
  | 'biller'
  | 'providerFinance'
  | 'payerAdjudicator'
  | 'payerAdmin'
  | 'payerFinance'
  | 'operatorAdmin'
  | 'operatorAuditor'
  | 'providerAdmin';

/** Real records for the routes to find, so hostile input also reaches past the lookups. */
export interface Fixture {
  keys: Record<Exclude<Caller, 'nobody'>, string>;
  payerId: string;
  providerId: string;
  claimId: string;
  pendedClaimId: string;
  batchId: string;
  runId: string;
  eventId: string;
  planId: string;
  memberId: string;
  coverageId: string;
  spareKeyId: string;
  interchangeId: string;
  clearinghouseId: string;
}

export async function createFuzzFixture(
  environment: TestEnvironment,
  app: Express,
): Promise<Fixture> {
  const parties = await createParties(environment);
  const operator = await createActor(environment, 'operator', 'admin');
  const keys = {
    biller: parties.biller,
    providerFinance: parties.providerFinance,
    payerAdjudicator: parties.payerAdjudicator,
    payerAdmin: parties.payerAdmin,
    payerFinance: parties.payerFinance,
    operatorAdmin: operator.key,
    operatorAuditor: await keyOf(environment, operator.organization.id, 'auditor'),
    providerAdmin: await keyOf(environment, parties.providerId, 'admin'),
  };
  const clearinghouse = await createActor(environment, 'clearinghouse', 'provider_biller');
  const claimId = (await paidClaim(environment, app, parties)).id;
  const batchId = (await settlePayer(environment.database, parties.payerId))[0]!.id;
  const pendedClaimId = await pendedClaim(environment, app, parties.payerId, parties.biller);
  const payerConfiguration = await configurePayer(app, parties.payerAdmin);
  const spareKey = await issueApiKey(environment.database, {
    orgId: parties.providerId,
    role: 'auditor',
  });
  const interchange = await request(app)
    .post('/v1/x12/837')
    .set(bearer(parties.biller))
    .set('Content-Type', 'application/edi-x12')
    .send(withFreshControlNumber(sampleFile('commercial-health-insurance', parties.payerId)));
  const run = await runReconciliation(environment.database, { trigger: 'request' });
  await sealPending(
    environment.database.pool,
    10_000,
    undefined,
    parseSignerKey(environment.config.ledgerLogKey),
  );
  const event = await environment.database.pool.query<{ id: string }>(
    `SELECT id FROM ledger_events WHERE type = 'ClaimSubmitted' ORDER BY seq LIMIT 1`,
  );
  return {
    keys,
    payerId: parties.payerId,
    providerId: parties.providerId,
    claimId,
    pendedClaimId,
    clearinghouseId: clearinghouse.organization.id,
    batchId,
    runId: run.id,
    eventId: event.rows[0]!.id,
    ...payerConfiguration,
    spareKeyId: spareKey.id,
    interchangeId: (interchange.body as { interchangeId: string }).interchangeId,
  };
}

/** A claim with a code the fee schedule does not know: the payer's rules pend it. */
async function pendedClaim(
  environment: TestEnvironment,
  app: Express,
  payerId: string,
  biller: string,
): Promise<string> {
  const claim = validClaim(payerId, {
    member: { ...validClaim(payerId).member, memberId: 'M-PAID' },
    serviceLines: [
      { procedureCode: '99499', units: 1, chargeAmount: '80.00', serviceDate: '2026-11-02' },
    ],
  });
  const response = await request(app).post('/v1/claims').set(bearer(biller)).send(claim);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const outcome = await adjudicateClaim(environment.database, response.body.id as string);
  expect(outcome.status).toBe('pended');
  return response.body.id as string;
}

export const planTemplate = {
  code: 'GOLD',
  name: 'Gold plan',
  deductibleAmount: '500.00',
  outOfPocketMaxAmount: '3000.00',
  copayAmount: '25.00',
  coinsurancePercent: '20',
  planYearStartMonth: 1,
};

export const memberTemplate = {
  memberId: 'FUZZ-1',
  firstName: 'Jane',
  lastName: 'Doe',
  birthDate: '1980-02-29',
  gender: 'F',
};

async function configurePayer(app: Express, adminKey: string) {
  const created = async (path: string, body: object) => {
    const response = await request(app).post(path).set(bearer(adminKey)).send(body);
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(201);
    return response.body.id as string;
  };
  const planId = await created('/v1/payer/plans', planTemplate);
  const memberId = await created('/v1/payer/members', memberTemplate);
  const coverageId = await created(`/v1/payer/members/${memberId}/coverages`, {
    planId,
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
  });
  return { planId, memberId, coverageId };
}

let nextControlNumber = 1;

/** The 837P sample with an ISA13 of its own: the same interchange twice is only a duplicate. */
export function withFreshControlNumber(file: string): string {
  return withInterchangeControlNumber(file, nextControlNumber++);
}
