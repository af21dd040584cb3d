// `npm run demo`: a running engine with demo organizations, keys printed once, a few claims
// (JSON, batch and an 837P file) decided and sealed into the ledger, and a settlement batch
// with its 835, so a newcomer can curl it straight away.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  organizationProfileSchema,
  setOrganizationProfile,
} from '../domain/organization-profile.js';
import { parseOrThrow } from '../domain/validation.js';
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
import { submitX12File } from './x12.js';

async function findOrCreate(
  database: Database,
  name: string,
  kind: OrganizationKind,
  npi?: string,
): Promise<Organization> {
  const existing = (await listOrganizations(database, kind)).find((org) => org.name === name);
  return existing ?? createOrganization(database, { name, kind, npi });
}

/** What the demo's 835 names the payer and the provider by: addresses, EINs, the payer's contact. */
const DEMO_PAYER_PROFILE = {
  address: { line1: '100 Insurance Way', city: 'Hartford', stateCode: 'CT', postalCode: '06101' },
  taxId: '061234567',
  businessContact: { name: 'Provider Services', phone: '8005550100' },
};
const DEMO_PROVIDER_PROFILE = {
  address: { line1: '1 Riverside Dr', city: 'Springfield', stateCode: 'IL', postalCode: '62701' },
  taxId: '371234567',
};

