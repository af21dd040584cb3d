// `npm run bench -- --suite reconciliation`: reconciliation on a large history. The history is
// built directly in SQL: a seed of claims goes through the engine (batch intake, adjudication,
// sealing), then its claims, lines, decisions, journal entries, postings and ledger events are
// copied under new ids until the history holds the number of claims asked for (1,000,000 by
// default). Each copied event's canonical payload names the new ids and is hashed again, and
// the copies are sealed by the engine's sealer, so the chain is a real one and the full run
// finds nothing wrong. Then: one full run (which leaves the checkpoint), 10,000 new claims
// through the engine, and the incremental run that checks only them.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../infra/config.js';
import { inTransaction, openDatabase, type Database } from '../infra/db.js';
import { adjudicateSubmitted } from '../domain/adjudication/index.js';
import { runReconciliation } from '../domain/reconciliation/index.js';
import { sealPending } from '../ledger/seal.js';
import { demoClaim } from './demo.js';
import { benchParties, ceilingsNote, claimant, post, startApi } from './bench.js';

const SEED_CLAIMS = 2_000;
const NEW_CLAIMS = 10_000;
const BATCH_SIZE = 1_000;
/** Copies made per statement group: keeps each transaction's memory in bounds. */
const COPIES_PER_TRANSACTION = 50;

export async function benchReconciliation(databaseUrl: string, historyClaims: number) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const database = openDatabase(databaseUrl, 4);
  const port = 3900 + Math.floor(Math.random() * 90);
  let api: ChildProcess | undefined;
  try {
    const { payer, key } = await benchParties(database, config);
    api = await startApi(databaseUrl, port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    let claimIndex = 0;
    const submit = async (count: number, prefix: string) => {
      for (let sent = 0; sent < count; sent += BATCH_SIZE) {
        const claims = Array.from({ length: Math.min(BATCH_SIZE, count - sent) }, () => {
          const index = claimIndex++;
          return demoClaim(payer.id, `${prefix}-${index}`, ['125.00', '48.50'], ...claimant(index));
        });
        const result = await post(agent, port, '/v1/claims/batch', key, JSON.stringify({ claims }));
        if (result.status !== 200) {
          throw new Error(`batch intake answered ${result.status}: ${result.body.slice(0, 300)}`);
        }
      }
      await decideAll(database);
      await sealPending(database.pool, config.sealBlockEventsMax, Number.MAX_SAFE_INTEGER);
    };

    const copies = Math.max(0, Math.ceil(historyClaims / SEED_CLAIMS) - 1);
    console.log(
      `reconciliation (${SEED_CLAIMS} claims through the engine, copied ${copies} times in SQL, then ${NEW_CLAIMS} new claims)`,
    );
    const setUpStarted = performance.now();
    await submit(SEED_CLAIMS, 'SEED');
    const copyStarted = performance.now();
    for (let done = 0; done < copies; done += COPIES_PER_TRANSACTION) {
      await copyHistory(database, done + 1, Math.min(copies, done + COPIES_PER_TRANSACTION));
    }
    // Each account's balance is the sum of its postings, the copies' included.
    await database.pool.query(
      `UPDATE accounts a SET balance_amount = p.total
         FROM (SELECT account_id, sum(amount) AS total FROM journal_postings GROUP BY account_id) p
        WHERE p.account_id = a.id`,
    );
    const copySeconds = (performance.now() - copyStarted) / 1000;
    const sealStarted = performance.now();
    await sealPending(database.pool, config.sealBlockEventsMax, Number.MAX_SAFE_INTEGER);
    const sealSeconds = (performance.now() - sealStarted) / 1000;
    await database.pool.query('VACUUM ANALYZE');
    await database.pool.query('CHECKPOINT');
    const sizes = await sizesOf(database);
    console.log(
      `  set-up: ${sizes.claims} claims, ${sizes.events} ledger events, ${sizes.entries} journal entries ` +
        `(copied in ${copySeconds.toFixed(0)} s, sealed in ${sealSeconds.toFixed(0)} s; ` +
        `${((performance.now() - setUpStarted) / 1000).toFixed(0)} s in all)`,
    );

    const fullStarted = performance.now();
    const full = await runReconciliation(database, { trigger: 'request', mode: 'full' });
    const fullSeconds = (performance.now() - fullStarted) / 1000;
    console.log(
      `full reconciliation run: ${fullSeconds.toFixed(1)} s (${full.summary.chain.eventsChecked} events verified, ` +
        `${full.summary.journalEntriesChecked} journal entries, ${full.summary.exceptionsFound} exceptions)` +
        ceilingsNote(),
    );
    if (full.summary.exceptionsFound > 0) {
      throw new Error(
        'the copied history did not reconcile: the incremental figure would mean nothing',
      );
    }

    await submit(NEW_CLAIMS, 'NEW');
    api.kill('SIGTERM');
    api = undefined;
    await database.pool.query('CHECKPOINT');
    const incrementalStarted = performance.now();
    const incremental = await runReconciliation(database, {
      trigger: 'request',
      mode: 'incremental',
    });
    const incrementalSeconds = (performance.now() - incrementalStarted) / 1000;
    console.log(
      `incremental reconciliation run after ${NEW_CLAIMS} new claims on a ${sizes.claims}-claim history: ` +
        `${incrementalSeconds.toFixed(2)} s (${incremental.summary.chain.eventsChecked} events verified, ` +
        `${incremental.summary.journalEntriesChecked} journal entries, mode ${incremental.summary.mode}, ` +
        `${incremental.summary.exceptionsFound} exceptions)` +
        ceilingsNote(),
    );
  } finally {
    api?.kill('SIGTERM');
    await database.close();
  }
}

