// Everyday service-line details (issue 10) end to end on real PostgreSQL: service periods, place
// of service, line item control numbers and anesthesia minutes through POST /v1/claims and
// POST /v1/x12/837, shown by GET /v1/claims/:id and covered by the claim's commitment; anesthesia
// priced from the payer's configuration; and the 835 of a settled claim with a service period and
// REF*6R, exact, read back by node-x12.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import { claimSubmissionSchema } from '../../src/domain/claims/schema.js';
import { canonicalJson } from '../../src/ledger/canonical.js';
import { sha256Hex } from '../../src/ledger/hash.js';
import { bearer, expectProblem, fieldsOf } from '../support/api.js';
import {
  createTestEnvironment,
  intakeRowCounts,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import { createParties, fetch835, type Parties } from '../support/settlement.js';
import { parse835, remittanceProblems } from '../support/x12.js';
import { edited, replaceSegment, sampleFile, sampleNpi } from '../interop/x12/samples.js';

let environment: TestEnvironment;
let app: ReturnType<typeof testApp>;
let parties: Parties;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  parties = await createParties(environment);
});

afterAll(async () => {
  await environment.close();
});

const member = { ...validClaim('').member, memberId: 'M-PAID' };

/** A claim of member M-PAID with a period, places of service and control numbers. */
function detailedClaim(patientControlNumber: string) {
  return validClaim(parties.payerId, {
    patientControlNumber,
    placeOfServiceCode: '11',
    member,
    serviceLines: [
      {
        procedureCode: '99213',
        units: 1,
        chargeAmount: '125.00',
        serviceDate: '2026-10-05',
        serviceDateTo: '2026-10-07',
        placeOfServiceCode: '22',
        lineControlNumber: 'LINE 0001',
        diagnosisPointers: [1],
      },
      {
        procedureCode: '80053',
        units: 1,
        chargeAmount: '48.50',
        serviceDate: '2026-10-05',
        lineControlNumber: 'L2',
      },
    ],
  });
}

async function getClaim(id: string) {
  const response = await request(app).get(`/v1/claims/${id}`).set(bearer(parties.biller));
  expect(response.status).toBe(200);
  return response.body as {
    patientControlNumber: string;
    placeOfServiceCode: string | null;
    serviceLines: Record<string, unknown>[];
    commitment: { salt: string };
  };
}

async function commitmentOf(claimId: string): Promise<string> {
  const { rows } = await environment.database.pool.query<{ payload: { claimCommitment: string } }>(
    `SELECT payload FROM ledger_events WHERE type = 'ClaimSubmitted' AND aggregate_id = $1`,
    [claimId],
  );
  return rows[0]!.payload.claimCommitment;
}

describe('POST /v1/claims with line details', () => {
  it('stores them, shows them, and commits to them', async () => {
    const body = detailedClaim('PCN 7001 A');
    const response = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const stored = await getClaim(response.body.id as string);
    expect(stored.patientControlNumber).toBe('PCN 7001 A');
    expect(stored.placeOfServiceCode).toBe('11');
    expect(stored.serviceLines).toEqual([
      {
        lineNumber: 1,
        procedureCode: '99213',
        modifiers: [],
        units: '1',
        chargeAmount: '125.00',
        serviceDate: '2026-10-05',
        serviceDateTo: '2026-10-07',
        placeOfServiceCode: '22',
        lineControlNumber: 'LINE 0001',
        unitType: 'units',
        diagnosisPointers: [1],
      },
      {
        lineNumber: 2,
        procedureCode: '80053',
        modifiers: [],
        units: '1',
        chargeAmount: '48.50',
        serviceDate: '2026-10-05',
        serviceDateTo: null,
        placeOfServiceCode: null,
        lineControlNumber: 'L2',
        unitType: 'units',
        diagnosisPointers: [1],
      },
    ]);
    const accepted = claimSubmissionSchema.parse(body);
    expect(await commitmentOf(response.body.id as string)).toBe(
      sha256Hex(stored.commitment.salt + canonicalJson(accepted)),
    );
  });

  it('reads back fractional units, modifiers and the events in ledger order, to provider and payer alike', async () => {
    const body = validClaim(parties.payerId, {
      patientControlNumber: 'PCN 7002 UNITS',
      member,
      serviceLines: [
        {
          procedureCode: '99213',
          modifiers: ['25', '59'],
          units: 1.5,
          chargeAmount: '125.00',
          serviceDate: '2026-10-06',
        },
        { procedureCode: '80053', units: 12.25, chargeAmount: '48.50', serviceDate: '2026-10-06' },
      ],
    });
    const created = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const claimId = created.body.id as string;
    const submitted = await request(app).get(`/v1/claims/${claimId}`).set(bearer(parties.biller));
    expect(submitted.body.decision).toBeNull();
    expect(submitted.body.events).toEqual([
      expect.objectContaining({ id: created.body.ledgerEventId, type: 'ClaimSubmitted' }),
    ]);
    expect(
      (submitted.body.serviceLines as { modifiers: string[]; units: string }[]).map((line) => [
        line.modifiers,
        line.units,
      ]),
    ).toEqual([
      [['25', '59'], '1.5'],
      [[], '12.25'],
    ]);

    await adjudicateClaim(environment.database, claimId);
    const { rows } = await environment.database.pool.query<{
      id: string;
      seq: string;
      type: string;
      created_at: Date;
    }>(
      'SELECT id, seq::text, type, created_at FROM ledger_events WHERE aggregate_id = $1 ORDER BY seq',
      [claimId],
    );
    expect(rows.map((row) => row.type)).toEqual(['ClaimSubmitted', 'ClaimAdjudicated']);
    const events = rows.map((row) => ({
      id: row.id,
      seq: row.seq,
      type: row.type,
      createdAt: row.created_at.toISOString(),
    }));
    const byProvider = await request(app).get(`/v1/claims/${claimId}`).set(bearer(parties.biller));
    expect(byProvider.body.events).toEqual(events);
    expect(byProvider.body.decision).toMatchObject({ decidedBy: 'auto', pendReasons: [] });
    const byPayer = await request(app)
      .get(`/v1/claims/${claimId}`)
      .set(bearer(parties.payerAdjudicator));
    expect(byPayer.status).toBe(200);
    expect(byPayer.body).toEqual(byProvider.body);
  });

  it('names every bad field at once and writes nothing', async () => {
    const before = await intakeRowCounts(environment);
    const body = detailedClaim('PCN-BAD');
    const [first, second] = body.serviceLines as Record<string, unknown>[];
    Object.assign(first!, { serviceDateTo: '2026-10-01', placeOfServiceCode: '1' });
    Object.assign(second!, { chargeAmount: '48.505', lineControlNumber: 'L*2', unitType: 'hours' });
    const response = await request(app)
      .post('/v1/claims')
      .set(bearer(parties.biller))
      .send({ ...body, frequencyCode: '7' });
    expectProblem(response, 422);
    expect(fieldsOf(response).sort()).toEqual([
      'originalClaimId',
      'serviceLines[0].placeOfServiceCode',
      'serviceLines[0].serviceDateTo',
      'serviceLines[1].chargeAmount',
      'serviceLines[1].lineControlNumber',
      'serviceLines[1].unitType',
    ]);
    expect(await intakeRowCounts(environment)).toEqual(before);
  });
});

