// Fuzzing every route on the real database: hostile text, dates, numbers, cursors, bodies and
// path segments, sent by a principal allowed to call the route, never get a 5xx, and a request
// refused with a 4xx changes no row of any table. The route table must name every route the
// app registers, so a new route without fuzz coverage fails here.
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/api.js';
import { registeredRoutes } from '../support/routes.js';
import {
  createTestEnvironment,
  tableFingerprints,
  testApp,
  validClaim,
  type TestEnvironment,
} from '../support/environment.js';
import {
  cursorOf,
  encoded,
  encodeHostile,
  hostileCursor,
  hostileNumberText,
  hostileText,
  hostileTimestamp,
  hostileValue,
  idOr,
  mutated,
  NUMBER_KILLERS,
  PATH_KILLERS,
  queryOf,
  TIMESTAMP_KILLERS,
  timestampCursorKillers,
  withEachLeafKilled,
} from '../support/fuzz.js';
import {
  createFuzzFixture,
  memberTemplate,
  planTemplate,
  withFreshControlNumber,
  type Caller,
  type Fixture,
} from '../support/fuzz-fixture.js';
import { sampleFhirClaim } from '../interop/fhir/samples.js';
import { edited, sampleFile } from '../interop/x12/samples.js';

// A fixed seed, so that a failure is found again; FUZZ_SEED=<n> and FUZZ_SCALE=<k> (k times the
// random runs) explore further by hand.
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

let environment: TestEnvironment;
let app: Express;
let fixture: Fixture;

beforeAll(async () => {
  environment = await createTestEnvironment();
  app = testApp(environment);
  fixture = await createFuzzFixture(environment, app);
});

afterAll(async () => {
  await environment.close();
});

