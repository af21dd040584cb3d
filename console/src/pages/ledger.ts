// The ledger: the head, the latest blocks, a block's events, and "verify this event", which
// checks the event's proof in this page (proof.ts) rather than trusting the server's word.
import { ApiError, getJson } from '../api.js';
import { h, link, notice, replace, shortHash, table } from '../dom.js';
import { verifyProofSteps, type Block, type Envelope, type EventProof } from '../proof.js';
import { errorView } from '../view.js';

interface Head {
  height: number;
  hash: string | null;
  lastSealedSeq: string;
  lastSeq: string;
  unsealedEvents: string;
}

const LATEST_BLOCKS = 20;

export async function ledgerPage(): Promise<Node> {
  const head = await getJson<Head>('/ledger/head');
  const afterHeight = Math.max(0, head.height - LATEST_BLOCKS);
  const { blocks } = await getJson<{ blocks: Block[] }>('/ledger/blocks', {
    query: { afterHeight: String(afterHeight), limit: String(LATEST_BLOCKS) },
  });
  return h(
    'section',
    {},
    h('h1', {}, 'Ledger'),
    h(
      'div',
      { class: 'cards' },
      h('div', { class: 'card' }, h('strong', {}, 'Height '), String(head.height)),
      h(
        'div',
        { class: 'card' },
        h('strong', {}, 'Head hash '),
        head.hash ? shortHash(head.hash) : 'none yet',
      ),
      h(
        'div',
        { class: 'card' },
        h('strong', {}, 'Events '),
        `${head.lastSeq} (${head.unsealedEvents} not sealed yet)`,
      ),
    ),
    h('h2', {}, 'Latest blocks'),
    table(
      'Latest blocks',
      [
        {
          title: 'Height',
          cell: (b) => link(`#/ledger/blocks/${b.header.height}`, `Block ${b.header.height}`),
        },
        { title: 'Events', cell: (b) => b.header.eventCount, numeric: true },
        { title: 'Seqs', cell: (b) => `${b.header.firstSeq}–${b.header.lastSeq}` },
        { title: 'Sealed', cell: (b) => b.header.sealedAt.replace('T', ' ').slice(0, 19) },
        { title: 'Hash', cell: (b) => shortHash(b.hash) },
      ],
      [...blocks].reverse(),
      'No block has been sealed yet.',
    ),
  );
}

export async function blockPage(height: string): Promise<Node> {
  const { block, events } = await getJson<{ block: Block; events: Envelope[] }>(
    `/ledger/blocks/${height}/events`,
    { query: { limit: '500' } },
  );
  const { header } = block;
  return h(
    'section',
    {},
    h('h1', {}, `Block ${header.height}`),
    h(
      'dl',
      { class: 'facts' },
      [
        ['Hash', block.hash],
        ['Previous hash', header.prevHash],
        ['Merkle root', header.merkleRoot],
        ['Events', `${header.eventCount} (seq ${header.firstSeq}–${header.lastSeq})`],
        ['Sealed', header.sealedAt],
      ].flatMap(([term, value]) => [h('dt', {}, term), h('dd', { class: 'mono' }, value)]),
    ),
    h('h2', {}, 'Events you are party to'),
    table(
      'Events',
      [
        { title: 'Seq', cell: (e) => e.seq, numeric: true },
        { title: 'Type', cell: (e) => e.type },
        { title: 'Subject', cell: (e) => h('code', {}, e.aggregateId) },
        { title: 'Recorded', cell: (e) => e.createdAt.replace('T', ' ').slice(0, 19) },
        { title: 'Proof', cell: (e) => verifyButton(e.id, e.type) },
      ],
      events,
      'None of this block’s events concern your organization.',
    ),
  );
}

/** A button that fetches the event's proof and checks it here, writing each step's verdict. */
export function verifyButton(eventId: string, label: string): HTMLElement {
  const result = h('div', { 'aria-live': 'polite' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'aria-label': `Verify event ${label}`,
      onclick: () => {
        button.disabled = true;
        void verifyEvent(eventId)
          .then((view) => replace(result, view))
          .catch((error: unknown) => replace(result, errorView(error)))
          .finally(() => (button.disabled = false));
      },
    },
    'Verify',
  );
  return h('div', {}, button, result);
}

async function blockOrUndefined(height: number): Promise<Block | undefined> {
  if (height < 1) return undefined;
  try {
    return await getJson<Block>(`/ledger/blocks/${height}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function verifyEvent(eventId: string): Promise<Node> {
  const proof = await getJson<EventProof>(`/ledger/events/${eventId}/proof`);
  const height = proof.block.header.height;
  const [previous, next] = await Promise.all([
    blockOrUndefined(height - 1),
    blockOrUndefined(height + 1),
  ]);
  const steps = await verifyProofSteps(proof, { previous, next });
  const holds = steps.every((step) => step.ok);
  return h(
    'div',
    { class: 'verification' },
    holds
      ? notice('ok', `Verified in this page: event ${proof.envelope.seq} is in block ${height}.`)
      : notice('error', `Not verified: event ${proof.envelope.seq} does not check out.`),
    h(
      'ol',
      { class: 'steps' },
      steps.map((step) =>
        h(
          'li',
          {},
          h('span', { class: step.ok ? 'pass' : 'fail' }, step.ok ? '✔ pass' : '✘ fail'),
          ` ${step.name}: `,
          h('span', { class: 'mono' }, step.detail),
        ),
      ),
    ),
  );
}
