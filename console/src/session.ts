// Who is signed in: the answer of GET /v1/organizations/me for the stored key.
export interface Me {
  organization: {
    id: string;
    name: string;
    kind: 'provider' | 'payer' | 'operator' | 'clearinghouse';
  };
  role: 'provider_biller' | 'payer_adjudicator' | 'finance' | 'auditor' | 'admin';
  apiKeyId: string;
}

export interface Page {
  path: string;
  title: string;
}

const CLAIMS: Page = { path: '#/claims', title: 'Claims' };
const SUBMIT: Page = { path: '#/submit', title: 'Submit a claim' };
const UPLOAD: Page = { path: '#/upload', title: 'Upload 837P' };
const REVIEW: Page = { path: '#/review', title: 'Review queue' };
const FEES: Page = { path: '#/fee-schedule', title: 'Fee schedule' };
const BALANCES: Page = { path: '#/balances', title: 'Balances' };
const BATCHES: Page = { path: '#/batches', title: 'Settlement' };
const RECONCILIATION: Page = { path: '#/reconciliation', title: 'Reconciliation' };
const CHARTS: Page = { path: '#/charts', title: 'Charts' };
const LEDGER: Page = { path: '#/ledger', title: 'Ledger' };

/** The pages shown in the menu for a role; any other page still asks the API, which decides. */
export function pagesFor(me: Me): Page[] {
  const kind = me.organization.kind;
  const charts = kind === 'provider' || kind === 'payer' ? [CHARTS] : [];
  switch (me.role) {
    case 'provider_biller':
      return kind === 'provider' ? [CLAIMS, SUBMIT, UPLOAD, ...charts, LEDGER] : [UPLOAD, LEDGER];
    case 'payer_adjudicator':
      return [REVIEW, CLAIMS, FEES, ...charts, LEDGER];
    case 'finance':
      return [BALANCES, BATCHES, RECONCILIATION, ...charts, LEDGER];
    case 'auditor':
      return [BALANCES, RECONCILIATION, LEDGER];
    case 'admin':
      return [BALANCES, ...(kind === 'operator' ? [] : [BATCHES]), RECONCILIATION, LEDGER];
  }
}

export const ROLE_NAMES: Record<Me['role'], string> = {
  provider_biller: 'Billing office',
  payer_adjudicator: 'Payer adjudicator',
  finance: 'Finance',
  auditor: 'Auditor',
  admin: 'Administrator',
};
