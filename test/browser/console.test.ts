// The console end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against the real API on a fresh database: each role signs in and does its
// work through the page; adjudication, sealing and the first settlement's inputs are run
// directly where a worker would. A wrong key and a wrong role are refused in the page with the
// API's own words. Screenshots of every page go to artifacts/screenshots/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIRECTORY } from '../../src/api/console.js';
import { adjudicateClaim } from '../../src/domain/adjudication/service.js';
import {
  organizationProfileSchema,
  setOrganizationProfile,
} from '../../src/domain/organization-profile.js';
import { sealPending } from '../../src/ledger/seal.js';
import {
  createActor,
  createTestEnvironment,
  testApp,
  validClaim,
  type Actor,
  type TestEnvironment,
} from '../support/environment.js';
import { sampleFile, sampleNpi, withInterchangeControlNumber } from '../interop/x12/samples.js';
import { configureStandardPayer, keyOf, PAYER_REMITTANCE_PROFILE } from '../support/settlement.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

let environment: TestEnvironment;
let server: Server;
let baseUrl: string;
let browser: Browser;
let provider: Actor;
let payer: Actor;
let payerFinance: string;
let providerFinance: string;
/** What went wrong inside the page itself; each test ends with none. */
const pageProblems: string[] = [];

beforeAll(async () => {
  // `npm test` builds the console first (pretest); a single-file run builds it here if missing.
  if (!existsSync(`${CONSOLE_DIRECTORY}/index.html`)) {
    execFileSync('npm', ['run', 'build:console', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  environment = await createTestEnvironment();
  provider = await createActor(
    environment,
    'provider',
    'provider_biller',
    'Lakeside Clinic',
    sampleNpi,
  );
  payer = await createActor(environment, 'payer', 'payer_adjudicator', 'Acme Health Plan');
  const payerId = payer.organization.id;
  await configureStandardPayer(environment, payerId);
  await setOrganizationProfile(
    environment.database,
    undefined,
    payerId,
    organizationProfileSchema.parse(PAYER_REMITTANCE_PROFILE),
  );
  payerFinance = await keyOf(environment, payerId, 'finance');
  providerFinance = await keyOf(environment, provider.organization.id, 'finance');
  server = testApp(environment).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterEach(() => {
  expect(pageProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await environment?.close();
});

async function openPage(width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  // Everything the page loads must come from our server; no script error, no policy violation.
  page.on('request', (request) => {
    if (!request.url().startsWith(baseUrl) && !request.url().startsWith('blob:')) {
      pageProblems.push(`loaded ${request.url()} from elsewhere`);
    }
  });
  page.on('pageerror', (error) => pageProblems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) {
      pageProblems.push(`policy: ${message.text()}`);
    }
  });
  await page.goto(`${baseUrl}/`);
  return page;
}

/** Signs in with the keyboard alone: Tab past the skip link to the key, type it, Enter. */
async function signIn(page: Page, key: string): Promise<void> {
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect
    .poll(() => inPage(page, "document.activeElement?.getAttribute('name')"))
    .toBe('apiKey');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** An expression evaluated in the page (this file is type-checked without the DOM library). */
function inPage(page: Page, expression: string): Promise<unknown> {
  return page.evaluate(expression);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

async function visit(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function apiStatus(key: string, path: string): Promise<{ status: number; detail: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  const body = (await response.json()) as { detail: string };
  return { status: response.status, detail: body.detail };
}

describe('the console in Chromium', () => {
  it('serves the page and its assets from this server only, under a content security policy', async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('refuses a wrong key in the page as the API does', async () => {
    const page = await openPage();
    const api = await apiStatus('cc_wrong_key', '/v1/organizations/me');
    expect(api.status).toBe(401);
    await page.getByLabel('API key').fill('cc_wrong_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain(api.detail);
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);
    await shot(page, '01-sign-in-refused');
    await page.context().close();
  });

  it('lets a billing office submit, upload, search and read claims, and refuses it the review queue', async () => {
    const page = await openPage();
    await signIn(page, provider.key);
    await page.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    expect(await inPage(page, 'Object.keys(sessionStorage)')).toEqual(['claimchain.apiKey']);
    expect(await inPage(page, 'localStorage.length')).toBe(0);

    // A claim with faulty fields: each one the API names is marked beside its control.
    await visit(page, '#/submit', 'Submit a claim');
    await page.getByLabel('Member id').fill('M-PAID');
    await page.getByLabel('Member first name').fill('Jane');
    await page.getByLabel('Member last name').fill('Doe');
    await page.getByLabel('Member birth date').fill('1980-02-29');
    await page.getByLabel('Diagnosis codes (comma separated)').fill('E11.9');
    await page.getByLabel('Charge').fill('12.345');
    await page.getByRole('button', { name: 'Submit claim' }).click();
    await page.getByRole('alert').waitFor();
    const invalidControls = await page.locator('[aria-invalid="true"]').all();
    const invalid = await Promise.all(
      invalidControls.map((control) => control.getAttribute('name')),
    );
    expect(invalid).toEqual(['patientControlNumber', 'serviceLines[0].chargeAmount']);
    expect(await page.locator('.field-error').first().textContent()).toMatch(
      /printable characters/,
    );
    await shot(page, '02-submit-claim-refused');
    expect(await pendedOrClaimCount()).toBe(0);

    await page.getByLabel('Patient control number').first().fill('PCN-FORM-1');
    await page.getByLabel('Charge').fill('125.00');
    await page.getByRole('button', { name: 'Submit claim' }).click();
    await page.getByText('Claim accepted').waitFor();
    await shot(page, '03-submit-claim-accepted');
    const formClaimId = (await page.getByRole('link', { name: /^claim / }).textContent())!.slice(6);
    await adjudicateClaim(environment.database, formClaimId);

    // An 837P file, answered claim by claim.
    await visit(page, '#/upload', 'Upload an 837P file');
    const file = withInterchangeControlNumber(
      sampleFile('commercial-health-insurance', payer.organization.id).replace(
        'CLM*26463774*',
        'CLM*PCN-FILE-1*',
      ),
      7001,
    );
    await page.getByLabel('or paste the interchange').fill(file);
    await page.getByRole('button', { name: 'Send the file' }).click();
    await page.getByText(/1 accepted, 0 duplicate, 0 rejected/).waitFor();
    expect(await page.getByRole('cell', { name: 'PCN-FILE-1' }).isVisible()).toBe(true);
    await shot(page, '04-upload-837p');

    // Search by patient control number; the claim's lines with their adjustments and events.
    await visit(page, '#/claims', 'Claims');
    await page.getByLabel('Patient control number').fill('PCN-FORM-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'PCN-FORM-1' }).click();
    await page.getByRole('heading', { level: 1, name: /Claim PCN-FORM-1/ }).waitFor();
    // 99213 at 125.00 against 100.00 allowed, copay 25.00, coinsurance 20% of 75.00.
    await page.getByRole('cell', { name: 'CO-45 25.00, PR-3 25.00, PR-2 15.00' }).waitFor();
    await page.getByRole('cell', { name: 'ClaimSubmitted', exact: true }).waitFor();
    await shot(page, '05-claim-detail');

    // A page outside the role: refused in the page with the API's words.
    const api = await apiStatus(provider.key, '/v1/review-queue');
    expect(api.status).toBe(403);
    await page.goto(`${baseUrl}/#/review`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain(api.detail);
    await shot(page, '06-wrong-role-refused');

    // A tablet: the claims page fits 768 px without scrolling sideways.
    await page.setViewportSize({ width: 768, height: 1024 });
    await visit(page, '#/claims', 'Claims');
    expect(await inPage(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(768);
    await shot(page, '07-claims-tablet');
    await page.context().close();
  });

  it('lets a payer adjudicator decide a pended claim and upload a fee schedule', async () => {
    const pended = await submitByApi({ chargeAmount: '6000.00', pcn: 'PCN-PEND-1' });
    expect((await adjudicateClaim(environment.database, pended)).status).toBe('pended');
    const page = await openPage();
    await signIn(page, payer.key);
    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    await shot(page, '08-review-queue');
    await page.getByRole('link', { name: `Review ${pended.slice(0, 8)}` }).click();
    await page.getByRole('heading', { level: 1, name: /Review claim PCN-PEND-1/ }).waitFor();

    // The API's refusal is shown as it is: an adjustment larger than the line.
    await page.getByLabel('Adjustments for line 1').fill('CO-45 9000.00');
    await page.getByLabel('Note (why this decision)').fill('Reviewed the operative report');
    await page.getByRole('button', { name: 'Record decision' }).click();
    const refusal = await page.getByRole('alert').textContent();
    expect(refusal).toMatch(/^4\d\d: /);
    await shot(page, '09-decision-refused');

    await page.getByLabel('Adjustments for line 1').fill('CO-45 5900.00');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.getByText(/Decision recorded: the claim is (paid|partially paid)/).waitFor();
    await shot(page, '10-decision-recorded');

    await visit(page, '#/fee-schedule', 'Fee schedule');
    const header =
      'procedure_code,modifier,allowed_amount,covered,prior_auth_required,copay_applies,anesthesia_base_units';
    await page.getByLabel('or paste the CSV').fill(`${header}\n99214,,abc,true,false,true,\n`);
    await page.getByRole('button', { name: 'Upload fee schedule' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/row 2, allowed_amount/);
    await shot(page, '11-fee-schedule-row-error');
    await page.getByLabel('or paste the CSV').fill(`${header}\n99214,,140.00,true,false,true,\n`);
    await page.getByRole('button', { name: 'Upload fee schedule' }).click();
    await page.getByText('Fee schedule saved').waitFor();
    await page.getByRole('cell', { name: '140.00' }).waitFor();
    await shot(page, '12-fee-schedule');

    await visit(page, '#/charts', 'Charts');
    await page.getByRole('img', { name: 'Claims per day by status' }).waitFor();
    await page.getByRole('img', { name: 'Block sizes over time' }).waitFor();
    expect(await page.locator('canvas').count()).toBe(4);
    await shot(page, '13-charts');
    await page.context().close();
  });

  it('lets finance settle, download the 835, confirm the payment and reconcile', async () => {
    const page = await openPage();
    await signIn(page, payerFinance);
    await page.getByRole('heading', { level: 1, name: 'Balances' }).waitFor();
    await visit(page, '#/batches', 'Settlement batches');
    await page.getByRole('button', { name: 'Run settlement now' }).click();
    await page.getByText(/Settlement ran: 1 new batch\./).waitFor();
    await page.getByRole('link', { name: /^Batch / }).click();
    await page.getByRole('heading', { level: 1, name: /^Batch / }).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download 835' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^835-.*\.x12$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const remittance = readFileSync(path, 'utf8');
    expect(remittance.startsWith('ISA*')).toBe(true);
    expect(remittance).toContain('CLP*PCN-FORM-1*');
    await shot(page, '14-batch');

    await page.getByLabel('Trace number').fill('TRACE-0001');
    await page.getByRole('button', { name: 'Confirm payment' }).click();
    await page.getByText('Payment confirmed.').waitFor();
    await shot(page, '15-payment-confirmed');

    // A payment of another amount makes an exception, which finance reopens.
    const another = await submitByApi({
      chargeAmount: '125.00',
      pcn: 'PCN-EXC-1',
      serviceDate: '2026-11-03',
    });
    expect((await adjudicateClaim(environment.database, another)).status).toBe('paid');
    await visit(page, '#/batches', 'Settlement batches');
    await page.getByRole('button', { name: 'Run settlement now' }).click();
    await page.getByText(/Settlement ran: 1 new batch\./).waitFor();
    await page.getByRole('cell', { name: 'issued' }).waitFor();
    await page
      .getByRole('link', { name: /^Batch / })
      .first()
      .click();
    await page.getByLabel('Trace number').fill('TRACE-0002');
    await page.getByLabel('Amount paid').fill('1.00');
    await page.getByRole('button', { name: 'Confirm payment' }).click();
    await page.getByText('The amount differs from the batch: it is now an exception.').waitFor();
    await page.reload();
    await page.getByLabel('Reason').selectOption('payment_returned');
    await page.getByRole('button', { name: 'Reopen batch' }).click();
    await page.getByText('Batch reopened').waitFor();
    await shot(page, '16-exception-reopened');

    await visit(page, '#/balances', 'Balances');
    await shot(page, '17-balances');
    await visit(page, '#/reconciliation', 'Reconciliation');
    await page.getByRole('button', { name: 'Run reconciliation now' }).click();
    await page.getByText(/Run finished: completed/).waitFor();
    await page
      .getByRole('link', { name: /^\d{4}-\d\d-\d\d / })
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: /Reconciliation run/ }).waitFor();
    await shot(page, '18-reconciliation-run');
    await page.context().close();

    // The provider's finance sees the same batch, confirmed, and may not confirm it.
    const providerPage = await openPage();
    await signIn(providerPage, providerFinance);
    await visit(providerPage, '#/batches', 'Settlement batches');
    await providerPage.getByRole('cell', { name: 'confirmed' }).waitFor();
    expect(await providerPage.getByRole('button', { name: 'Run settlement now' }).count()).toBe(0);
    await providerPage.context().close();
  });

  it('verifies an event in the page, step by step', async () => {
    await sealPending(environment.database.pool, 10_000);
    const page = await openPage();
    await signIn(page, provider.key);
    await visit(page, '#/ledger', 'Ledger');
    await page.getByRole('link', { name: 'Block 1' }).click();
    await page.getByRole('heading', { level: 1, name: 'Block 1' }).waitFor();
    await page
      .getByRole('button', { name: /^Verify event ClaimSubmitted/ })
      .first()
      .click();
    await page.getByText(/Verified in this page: event \d+ is in block 1\./).waitFor();
    const verdicts = await page.locator('.steps li').allTextContents();
    expect(verdicts.map((text) => /^✔ pass (.*?):/.exec(text)?.[1])).toEqual([
      'Payload hash',
      'Leaf hash',
      'Position in the block',
      'Merkle path to the root',
      'Block hash',
      'Chain link to the previous block',
      'Chain link from the next block',
    ]);
    await shot(page, '19-event-verified');
    await page.context().close();
  });
});

/** A claim of M-PAID; the same service on the same day as a paid claim is a duplicate (CO-18). */
async function submitByApi({
  chargeAmount,
  pcn,
  serviceDate = '2026-11-02',
}: {
  chargeAmount: string;
  pcn: string;
  serviceDate?: string;
}) {
  const claim = validClaim(payer.organization.id, { patientControlNumber: pcn });
  const response = await fetch(`${baseUrl}/v1/claims`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${provider.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      ...claim,
      member: { ...claim.member, memberId: 'M-PAID' },
      serviceLines: [{ procedureCode: '99213', units: 1, chargeAmount, serviceDate }],
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function pendedOrClaimCount(): Promise<number> {
  const { rows } = await environment.database.pool.query<{ count: string }>(
    'SELECT count(*) FROM claims',
  );
  return Number(rows[0]!.count);
}