describe('POST /v1/x12/837 with line details', () => {
  it('reads a period, SV105, REF*6R and minutes, and GET /v1/claims/:id shows them', async () => {
    const file = edited(sampleFile('commercial-health-insurance', parties.payerId), (segments) => {
      replaceSegment(
        'NM1*85*',
        `NM1*85*2*BEN KILDARE SERVICE*****XX*${parties.providerNpi}`,
      )(segments);
      replaceSegment('CLM*', 'CLM*X12 7002*100***11:B:1*Y*A*Y*I')(segments);
      replaceSegment('SV1*HC:87070', 'SV1*HC:00400*15*MJ*45*21**1')(segments);
      replaceSegment('DTP*472*D8*20261010', 'DTP*472*RD8*20261010-20261011')(segments);
      const index = segments.findIndex((segment) => segment.startsWith('DTP*472*RD8'));
      segments.splice(index + 1, 0, 'REF*6R*X12 LINE 3');
    });
    expect(file).not.toContain(sampleNpi);
    const response = await request(app)
      .post('/v1/x12/837')
      .set(bearer(parties.biller))
      .set('Content-Type', 'application/edi-x12')
      .send(file);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ accepted: 1, rejected: 0 });
    const stored = await getClaim(response.body.results[0].claimId as string);
    expect(stored.patientControlNumber).toBe('X12 7002');
    expect(stored.placeOfServiceCode).toBe('11');
    expect(
      stored.serviceLines.map((line) => [
        line.procedureCode,
        line.units,
        line.unitType,
        line.serviceDate,
        line.serviceDateTo,
        line.placeOfServiceCode,
        line.lineControlNumber,
      ]),
    ).toEqual([
      ['99213', '1', 'units', '2026-10-03', null, null, null],
      ['00400', '45', 'minutes', '2026-10-03', null, '21', null],
      ['99214', '1', 'units', '2026-10-10', '2026-10-11', null, 'X12 LINE 3'],
      ['86663', '1', 'units', '2026-10-10', null, null, null],
    ]);
  });
});