async function decideAll(database: Database): Promise<void> {
  for (;;) {
    const sweep = await adjudicateSubmitted(database, {
      claimsMax: 1_000,
      parallel: 4,
      onFailure: (_claimId, error) => {
        throw error;
      },
    });
    if (sweep.decided === 0 && sweep.skipped === 0) return;
  }
}

async function sizesOf(database: Database) {
  const { rows } = await database.pool.query<{ claims: string; events: string; entries: string }>(
    `SELECT (SELECT count(*) FROM claims) AS claims,
            (SELECT count(*) FROM ledger_events) AS events,
            (SELECT count(*) FROM journal_entries) AS entries`,
  );
  return rows[0]!;
}

/**
 * Copies the seed claims (patient control numbers SEED-<n>; a copy's is SEED-<n>-<copy>) and everything
 * they led to, once for each copy number in [first, last], under new ids. Triggers are off for
 * the copy (session_replication_role = replica): the postings are copied whole entries at a
 * time, so each still balances, and the ledger rows are appended after the last seq.
 */
async function copyHistory(database: Database, first: number, last: number): Promise<void> {
  await inTransaction(database.pool, async (client) => {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `CREATE TEMP TABLE claim_copy ON COMMIT DROP AS
         SELECT c.id AS old_id, k.copy, gen_random_uuid() AS new_id
           FROM claims c, generate_series($1::int, $2::int) AS k(copy)
          WHERE c.patient_control_number ~ '^SEED-[0-9]+$'`, // the seed, not earlier copies
      [first, last],
    );
    // Temporary tables have no statistics until analyzed: without them the joins below run as
    // nested loops over the whole history.
    await client.query('ANALYZE claim_copy');
    await client.query(
      `CREATE TEMP TABLE decision_copy ON COMMIT DROP AS
         SELECT d.id AS old_id, m.copy, gen_random_uuid() AS new_id, d.ledger_event_id AS old_event_id
           FROM claim_decisions d JOIN claim_copy m ON m.old_id = d.claim_id`,
    );
    await client.query('ANALYZE decision_copy');
    await client.query(
      `CREATE TEMP TABLE event_copy ON COMMIT DROP AS
         SELECT e.seq AS old_seq, e.id AS old_id, m.copy, m.old_id AS old_claim_id,
                m.new_id AS new_claim_id, gen_random_uuid() AS new_id,
                (SELECT next_seq FROM ledger_sequence WHERE id = 1) - 1
                  + row_number() OVER (ORDER BY m.copy, e.seq) AS new_seq
           FROM ledger_events e JOIN claim_copy m ON e.aggregate_id = m.old_id::text`,
    );
    await client.query('ANALYZE event_copy');
    await client.query(
      `INSERT INTO claims (id, provider_org_id, payer_org_id, patient_control_number,
         frequency_code, original_claim_id, status, member_id_index, member_ciphertext,
         phi_key_version, commitment_salt, diagnosis_codes, total_charge_amount, line_count,
         submitted_at, content_fingerprint, place_of_service_code, patient_ciphertext,
         patient_index, payer_responsibility_code, prior_payers)
       SELECT m.new_id, c.provider_org_id, c.payer_org_id, c.patient_control_number || '-' || m.copy,
              c.frequency_code, NULL, c.status, c.member_id_index, c.member_ciphertext,
              c.phi_key_version, c.commitment_salt, c.diagnosis_codes, c.total_charge_amount,
              c.line_count, c.submitted_at, encode(sha256(convert_to(m.new_id::text, 'UTF8')), 'hex'),
              c.place_of_service_code, c.patient_ciphertext, c.patient_index,
              c.payer_responsibility_code, c.prior_payers
         FROM claims c JOIN claim_copy m ON m.old_id = c.id`,
    );
    await client.query(
      `INSERT INTO claim_lines
       SELECT m.new_id, l.line_number, l.procedure_code, l.modifiers, l.units, l.charge_amount,
              l.service_date, l.diagnosis_pointers, l.service_date_to, l.place_of_service_code,
              l.line_control_number, l.unit_type, l.member_id_index
         FROM claim_lines l JOIN claim_copy m ON m.old_id = l.claim_id`,
    );
    await client.query(
      `INSERT INTO claim_decisions (id, claim_id, decided_at, decided_by, status, paid_amount,
         patient_responsibility_amount, result, config_versions, ledger_event_id, note)
       SELECT dm.new_id, m.new_id, d.decided_at, d.decided_by, d.status, d.paid_amount,
              d.patient_responsibility_amount, d.result, d.config_versions, ec.new_id, d.note
         FROM claim_decisions d
         JOIN decision_copy dm ON dm.old_id = d.id
         JOIN claim_copy m ON m.old_id = d.claim_id AND m.copy = dm.copy
         JOIN event_copy ec ON ec.old_id = d.ledger_event_id AND ec.copy = dm.copy`,
    );
    await client.query(
      `CREATE TEMP TABLE entry_copy ON COMMIT DROP AS
         SELECT j.id AS old_id, ec.copy, gen_random_uuid() AS new_id, ec.new_id AS new_event_id,
                ec.new_claim_id
           FROM journal_entries j JOIN event_copy ec ON ec.old_id = j.ledger_event_id`,
    );
    await client.query('ANALYZE entry_copy');
    await client.query(
      `INSERT INTO journal_entries (id, kind, claim_id, ledger_event_id, created_at)
       SELECT jc.new_id, j.kind, jc.new_claim_id, jc.new_event_id, j.created_at
         FROM journal_entries j JOIN entry_copy jc ON jc.old_id = j.id`,
    );
    await client.query(
      `INSERT INTO journal_postings (entry_id, account_id, amount)
       SELECT jc.new_id, p.account_id, p.amount
         FROM journal_postings p JOIN entry_copy jc ON jc.old_id = p.entry_id`,
    );
    // The payload names the claim and (for a decision) the decision: the copy names the new ones.
    await client.query(
      `WITH copied AS (
         SELECT ec.new_seq, ec.new_id, e.type, ec.new_claim_id::text AS aggregate_id,
                e.actor_org_id, e.created_at, e.party_org_ids,
                replace(
                  CASE WHEN dm.old_id IS NULL THEN e.payload_canonical
                       ELSE replace(e.payload_canonical, dm.old_id::text, dm.new_id::text) END,
                  ec.old_claim_id::text, ec.new_claim_id::text) AS canonical
           FROM event_copy ec
           JOIN ledger_events e ON e.seq = ec.old_seq
           LEFT JOIN decision_copy dm ON dm.old_event_id = e.id AND dm.copy = ec.copy
       )
       INSERT INTO ledger_events (seq, id, type, aggregate_id, actor_org_id, created_at,
         payload_canonical, payload_hash, party_org_ids)
       SELECT new_seq, new_id, type, aggregate_id, actor_org_id, created_at,
              canonical, encode(sha256(convert_to(canonical, 'UTF8')), 'hex'), party_org_ids
         FROM copied`,
    );
    await client.query(
      `UPDATE ledger_sequence SET next_seq = next_seq + (SELECT count(*) FROM event_copy)
        WHERE id = 1`,
    );
  });
}