/** A claim with every optional line detail, so that the fuzzer mutates each of them too. */
function claimWithLineDetails(payerId: string) {
  return validClaim(payerId, {
    placeOfServiceCode: '11',
    serviceLines: [
      {
        procedureCode: '99213',
        units: 1,
        chargeAmount: '125.00',
        serviceDate: '2026-11-02',
        serviceDateTo: '2026-11-03',
        placeOfServiceCode: '22',
        lineControlNumber: 'LINE 1',
        diagnosisPointers: [1],
      },
      {
        procedureCode: '00400',
        units: 60,
        unitType: 'minutes',
        chargeAmount: '200.00',
        serviceDate: '2026-11-02',
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------
// The route table.

type Body = { json: unknown } | { text: string; contentType: string };

/** A query parameter: hostile values at random, and the killers (raw) each tried once. */
interface QueryField {
  values: fc.Arbitrary<string>;
  killers: readonly string[];
}

interface RouteFuzz {
  /** "METHOD /path/:param", as the app registers it. */
  route: string;
  as: Caller;
  /** Each path parameter's real value; hostile ones are generated around it. */
  params?: (fixture: Fixture) => Record<string, string>;
  query?: Record<string, QueryField>;
  /** A valid JSON body, made hostile in places. */
  template?: (fixture: Fixture) => unknown;
  /** A text body (X12, CSV): hostile variants at random, and the cases each tried once. */
  text?: (fixture: Fixture) => TextFuzz;
  /** Idempotency-Key values for the submission routes. */
  idempotent?: boolean;
}

interface TextFuzz {
  contentType: string;
  valid: string;
  variants: fc.Arbitrary<string>;
  cases: string[];
}

const limitField: QueryField = { values: hostileNumberText, killers: NUMBER_KILLERS };
const timestampField: QueryField = { values: hostileTimestamp, killers: TIMESTAMP_KILLERS };
const cursorField = (timeKey: string): QueryField => ({
  values: hostileCursor,
  killers: timestampCursorKillers(timeKey),
});
const textField = (valid: string): QueryField => ({
  values: fc.oneof(fc.constant(valid), hostileText),
  killers: ['\u0000', 'A'.repeat(1_000)],
});

const ROUTES: RouteFuzz[] = [
  { route: 'GET /health', as: 'nobody' },
  { route: 'GET /healthz', as: 'nobody' },
  { route: 'GET /readyz', as: 'nobody' },
  { route: 'GET /metrics', as: 'nobody' },
  { route: 'GET /openapi.json', as: 'nobody' },
  { route: 'GET /docs', as: 'nobody' },
  ...claimRoutes(),
  ...ledgerRoutes(),
  ...settlementRoutes(),
  ...organizationRoutes(),
  ...payerRoutes(),
  ...feeScheduleRoutes(),
  ...inquiryRoutes(),
];

function claimRoutes(): RouteFuzz[] {
  const claimId = (fixture: Fixture) => ({ id: fixture.claimId });
  return [
    {
      route: 'POST /v1/claims',
      as: 'biller',
      template: (fixture) => claimWithLineDetails(fixture.payerId),
      idempotent: true,
    },
    {
      route: 'POST /v1/claims/batch',
      as: 'biller',
      template: (fixture) => ({ claims: [validClaim(fixture.payerId)] }),
      idempotent: true,
    },
    {
      route: 'POST /v1/fhir/Claim',
      as: 'biller',
      template: (fixture) => sampleFhirClaim(fixture.payerId),
      idempotent: true,
    },
    { route: 'POST /v1/x12/837', as: 'biller', text: x12Fuzz, idempotent: true },
    {
      route: 'GET /v1/x12/interchanges',
      as: 'biller',
      query: { limit: limitField, cursor: cursorField('receivedAt') },
    },
    ...['', '/999', '/277ca'].map((tail): RouteFuzz => ({
      route: `GET /v1/x12/interchanges/:id${tail}`,
      as: 'biller',
      params: (fixture) => ({ id: fixture.interchangeId }),
    })),
    {
      route: 'GET /v1/claims',
      as: 'payerAdjudicator',
      query: {
        status: textField('pended'),
        patientControlNumber: textField('PCN-1'),
        submittedFrom: timestampField,
        submittedTo: timestampField,
        limit: limitField,
        cursor: cursorField('submittedAt'),
      },
    },
    {
      route: 'GET /v1/stats/claims',
      as: 'payerAdjudicator',
      query: { from: timestampField, to: timestampField },
    },
    { route: 'GET /v1/claims/:id', as: 'biller', params: claimId },
    { route: 'GET /v1/fhir/Claim/:id', as: 'biller', params: claimId },
    { route: 'GET /v1/fhir/ClaimResponse/:id', as: 'payerAdjudicator', params: claimId },
    { route: 'GET /v1/fhir/ExplanationOfBenefit/:id', as: 'biller', params: claimId },
    { route: 'GET /v1/review-queue', as: 'payerAdjudicator', query: { limit: limitField } },
    { route: 'GET /v1/operations/adjudication-failures', as: 'operatorAdmin' },
    {
      route: 'POST /v1/claims/:id/decision',
      as: 'payerAdjudicator',
      params: (fixture) => ({ id: fixture.pendedClaimId }),
      template: () => ({
        note: 'Reviewed: the code is covered under the plan',
        lines: [
          {
            lineNumber: 1,
            adjustments: [{ group: 'CO', reasonCode: '45', amount: '10.00' }],
            remarkCodes: ['N130'],
          },
        ],
      }),
    },
  ];
}

function ledgerRoutes(): RouteFuzz[] {
  return [
    { route: 'GET /v1/ledger/head', as: 'operatorAuditor' },
    {
      route: 'GET /v1/ledger/blocks',
      as: 'operatorAuditor',
      query: { afterHeight: limitField, limit: limitField },
    },
    {
      route: 'GET /v1/ledger/blocks/:height',
      as: 'operatorAuditor',
      params: () => ({ height: '1' }),
    },
    {
      route: 'GET /v1/ledger/blocks/:height/events',
      as: 'operatorAuditor',
      params: () => ({ height: '1' }),
      query: { afterSeq: limitField, limit: limitField },
    },
    {
      route: 'GET /v1/ledger/events/:id/proof',
      as: 'operatorAuditor',
      params: (fixture) => ({ id: fixture.eventId }),
      query: { treeSize: limitField },
    },
    {
      route: 'GET /v1/ledger/consistency',
      as: 'biller',
      query: { from: limitField, to: limitField },
    },
    { route: 'GET /v1/ledger/checkpoint', as: 'payerFinance' },
    {
      route: 'GET /v1/ledger/checkpoints',
      as: 'providerFinance',
      query: { beforeSize: limitField, limit: limitField },
    },
    {
      route: 'POST /v1/ledger/checkpoints/:size/cosignatures',
      as: 'biller',
      params: () => ({ size: '1' }),
      template: () => ({ cosignature: `\u2014 witness.test/w1 ${'A'.repeat(96)}\n` }),
    },
    { route: 'GET /v1/ledger/witnesses', as: 'operatorAuditor' },
    { route: 'GET /v1/ledger/tile/*tile', as: 'biller', params: () => ({ tile: '0/000.p/1' }) },
    {
      route: 'GET /v1/ledger/entries',
      as: 'biller',
      query: { start: limitField, limit: limitField },
    },
    { route: 'GET /v1/balances', as: 'payerFinance', query: { asOfHeight: limitField } },
  ];
}

function settlementRoutes(): RouteFuzz[] {
  const batchId = (fixture: Fixture) => ({ id: fixture.batchId });
  return [
    { route: 'POST /v1/settlement/run', as: 'payerFinance' },
    { route: 'GET /v1/settlement/schedule', as: 'payerFinance' },
    {
      route: 'PUT /v1/settlement/schedule',
      as: 'payerFinance',
      template: () => ({ intervalMinutes: 60 }),
    },
    {
      route: 'GET /v1/settlement/batches',
      as: 'payerFinance',
      query: { status: textField('issued'), limit: limitField, cursor: cursorField('createdAt') },
    },
    { route: 'GET /v1/settlement/batches/:id', as: 'payerFinance', params: batchId },
    { route: 'GET /v1/settlement/batches/:id/835', as: 'providerFinance', params: batchId },
    { route: 'GET /v1/fhir/PaymentReconciliation/:id', as: 'payerFinance', params: batchId },
    {
      route: 'POST /v1/settlement/batches/:id/confirmation',
      as: 'payerFinance',
      params: batchId,
      template: () => ({ traceNumber: 'TRN-1001', amount: '1.00', paidDate: '2026-11-20' }),
    },
    {
      route: 'POST /v1/settlement/batches/:id/reopen',
      as: 'payerFinance',
      params: batchId,
      template: () => ({ reason: 'payment_returned' }),
    },
    {
      route: 'POST /v1/reconciliation/runs',
      as: 'payerFinance',
      template: () => ({ mode: 'full' }),
    },
    {
      route: 'GET /v1/reconciliation/runs',
      as: 'operatorAuditor',
      query: { limit: limitField, cursor: cursorField('startedAt') },
    },
    {
      route: 'GET /v1/reconciliation/runs/:id',
      as: 'payerFinance',
      params: (fixture) => ({ id: fixture.runId }),
    },
  ];
}

function organizationRoutes(): RouteFuzz[] {
  return [
    {
      route: 'POST /v1/organizations',
      as: 'operatorAdmin',
      template: () => ({ name: 'Fuzz Family Clinic', kind: 'provider', npi: '1234567893' }),
    },
    { route: 'GET /v1/organizations', as: 'biller', query: { kind: textField('payer') } },
    { route: 'GET /v1/organizations/me', as: 'biller' },
    {
      route: 'PUT /v1/organizations/:id/profile',
      as: 'operatorAdmin',
      params: (fixture) => ({ id: fixture.payerId }),
      template: () => ({
        address: {
          line1: '100 Insurance Way',
          city: 'Hartford',
          stateCode: 'CT',
          postalCode: '06101',
        },
        taxId: '06-1234567',
        businessContact: { name: 'Provider Services', phone: '800-555-0100' },
        technicalContact: { name: 'EDI Support', email: 'edi@acme.example' },
      }),
    },
    {
      route: 'PUT /v1/organizations/:id/identifiers',
      as: 'operatorAdmin',
      params: (fixture) => ({ id: fixture.payerId }),
      template: () => ({ payerId: '60054', interchange: { qualifier: 'ZZ', id: 'FUZZPAYER' } }),
    },
    { route: 'GET /v1/organizations/me/clearinghouses', as: 'providerAdmin' },
    {
      route: 'POST /v1/organizations/me/clearinghouses/:id',
      as: 'providerAdmin',
      params: (fixture) => ({ id: fixture.clearinghouseId }),
    },
    {
      route: 'DELETE /v1/organizations/me/clearinghouses/:id',
      as: 'providerAdmin',
      params: (fixture) => ({ id: fixture.clearinghouseId }),
    },
    {
      route: 'POST /v1/api-keys',
      as: 'operatorAdmin',
      template: (fixture) => ({ orgId: fixture.providerId, role: 'auditor', label: 'fuzzed key' }),
    },
    {
      route: 'DELETE /v1/api-keys/:id',
      as: 'operatorAdmin',
      params: (fixture) => ({ id: fixture.spareKeyId }),
    },
  ];
}

function payerRoutes(): RouteFuzz[] {
  const planId = (fixture: Fixture) => ({ id: fixture.planId });
  const memberId = (fixture: Fixture) => ({ id: fixture.memberId });
  const coverage = (fixture: Fixture) => ({
    planId: fixture.planId,
    effectiveFrom: '2027-01-01',
    effectiveTo: '2027-12-31',
  });
  return [
    {
      route: 'PUT /v1/payer/rules',
      as: 'payerAdmin',
      template: () => ({
        timelyFilingDays: 365,
        autoAdjudicationLimitAmount: '5000.00',
        pendUnknownCodes: true,
        anesthesiaConversionFactor: '22.00',
      }),
    },
    { route: 'GET /v1/payer/rules', as: 'payerAdjudicator' },
    { route: 'POST /v1/payer/plans', as: 'payerAdmin', template: () => planTemplate },
    {
      route: 'PUT /v1/payer/plans/:id',
      as: 'payerAdmin',
      params: planId,
      template: () => planTemplate,
    },
    { route: 'GET /v1/payer/plans', as: 'payerAdjudicator' },
    { route: 'GET /v1/payer/plans/:id', as: 'payerAdjudicator', params: planId },
    { route: 'POST /v1/payer/members', as: 'payerAdmin', template: () => memberTemplate },
    { route: 'GET /v1/payer/members/:id', as: 'payerAdjudicator', params: memberId },
    {
      route: 'POST /v1/payer/members/:id/coverages',
      as: 'payerAdmin',
      params: memberId,
      template: coverage,
    },
    { route: 'GET /v1/payer/members/:id/coverages', as: 'payerAdjudicator', params: memberId },
    {
      route: 'PUT /v1/payer/coverages/:id',
      as: 'payerAdmin',
      params: (fixture) => ({ id: fixture.coverageId }),
      template: coverage,
    },
    {
      route: 'POST /v1/payer/prior-authorizations',
      as: 'payerAdmin',
      template: (fixture) => ({
        memberId: fixture.memberId,
        providerId: fixture.providerId,
        procedureCode: '99213',
        unitsAuthorized: 2,
        validFrom: '2026-01-01',
        validTo: '2026-12-31',
      }),
    },
    {
      route: 'GET /v1/payer/members/:id/prior-authorizations',
      as: 'payerAdjudicator',
      params: memberId,
    },
  ];
}

function feeScheduleRoutes(): RouteFuzz[] {
  return [
    {
      route: 'PUT /v1/payer/fee-schedule/entries',
      as: 'payerAdmin',
      template: () => ({
        entries: [
          {
            procedureCode: '99213',
            modifier: '25',
            allowedAmount: '95.00',
            covered: true,
            priorAuthRequired: false,
            copayApplies: true,
            anesthesiaBaseUnits: 3,
          },
        ],
      }),
    },
    { route: 'POST /v1/payer/fee-schedule/csv', as: 'payerAdmin', text: csvFuzz },
    {
      route: 'GET /v1/payer/fee-schedule',
      as: 'payerAdjudicator',
      query: {
        procedureCode: textField('99213'),
        limit: limitField,
        cursor: {
          values: hostileCursor,
          killers: [
            cursorOf({ procedureCode: '9\u00009213', modifier: '' }),
            cursorOf({ procedureCode: '99213', modifier: '\u0000' }),
            cursorOf({ procedureCode: 99213, modifier: null }),
          ],
        },
      },
    },
  ];
}

function inquiryRoutes(): RouteFuzz[] {
  return [
    {
      route: 'GET /v1/eligibility',
      as: 'biller',
      query: {
        payerId: textField('8f2b7c3e-1d4a-4e5b-9c6d-7e8f9a0b1c2d'),
        memberId: textField('FUZZ-1'),
        date: textField('2026-06-15'),
        procedureCode: textField('99213,27447'),
      },
    },
    { route: 'POST /v1/x12/270', as: 'biller', text: x12EligibilityFuzz },
    { route: 'POST /v1/x12/276', as: 'biller', text: x12ClaimStatusFuzz },
    {
      route: 'GET /v1/claim-status',
      as: 'biller',
      query: {
        payerId: textField('8f2b7c3e-1d4a-4e5b-9c6d-7e8f9a0b1c2d'),
        patientControlNumber: textField('PCN-1'),
        serviceDate: textField('2026-11-02'),
      },
    },
    {
      route: 'POST /v1/fhir/CoverageEligibilityRequest',
      as: 'biller',
      template: (fixture) => ({
        resourceType: 'CoverageEligibilityRequest',
        status: 'active',
        purpose: ['benefits'],
        patient: { reference: '#p' },
        servicedDate: '2026-06-15',
        created: '2026-06-15',
        insurer: { reference: `Organization/${fixture.payerId}` },
        contained: [{ resourceType: 'Patient', id: 'p', identifier: [{ value: 'FUZZ-1' }] }],
        item: [
          {
            productOrService: {
              coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }],
            },
          },
        ],
      }),
    },
  ];
}

/** The guide's 270 (stupidedi's copy) asking the fixture's payer, one element made hostile. */
function x12EligibilityFuzz(fixture: Fixture): TextFuzz {
  const file = readFileSync(
    new URL(
      '../fixtures/x12/270-generic-request-by-clinic-for-patient-subscriber.x12',
      import.meta.url,
    ),
    'utf8',
  )
    .replace('PI*842610001', `PI*${fixture.payerId}`)
    .replace('MI*11122333301', 'MI*FUZZ-1')
    .replaceAll('~', '~\n');
  return inquiryFileFuzz(file, [
    ['NM1*IL', 9, 'FUZZ\u00001'],
    ['NM1*IL', 3, 'SMI*TH'],
    ['NM1*PR', 9, '\u0000'],
    ['DTP*291', 3, '20260230'],
    ['EQ*', 2, 'HC:9\u00009213'],
    ['GS*', 2, ''],
    ['HL*3', 3, '99'],
    ['TRN*', 2, 'ÿ'.repeat(100)],
  ]);
}

/**
 * The guide's 276 (stupidedi's copy) asking the fixture's payer, its providers named by tax id
 * (no NPI to match the biller's), one element made hostile.
 */
function x12ClaimStatusFuzz(fixture: Fixture): TextFuzz {
  const file = readFileSync(
    new URL('../fixtures/x12/276-claim-request.x12', import.meta.url),
    'utf8',
  )
    .replace('PI*12345', `PI*${fixture.payerId}`)
    .replaceAll(/\*XX\*16666666\d\d/g, '*FI*999999999')
    .replaceAll('~', '~\n');
  return inquiryFileFuzz(file, [
    ['REF*EJ', 2, 'PCN\u00001'],
    ['AMT*T3', 2, '1e400'],
    ['DTP*472', 3, '20260230-20260101'],
    ['NM1*PR', 9, '\u0000'],
    ['NM1*1P', 9, '1'.repeat(1_000)],
    ['TRN*1', 2, 'ÿ'.repeat(100)],
    ['HL*4', 3, '23'],
    ['BHT*', 3, ''],
  ]);
}

/** The 837P sample with one element of one segment made hostile (SE01 kept right). */
function x12Fuzz(fixture: Fixture): TextFuzz {
  const file = sampleFile('commercial-health-insurance', fixture.payerId);
  const segmentCount = file.split('~\n').length - 1;
  const edit = fc.record({
    segment: fc.integer({ min: 3, max: segmentCount - 4 }),
    element: fc.integer({ min: 1, max: 9 }),
    value: hostileText,
  });
  const caseOf = (prefix: string, element: number, value: string) =>
    editedElement(file, { segment: segmentIndexOf(file, prefix), element, value });
  return {
    contentType: 'application/edi-x12',
    valid: file,
    variants: fc.oneof(
      {
        weight: 5,
        arbitrary: edit.map((change) => withFreshControlNumber(editedElement(file, change))),
      },
      { weight: 1, arbitrary: hostileText },
    ),
    cases: [
      caseOf('NM1*IL', 3, 'SMI\u0000TH'),
      caseOf('NM1*IL', 4, 'JO\u001b[31mHN'),
      caseOf('NM1*IL', 9, 'JS\u0000001'),
      caseOf('CLM*', 1, 'PCN\u0000'),
      caseOf('DMG*', 2, '00000101'),
      caseOf('DTP*472', 3, '20260230'),
      caseOf('SV1*', 2, '1e10'),
    ],
  };
}

/** An inquiry file (one segment a line) with one element of one segment made hostile. */
function inquiryFileFuzz(
  file: string,
  cases: [prefix: string, element: number, value: string][],
): TextFuzz {
  const segmentCount = file.split('~\n').length - 1;
  const edit = fc.record({
    segment: fc.integer({ min: 0, max: segmentCount - 1 }),
    element: fc.integer({ min: 1, max: 9 }),
    value: hostileText,
  });
  return {
    contentType: 'application/edi-x12',
    valid: file,
    variants: fc.oneof(
      { weight: 5, arbitrary: edit.map((change) => editedElement(file, change)) },
      { weight: 1, arbitrary: hostileText },
    ),
    cases: cases.map(([prefix, element, value]) =>
      editedElement(file, { segment: segmentIndexOf(file, prefix), element, value }),
    ),
  };
}

function segmentIndexOf(file: string, prefix: string): number {
  return file.split('~\n').findIndex((segment) => segment.startsWith(prefix));
}

function editedElement(
  file: string,
  change: { segment: number; element: number; value: string },
): string {
  return edited(file, (segments) => {
    const elements = segments[change.segment]!.split('*');
    while (elements.length <= change.element) elements.push('');
    elements[change.element] = change.value;
    segments[change.segment] = elements.join('*');
  });
}

/** A fee schedule CSV with one cell made hostile, quoted or not. */
function csvFuzz(): TextFuzz {
  const header = 'procedure_code,modifier,allowed_amount,covered,prior_auth_required,copay_applies';
  const cells = ['99213', '25', '95.00', 'true', 'false', 'yes'];
  const fileWith = (column: number, value: string, quoted: boolean) => {
    const row = [...cells];
    row[column] = quoted ? `"${value.replaceAll('"', '""')}"` : value;
    return `${header}\r\n${row.join(',')}\r\n`;
  };
  return {
    contentType: 'text/csv',
    valid: fileWith(0, cells[0]!, false),
    variants: fc
      .record({
        column: fc.nat({ max: cells.length - 1 }),
        value: hostileText,
        quoted: fc.boolean(),
      })
      .map(({ column, value, quoted }) => fileWith(column, value, quoted)),
    cases: cells.map((_, column) => fileWith(column, '9\u0000', false)),
  };
}

// ---------------------------------------------------------------------------------------
// Sending and checking.

interface FuzzRequest {
  path: string;
  body?: Body | undefined;
  idempotencyKey?: string | undefined;
}

// Mostly none or a good one: a bad key is refused before the body is read.
const idempotencyKey = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom(' ', 'ÿ', 'k'.repeat(300), 'key\twith tab') },
);

/** Requests per route at random, besides its systematic cases: some 700 requests in all. */
function runsOf(entry: RouteFuzz): number {
  if (entry.template || entry.text || entry.query) return 10;
  if (entry.params) return 4;
  return 1;
}

const mapValues = <In, Out>(record: Record<string, In>, map: (value: In) => Out) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));

