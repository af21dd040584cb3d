// Three witnesses, each its own process with its own key and state file, against a real log
// (PostgreSQL, sealing, the log's push job and the API): they cosign; one killed and restarted
// (pulling with --follow) catches up; a history rewritten in SQL is refused by every witness as
// a fork and rejected by the client policy; a split view leaves evidence a third party checks.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLeafHash, type EventEnvelope } from '../../src/ledger/formats.js';
import { sealPending } from '../../src/ledger/seal.js';
import { base64Decode, parseSignerKey, signerKeyOf } from '../../src/ledger/tlog/note.js';
import { readLatestCheckpoint } from '../../src/ledger/transparency-log.js';
import { formatAddCheckpoint } from '../../src/witness/protocol.js';
import type { WitnessStatus } from '../../src/witness/server.js';
import { checkCheckpoint, loadWitnessList, parsePolicy } from '../../src/witness/policy.js';
import { verifyProofWithPolicy } from '../../src/cli/witness.js';
import { execWitnessPushJob } from '../../workers/witness-push.js';
import { startWorkers } from '../../workers/index.js';
import { createLogger } from '../../src/infra/logger.js';
import { openRedis } from '../../src/infra/redis.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { appendSyntheticEvents, tamper } from '../support/ledger.js';
import { nobleEd25519Verify, nodeEd25519Verify, testWitness, ToyLog } from '../support/tlog-log.js';
import { freePort, startWitness, type WitnessProcess } from '../support/witness-process.js';

const witnessKeys = [1, 2, 3, 4, 5].map((n) => testWitness(`witness.test/w${n}`, 40 + n));

