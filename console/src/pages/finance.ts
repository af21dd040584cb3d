// Finance: balances, settlement batches (run the payer's settlement, download a batch's 835,
// confirm its payment, reopen one in exception).
import { download, getJson, sendJson } from '../api.js';
import { field, h, link, replace, table } from '../dom.js';
import type { Me } from '../session.js';
import { act, output, statusBadge } from '../view.js';

interface Balances {
  asOfHeight: number | null;
  accounts: { counterpartyId: string; purpose: string; balanceAmount: string }[];
}

export async function balancesPage(): Promise<Node> {
  const balances = await getJson<Balances>('/balances');
  return h(
    'section',
    {},
    h('h1', {}, 'Balances'),
    h(
      'p',
      {},
      'Now, including events not sealed yet. Positive amounts are owed to your organization.',
    ),
    table(
      'Balances',
      [
        { title: 'Account', cell: (a) => a.purpose.replace(/_/g, ' ') },
        { title: 'Counterparty', cell: (a) => h('code', {}, a.counterpartyId) },
        { title: 'Balance', cell: (a) => a.balanceAmount, numeric: true },
      ],
      balances.accounts,
      'No postings yet.',
    ),
  );
}

interface Batch {
  id: string;
  payerId: string;
  providerId: string;
  status: 'issued' | 'confirmed' | 'exception';
  amount: string;
  claimCount: number;
  createdAt: string;
  traceNumber: string | null;
  confirmedAmount: string | null;
  confirmedDate: string | null;
}

interface BatchDetail extends Batch {
  claims: { claimId: string; amount: string }[];
  adjustments: { claimId: string; amount: string }[];
}

export async function batchesPage(me: Me): Promise<Node> {
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'Any'),
    ['issued', 'confirmed', 'exception'].map((value) => h('option', { value }, value)),
  );
  const list = output();
  async function load(): Promise<void> {
    const { batches } = await getJson<{ batches: Batch[] }>('/settlement/batches', {
      query: { status: status.value || undefined },
    });
    replace(
      list,
      table(
        'Settlement batches',
        [
          { title: 'Batch', cell: (b) => link(`#/batches/${b.id}`, `Batch ${b.id.slice(0, 8)}`) },
          { title: 'Status', cell: (b) => statusBadge(b.status) },
          { title: 'Amount', cell: (b) => b.amount, numeric: true },
          { title: 'Claims', cell: (b) => b.claimCount, numeric: true },
          { title: 'Created', cell: (b) => b.createdAt.replace('T', ' ').slice(0, 16) },
          { title: 'Trace number', cell: (b) => b.traceNumber ?? '' },
        ],
        batches,
        'No settlement batches.',
      ),
    );
  }
  status.addEventListener('change', () => void load());
  const runOutput = output();
  const run =
    me.organization.kind === 'payer'
      ? h(
          'button',
          {
            type: 'button',
            onclick: (event: Event) =>
              void act(event.currentTarget as HTMLButtonElement, runOutput, async () => {
                const { batches } = await sendJson<{ batches: Batch[] }>('/settlement/run', {});
                await load();
                return `Settlement ran: ${batches.length} new batch${batches.length === 1 ? '' : 'es'}.`;
              }),
          },
          'Run settlement now',
        )
      : null;
  await load();
  return h(
    'section',
    {},
    h('h1', {}, 'Settlement batches'),
    h('div', { class: 'row' }, field('Status', status), run),
    runOutput,
    list,
  );
}

export async function batchDetailPage(me: Me, id: string): Promise<Node> {
  const batch = await getJson<BatchDetail>(`/settlement/batches/${id}`);
  const downloadOutput = output();
  const payer = me.organization.kind === 'payer' && me.role === 'finance';
  return h(
    'section',
    {},
    h('h1', {}, `Batch ${batch.id.slice(0, 8)} `, statusBadge(batch.status)),
    h(
      'dl',
      { class: 'grid' },
      [
        ['Amount', batch.amount],
        ['Claims', String(batch.claimCount)],
        ['Created', batch.createdAt],
        ['Trace number', batch.traceNumber ?? '—'],
        ['Confirmed amount', batch.confirmedAmount ?? '—'],
        ['Paid date', batch.confirmedDate ?? '—'],
      ].map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
    ),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          type: 'button',
          onclick: (event: Event) =>
            void act(event.currentTarget as HTMLButtonElement, downloadOutput, async () => {
              const text = await download(`/settlement/batches/${id}/835`, `835-${id}.x12`);
              return `835 downloaded (${text.length} characters).`;
            }),
        },
        'Download 835',
      ),
    ),
    downloadOutput,
    payer && batch.status === 'issued' ? confirmForm(id, batch.amount) : null,
    payer && batch.status === 'exception' ? reopenForm(id) : null,
    h('h2', {}, 'Claims paid'),
    table(
      'Claims in the batch',
      [
        { title: 'Claim', cell: (line) => h('code', {}, line.claimId) },
        { title: 'Amount', cell: (line) => line.amount, numeric: true },
      ],
      [...batch.claims, ...batch.adjustments],
    ),
  );
}

function confirmForm(id: string, amount: string): HTMLElement {
  const trace = h('input', { name: 'traceNumber', required: true, maxlength: 50 });
  const confirmed = h('input', {
    name: 'amount',
    value: amount,
    inputmode: 'decimal',
    required: true,
  });
  const paidDate = h('input', {
    name: 'paidDate',
    type: 'date',
    value: new Date().toISOString().slice(0, 10),
  });
  const result = output();
  const button = h('button', { type: 'submit' }, 'Confirm payment');
  return h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(button, result, async () => {
          const outcome = await sendJson<{ outcome: string }>(
            `/settlement/batches/${id}/confirmation`,
            {
              json: {
                traceNumber: trace.value.trim(),
                amount: confirmed.value.trim(),
                paidDate: paidDate.value,
              },
            },
          );
          return outcome.outcome === 'confirmed'
            ? 'Payment confirmed.'
            : 'The amount differs from the batch: it is now an exception.';
        });
      },
    },
    h('h2', {}, 'Confirm the payment'),
    h(
      'div',
      { class: 'grid' },
      field('Trace number', trace),
      field('Amount paid', confirmed),
      field('Paid date', paidDate),
      button,
    ),
    result,
  );
}

function reopenForm(id: string): HTMLElement {
  const reason = h(
    'select',
    { name: 'reason' },
    [
      ['payment_returned', 'Payment returned'],
      ['amount_corrected', 'Amount corrected with the bank'],
      ['entered_in_error', 'Confirmation entered in error'],
    ].map(([value, text]) => h('option', { value }, text)),
  );
  const result = output();
  const button = h('button', { type: 'submit' }, 'Reopen batch');
  return h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void act(button, result, async () => {
          await sendJson(`/settlement/batches/${id}/reopen`, { json: { reason: reason.value } });
          return 'Batch reopened: it waits for a confirmation that matches.';
        });
      },
    },
    h('h2', {}, 'Resolve the exception'),
    h('div', { class: 'grid' }, field('Reason', reason), button),
    result,
  );
}
