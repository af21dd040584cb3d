// The console: sign in with an API key, then the pages of the key's role, by hash route.
import { ApiError, forgetKey, getJson, storedKey, storeKey } from './api.js';
import { field, h, notice, replace } from './dom.js';
import { errorView } from './view.js';
import { claimDetailPage, claimsPage } from './pages/claims.js';
import { chartsPage } from './pages/charts.js';
import { batchDetailPage, batchesPage, balancesPage } from './pages/finance.js';
import { blockPage, ledgerPage } from './pages/ledger.js';
import { reconciliationPage, reconciliationRunPage } from './pages/reconciliation.js';
import { feeSchedulePage, reviewDecisionPage, reviewPage } from './pages/review.js';
import { submitPage, uploadPage } from './pages/submit.js';
import { pagesFor, ROLE_NAMES, type Me } from './session.js';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;

let me: Me | undefined;

type Render = (me: Me, parameter: string) => Promise<Node> | Node;

const ROUTES: [RegExp, Render][] = [
  [/^#\/claims$/, (me) => claimsPage(me)],
  [/^#\/claims\/([0-9a-f-]+)$/, (me, id) => claimDetailPage(me, id)],
  [/^#\/submit$/, () => submitPage()],
  [/^#\/upload$/, () => uploadPage()],
  [/^#\/review$/, () => reviewPage()],
  [/^#\/review\/([0-9a-f-]+)$/, (_me, id) => reviewDecisionPage(id)],
  [/^#\/fee-schedule$/, () => feeSchedulePage()],
  [/^#\/balances$/, () => balancesPage()],
  [/^#\/batches$/, (me) => batchesPage(me)],
  [/^#\/batches\/([0-9a-f-]+)$/, (me, id) => batchDetailPage(me, id)],
  [/^#\/reconciliation$/, (me) => reconciliationPage(me)],
  [/^#\/reconciliation\/([0-9a-f-]+)$/, (_me, id) => reconciliationRunPage(id)],
  [/^#\/charts$/, () => chartsPage()],
  [/^#\/ledger$/, () => ledgerPage()],
  [/^#\/ledger\/blocks\/(\d+)$/, (_me, height) => blockPage(height)],
];

function signInPage(message?: string): Node {
  const key = h('input', {
    type: 'password',
    name: 'apiKey',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const status = h('div', { 'aria-live': 'polite' }, message ? notice('error', message) : null);
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void signIn(key.value.trim(), status);
      },
    },
    h('h1', {}, 'Sign in'),
    h(
      'p',
      {},
      'Paste your organization API key. It is kept in this browser tab only and forgotten when the tab closes.',
    ),
    field('API key', key),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')),
    status,
  );
  return form;
}

async function signIn(key: string, status: HTMLElement): Promise<void> {
  if (!key) {
    replace(status, notice('error', 'Enter an API key.'));
    return;
  }
  try {
    me = await getJson<Me>('/organizations/me', { key });
  } catch (error) {
    replace(status, notice('error', error instanceof ApiError ? error.detail : String(error)));
    return;
  }
  storeKey(key);
  const first = pagesFor(me)[0]!.path;
  if (location.hash === first) void render();
  else location.hash = first;
}

function signOut(): void {
  forgetKey();
  me = undefined;
  location.hash = '';
  void render();
}

function drawChrome(current: string): void {
  if (!me) {
    replace(nav);
    replace(who);
    return;
  }
  replace(
    nav,
    pagesFor(me).map((page) =>
      h(
        'a',
        { href: page.path, 'aria-current': current.startsWith(page.path) ? 'page' : undefined },
        page.title,
      ),
    ),
  );
  replace(
    who,
    h('span', {}, `${me.organization.name} (${me.organization.kind}) · ${ROLE_NAMES[me.role]}`),
    h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'),
  );
}

async function render(): Promise<void> {
  const key = storedKey();
  if (key && !me) {
    try {
      me = await getJson<Me>('/organizations/me');
    } catch (error) {
      // A key the API no longer knows is forgotten; an outage keeps it for the next try.
      if (error instanceof ApiError && error.status === 401) forgetKey();
      drawChrome('');
      replace(main, signInPage(error instanceof ApiError ? error.detail : String(error)));
      return;
    }
  }
  if (!me) {
    drawChrome('');
    replace(main, signInPage());
    return;
  }
  const hash = location.hash || pagesFor(me)[0]!.path;
  drawChrome(hash);
  const route = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!route) {
    replace(main, notice('error', `No page ${hash}.`));
    return;
  }
  const parameter = route[0].exec(hash)?.[1] ?? '';
  replace(main, h('p', { 'aria-busy': 'true' }, 'Loading…'));
  try {
    replace(main, await route[1](me, parameter));
  } catch (error) {
    replace(main, errorView(error));
  }
  main.focus();
}

window.addEventListener('hashchange', () => void render());
void render();
