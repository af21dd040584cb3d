// X12 837P intake over HTTP on the real database: a file's claims go through the same intake as
// POST /v1/claims (one claim refused leaves the others accepted), a malformed envelope is refused
// whole and writes nothing, replays are idempotent, and only a provider's biller may submit.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeX12Answer, submitX12File } from '../../src/cli/x12.js';
import { createOrganization, issueApiKey } from '../../src/domain/organizations.js';
import { bearer, expectProblem, postClaim } from '../support/api.js';
import {
  createActor,
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import {
  edited,
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

function postX12(
  text: string,
  options: { key?: string; idempotencyKey?: string; contentType?: string } = {},
) {
  const call = request(app)
    .post('/v1/x12/837')
    .set(bearer(options.key ?? provider.key))
    .set('Content-Type', options.contentType ?? 'application/edi-x12');
  if (options.idempotencyKey !== undefined) call.set('Idempotency-Key', options.idempotencyKey);
  return call.send(text);
}

let nextControlNumber = 905;

/**
 * The commercial sample addressed to our payer, with CLM01 made unique and an ISA13 of its own
 * (905, 906, … in call order): the same ISA13 again would be a duplicate interchange.
 */
function commercialFile(patientControlNumber = `PCN${randomUUID().slice(0, 8)}`) {
  return withInterchangeControlNumber(
    sampleFile('commercial-health-insurance', payer.organization.id).replace(
      'CLM*26463774*',
      `CLM*${patientControlNumber}*`,
    ),
    nextControlNumber++,
  );
}

/** ISA13 of a file (the ISA is fixed-width). */
const controlNumberOf = (file: string) => file.slice(90, 99);

type Counts = Awaited<ReturnType<typeof intakeRowCounts>>;
const unchanged = async (before: Counts) =>
  expect(await intakeRowCounts(environment)).toEqual(before);

describe('POST /v1/x12/837', () => {
  it('accepts the claims of a file and refuses the bad one by segment and element', async () => {
    const before = await intakeRowCounts(environment);
    const file = withAnotherClaim(
      withAnotherClaim(commercialFile('FIRST-1'), 'BAD-2', (segments) => {
        const index = segments.findIndex((segment) => segment.startsWith('SV1*HC:87070'));
        segments[index] = 'SV1*HC:87070*-15*UN*1***1';
      }),
      'THIRD-3',
    );
    const response = await postX12(file);
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({
      interchangeControlNumber: '000000905',
      accepted: 2,
      rejected: 1,
    });
    const [first, bad, third] = response.body.results;
    expect(first).toMatchObject({
      index: 0,
      status: 'accepted',
      patientControlNumber: 'FIRST-1',
      transactionSetControlNumber: '0021',
      segmentPosition: 23,
      line: 25,
      claim: { patientControlNumber: 'FIRST-1', totalChargeAmount: '100.00', lineCount: 4 },
    });
    expect(bad).toStrictEqual({
      index: 1,
      status: 'rejected',
      patientControlNumber: 'BAD-2',
      transactionSetControlNumber: '0021',
      segmentPosition: 46,
      line: 48,
      errors: [
        {
          field: 'SV102',
          segment: 'SV1',
          element: 'SV102',
          loop: '2400',
          segmentPosition: 53,
          line: 55,
          message: 'must be a decimal string with at most 2 decimal places',
        },
      ],
    });
    expect(third).toMatchObject({ index: 2, status: 'accepted', patientControlNumber: 'THIRD-3' });

    for (const result of [first, third]) {
      const read = await request(app).get(`/v1/claims/${result.claimId}`).set(bearer(provider.key));
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id: result.claimId,
        status: 'submitted',
        providerId: provider.organization.id,
        payerId: payer.organization.id,
        patientControlNumber: result.patientControlNumber,
        member: { memberId: 'JS00111223333', lastName: 'SMITH', birthDate: '1943-05-01' },
        diagnosisCodes: ['J020', 'Z1159'],
      });
      expect(
        read.body.serviceLines.map((line: { chargeAmount: string }) => line.chargeAmount),
      ).toEqual(['40.00', '15.00', '35.00', '10.00']);
    }
    const after = await intakeRowCounts(environment);
    expect(Number(after!.claims) - Number(before!.claims)).toBe(2);
    expect(Number(after!.lines) - Number(before!.lines)).toBe(8);
    expect(Number(after!.events) - Number(before!.events)).toBe(2);
  });

  it('makes the same claim as POST /v1/claims with the same content', async () => {
    const response = await postX12(commercialFile('SAME-1'), { contentType: 'text/plain' });
    expect(response.status, response.text).toBe(200);
    const jsonClaim = (patientControlNumber: string) => ({
      payerId: payer.organization.id,
      patientControlNumber,
      frequencyCode: '1',
      placeOfServiceCode: '11', // CLM05-1
      member: {
        memberId: 'JS00111223333',
        firstName: 'JOHN',
        lastName: 'SMITH',
        birthDate: '1943-05-01',
        gender: 'M',
      },
      diagnosisCodes: ['J020', 'Z1159'],
      serviceLines: [
        {
          procedureCode: '99213',
          units: 1,
          chargeAmount: '40.00',
          serviceDate: '2026-10-03',
          diagnosisPointers: [1],
        },
        {
          procedureCode: '87070',
          units: 1,
          chargeAmount: '15.00',
          serviceDate: '2026-10-03',
          diagnosisPointers: [1],
        },
        {
          procedureCode: '99214',
          units: 1,
          chargeAmount: '35.00',
          serviceDate: '2026-10-10',
          diagnosisPointers: [2],
        },
        {
          procedureCode: '86663',
          units: 1,
          chargeAmount: '10.00',
          serviceDate: '2026-10-10',
          diagnosisPointers: [2],
        },
      ],
      totalChargeAmount: '100.00',
    });
    // The same claim as JSON is the claim already received from the file.
    const again = await postClaim(app, provider.key, jsonClaim('SAME-1'));
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ id: response.body.results[0].claimId, duplicate: true });
    // Under another control number it is a claim of its own, otherwise the same.
    const viaJson = await postClaim(app, provider.key, jsonClaim('SAME-2'));
    expect(viaJson.status, viaJson.text).toBe(201);
    const read = async (id: string) =>
      (await request(app).get(`/v1/claims/${id}`).set(bearer(provider.key))).body as Record<
        string,
        unknown
      >;
    const content = ({ id, submittedAt, events, commitment, ...rest }: Record<string, unknown>) => {
      expect([id, submittedAt, events, commitment]).not.toContain(undefined);
      return rest;
    };
    expect(content(await read(response.body.results[0].claimId))).toStrictEqual({
      ...content(await read(viaJson.body.id)),
      patientControlNumber: 'SAME-1',
    });
  });

  it('takes a replacement whose REF*F8 names the original; another provider’s claim is refused', async () => {
    const original = await postX12(commercialFile());
    const originalId = original.body.results[0].claimId as string;
    const replacementOf = (claimId: string) =>
      edited(commercialFile(), (segments) => {
        const clm = segments.findIndex((segment) => segment.startsWith('CLM*'));
        segments[clm] = segments[clm]!.replace('11:B:1', '11:B:7');
        segments.splice(clm + 1, 0, `REF*F8*${claimId}`);
      });
    const replaced = await postX12(replacementOf(originalId));
    expect(replaced.body.results[0]).toMatchObject({ status: 'accepted' });
    const read = await request(app)
      .get(`/v1/claims/${replaced.body.results[0].claimId}`)
      .set(bearer(provider.key));
    expect(read.body).toMatchObject({ frequencyCode: '7', originalClaimId: originalId });

    const before = await intakeRowCounts(environment);
    // The other provider bills under its own NPI, so only the original's owner is wrong.
    const stolenFile = replacementOf(originalId).replaceAll(
      sampleNpi,
      otherProvider.organization.npi!,
    );
    const stolen = await postX12(stolenFile, { key: otherProvider.key });
    expect(stolen.body.results[0].errors).toContainEqual({
      field: 'REF02',
      segment: 'REF',
      element: 'REF02',
      loop: '2300',
      segmentPosition: 24,
      line: 26,
      message: 'no claim of yours has this id',
    });
    await unchanged(before);
  });

  it('a billing provider (2010AA NM109) other than the submitting organization’s NPI is refused', async () => {
    const organization = await createOrganization(environment.database, {
      name: 'Another practice',
      kind: 'provider',
      npi: '9876543213',
    });
    const { key } = await issueApiKey(environment.database, {
      orgId: organization.id,
      role: 'provider_biller',
    });
    const before = await intakeRowCounts(environment);
    const response = await postX12(commercialFile(), { key });
    expect(response.body.results[0]).toMatchObject({
      status: 'rejected',
      errors: [
        {
          field: 'NM109',
          segment: 'NM1',
          loop: '2010AA',
          segmentPosition: 8,
          message:
            'is NPI 1234567893; the billing provider must be the organization submitting the file (NPI 9876543213)',
        },
      ],
    });
    await unchanged(before);
  });

  it('an unknown payer is refused as the JSON API refuses it, named at NM1 (2010BB) NM109', async () => {
    const before = await intakeRowCounts(environment);
    const file = sampleFile('commercial-health-insurance', otherProvider.organization.id)
      .replaceAll('*000000905*', '*000000001*')
      .replace('IEA*1*000000905', 'IEA*1*000000001');
    const response = await postX12(file);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(response.body.results[0].errors).toStrictEqual([
      {
        field: 'NM109',
        segment: 'NM1',
        element: 'NM109',
        loop: '2010BB',
        segmentPosition: 21,
        line: 23,
        message: 'no payer organization has this id',
      },
    ]);
    await unchanged(before);
  });
});

