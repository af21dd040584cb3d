// X12 interchanges on the real database: each 837P interchange is stored with its answer, 999
// and 277CA; the same interchange again is refused with the first answer and writes nothing (two
// at once store one); a test interchange (ISA15 T) is answered in full and writes no claim; a bad
// envelope answers a TA1; the acknowledgments are fetched later by their submitter alone.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeX12Answer,
  fetchAcknowledgments,
  interchangeIdOf,
  submitX12File,
} from '../../src/cli/x12.js';
import { bearer, expectProblem } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  tableFingerprints,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { parseAcknowledgment } from '../support/x12.js';
import {
  sampleFile,
  sampleNpi,
  withAnotherClaim,
  withInterchangeControlNumber,
} from '../interop/x12/samples.js';

let environment: TestEnvironment;
let app: Express;
let provider: Actor;
let otherProvider: Actor;
let payer: Actor;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  provider = await createActor(environment, 'provider', 'provider_biller', undefined, sampleNpi);
  otherProvider = await createActor(environment, 'provider', 'provider_biller');
  payer = await createActor(environment, 'payer', 'payer_adjudicator');
});

afterAll(async () => {
  await environment.close();
});

let nextControlNumber = 100;

/** The sample to our payer: unique CLM01s, its own ISA13, ISA15 `usage`. */
function file(options: { usage?: 'P' | 'T'; secondClaim?: boolean } = {}) {
  const controlNumber = String(nextControlNumber).padStart(9, '0');
  let text = withInterchangeControlNumber(
    sampleFile('commercial-health-insurance', payer.organization.id).replace(
      'CLM*26463774*',
      `CLM*A${randomUUID().slice(0, 8)}*`,
    ),
    nextControlNumber++,
  ).replace(`*${controlNumber}*1*P*:~`, `*${controlNumber}*1*${options.usage ?? 'P'}*:~`);
  if (options.secondClaim) {
    text = withAnotherClaim(text, `B${randomUUID().slice(0, 8)}`, (segments) => {
      const index = segments.findIndex((segment) => segment.startsWith('SV1*HC:87070'));
      segments[index] = 'SV1*HC:87070*-15*UN*1***1';
    });
  }
  return { text, controlNumber };
}

function post(
  text: string,
  options: { accept?: string; key?: string; idempotencyKey?: string } = {},
) {
  const call = request(app)
    .post('/v1/x12/837')
    .set(bearer(options.key ?? provider.key))
    .set('Content-Type', 'application/edi-x12');
  if (options.accept) call.set('Accept', options.accept);
  if (options.idempotencyKey) call.set('Idempotency-Key', options.idempotencyKey);
  return call.send(text);
}

const get = (path: string, key = provider.key) =>
  request(app)
    .get(path)
    .set(bearer(key))
    .buffer(true)
    .parse((response, done) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => done(null, text));
    });

async function interchangeRows() {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    'SELECT count(*) FROM x12_interchanges',
  );
  return Number(rows[0]!.count);
}

