// `npm run demo`: a running engine (API, workers, console) with a payer, two providers, keys
// printed once, and a steady stream of varied claims decided, sealed and settled as they come,
// so a newcomer sees the whole life of a claim in a minute.
import { loadConfig } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import { phiKeysOf } from '../api/app.js';
import {
  addCoverage,
  createPlan,
  enrollMember,
  listPlans,
  setFeeScheduleEntries,
  setPayerRules,
} from '../domain/payers/index.js';
import type { PhiKeys } from '../infra/phi.js';
import {
  organizationProfileSchema,
  setOrganizationProfile,
} from '../domain/organization-profile.js';
import { npiCheckDigit, parseOrThrow } from '../domain/validation.js';
import {
  authenticateKey,
  createOrganization,
  issueApiKey,
  listOrganizations,
  type Organization,
  type OrganizationKind,
  type Role,
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
export function demo837(
  payerId: string,
  billingNpi: string,
  claims: Demo837Claim[],
  providerName = 'RIVERSIDE FAMILY MEDICINE',
): string {
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
    `NM1*41*2*${providerName}*****46*RFM001`,
    'PER*IC*BILLING OFFICE*TE*5555550100',
    'NM1*40*2*ACME HEALTH PLAN*****46*ACME',
    'HL*1**20*1',
    `NM1*85*2*${providerName}*****XX*${billingNpi}`,
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
    price('99214', '150.00', true),
    price('36415', '12.00', false),
    // What the demo's stream is denied for: a service the plan does not cover (CO-96).
    { ...price('97110', '60.00', false), covered: false },
  ]);
}

/** The demo's members: the subscribers its stream of claims is for. */
const DEMO_MEMBER_IDS = Array.from(
  { length: 8 },
  (_, index) => `W1002003${String(index).padStart(2, '0')}`,
);

export interface DemoOptions {
  /** How often the stream sends a claim (or an 837P file). */
  claimEveryMs: number;
  /** How often the payer's finance settles what is decided. */
  settleEveryMs: number;
}

/** What the stream sends, with how often (weights out of 100). */
const SCENARIOS = [
  ['clean', 46],
  ['second visit', 8],
  ['not covered', 8],
  ['over the auto-adjudication limit', 5],
  ['unknown procedure code', 5],
  ['same service twice', 6],
  ['replacement', 8],
  ['void', 4],
  ['837P file', 10],
] as const;
type Scenario = (typeof SCENARIOS)[number][0];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function pickScenario(): Scenario {
  let roll = Math.random() * 100;
  for (const [scenario, weight] of SCENARIOS) {
    roll -= weight;
    if (roll < 0) return scenario;
  }
  return 'clean';
}

interface DemoProvider {
  organization: Organization;
  billerKey: string;
  /** Claims it sent that a replacement or a void may still take back. */
  recent: { id: string; body: ReturnType<typeof demoClaim> }[];
}

