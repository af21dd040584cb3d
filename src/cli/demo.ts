// `npm run demo`: a running engine with demo organizations, keys printed once, and a few
// claims sealed into the ledger, so a newcomer can curl it straight away.
import { loadConfig } from '../infra/config.js';
import type { Database } from '../infra/db.js';
import {
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

export function demoClaim(payerId: string, patientControlNumber: string, charges: string[]) {
  return {
    payerId,
    patientControlNumber,
    frequencyCode: '1',
    member: {
      memberId: 'W100200300',
      firstName: 'Jane',
      lastName: 'Doe',
      birthDate: '1980-02-29',
      gender: 'F',
    },
    diagnosisCodes: ['E11.9', 'I10'],
    serviceLines: charges.map((chargeAmount, index) => ({
      procedureCode: index === 0 ? '99213' : '80053',
      modifiers: index === 0 ? ['25'] : [],
      units: 1,
      chargeAmount,
      serviceDate: '2026-11-02',
      diagnosisPointers: [1],
    })),
  };
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

Submitted claim ${first.id} and a batch of ${batch.accepted} claims. Try:
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/claims/${first.id}
  curl -s -H "Authorization: Bearer $PAYER_KEY" '${base}/v1/claims?limit=10'
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/ledger/head
  curl -s -H "Authorization: Bearer $PROVIDER_KEY" ${base}/v1/ledger/events/${first.ledgerEventId}/proof > proof.json
  npm run cli -- verify --proof proof.json
  npm run cli -- verify
(The sealer runs every ${config.sealIntervalMs} ms; a proof answers 409 until its block is sealed.)
`);
}