function pathOf(entry: RouteFuzz, params: Record<string, string>, query = ''): string {
  const pattern = entry.route.split(' ')[1]!;
  const path = pattern.replace(/[:*](\w+)/g, (_, name: string) => params[name]!);
  return query ? `${path}?${query}` : path;
}

function bodyOf(entry: RouteFuzz): fc.Arbitrary<Body | undefined> {
  if (entry.template) {
    const template = entry.template(fixture);
    return fc
      .oneof({ weight: 6, arbitrary: mutated(template) }, { weight: 1, arbitrary: hostileValue })
      .map((json) => ({ json }));
  }
  if (entry.text) {
    const { contentType, variants } = entry.text(fixture);
    return variants.map((text) => ({ text, contentType }));
  }
  return fc.constant(undefined);
}

function requestOf(entry: RouteFuzz): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      params: fc.record(mapValues(entry.params?.(fixture) ?? {}, idOr)),
      query: entry.query
        ? queryOf(mapValues(entry.query, (field) => encoded(field.values)))
        : fc.constant(''),
      body: bodyOf(entry),
      idempotencyKey: entry.idempotent ? idempotencyKey : fc.constant(undefined),
    })
    .map(({ params, query, body, idempotencyKey: key }) => ({
      path: pathOf(entry, params, query),
      body,
      idempotencyKey: key,
    }));
}

