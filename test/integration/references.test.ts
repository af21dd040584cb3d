// The references of claims, lines, decisions and a settlement batch's rows, without foreign keys
// (migrations 202612071100 and 202612071300): each statement that inserts them checks once that
// every organization, claim or batch its rows name exists, and nothing they name can go away or
// be renamed afterwards. A foreign key checked and locked each row alone, on the same two
// organization rows for every intake at once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/infra/db.js';
import { postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  statementError,
  tableFingerprints,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';

let environment: TestEnvironment;
let provider: Actor;
let payer: Actor;
let claimId: string;

beforeAll(async () => {
  environment = await createTestEnvironment();
  provider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
  const response = await postClaim(
    testApp(environment),
    provider.key,
    validClaim(payer.organization.id),
  );
  expect(response.status).toBe(201);
  claimId = (response.body as { id: string }).id;
});

afterAll(async () => {
  await environment.close();
});

const errorOf = (sql: string, params: unknown[] = []) => statementError(environment, sql, params);

/** A copy of the stored claim $1 with a new id and no fingerprint, and the columns of $2 replaced. */
const COPY_OF_THE_CLAIM = `
  INSERT INTO claims
  SELECT (jsonb_populate_record(c, jsonb_build_object('id', gen_random_uuid(),
            'content_fingerprint', NULL) || $2::jsonb)).*
    FROM claims c WHERE c.id = $1`;

describe('references checked once per statement', () => {
  it('refuses claims naming an organization that does not exist, naming the column', async () => {
    const nobody = randomUUID();
    const before = await tableFingerprints(environment);
    for (const column of ['provider_org_id', 'payer_org_id']) {
      expect(await errorOf(COPY_OF_THE_CLAIM, [claimId, { [column]: nobody }])).toEqual({
        code: '23503',
        message: `claims.${column} names no row of organizations: ${nobody}`,
      });
    }
    expect(await tableFingerprints(environment)).toEqual(before);
    // The same copy naming organizations that exist goes in (and is rolled back).
    const copy = inTransaction(environment.database.pool, async (client) => {
      await client.query(COPY_OF_THE_CLAIM, [claimId, {}]);
      throw new Error('rolled back');
    });
    await expect(copy).rejects.toThrow('rolled back');
  });

  it('refuses a line or a decision naming no claim', async () => {
    const none = randomUUID();
    expect(
      await errorOf(
        `INSERT INTO claim_lines SELECT (jsonb_populate_record(l, jsonb_build_object('claim_id', $2::uuid))).*
           FROM claim_lines l WHERE l.claim_id = $1`,
        [claimId, none],
      ),
    ).toEqual({ code: '23503', message: `claim_lines.claim_id names no row of claims: ${none}` });
    expect(
      await errorOf(
        `INSERT INTO claim_decisions (id, claim_id, decided_at, decided_by, status, paid_amount,
           patient_responsibility_amount, result, config_versions, ledger_event_id)
         VALUES (gen_random_uuid(), $1, now(), 'auto', 'paid', 0, 0, '{}', '{}', gen_random_uuid())`,
        [none],
      ),
    ).toEqual({
      code: '23503',
      message: `claim_decisions.claim_id names no row of claims: ${none}`,
    });
  });

  it("refuses a settlement batch's claim or recoupment naming no batch or no claim", async () => {
    const none = randomUUID();
    for (const table of ['settlement_batch_claims', 'settlement_batch_adjustments']) {
      const columns =
        table === 'settlement_batch_claims'
          ? '(batch_id, claim_id, amount) VALUES ($1, $2, 0)'
          : '(batch_id, claim_id, reversal_event_id, amount) VALUES ($1, $2, gen_random_uuid(), -1)';
      expect(await errorOf(`INSERT INTO ${table} ${columns}`, [none, claimId])).toEqual({
        code: '23503',
        message: `${table}.batch_id names no row of settlement_batches: ${none}`,
      });
    }
    expect((await errorOf('TRUNCATE settlement_batches CASCADE'))?.code).toBe('42501');
  });

  it('keeps what they name: no DELETE, TRUNCATE or change of what names a row', async () => {
    const before = await tableFingerprints(environment);
    for (const [sql, params] of [
      ['DELETE FROM organizations WHERE id = $1', [payer.organization.id]],
      ['UPDATE organizations SET id = gen_random_uuid() WHERE id = $1', [payer.organization.id]],
      ['TRUNCATE organizations CASCADE', []],
      ['DELETE FROM claims WHERE id = $1', [claimId]],
      ['UPDATE claims SET payer_org_id = $2 WHERE id = $1', [claimId, provider.organization.id]],
      ['UPDATE claims SET provider_org_id = provider_org_id WHERE id = $1', [claimId]],
      ['TRUNCATE claims CASCADE', []],
      ['UPDATE claim_lines SET claim_id = claim_id WHERE claim_id = $1', [claimId]],
    ] as const) {
      expect((await errorOf(sql, [...params]))?.code, sql).toBe('42501');
    }
    expect(await tableFingerprints(environment)).toEqual(before);
  });
});