describe('the same interchange twice', () => {
  it('is refused as a duplicate with the first answer, and writes nothing', async () => {
    const { text, controlNumber } = file({ secondClaim: true });
    const first = await post(text);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      interchangeControlNumber: controlNumber,
      accepted: 1,
      rejected: 1,
    });
    const before = await tableFingerprints(environment);
    const again = await post(text);
    const problem = expectProblem(again, 409);
    expect(problem).toMatchObject({
      title: 'duplicate_interchange',
      interchangeId: first.body.interchangeId,
      firstAnswer: first.body,
    });
    // As X12: a TA1 with note code 025, duplicate interchange control number.
    const ta1 = await post(text, { accept: 'application/edi-x12' });
    expect(ta1.status).toBe(409);
    expect(ta1.text).toContain(`\nTA1*${controlNumber}*261015*1253*R*025~\n`);
    expect(await tableFingerprints(environment)).toEqual(before);
  });

  it('two at once store one interchange and one set of claims', async () => {
    const { text } = file();
    const [rowsBefore, countsBefore] = [
      await interchangeRows(),
      await intakeRowCounts(environment),
    ];
    const answers = await Promise.all([post(text), post(text)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await interchangeRows()).toBe(rowsBefore + 1);
    const after = await intakeRowCounts(environment);
    expect(Number(after!.claims) - Number(countsBefore!.claims)).toBe(1);
    expect(Number(after!.events) - Number(countsBefore!.events)).toBe(1);
  });

  it('the same request with its Idempotency-Key replays the first answer', async () => {
    const { text } = file();
    const key = randomUUID();
    const first = await post(text, { idempotencyKey: key });
    const again = await post(text, { idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
  });
});

describe('a test interchange (ISA15 T)', () => {
  it('is answered in full with its acknowledgments and writes no claim or event', async () => {
    const { text } = file({ usage: 'T', secondClaim: true });
    const before = await intakeRowCounts(environment);
    const response = await post(text);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({
      usageIndicator: 'T',
      test: true,
      accepted: 1,
      rejected: 1,
    });
    const [accepted, rejected] = response.body.results;
    expect(accepted.status).toBe('accepted');
    expect(accepted.claimId).toBeUndefined();
    expect(rejected.errors[0]).toMatchObject({ segment: 'SV1', element: 'SV102' });
    expect(await intakeRowCounts(environment)).toEqual(before);
    const ack = await get(response.body.acknowledgments['277ca']);
    expect(ack.status).toBe(200);
    expect(ack.body).toContain('*0*T*:~'); // ISA15 of the acknowledgment is T too
    expect(ack.body).toContain('STC*A2:20*');
    expect(ack.body).not.toContain('REF*1K*'); // no claim id: nothing was stored
  });
});

describe('a bad envelope asked for as X12', () => {
  it('answers a TA1 with the note code of the fault, and writes nothing', async () => {
    const { text, controlNumber } = file();
    const before = await tableFingerprints(environment);
    const response = await post(text.replace(`IEA*1*${controlNumber}`, 'IEA*1*999999999'), {
      accept: 'application/edi-x12',
    });
    expect(response.status).toBe(400);
    expect(response.type).toBe('application/edi-x12');
    const lines = response.text.split('\n');
    expect(lines[0]).toMatch(
      /^ISA\*00\* {10}\*00\* {10}\*ZZ\*RECEIVERS\.ID {3}\*ZZ\*SUBMITTERS\.ID {2}\*\d{6}\*\d{4}\*\^\*00501\*\d{9}\*0\*P\*:~$/,
    );
    expect(lines.slice(1)).toEqual([
      `TA1*${controlNumber}*261015*1253*R*001~`,
      `IEA*0*${lines[0]!.slice(90, 99)}~`,
      '',
    ]);
    expect(await tableFingerprints(environment)).toEqual(before);
    // No ISA at all: nothing to echo, so the problem document as JSON.
    const unreadable = await post('GS*HC*X~', { accept: 'application/edi-x12' });
    expect(expectProblem(unreadable, 400).title).toBe('invalid_x12');
  });
});

describe('acknowledgments fetched later', () => {
  it('by interchange, for the submitter alone', async () => {
    const { text, controlNumber } = file({ secondClaim: true });
    const posted = await post(text, { accept: 'application/edi-x12' });
    expect(posted.status).toBe(200);
    expect(posted.type).toBe('application/edi-x12');
    const links = posted.headers.link as string;
    const interchangePath = /<([^>]+)>; rel="interchange"/.exec(links)![1]!;
    const answer = await request(app).get(interchangePath).set(bearer(provider.key));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      interchangeControlNumber: controlNumber,
      usageIndicator: 'P',
      sender: { qualifier: 'ZZ', id: 'SUBMITTERS.ID' },
      answer: { accepted: 1, rejected: 1 },
    });
    const ack999 = await get(`${interchangePath}/999`);
    expect(ack999.body).toBe(posted.text);
    const parsed999 = parseAcknowledgment(ack999.body);
    expect(parsed999.groups[0]!.sets[0]!.find((segment) => segment[0] === 'IK5')).toEqual([
      'IK5',
      'E',
      '5',
    ]);
    const ack277 = await get(`${interchangePath}/277ca`);
    const parsed277 = parseAcknowledgment(ack277.body);
    // Control numbers from one sequence: the 277CA's ISA13 follows the 999's, never reused.
    expect(Number(parsed277.isa13)).toBeGreaterThan(Number(parsed999.isa13));
    const claimId = answer.body.answer.results[0].claimId;
    expect(parsed277.groups[0]!.sets[0]!).toContainEqual(['REF', '1K', claimId]);

    const list = await request(app).get('/v1/x12/interchanges?limit=1').set(bearer(provider.key));
    expect(list.body.interchanges).toHaveLength(1);
    expect(list.body.interchanges[0].id).toBe(answer.body.id);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    const next = await request(app)
      .get(`/v1/x12/interchanges?limit=1&cursor=${list.body.nextCursor}`)
      .set(bearer(provider.key));
    expect(next.body.interchanges[0].id).not.toBe(answer.body.id);

    for (const path of [interchangePath, `${interchangePath}/999`, `${interchangePath}/277ca`]) {
      expectProblem(await request(app).get(path).set(bearer(otherProvider.key)), 404);
    }
    const others = await request(app).get('/v1/x12/interchanges').set(bearer(otherProvider.key));
    expect(others.body).toEqual({ interchanges: [], nextCursor: null });
  });
});

describe('the CLI: x12 submit --acks-out, x12 acks', () => {
  it('saves the 999 and 277CA as the API serves them; a duplicate names the first answer', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const directory = await mkdtemp(join(tmpdir(), 'claimchain-acks-'));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const path = join(directory, 'claims.837');
      await writeFile(path, file().text);
      const result = await submitX12File({ file: path, url, apiKey: provider.key });
      const interchangeId = interchangeIdOf(result)!;
      const written = await fetchAcknowledgments({
        url,
        apiKey: provider.key,
        interchangeId,
        directory,
      });
      expect(written).toEqual([
        join(directory, `999-${interchangeId}.x12`),
        join(directory, `277ca-${interchangeId}.x12`),
      ]);
      const served = await get(`/v1/x12/interchanges/${interchangeId}/277ca`);
      expect(await readFile(written[1]!, 'utf8')).toBe(served.body);
      // Sent again under another Idempotency-Key: the same interchange, a duplicate.
      const again = await submitX12File({
        file: path,
        url,
        apiKey: provider.key,
        idempotencyKey: 'other',
      });
      expect(again.status).toBe(409);
      expect(interchangeIdOf(again)).toBe(interchangeId);
      expect(describeX12Answer(again).slice(0, 2)).toEqual([
        'interchange already received (a duplicate: nothing written); the first answer:',
        `interchange ${(result.body as { interchangeControlNumber: string }).interchangeControlNumber}: 1 accepted, 0 rejected`,
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