/** One request per killer value in each place of the route: path, query and body. */
function casesOf(entry: RouteFuzz): FuzzRequest[] {
  const params = entry.params?.(fixture) ?? {};
  const template = entry.template?.(fixture);
  const text = entry.text?.(fixture);
  const body: Body | undefined =
    template !== undefined
      ? { json: template }
      : text && { text: text.valid, contentType: text.contentType };
  const at = (path: string, changed: Body | undefined = body) => ({ path, body: changed });
  return [
    ...Object.keys(params).flatMap((name) =>
      PATH_KILLERS.map((killer) => at(pathOf(entry, { ...params, [name]: killer }))),
    ),
    ...Object.entries(entry.query ?? {}).flatMap(([name, field]) =>
      field.killers.map((killer) => at(pathOf(entry, params, `${name}=${encodeHostile(killer)}`))),
    ),
    ...(template === undefined ? [] : withEachLeafKilled(template)).map((json) =>
      at(pathOf(entry, params), { json }),
    ),
    ...(text?.cases ?? []).map((file) =>
      at(pathOf(entry, params), { text: file, contentType: text!.contentType }),
    ),
  ];
}

function send(entry: RouteFuzz, fuzzed: FuzzRequest): Promise<Response> {
  const method = entry.route.split(' ')[0]!.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  let call = request(app)[method](fuzzed.path);
  if (entry.as !== 'nobody') call = call.set(bearer(fixture.keys[entry.as]));
  if (fuzzed.idempotencyKey !== undefined)
    call = call.set('Idempotency-Key', fuzzed.idempotencyKey);
  if (fuzzed.body === undefined) return call;
  if ('text' in fuzzed.body) {
    return call.set('Content-Type', fuzzed.body.contentType).send(fuzzed.body.text);
  }
  // Serialized here: supertest would send a bare string as a form, not as JSON.
  const text = JSON.stringify(fuzzed.body.json) ?? 'null';
  return call.set('Content-Type', 'application/json').send(text);
}

