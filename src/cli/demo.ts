// `npm run demo`: a running engine with demo organizations, keys printed once, and a few
// claims sealed into the ledger, so a newcomer can curl it straight away.
import { loadConfig } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import { phiKeysOf } from '../api/app.js';
import { addCoverage } from '../domain/payers/coverages.js';
import { setFeeScheduleEntries } from '../domain/payers/fee-schedule.js';
import { enrollMember } from '../domain/payers/members.js';
import { createPlan, listPlans } from '../domain/payers/plans.js';
import { setPayerRules } from '../domain/payers/rules.js';
import type { PhiKeys } from '../infra/phi.js';
import {
  authenticateKey,
  createOrganization,
  issueApiKey,
  listOrganizations,
  type Organization,
  type OrganizationKind,
} from '../domain/organizations.js';
import { openRuntime, prepareDatabase } from './runtime.js';
import { startEngine, stopOnSignals } from './serve.js';

async function findOrCreate(
  database: Database,
  name: string,
  kind: OrganizationKind,
  npi?: string,
): Promise<Organization> {
  const existing = (await listOrganizations(database, kind)).find((org) => org.name === name);
  return existing ?? createOrganization(database, { name, kind, npi });
}

/** A day of this year before today, so a rerun of the demo rarely repeats a service. */
function randomServiceDate(): string {
  const today = new Date();
  const yearStart = Date.UTC(today.getUTCFullYear(), 0, 1);
  const day = Math.floor(Math.random() * Math.max(1, (today.getTime() - yearStart) / 86_400_000));
  return new Date(yearStart + day * 86_400_000).toISOString().slice(0, 10);
}

const DEMO_MEMBER = {
  memberId: 'W100200300',
  firstName: 'Jane',
  lastName: 'Doe',
  birthDate: '1980-02-29',
  gender: 'F' as const,
};

/** A claim of the demo member; the same service on the same day twice is a duplicate (CO-18). */
export function demoClaim(
  payerId: string,
  patientControlNumber: string,
  charges: string[],
  serviceDate = randomServiceDate(),
  memberId = DEMO_MEMBER.memberId,
) {
  return {
    payerId,
    patientControlNumber,
    frequencyCode: '1',
    member: { ...DEMO_MEMBER, memberId },
    diagnosisCodes: ['E11.9', 'I10'],
    serviceLines: charges.map((chargeAmount, index) => ({
      procedureCode: index === 0 ? '99213' : '80053',
      modifiers: index === 0 ? ['25'] : [],
      units: 1,
      chargeAmount,
      serviceDate,
      diagnosisPointers: [1],
    })),
  };
}

/**
 * The demo payer's configuration: rules, one plan, the demo member covered by it, and fee
 * schedule prices for the demo procedures, so demo claims are adjudicated with real
 * adjustments. Done once: a payer that already has the plan is left as it is.
 */
export async function configureDemoPayer(
  database: Database,
  phiKeys: PhiKeys,
  payerKey: string,
  memberIds: readonly string[] = [DEMO_MEMBER.memberId],
): Promise<void> {
  const principal = await authenticateKey(database, payerKey);
  if (!principal) throw new Error('the demo payer key does not authenticate');
  const existing = await listPlans(database, principal);
  if (existing.plans.some((plan) => plan.code === 'GOLD-2026')) return;
  await setPayerRules(database, principal, {
    timelyFilingDays: 365,
    autoAdjudicationLimitAmount: '5000.00',
    pendUnknownCodes: true,
  });
  const plan = await createPlan(database, principal, {
    code: 'GOLD-2026',
    name: 'Gold PPO',
    deductibleAmount: '500.00',
    outOfPocketMaxAmount: '3000.00',
    copayAmount: '25.00',
    coinsurancePercent: '20',
    planYearStartMonth: 1,
  });
  for (const memberId of memberIds) {
    const member = await enrollMember(database, phiKeys, principal, { ...DEMO_MEMBER, memberId });
    await addCoverage(database, principal, member.id, {
      planId: plan.id,
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
    });
  }
  const price = (procedureCode: string, allowedAmount: string, copayApplies: boolean) => ({
    procedureCode,
    modifier: '',
    allowedAmount,
    covered: true,
    priorAuthRequired: false,
    copayApplies,
  });
  await setFeeScheduleEntries(database, principal, [
    price('99213', '100.00', true),
    price('80053', '40.00', false),
  ]);
}

export async function runDemo(): Promise<void> {
  const config = loadConfig();
  await prepareDatabase(config);
  const runtime = openRuntime(config);
  const { database } = runtime;
  await findOrCreate(database, 'ClaimChain Operator', 'operator');
  const provider = await findOrCreate(
    database,
    'Riverside Family Medicine',
    'provider',
    '1234567893',
  );
  const payer = await findOrCreate(database, 'Acme Health Plan', 'payer');
  const providerKey = await issueApiKey(database, {
    orgId: provider.id,
    role: 'provider_biller',
    label: 'demo',
  });
  const payerKey = await issueApiKey(database, {
    orgId: payer.id,
    role: 'payer_adjudicator',
    label: 'demo',
  });
  await configureDemoPayer(database, phiKeysOf(config), payerKey.key);

  const engine = await startEngine(runtime, { api: true, workers: true });
  stopOnSignals(async () => {
    await engine.stop();
    await runtime.close();
  });
  const base = `http://127.0.0.1:${engine.port}`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${providerKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { id?: string; ledgerEventId?: string; accepted?: number };
  };
  const first = await post(
    '/v1/claims',
    demoClaim(payer.id, `DEMO-${Date.now()}`, ['125.00', '48.50']),
  );
  const large = await post('/v1/claims', demoClaim(payer.id, `DEMO-L-${Date.now()}`, ['5200.00']));
  const batch = await post('/v1/claims/batch', {
    claims: [
      demoClaim(payer.id, `DEMO-B1-${Date.now()}`, ['90.00']),
      demoClaim(payer.id, `DEMO-B2-${Date.now()}`, ['210.00', '35.25']),
    ],
  });

  console.log(`
ClaimChain demo is running on ${base} (Ctrl-C to stop)

Organizations: provider ${provider.id} (${provider.name}), payer ${payer.id} (${payer.name})
Keys (shown once, stored only as hashes):
  PROVIDER_KEY=${providerKey.key}   # provider_biller
  PAYER_KEY=${payerKey.key}   # payer_adjudicator

Submitted claim ${first.id}, a batch of ${batch.accepted} claims, and claim ${large.id} over the
payer's 5,000.00 auto-adjudication limit. The worker adjudicates them within a second. Try:
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/claims/${first.id}   # see "decision"
  curl -s -H "Authorization: Bearer $PAYER_KEY" ${base}/v1/review-queue             # the large one waits here
  curl -s -H "Authorization: Bearer $PAYER_KEY" '${base}/v1/claims?limit=10'
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/ledger/head
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/ledger/events/${first.ledgerEventId}/proof > proof.json
  npm run cli -- verify --proof proof.json
  npm run cli -- verify
(The sealer runs every ${config.sealIntervalMs} ms; a proof answers 409 until its block is sealed.)
`);
}
