// Charts: claims per day by status, paid amounts by provider, denial reasons by CARC (GET
// /v1/stats/claims) and block sizes over time (GET /v1/ledger/blocks). Each chart has its data
// as a table too, for screen readers and for anyone who would rather read the figures.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { getJson } from '../api.js';
import { h, table } from '../dom.js';
import type { Block } from '../proof.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

interface ClaimStats {
  from: string;
  to: string;
  perDay: { day: string; status: string; claimCount: number }[];
  paidByProvider: { providerId: string; providerName: string; paidAmount: string }[];
  denialReasons: { group: string; reasonCode: string; lineCount: number; amount: string }[];
}

const COLORS = [
  '#0b57d0',
  '#0a7d32',
  '#b3261e',
  '#e37400',
  '#7b1fa2',
  '#00838f',
  '#5d4037',
  '#546e7a',
];
const BLOCKS_CHARTED = 100;

function chartCard(title: string, config: ChartConfiguration, data: HTMLElement): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  // Drawn once the canvas is in the page, so that Chart.js can measure it.
  requestAnimationFrame(() => new Chart(canvas, config));
  return h(
    'figure',
    { class: 'card' },
    h('figcaption', {}, h('strong', {}, title)),
    h('div', { class: 'chart' }, canvas),
    h('details', {}, h('summary', {}, 'Data'), data),
  );
}

const options = { responsive: true, maintainAspectRatio: false, animation: false } as const;

export async function chartsPage(): Promise<Node> {
  const stats = await getJson<ClaimStats>('/stats/claims');
  const head = await getJson<{ height: number }>('/ledger/head');
  const { blocks } = await getJson<{ blocks: Block[] }>('/ledger/blocks', {
    query: {
      afterHeight: String(Math.max(0, head.height - BLOCKS_CHARTED)),
      limit: String(BLOCKS_CHARTED),
    },
  });
  const days = [...new Set(stats.perDay.map((row) => row.day))].sort();
  const statuses = [...new Set(stats.perDay.map((row) => row.status))].sort();
  const count = (day: string, status: string) =>
    stats.perDay.find((row) => row.day === day && row.status === status)?.claimCount ?? 0;

  return h(
    'section',
    {},
    h('h1', {}, 'Charts'),
    h('p', {}, `Claims submitted ${stats.from} to ${stats.to} (UTC).`),
    h(
      'div',
      { class: 'charts' },
      chartCard(
        'Claims per day by status',
        {
          type: 'bar',
          data: {
            labels: days,
            datasets: statuses.map((status, index) => ({
              label: status.replace(/_/g, ' '),
              data: days.map((day) => count(day, status)),
              backgroundColor: COLORS[index % COLORS.length],
            })),
          },
          options: {
            ...options,
            scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
          },
        },
        table(
          'Claims per day',
          [
            { title: 'Day', cell: (r) => r.day },
            { title: 'Status', cell: (r) => r.status },
            { title: 'Claims', cell: (r) => r.claimCount, numeric: true },
          ],
          stats.perDay,
        ),
      ),
      chartCard(
        'Paid amounts by provider',
        {
          type: 'bar',
          data: {
            labels: stats.paidByProvider.map((row) => row.providerName),
            datasets: [
              {
                label: 'Paid',
                data: stats.paidByProvider.map((row) => Number(row.paidAmount)),
                backgroundColor: COLORS[1],
              },
            ],
          },
          options: { ...options, scales: { y: { beginAtZero: true } } },
        },
        table(
          'Paid by provider',
          [
            { title: 'Provider', cell: (r) => r.providerName },
            { title: 'Paid', cell: (r) => r.paidAmount, numeric: true },
          ],
          stats.paidByProvider,
        ),
      ),
      chartCard(
        'Denial reasons by CARC',
        {
          type: 'bar',
          data: {
            labels: stats.denialReasons.map((row) => `${row.group}-${row.reasonCode}`),
            datasets: [
              {
                label: 'Denied lines',
                data: stats.denialReasons.map((row) => row.lineCount),
                backgroundColor: COLORS[2],
              },
            ],
          },
          options: { ...options, indexAxis: 'y', scales: { x: { beginAtZero: true } } },
        },
        table(
          'Denial reasons',
          [
            { title: 'Reason', cell: (r) => `${r.group}-${r.reasonCode}` },
            { title: 'Lines', cell: (r) => r.lineCount, numeric: true },
            { title: 'Amount', cell: (r) => r.amount, numeric: true },
          ],
          stats.denialReasons,
        ),
      ),
      chartCard(
        'Block sizes over time',
        {
          type: 'line',
          data: {
            labels: blocks.map((block) => block.header.sealedAt.slice(5, 16).replace('T', ' ')),
            datasets: [
              {
                label: 'Events per block',
                data: blocks.map((block) => block.header.eventCount),
                borderColor: COLORS[0],
              },
            ],
          },
          options: { ...options, scales: { y: { beginAtZero: true } } },
        },
        table(
          'Block sizes',
          [
            { title: 'Height', cell: (b) => b.header.height, numeric: true },
            { title: 'Sealed', cell: (b) => b.header.sealedAt },
            { title: 'Events', cell: (b) => b.header.eventCount, numeric: true },
          ],
          blocks,
        ),
      ),
    ),
  );
}
