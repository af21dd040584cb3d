// A payer and provider set up for money to move between them: the payer's fee schedule and
// plan make the standard claim pay 92.00. Shared by the settlement, reconciliation and
// property tests, which all need adjudicated claims to settle.
import request from 'supertest';
import { expect } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import {
  organizationProfileSchema,
  setOrganizationProfile,
} from '../../src/domain/organization-profile.js';
import { issueApiKey, type Role } from '../../src/domain/organizations.js';
import { bearer } from './api.js';
import { createActor, testApp, validClaim, type TestEnvironment } from './environment.js';
import { insertFeeScheduleEntry, insertMember, insertPayerRules, insertPlan } from './payer.js';

export interface Parties {
  payerId: string;
  providerId: string;
  providerNpi: string;
  biller: string;
  payerFinance: string;
  payerAdmin: string;
  payerAdjudicator: string;
  providerFinance: string;
}

export async function keyOf(environment: TestEnvironment, orgId: string, role: Role) {
  return (await issueApiKey(environment.database, { orgId, role })).key;
}

/**
 * The standard payer configuration: the standard claim (99213 at 125.00, 80053 at 48.50) of
 * member M-PAID pays 92.00 (see paidClaim); any other member is not covered.
 */
export async function configureStandardPayer(
  environment: TestEnvironment,
  payerId: string,
): Promise<void> {
  await insertFeeScheduleEntry(environment, payerId, '99213', '100.00', { copayApplies: true });
  await insertFeeScheduleEntry(environment, payerId, '80053', '40.00');
  await insertPayerRules(environment, payerId, '5000.00');
  const planId = await insertPlan(environment, payerId, {
    deductibleAmount: '0.00',
    outOfPocketMaxAmount: '100000.00',
    copayAmount: '25.00',
    coinsurancePercent: '20',
  });
  await insertMember(environment, payerId, 'M-PAID', planId);
}

/** What a payer's 835 needs (loop 1000A address and technical contact), so it may settle. */
export const PAYER_REMITTANCE_PROFILE = {
  address: { line1: '100 Insurance Way', city: 'Hartford', stateCode: 'CT', postalCode: '06101' },
  technicalContact: { name: 'EDI Support', phone: '800-555-0199' },
} as const;

/**
 * A payer, configured by `configure` (the standard configuration by default) and with the
 * remittance profile settlement requires (unless `payerProfile` is false), and a provider,
 * with keys.
 */
export async function createParties(
  environment: TestEnvironment,
  configure: (
    environment: TestEnvironment,
    payerId: string,
  ) => Promise<void> = configureStandardPayer,
  { payerProfile = true }: { payerProfile?: boolean } = {},
): Promise<Parties> {
  const provider = await createActor(environment, 'provider', 'provider_biller');
  const payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const payerId = payer.organization.id;
  await configure(environment, payerId);
  if (payerProfile) {
    const profile = organizationProfileSchema.parse(PAYER_REMITTANCE_PROFILE);
    await setOrganizationProfile(environment.database, undefined, payerId, profile);
  }
  return {
    payerId,
    providerId: provider.organization.id,
    providerNpi: provider.organization.npi!,
    biller: provider.key,
    payerFinance: await keyOf(environment, payerId, 'finance'),
    payerAdmin: await keyOf(environment, payerId, 'admin'),
    payerAdjudicator: payer.key,
    providerFinance: await keyOf(environment, provider.organization.id, 'finance'),
  };
}

let serviceDay = 0;

/**
 * Submits and adjudicates a claim. M-PAID: line 1 allowed 100.00, copay 25.00, coinsurance
 * 15.00, paid 60.00; line 2 allowed 40.00, coinsurance 8.00, paid 32.00: 92.00 in all.
 * Each claim has its own service date. An unknown member is denied (CO-31) and paid 0.00.
 */
export async function paidClaim(
  environment: TestEnvironment,
  app: ReturnType<typeof testApp>,
  parties: Pick<Parties, 'payerId' | 'biller'>,
  memberId = 'M-PAID',
  extra: Record<string, unknown> = {},
): Promise<{ id: string; status: string }> {
  const claim = validClaim(parties.payerId);
  // A new service date each time, so that no claim is denied as a duplicate (CO-18).
  serviceDay += 1;
  const serviceDate = new Date(Date.UTC(2026, 0, serviceDay)).toISOString().slice(0, 10);
  const response = await request(app)
    .post('/v1/claims')
    .set({ Authorization: `Bearer ${parties.biller}` })
    .send({
      ...claim,
      member: { ...claim.member, memberId },
      serviceLines: [
        { procedureCode: '99213', units: 1, chargeAmount: '125.00', serviceDate },
        { procedureCode: '80053', units: 1, chargeAmount: '48.50', serviceDate },
      ],
      ...extra,
    });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const id = response.body.id as string;
  const outcome = await adjudicateClaim(environment.database, id);
  return { id, status: outcome.status };
}

/** A batch's 835 as text (supertest leaves an application/edi-x12 body unread otherwise). */
export async function fetch835(app: ReturnType<typeof testApp>, key: string, batchId: string) {
  const response = await request(app)
    .get(`/v1/settlement/batches/${batchId}/835`)
    .set(bearer(key))
    .buffer(true)
    .parse((incoming, done) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        const json = /json/.test(incoming.headers['content-type'] ?? '');
        done(null, json ? (JSON.parse(text) as unknown) : text);
      });
    });
  return Object.assign(response, { text: String(response.body) });
}