describe('witnesses against a real log', () => {
  let environment: TestEnvironment;
  let directory: string;
  let server: Server;
  let apiUrl: string;
  let auditor: Actor;
  let processes: WitnessProcess[] = [];
  let ports: number[];
  let logVerifierKey: string;
  let logSeed: Uint8Array;
  let witnessListFile: string;
  const signer = () => parseSignerKey(environment.config.ledgerLogKey);

  const keyFile = (n: number) => path.join(directory, `w${n}.key`);
  const stateFile = (n: number) => path.join(directory, `w${n}.state.json`);
  const start = (n: number, extraArgs: string[] = []) =>
    startWitness({
      keyFile: keyFile(n),
      logVerifierKey,
      stateFile: stateFile(n),
      port: ports[n - 1]!,
      extraArgs,
    });
  const witnesses = () => loadWitnessList(witnessListFile);
  const policy = (quorum: number) =>
    parsePolicy(
      [`log ${logVerifierKey}`, `quorum ${quorum}`]
        .concat(witnessKeys.slice(0, 3).map((w, i) => `witness w${i + 1} ${w.cosignerVerifierKey}`))
        .join('\n'),
    );

  async function sealMore(count: number): Promise<number> {
    await appendSyntheticEvents(environment.database.pool, count);
    await sealPending(environment.database.pool, 16, 1_000, signer());
    return (await readLatestCheckpoint(environment.database.pool))!.treeSize;
  }

  async function push(name: string, treeSize: number) {
    return execWitnessPushJob(environment.database.pool, witnesses(), {
      data: { witnessName: name, treeSize },
    });
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'claimchain-witnesses-'));
    ports = await Promise.all(witnessKeys.map(() => freePort()));
    for (const [index, key] of witnessKeys.entries()) {
      const seed = new Uint8Array(32).fill(41 + index);
      await writeFile(keyFile(index + 1), `${signerKeyOf(key.keyName, seed)}\n`, { mode: 0o600 });
    }
    witnessListFile = path.join(directory, 'witnesses.txt');
    await writeFile(
      witnessListFile,
      witnessKeys
        .slice(0, 3)
        .map((w, i) => `witness w${i + 1} ${w.cosignerVerifierKey} http://127.0.0.1:${ports[i]}`)
        .join('\n'),
    );
    environment = await createTestEnvironment({
      LEDGER_WITNESSES_FILE: witnessListFile,
      WITNESS_PUSH_INTERVAL_MS: '200',
      SEAL_INTERVAL_MS: '100',
    });
    logVerifierKey = signer().verifierKey;
    const keyText = environment.config.ledgerLogKey;
    // PRIVATE+KEY+<name>+<id>+<base64>: the base64 (which may hold '+') after the fourth '+'.
    logSeed = base64Decode(keyText.split('+').slice(4).join('+'))!.slice(1);
    auditor = await createActor(environment, 'operator', 'auditor');
    server = testApp(environment).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    processes = await Promise.all([1, 2, 3].map((n) => start(n)));
  });

  afterAll(async () => {
    for (const each of processes) await each.kill();
    await new Promise((resolve) => server?.close(resolve));
    await environment?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('all three cosign the checkpoint the log pushes; @noble/curves verifies each cosignature', async () => {
    const treeSize = await sealMore(40);
    for (const name of ['w1', 'w2', 'w3']) {
      expect(await push(name, treeSize)).toEqual({ outcome: 'cosigned', treeSize });
    }
    // A duplicate delivery of the job offers nothing again.
    expect(await push('w2', treeSize)).toEqual({ outcome: 'already-cosigned', treeSize });
    const served = await request(server)
      .get('/v1/ledger/checkpoint')
      .set('authorization', `Bearer ${auditor.key}`);
    expect(served.status).toBe(200);
    const note = served.text;
    const [body] = note.split('\n\n') as [string];
    const lines = note
      .trimEnd()
      .split('\n')
      .slice(body.split('\n').length + 1);
    expect(lines).toHaveLength(4); // the log's signature and three cosignatures
    for (const witness of witnessKeys.slice(0, 3)) {
      const line = lines.find((each) => each.startsWith(`\u2014 ${witness.keyName} `))!;
      const bytes = Buffer.from(line.split(' ')[2]!, 'base64');
      const timestamp = bytes.readBigUInt64BE(4);
      const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${body}\n`);
      // Witnesses cosign with node:crypto; checked with @noble/curves.
      expect(nobleEd25519Verify(witness.publicKey, message, bytes.subarray(12))).toBe(true);
    }
    expect(checkCheckpoint(note, policy(3))).toMatchObject({
      ok: true,
      cosignedBy: ['w1', 'w2', 'w3'],
    });

    // The offline verifier needs nothing but the proof file and the policy file.
    const { rows } = await environment.database.pool.query<{ id: string }>(
      'SELECT id FROM ledger_events ORDER BY seq LIMIT 1 OFFSET 7',
    );
    const proof = await request(server)
      .get(`/v1/ledger/events/${rows[0]!.id}/proof`)
      .set('authorization', `Bearer ${auditor.key}`);
    expect(proof.status).toBe(200);
    const proofFile = path.join(directory, 'proof.json');
    const policyFile = path.join(directory, 'policy.txt');
    await writeFile(proofFile, JSON.stringify(proof.body));
    await writeFile(
      policyFile,
      `log ${logVerifierKey}\n${witnessKeys
        .slice(0, 3)
        .map((w, i) => `witness w${i + 1} ${w.cosignerVerifierKey}`)
        .join('\n')}\nquorum 2\n`,
    );
    expect(await verifyProofWithPolicy(proofFile, policyFile)).toEqual({
      ok: true,
      message: `proof OK: the event is leaf 7 of the log's tree of size ${treeSize}, signed by the log and cosigned by w1, w2, w3 (quorum 2)`,
    });
  });

  it('the workers seal and push by themselves: a new checkpoint is cosigned without a call', async () => {
    const redis = openRedis(environment.config.redisUrl);
    const workers = await startWorkers({
      config: environment.config,
      database: environment.database,
      connection: redis,
      logger: createLogger('silent'),
    });
    try {
      const before = (await readLatestCheckpoint(environment.database.pool))!.treeSize;
      await appendSyntheticEvents(environment.database.pool, 12);
      await expect
        .poll(
          async () => {
            const latest = (await readLatestCheckpoint(environment.database.pool))!;
            return latest.treeSize > before && latest.cosignatureCount === 3;
          },
          { timeout: 30_000, interval: 200 },
        )
        .toBe(true);
    } finally {
      await workers.close();
      redis.disconnect();
    }
  });

  it('a killed witness does not hold up the others and catches up when restarted with --follow', async () => {
    const before = (await readLatestCheckpoint(environment.database.pool))!.treeSize;
    await processes[1]!.kill();
    const treeSize = await sealMore(30);
    expect(await push('w1', treeSize)).toEqual({ outcome: 'cosigned', treeSize });
    await expect(push('w2', treeSize)).rejects.toThrow(/fetch failed/);
    expect(await push('w3', treeSize)).toEqual({ outcome: 'cosigned', treeSize });
    expect((await readLatestCheckpoint(environment.database.pool))!.cosignatureCount).toBe(2);
    // The operator sees which witness is behind, and by how much.
    const progress = async () =>
      (
        await request(server)
          .get('/v1/ledger/witnesses')
          .set('Authorization', `Bearer ${auditor.key}`)
          .expect(200)
      ).body as {
        latestTreeSize: number;
        witnesses: { name: string; cosignedTreeSize: number; eventsBehind: number }[];
      };
    const behind = await progress();
    expect(behind.latestTreeSize).toBe(treeSize);
    expect(
      behind.witnesses.map(({ name, cosignedTreeSize, eventsBehind }) => [
        name,
        cosignedTreeSize,
        eventsBehind,
      ]),
    ).toEqual([
      ['w1', treeSize, 0],
      ['w2', before, 30],
      ['w3', treeSize, 0],
    ]);

    // Restarted on its state file, it pulls: the consistency proof from the size it cosigned.
    const state = JSON.parse(await readFile(stateFile(2), 'utf8'));
    expect(state.logs[signer().keyName].treeSize).toBe(before);
    processes[1] = await start(2, [
      '--follow',
      apiUrl,
      '--api-key',
      auditor.key,
      '--interval-ms',
      '200',
    ]);
    await expect
      .poll(async () => (await readLatestCheckpoint(environment.database.pool))!.cosignatureCount, {
        timeout: 20_000,
      })
      .toBe(3);
    const caughtUp = JSON.parse(await readFile(stateFile(2), 'utf8'));
    expect(caughtUp.logs[signer().keyName].treeSize).toBe(treeSize);
    expect((await progress()).witnesses.map((witness) => witness.eventsBehind)).toEqual([0, 0, 0]);
  });

  it('a history rewritten in SQL: every witness refuses the forked checkpoint and names the fork', async () => {
    const pool = environment.database.pool;
    const treeSize = (await readLatestCheckpoint(pool))!.treeSize;
    // The operator rewrites event 3 behind the append-only triggers, then signs the rewritten
    // history, grown by a few events, with the log's key.
    await tamper(
      environment.databaseUrl,
      `UPDATE ledger_events SET type = 'ClaimRewritten' WHERE seq = 3`,
    );
    const forked = new ToyLog(signer().keyName, logSeed);
    forked.leaves.push(...(await leavesOf(environment)));
    forked.append(5, 'forked');
    const forkedNote = forked.checkpoint();
    for (const [index, witness] of processes.entries()) {
      const answer = await fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({
          oldSize: treeSize,
          proof: forked.consistency(treeSize),
          note: forkedNote,
        }),
      });
      expect(answer.status).toBe(422);
      expect(await answer.text()).toBe(
        `fork: the checkpoint of size ${treeSize + 5} is not consistent with the checkpoint of size ${treeSize} this witness cosigned\n`,
      );
      const evidence = (await readFile(`${stateFile(index + 1)}.evidence.jsonl`, 'utf8'))
        .trim()
        .split('\n');
      expect(JSON.parse(evidence.at(-1)!)).toMatchObject({
        kind: 'fork',
        offered: forkedNote,
        oldSize: treeSize,
      });
      // The log line comes through the witness's stdout pipe, which may trail its HTTP answer.
      await expect.poll(() => witness.output()).toContain('witness ALARM fork');
    }
    // Offered again (a log replaying its fork, or a follower meeting it each poll), the fork is
    // refused and logged again but not appended again.
    const [first] = processes;
    const evidenceBefore = await readFile(`${stateFile(1)}.evidence.jsonl`, 'utf8');
    const again = await fetch(`${first!.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint({
        oldSize: treeSize,
        proof: forked.consistency(treeSize),
        note: forkedNote,
      }),
    });
    expect(again.status).toBe(422);
    expect(await readFile(`${stateFile(1)}.evidence.jsonl`, 'utf8')).toBe(evidenceBefore);
    await expect
      .poll(() => first!.output())
      .toContain('witness ALARM fork again (already in the evidence file)');
    // Its status says so too: two refusals, the fork raised twice and recorded once, and the
    // checkpoint it keeps is still the honest one.
    const status = (await (await fetch(`${first!.url}/status`)).json()) as WitnessStatus;
    expect(status).toMatchObject({
      keyName: witnessKeys[0]!.keyName,
      verifierKey: witnessKeys[0]!.cosignerVerifierKey,
      logs: [{ origin: signer().keyName, cosigned: { treeSize } }],
      alarmsRaised: { fork: 2 },
      evidence: { alarmsInFile: 1, alarmsRecorded: 1, alarmsAlreadyRecorded: 1 },
    });
    expect(status.requests.refused).toEqual({ '422': 2 });
    expect(status.requests.cosigned).toBeGreaterThanOrEqual(3);
    // No witness cosigned the forked head: the client's policy rejects it.
    expect(checkCheckpoint(forkedNote, policy(2))).toEqual({
      ok: false,
      reason: "0 of the policy's witnesses cosigned the checkpoint (none); the quorum is 2",
      cosignedBy: [],
    });
  });

  it('a split view: the evidence a witness keeps proves the log signed two roots for one size', async () => {
    const pool = environment.database.pool;
    const honest = (await readLatestCheckpoint(pool))!;
    const forked = new ToyLog(signer().keyName, logSeed);
    forked.leaves.push(...(await leavesOf(environment)));
    const forkedNote = forked.checkpoint();
    // w5's evidence file has room for one alarm (its split view alarm takes 1,200 bytes).
    const [w4, w5] = await Promise.all([start(4), start(5, ['--evidence-bytes-max', '1500'])]);
    processes.push(w4, w5);
    const offer = (witness: WitnessProcess, oldSize: number, note: string) =>
      fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize, proof: [], note }),
      });
    // Each new witness is shown one view; alone, neither can tell.
    expect((await offer(w4, 0, honest.note)).status).toBe(200);
    expect((await offer(w5, 0, forkedNote)).status).toBe(200);
    // Shown the other view, w5 refuses and keeps both notes.
    const refused = await offer(w5, honest.treeSize, honest.note);
    expect(refused.status).toBe(422);
    const [line] = (await readFile(`${stateFile(5)}.evidence.jsonl`, 'utf8')).trim().split('\n');
    const evidence = JSON.parse(line!) as { kind: string; cosigned: string; offered: string };
    expect(evidence.kind).toBe('split-view');
    expect(provesEquivocation(evidence.cosigned, evidence.offered, logVerifierKey)).toBe(true);
    // The same two views from a stale old size: the same alarm, not appended again.
    const evidenceBefore = await readFile(`${stateFile(5)}.evidence.jsonl`, 'utf8');
    expect((await offer(w5, 0, honest.note)).status).toBe(409);
    // Another alarm (a rollback the log signed) no longer fits: logged with its notes only.
    const rollback = forked.checkpoint(honest.treeSize - 1);
    expect((await offer(w5, 0, rollback)).status).toBe(409);
    expect(await readFile(`${stateFile(5)}.evidence.jsonl`, 'utf8')).toBe(evidenceBefore);
    await expect.poll(() => w5.output()).toContain('"evidence":"already-recorded"');
    await expect
      .poll(() => w5.output())
      .toContain(
        `witness ALARM rollback, not recorded: the evidence file is full (1500 bytes): rollback: the log offered size ${honest.treeSize - 1}`,
      );
    expect(w5.output()).toContain(JSON.stringify(rollback));
    // The check is not fooled: two views of one tree prove nothing.
    expect(provesEquivocation(honest.note, honest.note, logVerifierKey)).toBe(false);
  });
});

/** The leaf hashes recomputed from the event rows as they are now. */
async function leavesOf(environment: TestEnvironment): Promise<Uint8Array[]> {
  const { rows } = await environment.database.pool.query<{
    seq: string;
    id: string;
    type: string;
    aggregate_id: string;
    actor_org_id: string;
    created_at: Date;
    payload_hash: string;
  }>(
    `SELECT seq::text, id, type, aggregate_id, actor_org_id, created_at, payload_hash
       FROM ledger_events WHERE seq <= (SELECT max(tree_size) FROM ledger_checkpoints) ORDER BY seq`,
  );
  return rows.map((row) => {
    const envelope: EventEnvelope = {
      v: 1,
      seq: row.seq,
      id: row.id,
      type: row.type,
      aggregateId: row.aggregate_id,
      actorOrgId: row.actor_org_id,
      createdAt: row.created_at.toISOString(),
      payloadHash: row.payload_hash,
    };
    return eventLeafHash(envelope);
  });
}

/**
 * A third party's check, written from the specifications alone (node:crypto, no project code):
 * two signed notes of one origin and one tree size with different roots, each carrying a valid
 * Ed25519 signature by the log's key, prove that the log equivocated.
 */
function provesEquivocation(first: string, second: string, logVerifierKey: string): boolean {
  const [keyName, keyIdHex] = logVerifierKey.split('+') as [string, string];
  const keyBytes = Buffer.from(
    logVerifierKey.slice(keyName.length + keyIdHex.length + 2),
    'base64',
  );
  const publicKey = keyBytes.subarray(1);
  const read = (note: string) => {
    const split = note.lastIndexOf('\n\n');
    const text = note.slice(0, split + 1);
    const [origin, size, root] = text.split('\n');
    const signed = note
      .slice(split + 2)
      .trimEnd()
      .split('\n')
      .map((line) => Buffer.from(line.split(' ')[2] ?? '', 'base64'))
      .some(
        (bytes) =>
          bytes.subarray(0, 4).toString('hex') === keyIdHex &&
          nodeEd25519Verify(publicKey, Buffer.from(text), bytes.subarray(4)),
      );
    return { origin, size, root, signed };
  };
  const a = read(first);
  const b = read(second);
  return (
    a.signed &&
    b.signed &&
    a.origin === keyName &&
    a.origin === b.origin &&
    a.size === b.size &&
    a.root !== b.root
  );
}