describe('a malformed file is refused whole and writes nothing', () => {
  it('IEA02 that is not ISA13: 400 naming it', async () => {
    const before = await intakeRowCounts(environment);
    const sent = withAnotherClaim(commercialFile(), 'OTHER-1');
    const file = sent.replace(`IEA*1*${controlNumberOf(sent)}`, 'IEA*1*999999999');
    const problem = expectProblem(await postX12(file, { idempotencyKey: randomUUID() }), 400);
    expect(problem).toMatchObject({
      title: 'invalid_x12',
      detail: `IEA02 "999999999" does not match ISA13 "${controlNumberOf(sent)}"`,
      errors: [{ field: 'IEA02', segment: 'IEA', element: 'IEA02', line: 65 }],
    });
    await unchanged(before);
  });

  it('no ISA, a wrong SE01, a wrong version, an empty body: each named', async () => {
    const before = await intakeRowCounts(environment);
    const file = commercialFile();
    const detailOf = async (text: string) => expectProblem(await postX12(text), 400).detail;
    expect(await detailOf(file.slice(file.indexOf('GS*')))).toBe(
      'the file must begin with an ISA segment (interchange control header)',
    );
    expect(await detailOf(file.replace('SE*38*', 'SE*40*'))).toBe(
      'says 40 segments; the transaction set has 38 (ST to SE, both counted)',
    );
    expect(await detailOf(file.replace('*X*005010X222A1~', '*X*005010X223A2~'))).toBe(
      'is "005010X223A2": only 005010X222A1 is read here',
    );
    expect(await detailOf('')).toBe('the body is empty: send an 837P interchange (ISA … IEA)');
    await unchanged(before);
  });
});