/** Through the same schema as the API, so the demo's profiles are what a client could send. */
async function setDemoProfile(database: Database, orgId: string, profile: unknown) {
  const input = parseOrThrow(organizationProfileSchema, profile, 'demo profile');
  await setOrganizationProfile(database, undefined, orgId, input);
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

/** One claim of an 837P file: the demo member (or another member id) on one day. */
export interface Demo837Claim {
  patientControlNumber: string;
  serviceDate: string;
  memberId?: string;
}

/** Files made in the same millisecond (the bench makes ten at once) still differ in ISA13. */
let demo837Count = 0;

/**
 * A 005010X222A1 837P file of demo claims (two service lines each, each claim under its own
 * subscriber), as a practice-management system would send it: the billing provider's NPI in
 * 2010AA and the payer's ClaimChain id in 2010BB NM109. Counts and control numbers computed; each
 * file's ISA13 is new, since the same ISA13 again would be a duplicate interchange.
 */
export function demo837(payerId: string, billingNpi: string, claims: Demo837Claim[]): string {
  const now = new Date();
  const ymd = now.toISOString().slice(0, 10).replaceAll('-', '');
  const hhmm = now.toISOString().slice(11, 16).replace(':', '');
  const control = String(((now.getTime() + demo837Count++) % 999_999_999) + 1).padStart(9, '0');
  const name = `${DEMO_MEMBER.lastName.toUpperCase()}*${DEMO_MEMBER.firstName.toUpperCase()}`;
  const claimLoops = claims.flatMap((claim, index) => {
    const day = claim.serviceDate.replaceAll('-', '');
    return [
      `HL*${index + 2}*1*22*0`,
      'SBR*P*18*GOLD-2026******CI',
      `NM1*IL*1*${name}****MI*${claim.memberId ?? DEMO_MEMBER.memberId}`,
      `DMG*D8*${DEMO_MEMBER.birthDate.replaceAll('-', '')}*${DEMO_MEMBER.gender}`,
      `NM1*PR*2*ACME HEALTH PLAN*****PI*${payerId}`,
      `CLM*${claim.patientControlNumber}*173.5***11:B:1*Y*A*Y*I`,
      'HI*ABK:E119*ABF:I10',
      'LX*1',
      'SV1*HC:99213:25*125*UN*1***1:2',
      `DTP*472*D8*${day}`,
      'LX*2',
      'SV1*HC:80053*48.5*UN*1***1',
      `DTP*472*D8*${day}`,
    ];
  });
  const transaction = [
    'ST*837*0001*005010X222A1',
    `BHT*0019*00*${control}*${ymd}*${hhmm}*CH`,
    'NM1*41*2*RIVERSIDE FAMILY MEDICINE*****46*RFM001',
    'PER*IC*BILLING OFFICE*TE*5555550100',
    'NM1*40*2*ACME HEALTH PLAN*****46*ACME',
    'HL*1**20*1',
    `NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*${billingNpi}`,
    'N3*1 RIVERSIDE DR',
    'N4*SPRINGFIELD*IL*62701',
    `REF*EI*${DEMO_PROVIDER_PROFILE.taxId}`,
    ...claimLoops,
  ];
  const segments = [
    `ISA*00*          *00*          *ZZ*${'RFM001'.padEnd(15)}*ZZ*${'CLAIMCHAIN'.padEnd(15)}*${ymd.slice(2)}*${hhmm}*^*00501*${control}*0*P*:`,
    `GS*HC*RFM001*CLAIMCHAIN*${ymd}*${hhmm}*1*X*005010X222A1`,
    ...transaction,
    `SE*${transaction.length + 1}*0001`,
    'GE*1*1',
    `IEA*1*${control}`,
  ];
  return segments.map((segment) => `${segment}~\n`).join('');
}

/**
 * The demo payer's configuration: its remittance profile, rules, one plan, the demo member covered by it, and fee
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
  // What its 835s need before it may settle. A profile already in force changes nothing.
  await setDemoProfile(database, principal.orgId, DEMO_PAYER_PROFILE);
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
    // Small enough that the demo's few claims get past it and money moves in settlement.
    deductibleAmount: '100.00',
    outOfPocketMaxAmount: '3000.00',
    copayAmount: '25.00',
    coinsurancePercent: '20',
    planYearStartMonth: 1,
    familyDeductibleAmount: '200.00',
    familyOutOfPocketMaxAmount: '6000.00',
    cobMethod: 'non_duplication',
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
    anesthesiaBaseUnits: null,
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
  // Sending a profile already in force changes nothing, so a rerun of the demo adds no event.
  await setDemoProfile(database, provider.id, DEMO_PROVIDER_PROFILE);
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
  const financeKey = (orgId: string) =>
    issueApiKey(database, { orgId, role: 'finance', label: 'demo' });
  const payerFinanceKey = await financeKey(payer.id);
  const providerFinanceKey = await financeKey(provider.id);
  await configureDemoPayer(database, phiKeysOf(config), payerKey.key);

  const engine = await startEngine(runtime, { api: true, workers: true });
  stopOnSignals(async () => {
    await engine.stop();
    await runtime.close();
  });
  const base = `http://127.0.0.1:${engine.port}`;
  const post = async (path: string, body: unknown, key = providerKey.key) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as {
      id?: string;
      ledgerEventId?: string;
      accepted?: number;
      batches?: { id: string; amount: string; claimCount: number }[];
    };
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
  // The same kind of claim as a billing office's 837P file, through the X12 door.
  const x12File = join(tmpdir(), 'claimchain-demo.837');
  await writeFile(
    x12File,
    demo837(payer.id, provider.npi ?? '', [
      { patientControlNumber: `DEMO-X-${Date.now()}`, serviceDate: randomServiceDate() },
    ]),
  );
  const x12 = await submitX12File({ file: x12File, url: base, apiKey: providerKey.key });
  // Once the worker has decided them (its sweep runs every ADJUDICATION_INTERVAL_MS), the
  // payer's finance settles: one batch for the provider, with its 835.
  await new Promise((resolve) => setTimeout(resolve, 4 * config.adjudicationIntervalMs + 1_000));
  const settlement = await post('/v1/settlement/run', {}, payerFinanceKey.key);
  const settled = settlement.batches?.[0];

  console.log(`
ClaimChain demo is running on ${base} (Ctrl-C to stop)

Organizations: provider ${provider.id} (${provider.name}), payer ${payer.id} (${payer.name})
Keys (shown once, stored only as hashes):
  PROVIDER_KEY=${providerKey.key}   # provider_biller
  PAYER_KEY=${payerKey.key}   # payer_adjudicator
  PAYER_FINANCE_KEY=${payerFinanceKey.key}   # finance (payer)
  PROVIDER_FINANCE_KEY=${providerFinanceKey.key}   # finance (provider)

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

An 837P file went in too (${x12File}, HTTP ${x12.status}); send it again, or your own:
  npm run cli -- x12 submit ${x12File} --url ${base} --key "$PROVIDER_KEY"
${
  settled
    ? `Settlement made batch ${settled.id}: ${settled.claimCount} claims, ${settled.amount} to pay. Try:
  curl -s -H "Authorization: Bearer $PROVIDER_FINANCE_KEY" ${base}/v1/settlement/batches/${settled.id}/835
  curl -s -H "Authorization: Bearer $PROVIDER_FINANCE_KEY" ${base}/v1/fhir/PaymentReconciliation/${settled.id}
  curl -s -X POST -H "Authorization: Bearer $PAYER_FINANCE_KEY" -H 'content-type: application/json' \\
    -d '{"traceNumber":"TRN-DEMO-1","amount":"${settled.amount}","paidDate":"${new Date().toISOString().slice(0, 10)}"}' \\
    ${base}/v1/settlement/batches/${settled.id}/confirmation`
    : 'Settlement found nothing decided yet; run it again:'
}
  curl -s -X POST -H "Authorization: Bearer $PAYER_FINANCE_KEY" ${base}/v1/settlement/run
  curl -s -H "Authorization: Bearer $PROVIDER_FINANCE_KEY" ${base}/v1/balances
  curl -s -X POST -H "Authorization: Bearer $PAYER_FINANCE_KEY" ${base}/v1/reconciliation/runs
`);
}
