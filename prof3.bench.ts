import { createTestEnvironment, createActor } from './test/support/environment.ts';
import { claimSubmissionSchema } from './src/domain/claims/schema.ts';
import { writeIntakeUnits } from './src/domain/claims/intake.ts';
import { responseOfUnit } from './src/api/claims.ts';
import { phiKeysOf } from './src/api/app.ts';
import { demoClaim } from './src/cli/demo.ts';
const env = await createTestEnvironment();
const provider = await createActor(env, 'provider', 'provider_biller');
const payer = await createActor(env, 'payer', 'payer_adjudicator');
const phi = phiKeysOf(env.config);
for (let round = 0; round < 4; round++) {
  const raw = Array.from({ length: 1000 }, (_, i) => demoClaim(payer.organization.id, `P-${round}-${i}`, ['125.00', '48.50']));
  const text = JSON.stringify({ claims: raw });
  let t = performance.now();
  const parsed = JSON.parse(text);
  const tParse = performance.now() - t; t = performance.now();
  const entries = parsed.claims.map((c: unknown) => ({ submission: claimSubmissionSchema.parse(c) }));
  const tZod = performance.now() - t; t = performance.now();
  const [result] = await writeIntakeUnits(env.database, phi, [{ kind: 'batch', providerOrgId: provider.organization.id, entries }], responseOfUnit);
  const tWrite = performance.now() - t; t = performance.now();
  const body = JSON.stringify(responseOfUnit({ kind: 'batch', providerOrgId: '', entries }, (result as any).outcomes).body);
  const tResp = performance.now() - t;
  console.log(`parse ${tParse.toFixed(0)} zod ${tZod.toFixed(0)} write ${tWrite.toFixed(0)} respond ${tResp.toFixed(0)} ms (${body.length} bytes)`);
}
await env.close();