describe('anesthesia minutes priced from the payer configuration', () => {
  it('00400 with 3 base units, 60 minutes, factor 22.00: allowed 154.00', async () => {
    const admin = bearer(parties.payerAdmin);
    const csv =
      'procedure_code,modifier,allowed_amount,covered,prior_auth_required,copay_applies,anesthesia_base_units\n' +
      '00400,,0.00,true,false,false,3\n';
    const loaded = await request(app)
      .post('/v1/payer/fee-schedule/csv')
      .set(admin)
      .set('Content-Type', 'text/csv')
      .send(csv);
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    const listed = await request(app).get('/v1/payer/fee-schedule?procedureCode=00400').set(admin);
    expect(listed.body.entries).toMatchObject([{ procedureCode: '00400', anesthesiaBaseUnits: 3 }]);
    const rules = await request(app).put('/v1/payer/rules').set(admin).send({
      timelyFilingDays: 365,
      autoAdjudicationLimitAmount: '5000.00',
      pendUnknownCodes: false,
      anesthesiaConversionFactor: '22.00',
    });
    expect(rules.body).toMatchObject({ anesthesiaConversionFactor: '22.00' });

    const claim = validClaim(parties.payerId, {
      member,
      serviceLines: [
        {
          procedureCode: '00400',
          units: 60,
          unitType: 'minutes',
          chargeAmount: '200.00',
          serviceDate: '2026-09-14',
        },
      ],
    });
    const created = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(claim);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await adjudicateClaim(environment.database, created.body.id as string);
    const decided = await request(app)
      .get(`/v1/claims/${created.body.id as string}`)
      .set(bearer(parties.biller));
    // (3 + 60 / 15) × 22.00 = 154.00 allowed: CO-45 46.00; no deductible, no copay (not set for
    // 00400), coinsurance 20 % = PR-2 30.80; paid 123.20.
    expect(decided.body.decision.lines).toEqual([
      {
        lineNumber: 1,
        allowedAmount: '154.00',
        paidAmount: '123.20',
        patientResponsibilityAmount: '30.80',
        adjustments: [
          { group: 'CO', reasonCode: '45', amount: '46.00' },
          { group: 'PR', reasonCode: '2', amount: '30.80' },
        ],
        remarkCodes: [],
        adjustmentsText: 'CO-45 46.00, PR-2 30.80',
      },
    ]);
  });
});

describe('the 835 of a settled claim with a service period and line control numbers', () => {
  it('writes DTM*150/151 and REF*6R, balanced, and node-x12 reads it', async () => {
    const body = detailedClaim('PCN 7003 B');
    const created = await request(app).post('/v1/claims').set(bearer(parties.biller)).send(body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const claimId = created.body.id as string;
    const outcome = await adjudicateClaim(environment.database, claimId);
    expect(outcome.status).toBe('paid');
    // One batch: this claim and the anesthesia claim above (the others were never adjudicated).
    const run = await request(app).post('/v1/settlement/run').set(bearer(parties.payerFinance));
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const batch = (run.body.batches as { id: string }[])[0]!;
    const response = await fetch835(app, parties.providerFinance, batch.id);
    expect(response.status).toBe(200);
    const text = response.text;
    writeFileSync(join(tmpdir(), 'claimchain-service-lines.835'), text);
    // 99213: charge 125.00, allowed 100.00: CO-45 25.00, copay PR-3 25.00, coinsurance 20 % of
    // 75.00 = PR-2 15.00, paid 60.00. 80053: 48.50, allowed 40.00: CO-45 8.50, PR-2 8.00, paid
    // 32.00. Claim: 173.50 charged, 92.00 paid, 48.00 the patient's; dates 10-05 to 10-07.
    const start = text.indexOf('CLP*PCN 7003 B*');
    expect(start).toBeGreaterThan(0);
    // The claim's loop ends at the next claim's CLP or at SE: the batch may hold other claims,
    // in the order of their ids.
    const ends = [text.indexOf('\nCLP*', start), text.indexOf('\nSE*', start)];
    const claimText = text.slice(start, Math.min(...ends.filter((end) => end > 0)) + 1);
    expect(claimText).toBe(
      [
        `CLP*PCN 7003 B*1*173.5*92*48*12*${claimId}~`,
        'NM1*QC*1*DOE*JANE****MI*M-PAID~',
        'DTM*232*20261005~',
        'DTM*233*20261007~',
        'SVC*HC:99213*125*60**1~',
        'DTM*150*20261005~',
        'DTM*151*20261007~',
        'CAS*CO*45*25~',
        'CAS*PR*3*25**2*15~',
        'REF*6R*LINE 0001~',
        'SVC*HC:80053*48.5*32**1~',
        'DTM*472*20261005~',
        'CAS*CO*45*8.5~',
        'CAS*PR*2*8~',
        'REF*6R*L2~',
        '',
      ].join('\n'),
    );
    const parsed = parse835(text);
    expect(remittanceProblems(parsed)).toEqual([]);
    const claim = parsed.claims.find((each) => each.clp[7] === claimId)!;
    expect(claim.clp[1]).toBe('PCN 7003 B');
    const segments = parsed.interchange.functionalGroups[0]!.transactions[0]!.segments;
    const valuesOf = (tag: string, qualifiers: string[]) =>
      segments
        .filter((each) => each.tag === tag && qualifiers.includes(each.elements[0]!.value))
        .map((each) => each.elements.map((element) => element.value).join('*'));
    expect(valuesOf('REF', ['6R'])).toEqual(['6R*LINE 0001', '6R*L2']);
    expect(valuesOf('DTM', ['150', '151'])).toEqual(['150*20261005', '151*20261007']);
  });
});