function described(entry: RouteFuzz, fuzzed: FuzzRequest, response: Response): string {
  const body = fuzzed.body === undefined ? '' : JSON.stringify(fuzzed.body).slice(0, 400);
  // A binary answer (a tile) has no text: name its type instead.
  const answer = (response.text as string | undefined) ?? `<${String(response.type)}>`;
  return `${entry.route} as ${entry.as}: ${fuzzed.path.slice(0, 300)} ${body} → ${response.status} ${answer.slice(0, 300)}`;
}

describe('fuzzing every route', () => {
  it('covers every route the app registers', () => {
    const covered = ROUTES.map((entry) => entry.route).sort();
    expect(covered).toEqual([...new Set(covered)]);
    expect(covered).toEqual(registeredRoutes(app).sort());
  });

  it.each(ROUTES.map((entry) => [entry.route, entry] as const))(
    '%s: never a 5xx; a refusal writes nothing',
    async (_route, entry) => {
      const cases = casesOf(entry);
      await fc.assert(
        fc.asyncProperty(requestOf(entry), async (fuzzed) => {
          const before = await tableFingerprints(environment);
          const response = await send(entry, fuzzed);
          expect(response.status, described(entry, fuzzed, response)).toBeLessThan(500);
          if (response.status >= 400) {
            expect(
              await tableFingerprints(environment),
              described(entry, fuzzed, response),
            ).toEqual(before);
          }
        }),
        {
          // The examples count towards numRuns: they come first, then the random runs.
          numRuns: cases.length + runsOf(entry) * SCALE,
          examples: cases.map((fuzzed) => [fuzzed]),
          seed: SEED,
          endOnFailure: true,
        },
      );
    },
  );
});
