// The /verify page in headless Chromium (Debian's, driven by playwright-core): the page the API
// serves checks a proof file against a policy with WebCrypto alone, and names why it refuses.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLeafHash, type EventEnvelope } from '../../src/ledger/formats.js';
import { toHex } from '../../src/ledger/hash.js';
import request from 'supertest';
import { sealPending } from '../../src/ledger/seal.js';
import { parseNote, parseSignerKey, parseVerifierKey } from '../../src/ledger/tlog/note.js';
import { addCosignature, readLatestCheckpoint } from '../../src/ledger/transparency-log.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  type TestEnvironment,
} from '../support/environment.js';
import { appendSyntheticEvents } from '../support/ledger.js';
import { cosignNote, policyText, testWitness, ToyLog } from '../support/tlog-log.js';

const envelope: EventEnvelope = {
  v: 1,
  seq: '6',
  id: '0b7c6f7e-2f7e-4c1a-9d55-0c6f1f0b9a11',
  type: 'ClaimSubmitted',
  aggregateId: '5d0f4c1e-8f3a-4b2e-9a77-3c1d2e4f5a6b',
  actorOrgId: '00000000-0000-4000-8000-000000000001',
  createdAt: '2026-12-01T02:00:00.000Z',
  payloadHash: 'a'.repeat(64),
};
const witnesses = [1, 2, 3].map((n) => testWitness(`witness.test/w${n}`, 20 + n));

/** A proof file as the log serves it: the event, its inclusion proof and the cosigned checkpoint. */
function proofFile(log: ToyLog, cosigners: typeof witnesses): string {
  const leafIndex = 5;
  return JSON.stringify({
    envelope,
    tree: {
      leafIndex,
      treeSize: log.leaves.length,
      inclusionProof: log.inclusion(leafIndex).map(toHex),
      checkpoint: cosignNote(log.checkpoint(), cosigners),
    },
  });
}

describe('/verify in a browser', () => {
  let environment: TestEnvironment;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const log = new ToyLog();
  log.append(5);
  log.leaves.push(eventLeafHash(envelope));
  log.append(7);
  const policy = policyText(log, witnesses, 2);

  beforeAll(async () => {
    environment = await createTestEnvironment();
    server = testApp(environment).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    await page.goto(`${baseUrl}/verify`);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await environment?.close();
  });

  async function verdictOf(proof: string, policyFile: string): Promise<string> {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.fill('#proof', proof);
    await page.fill('#policy', policyFile);
    await page.click('#verify');
    await page.waitForFunction(
      "/^(VALID|REJECTED)/.test(document.querySelector('#verdict').textContent ?? '')",
    );
    page.removeAllListeners('request');
    expect(requests, 'the page calls no server once loaded').toEqual([]);
    return (await page.textContent('#verdict'))!;
  }

  it('accepts a proof whose checkpoint the log signed and a quorum of witnesses cosigned', async () => {
    const verdict = await verdictOf(proofFile(log, witnesses), policy);
    expect(verdict).toBe('VALID: the event is in the log, as the policy requires');
    const steps = await page.locator('#steps li').allTextContents();
    expect(steps).toContain(
      '✓ cosigned by 3 witnesses (witness.test/w1, witness.test/w2, witness.test/w3), quorum 2',
    );
  });

  it('rejects the proof with one byte of the event changed, naming the event', async () => {
    const altered = proofFile(log, witnesses).replace(
      '"type":"ClaimSubmitted"',
      '"type":"ClaimSubmittee"',
    );
    expect(await verdictOf(altered, policy)).toMatch(
      /^REJECTED: the event \(leaf [0-9a-f]{64}\) at index 5 does not lead to the checkpoint's root: the event or the proof was altered$/,
    );
  });

  it('rejects a checkpoint with one byte of its root changed: the log signature fails', async () => {
    const file = JSON.parse(proofFile(log, witnesses)) as { tree: { checkpoint: string } };
    const lines = file.tree.checkpoint.split('\n');
    lines[2] = lines[2]!.startsWith('A') ? `B${lines[2]!.slice(1)}` : `A${lines[2]!.slice(1)}`;
    file.tree.checkpoint = lines.join('\n');
    expect(await verdictOf(JSON.stringify(file), policy)).toBe(
      "REJECTED: the checkpoint does not carry a valid signature by the policy's log",
    );
  });

  it('rejects a checkpoint without enough cosignatures, naming who cosigned', async () => {
    expect(await verdictOf(proofFile(log, witnesses.slice(0, 1)), policy)).toBe(
      "REJECTED: 1 of the policy's witnesses cosigned the checkpoint (witness.test/w1); the quorum is 2",
    );
  });

  it('accepts a real proof served by the log, with cosignatures the log stored', async () => {
    const pool = environment.database.pool;
    const signer = parseSignerKey(environment.config.ledgerLogKey);
    const auditor = await createActor(environment, 'operator', 'auditor');
    await appendSyntheticEvents(pool, 20);
    await sealPending(pool, 8, 1_000, signer);
    const latest = (await readLatestCheckpoint(pool))!;
    for (const witness of witnesses.slice(0, 2)) {
      const [line] = parseNote(cosignNote(latest.note, [witness])).signatures.slice(-1);
      await addCosignature(
        pool,
        latest.treeSize,
        parseVerifierKey(witness.cosignerVerifierKey),
        line!,
        new Date(),
      );
    }
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id FROM ledger_events ORDER BY seq DESC LIMIT 1 OFFSET 3',
    );
    const proof = await request(server)
      .get(`/v1/ledger/events/${rows[0]!.id}/proof`)
      .set('authorization', `Bearer ${auditor.key}`);
    expect(proof.status).toBe(200);
    const realPolicy = [
      `log ${signer.verifierKey}`,
      ...witnesses.map((witness) => `witness ${witness.keyName} ${witness.cosignerVerifierKey}`),
      'quorum 2',
    ].join('\n');
    expect(await verdictOf(JSON.stringify(proof.body), realPolicy)).toBe(
      'VALID: the event is in the log, as the policy requires',
    );
    expect(
      await verdictOf(JSON.stringify(proof.body), realPolicy.replace('quorum 2', 'quorum 3')),
    ).toBe(
      "REJECTED: 2 of the policy's witnesses cosigned the checkpoint (witness.test/w1, witness.test/w2); the quorum is 3",
    );
  });

  it('names a policy line it cannot read', async () => {
    expect(await verdictOf(proofFile(log, witnesses), `${policy}\nquorom 2\n`)).toMatch(
      /^REJECTED: policy line \d+: expected "log <vkey>"/,
    );
  });
});
