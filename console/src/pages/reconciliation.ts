// Reconciliation runs and the exceptions each found that concern the caller's organization.
import { getJson, sendJson } from '../api.js';
import { h, link, replace, table } from '../dom.js';
import type { Me } from '../session.js';
import { act, output, statusBadge } from '../view.js';

interface Run {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  exceptionCount: number;
  summary: { mode: string; ledgerEventsReplayed: number; chain: { ok: boolean } } | null;
}

interface RunDetail extends Run {
  exceptions: {
    check: string;
    subjectType: string;
    subjectId: string;
    expected: string | null;
    actual: string | null;
    message: string;
  }[];
}

export async function reconciliationPage(me: Me): Promise<Node> {
  const list = output();
  async function load(): Promise<void> {
    const { runs } = await getJson<{ runs: Run[] }>('/reconciliation/runs');
    replace(
      list,
      table(
        'Reconciliation runs',
        [
          {
            title: 'Run',
            cell: (r) =>
              link(`#/reconciliation/${r.id}`, r.startedAt.replace('T', ' ').slice(0, 19)),
          },
          { title: 'Status', cell: (r) => statusBadge(r.status) },
          { title: 'Mode', cell: (r) => r.summary?.mode ?? '' },
          {
            title: 'Chain',
            cell: (r) => (r.summary ? (r.summary.chain.ok ? 'intact' : 'broken') : ''),
          },
          { title: 'Exceptions', cell: (r) => r.exceptionCount, numeric: true },
        ],
        runs,
        'No reconciliation has run yet.',
      ),
    );
  }
  const runOutput = output();
  const canRun = me.role === 'finance' || me.role === 'admin';
  await load();
  return h(
    'section',
    {},
    h('h1', {}, 'Reconciliation'),
    canRun
      ? h(
          'div',
          { class: 'row' },
          h(
            'button',
            {
              type: 'button',
              onclick: (event: Event) =>
                void act(event.currentTarget as HTMLButtonElement, runOutput, async () => {
                  const run = await sendJson<Run>('/reconciliation/runs', {
                    json: { mode: 'full' },
                  });
                  await load();
                  return `Run finished: ${run.status}, ${run.exceptionCount} exception(s).`;
                }),
            },
            'Run reconciliation now',
          ),
        )
      : null,
    runOutput,
    list,
  );
}

export async function reconciliationRunPage(id: string): Promise<Node> {
  const run = await getJson<RunDetail>(`/reconciliation/runs/${id}`);
  return h(
    'section',
    {},
    h('h1', {}, `Reconciliation run `, statusBadge(run.status)),
    h(
      'p',
      {},
      `Started ${run.startedAt}; ${run.summary?.ledgerEventsReplayed ?? 0} ledger events replayed.`,
    ),
    h('h2', {}, 'Exceptions'),
    table(
      'Exceptions',
      [
        { title: 'Check', cell: (e) => e.check },
        {
          title: 'Subject',
          cell: (e) => [e.subjectType.replace(/_/g, ' '), ' ', h('code', {}, e.subjectId)],
        },
        { title: 'Expected', cell: (e) => e.expected ?? '', numeric: true },
        { title: 'Actual', cell: (e) => e.actual ?? '', numeric: true },
        { title: 'What differs', cell: (e) => e.message },
      ],
      run.exceptions,
      'No exceptions: everything agreed.',
    ),
  );
}