describe('idempotency, as on POST /v1/claims/batch', () => {
  it('the same key and file: the first answer byte for byte, nothing more written', async () => {
    const key = randomUUID();
    const file = withAnotherClaim(commercialFile(), 'ANOTHER-1', (segments) => {
      const index = segments.findIndex((segment) => segment.startsWith('NM1*PR*'));
      segments[index] = `NM1*PR*2*NOBODY*****PI*${randomUUID()}`;
    });
    const first = await postX12(file, { idempotencyKey: key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 1, rejected: 1 });
    const before = await intakeRowCounts(environment);
    const again = await Promise.all([
      postX12(file, { idempotencyKey: key }),
      postX12(file, { idempotencyKey: key, contentType: 'text/plain' }),
    ]);
    for (const response of again) {
      expect(response.status).toBe(200);
      expect(response.text).toBe(first.text);
    }
    await unchanged(before);
    const other = await postX12(commercialFile(), { idempotencyKey: key });
    expect(expectProblem(other, 409).detail).toBe(
      'this Idempotency-Key was already used with a different request',
    );
    await unchanged(before);
  });
});

describe('who may submit, and how', () => {
  it('a payer key: 403; no key: 401; JSON: 415; a file over 5 MB: 413', async () => {
    const before = await intakeRowCounts(environment);
    expectProblem(await postX12(commercialFile(), { key: payer.key }), 403);
    const anonymous = await request(app)
      .post('/v1/x12/837')
      .set('Content-Type', 'application/edi-x12')
      .send(commercialFile());
    expectProblem(anonymous, 401);
    expectProblem(await postX12('{}', { contentType: 'application/json' }), 415);
    const large = commercialFile()
      .replace('NTE', 'NTE')
      .replace(
        'REF*D9*17312345600006351~',
        `REF*D9*17312345600006351~\n${'NTE*ADD*X~\n'.repeat(500_000)}`,
      );
    expectProblem(await postX12(large), 413);
    await unchanged(before);
  });
});

describe('the CLI: x12 submit <file>', () => {
  it('sends the file with the key, prints each claim; the same file again replays', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const directory = await mkdtemp(join(tmpdir(), 'x12-'));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const file = join(directory, 'claims.837');
      const sentFile = withAnotherClaim(commercialFile('CLI-1'), 'CLI-2', (segments) => {
        const index = segments.findIndex((segment) => segment.startsWith('DTP*472'));
        segments.splice(index, 1);
      });
      await writeFile(file, sentFile);
      const first = await submitX12File({ file, url, apiKey: provider.key });
      expect(first).toMatchObject({ status: 200, ok: false });
      const lines = describeX12Answer(first);
      const claimId = (first.body as { results: { claimId?: string }[] }).results[0]!.claimId;
      expect(lines).toEqual([
        `interchange ${controlNumberOf(sentFile)}: 1 accepted, 1 rejected`,
        `accepted  CLM01 CLI-1 (ST 0021, line 25)  claim ${claimId}`,
        'rejected  CLM01 CLI-2 (ST 0021, line 48)',
        '  DTP, loop 2400, segment 49, line 51: DTP*472 (date of service) is required in loop 2400',
      ]);
      const before = await intakeRowCounts(environment);
      const again = await submitX12File({ file, url, apiKey: provider.key });
      expect(describeX12Answer(again)).toEqual(lines);
      await unchanged(before);

      const sent = commercialFile();
      const isa13 = controlNumberOf(sent);
      await writeFile(file, sent.replace(`IEA*1*${isa13}`, 'IEA*1*999999999'));
      const refused = await submitX12File({ file, url, apiKey: provider.key });
      expect(describeX12Answer(refused)).toEqual([
        `file refused (400 invalid_x12): IEA02 "999999999" does not match ISA13 "${isa13}"`,
        `  IEA IEA02, line 42: IEA02 "999999999" does not match ISA13 "${isa13}"`,
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
