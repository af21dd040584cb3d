// A payer's review: the queue of pended claims, a claim's lines with the decision a person
// records (adjustments as "CO-45 25.00, PR-1 75.00"), and the fee schedule upload (CSV).
import { getJson, sendJson } from '../api.js';
import { field, h, link, notice, replace, table } from '../dom.js';
import { errorView, output, statusBadge } from '../view.js';
import { claimFacts, claimLinesTable, type ClaimDetail } from './claims.js';

interface ReviewItem {
  claimId: string;
  totalChargeAmount: string;
  submittedAt: string;
  pendedAt: string;
  pendReasons: string[];
}

export async function reviewPage(): Promise<Node> {
  const { claims } = await getJson<{ claims: ReviewItem[] }>('/review-queue');
  return h(
    'section',
    {},
    h('h1', {}, 'Review queue'),
    table(
      'Pended claims',
      [
        {
          title: 'Claim',
          cell: (c) => link(`#/review/${c.claimId}`, `Review ${c.claimId.slice(0, 8)}`),
        },
        { title: 'Charge', cell: (c) => c.totalChargeAmount, numeric: true },
        { title: 'Pended', cell: (c) => c.pendedAt.replace('T', ' ').slice(0, 16) },
        { title: 'Why', cell: (c) => c.pendReasons.join('; ') },
      ],
      claims,
      'No claim is waiting for review.',
    ),
  );
}

interface Adjustment {
  group: string;
  reasonCode: string;
  amount: string;
}

/** "CO-45 25.00, PR-1 75.00" as adjustments, or the first piece that is not one. */
export function parseAdjustments(text: string): Adjustment[] | { error: string } {
  const adjustments: Adjustment[] = [];
  for (const piece of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const match = /^([A-Za-z]{2})-([A-Za-z0-9]{1,5})\s+(\S+)$/.exec(piece);
    if (!match) return { error: `"${piece}" is not written like "CO-45 25.00"` };
    adjustments.push({
      group: match[1]!.toUpperCase(),
      reasonCode: match[2]!.toUpperCase(),
      amount: match[3]!,
    });
  }
  return adjustments;
}

export async function reviewDecisionPage(id: string): Promise<Node> {
  const claim = await getJson<ClaimDetail>(`/claims/${id}`);
  const result = output();
  const inputs = claim.serviceLines.map((line) => ({
    line,
    adjustments: h('input', {
      name: `line-${line.lineNumber}-adjustments`,
      placeholder: 'CO-45 25.00, PR-1 10.00',
    }),
    remarks: h('input', { name: `line-${line.lineNumber}-remarks`, placeholder: 'N130' }),
  }));
  const note = h('textarea', { name: 'note', required: true });
  const decide = h('button', { type: 'submit' }, 'Record decision');
  const rows = inputs.map(({ line, adjustments, remarks }) =>
    h(
      'fieldset',
      { class: 'grid' },
      h(
        'legend',
        {},
        `Line ${line.lineNumber}: ${line.procedureCode}, charge ${line.chargeAmount}`,
      ),
      field(`Adjustments for line ${line.lineNumber}`, adjustments),
      field(`Remark codes for line ${line.lineNumber}`, remarks),
      h(
        'div',
        { class: 'row' },
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => (adjustments.value = '') },
          `Pay line ${line.lineNumber} as billed`,
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => (adjustments.value = `CO-96 ${line.chargeAmount}`),
          },
          `Deny line ${line.lineNumber}`,
        ),
      ),
    ),
  );
  const form = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void (async () => {
          const lines = [];
          for (const { line, adjustments, remarks } of inputs) {
            const parsed = parseAdjustments(adjustments.value);
            if ('error' in parsed) {
              replace(result, notice('error', `Line ${line.lineNumber}: ${parsed.error}`));
              return;
            }
            lines.push({
              lineNumber: line.lineNumber,
              adjustments: parsed,
              remarkCodes: remarks.value
                .split(',')
                .map((code) => code.trim())
                .filter((code) => code !== ''),
            });
          }
          decide.disabled = true;
          try {
            const outcome = await sendJson<{ status: string }>(`/claims/${id}/decision`, {
              json: { note: note.value, lines },
            });
            replace(
              result,
              notice('ok', `Decision recorded: the claim is ${outcome.status.replace(/_/g, ' ')}.`),
            );
          } catch (error) {
            replace(result, errorView(error));
          } finally {
            decide.disabled = false;
          }
        })();
      },
    },
    rows,
    field('Note (why this decision)', note),
    h('div', { class: 'row' }, decide),
    result,
  );
  return h(
    'section',
    {},
    h('h1', {}, `Review claim ${claim.patientControlNumber} `, statusBadge(claim.status)),
    claimFacts(claim),
    h('h2', {}, 'Lines'),
    claimLinesTable(claim),
    h('h2', {}, 'Decision'),
    form,
  );
}

interface FeeEntry {
  procedureCode: string;
  modifier: string | null;
  allowedAmount: string | null;
  covered: boolean;
  priorAuthRequired: boolean;
}

export async function feeSchedulePage(): Promise<Node> {
  const current = output();
  const result = output();
  const file = h('input', { type: 'file', name: 'csvFile', accept: '.csv,text/csv' });
  const text = h('textarea', {
    name: 'csv',
    spellcheck: 'false',
    placeholder:
      'procedure_code,modifier,allowed_amount,covered,prior_auth_required,copay_applies,anesthesia_base_units',
  });
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (chosen) void chosen.text().then((content) => (text.value = content));
  });
  async function loadCurrent(): Promise<void> {
    try {
      const schedule = await getJson<{ entries: FeeEntry[] }>('/payer/fee-schedule');
      replace(
        current,
        table(
          'Fee schedule',
          [
            {
              title: 'Procedure',
              cell: (e) => [e.procedureCode, e.modifier].filter(Boolean).join(' '),
            },
            { title: 'Allowed', cell: (e) => e.allowedAmount ?? '', numeric: true },
            { title: 'Covered', cell: (e) => (e.covered ? 'yes' : 'no') },
            { title: 'Prior authorization', cell: (e) => (e.priorAuthRequired ? 'required' : '') },
          ],
          schedule.entries ?? [],
          'The fee schedule is empty.',
        ),
      );
    } catch (error) {
      replace(current, errorView(error));
    }
  }
  const button = h('button', { type: 'submit' }, 'Upload fee schedule');
  const form = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void (async () => {
          button.disabled = true;
          try {
            const answer = await sendJson<Record<string, unknown>>('/payer/fee-schedule/csv', {
              text: text.value,
              contentType: 'text/csv',
            });
            replace(result, notice('ok', `Fee schedule saved: ${summaryOf(answer)}.`));
            await loadCurrent();
          } catch (error) {
            replace(result, errorView(error));
          } finally {
            button.disabled = false;
          }
        })();
      },
    },
    field('CSV file', file),
    field('or paste the CSV', text),
    h('div', { class: 'row' }, button),
    result,
  );
  await loadCurrent();
  return h(
    'section',
    {},
    h('h1', {}, 'Fee schedule'),
    form,
    h('h2', {}, 'Current entries'),
    current,
  );
}

function summaryOf(answer: Record<string, unknown>): string {
  return Object.entries(answer)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'string')
    .map(([name, value]) => `${name} ${String(value)}`)
    .join(', ');
}