/**
 * `npm run demo`: a running engine (API, workers and console) with a payer, two providers and a
 * steady stream of varied claims through every door (JSON, 837P), decided and sealed as they
 * come, settled on a short cadence. Prints the console's address and the keys.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const config = loadConfig();
  await prepareDatabase(config);
  const runtime = openRuntime(config);
  const { database } = runtime;
  const operator = await findOrCreate(database, 'ClaimChain Operator', 'operator');
  const riverside = await findOrCreate(
    database,
    'Riverside Family Medicine',
    'provider',
    '1234567893',
  );
  const lakeside = await findOrCreate(
    database,
    'Lakeside Pediatrics',
    'provider',
    `123456790${npiCheckDigit('123456790')}`,
  );
  const payer = await findOrCreate(database, 'Acme Health Plan', 'payer');
  // Sending a profile already in force changes nothing, so a rerun of the demo adds no event.
  for (const provider of [riverside, lakeside]) {
    await setDemoProfile(database, provider.id, DEMO_PROVIDER_PROFILE);
  }
  const keyOf = async (orgId: string, role: Role) =>
    (await issueApiKey(database, { orgId, role, label: 'demo' })).key;
  const keys = {
    riversideBiller: await keyOf(riverside.id, 'provider_biller'),
    lakesideBiller: await keyOf(lakeside.id, 'provider_biller'),
    riversideFinance: await keyOf(riverside.id, 'finance'),
    payerAdjudicator: await keyOf(payer.id, 'payer_adjudicator'),
    payerFinance: await keyOf(payer.id, 'finance'),
    operatorAdmin: await keyOf(operator.id, 'admin'),
  };
  await configureDemoPayer(database, phiKeysOf(config), keys.payerAdjudicator, DEMO_MEMBER_IDS);

  const engine = await startEngine(runtime, { api: true, workers: true });
  const base = `http://127.0.0.1:${engine.port}`;
  const providers: DemoProvider[] = [
    { organization: riverside, billerKey: keys.riversideBiller, recent: [] },
    { organization: lakeside, billerKey: keys.lakesideBiller, recent: [] },
  ];
  const stream = startStream(base, payer.id, providers, keys.payerFinance, options);
  stopOnSignals(async () => {
    await stream.stop();
    await engine.stop();
    await runtime.close();
  }, runtime);

  console.log(`
ClaimChain demo is running (Ctrl-C to stop)

  Console        ${base}/          sign in with one of the keys below
  API reference  ${base}/docs
  Queue board    ${base}/admin/queues   (operator admin key)

A claim every ${options.claimEveryMs} ms from ${riverside.name} or ${lakeside.name} to ${payer.name}:
clean visits, denials (a service the plan does not cover, the same service twice), pends for
a person (over the 5,000.00 auto-adjudication limit, an unknown code), replacements, voids and
837P files. The payer's finance settles every ${options.settleEveryMs / 1000} s.

Keys (shown once, stored only as hashes):
  RIVERSIDE_BILLER_KEY=${keys.riversideBiller}   # billing office (provider_biller)
  LAKESIDE_BILLER_KEY=${keys.lakesideBiller}   # billing office (provider_biller)
  RIVERSIDE_FINANCE_KEY=${keys.riversideFinance}   # provider finance
  PAYER_KEY=${keys.payerAdjudicator}   # payer adjudicator: review queue, fee schedule
  PAYER_FINANCE_KEY=${keys.payerFinance}   # payer finance: settlement, payments, reconciliation
  OPERATOR_KEY=${keys.operatorAdmin}   # operator admin: queue board, operations

From a shell:
  curl -s -H "Authorization: Bearer $RIVERSIDE_BILLER_KEY" '${base}/v1/claims?limit=5'
  curl -s -H "Authorization: Bearer $PAYER_KEY" ${base}/v1/review-queue
  curl -s -H "Authorization: Bearer $PAYER_FINANCE_KEY" ${base}/v1/settlement/batches
  npm run cli -- verify
`);
}

/** Sends the stream's claims and settles on its cadence until stopped. */
function startStream(
  base: string,
  payerId: string,
  providers: DemoProvider[],
  payerFinanceKey: string,
  options: DemoOptions,
) {
  let stopped = false;
  let sent = 0;
  const request = async (path: string, key: string, body: string, type = 'application/json') => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': type },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const sendOne = async () => {
    const provider = pick(providers);
    const scenario = pickScenario();
    const pcn = `DEMO-${Date.now().toString(36)}-${sent++}`;
    const memberId = pick(DEMO_MEMBER_IDS);
    if (scenario === '837P file') {
      const file = demo837(
        payerId,
        provider.organization.npi ?? '',
        [0, 1, 2].map((index) => ({
          patientControlNumber: `${pcn}-${index}`,
          serviceDate: randomServiceDate(),
          memberId: pick(DEMO_MEMBER_IDS),
        })),
        provider.organization.name.toUpperCase(),
      );
      await request('/v1/x12/837', provider.billerKey, file, 'application/edi-x12');
      return;
    }
    const earlier = provider.recent.length > 0 ? pick(provider.recent) : undefined;
    let body = demoClaim(payerId, pcn, ['125.00', '48.50'], randomServiceDate(), memberId);
    if (scenario === 'second visit') {
      body = withLines(body, [
        ['99214', '180.00'],
        ['36415', '15.00'],
      ]);
    } else if (scenario === 'not covered') {
      body = withLines(body, [['97110', '75.00']]);
    } else if (scenario === 'over the auto-adjudication limit') {
      body = demoClaim(payerId, pcn, ['5200.00'], randomServiceDate(), memberId);
    } else if (scenario === 'unknown procedure code') {
      body = withLines(body, [['99499', '140.00']]);
    } else if (scenario === 'same service twice' && earlier) {
      // The same member, service and day as an earlier claim: CO-18, a duplicate service.
      body = { ...earlier.body, patientControlNumber: pcn };
    } else if ((scenario === 'replacement' || scenario === 'void') && earlier) {
      provider.recent.splice(provider.recent.indexOf(earlier), 1);
      body = {
        ...earlier.body,
        frequencyCode: scenario === 'void' ? '8' : '7',
        originalClaimId: earlier.id,
        ...(scenario === 'replacement'
          ? {
              serviceLines: earlier.body.serviceLines.map((line) => ({
                ...line,
                chargeAmount: '110.00',
              })),
            }
          : {}),
      } as typeof body;
    }
    const answer = await request('/v1/claims', provider.billerKey, JSON.stringify(body));
    if (answer.status === 201 && body.frequencyCode === '1') {
      provider.recent.push({ id: answer.body.id as string, body });
      if (provider.recent.length > 50) provider.recent.shift();
    }
  };
  const loop = (everyMs: number, work: () => Promise<void>) =>
    (async () => {
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        if (stopped) break;
        // A refused or failed request is the demo's loss, not the engine's: carry on.
        await work().catch((error: unknown) => {
          console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
        });
      }
    })();
  const claims = loop(options.claimEveryMs, sendOne);
  const settlement = loop(options.settleEveryMs, async () => {
    const answer = await request('/v1/settlement/run', payerFinanceKey, '{}');
    const batches = (answer.body.batches as unknown[] | undefined)?.length ?? 0;
    if (batches > 0) console.log(`demo: settlement made ${batches} batch(es)`);
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all([claims, settlement]);
    },
  };
}

/** The claim with these service lines (procedure code, charge) instead of its own. */
function withLines(
  claim: ReturnType<typeof demoClaim>,
  lines: [procedureCode: string, chargeAmount: string][],
): ReturnType<typeof demoClaim> {
  const [template] = claim.serviceLines;
  return {
    ...claim,
    serviceLines: lines.map(([procedureCode, chargeAmount]) => ({
      ...template!,
      procedureCode,
      modifiers: [],
      chargeAmount,
    })),
  };
}
