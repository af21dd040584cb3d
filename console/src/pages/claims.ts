// Claims: the list with search (patient control number, submission dates, status) and a claim's
// lines, adjustments as a remittance writes them, and ledger events.
import { getJson } from '../api.js';
import { field, h, link, replace, table } from '../dom.js';
import type { Me } from '../session.js';
import { dayAfter, errorView, output, statusBadge } from '../view.js';
import { verifyButton } from './ledger.js';

interface ClaimSummary {
  id: string;
  status: string;
  patientControlNumber: string;
  frequencyCode: string;
  totalChargeAmount: string;
  lineCount: number;
  submittedAt: string;
}

const STATUSES = [
  'submitted',
  'pended',
  'paid',
  'partially_paid',
  'denied',
  'voided',
  'replaced',
  'settled',
];

export async function claimsPage(_me: Me): Promise<Node> {
  const pcn = h('input', { name: 'patientControlNumber', maxlength: 38 });
  const from = h('input', { type: 'date', name: 'submittedFrom' });
  const to = h('input', { type: 'date', name: 'submittedTo' });
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'Any'),
    STATUSES.map((value) => h('option', { value }, value.replace(/_/g, ' '))),
  );
  const results = output();
  let cursor: string | null = null;
  const rows: ClaimSummary[] = [];

  async function load(reset: boolean): Promise<void> {
    if (reset) {
      rows.length = 0;
      cursor = null;
    }
    try {
      const page = await getJson<{ claims: ClaimSummary[]; nextCursor: string | null }>('/claims', {
        query: {
          patientControlNumber: pcn.value.trim() || undefined,
          submittedFrom: from.value || undefined,
          submittedTo: to.value ? dayAfter(to.value) : undefined,
          status: status.value || undefined,
          cursor: cursor ?? undefined,
        },
      });
      rows.push(...page.claims);
      cursor = page.nextCursor;
      replace(results, claimsTable(rows), cursor ? more() : null);
    } catch (error) {
      replace(results, errorView(error));
    }
  }
  const more = () =>
    h(
      'button',
      { type: 'button', class: 'secondary', onclick: () => void load(false) },
      'More claims',
    );

  const form = h(
    'form',
    {
      class: 'grid',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void load(true);
      },
    },
    field('Patient control number', pcn),
    field('Submitted from', from),
    field('Submitted to', to),
    field('Status', status),
    h('button', { type: 'submit' }, 'Search'),
  );
  await load(true);
  return h('section', {}, h('h1', {}, 'Claims'), form, results);
}

function claimsTable(rows: ClaimSummary[]): HTMLElement {
  return table<ClaimSummary>(
    'Claims',
    [
      {
        title: 'Patient control number',
        cell: (c) => link(`#/claims/${c.id}`, c.patientControlNumber),
      },
      { title: 'Status', cell: (c) => statusBadge(c.status) },
      { title: 'Charge', cell: (c) => c.totalChargeAmount, numeric: true },
      { title: 'Lines', cell: (c) => c.lineCount, numeric: true },
      { title: 'Submitted', cell: (c) => c.submittedAt.slice(0, 16).replace('T', ' ') },
    ],
    rows,
    'No claims match.',
  );
}

export interface ClaimDetail extends ClaimSummary {
  member: { memberId?: string };
  diagnosisCodes: string[];
  serviceLines: {
    lineNumber: number;
    procedureCode: string;
    modifiers: string[];
    units: string;
    chargeAmount: string;
    serviceDate: string;
  }[];
  decision: {
    status: string;
    decidedBy: string;
    pendReasons: string[];
    totals: { paidAmount: string; patientResponsibilityAmount: string } | null;
    lines: {
      lineNumber: number;
      allowedAmount: string;
      paidAmount: string;
      adjustmentsText: string;
    }[];
  } | null;
  events: { id: string; seq: string; type: string; createdAt: string }[];
}

export async function claimDetailPage(_me: Me, id: string): Promise<Node> {
  const claim = await getJson<ClaimDetail>(`/claims/${id}`);
  return h(
    'section',
    {},
    h('h1', {}, `Claim ${claim.patientControlNumber} `, statusBadge(claim.status)),
    claimFacts(claim),
    h('h2', {}, 'Service lines'),
    claimLinesTable(claim),
    h('h2', {}, 'Ledger events'),
    eventsTable(claim.events),
  );
}

export function claimFacts(claim: ClaimDetail): HTMLElement {
  const decision = claim.decision;
  return h(
    'dl',
    { class: 'grid' },
    h('div', {}, h('dt', {}, 'Total charge'), h('dd', {}, claim.totalChargeAmount)),
    h('div', {}, h('dt', {}, 'Member id'), h('dd', {}, claim.member.memberId ?? '')),
    h('div', {}, h('dt', {}, 'Diagnoses'), h('dd', {}, claim.diagnosisCodes.join(', '))),
    h('div', {}, h('dt', {}, 'Paid'), h('dd', {}, decision?.totals?.paidAmount ?? '—')),
    h(
      'div',
      {},
      h('dt', {}, 'Patient responsibility'),
      h('dd', {}, decision?.totals?.patientResponsibilityAmount ?? '—'),
    ),
    decision && decision.pendReasons.length > 0
      ? h('div', {}, h('dt', {}, 'Pended because'), h('dd', {}, decision.pendReasons.join('; ')))
      : null,
  );
}

export function claimLinesTable(claim: ClaimDetail): HTMLElement {
  const decided = new Map((claim.decision?.lines ?? []).map((line) => [line.lineNumber, line]));
  return table(
    'Service lines',
    [
      { title: 'Line', cell: (l) => l.lineNumber, numeric: true },
      { title: 'Procedure', cell: (l) => [l.procedureCode, ...l.modifiers].join(' ') },
      { title: 'Units', cell: (l) => l.units, numeric: true },
      { title: 'Service date', cell: (l) => l.serviceDate },
      { title: 'Charge', cell: (l) => l.chargeAmount, numeric: true },
      {
        title: 'Allowed',
        cell: (l) => decided.get(l.lineNumber)?.allowedAmount ?? '',
        numeric: true,
      },
      { title: 'Paid', cell: (l) => decided.get(l.lineNumber)?.paidAmount ?? '', numeric: true },
      { title: 'Adjustments', cell: (l) => decided.get(l.lineNumber)?.adjustmentsText ?? '' },
    ],
    claim.serviceLines,
  );
}

export function eventsTable(events: ClaimDetail['events']): HTMLElement {
  return table(
    'Ledger events',
    [
      { title: 'Seq', cell: (e) => e.seq, numeric: true },
      { title: 'Type', cell: (e) => e.type },
      { title: 'Recorded', cell: (e) => e.createdAt.replace('T', ' ').slice(0, 19) },
      { title: 'Proof', cell: (e) => verifyButton(e.id, e.type) },
    ],
    events,
    'No events.',
  );
}
