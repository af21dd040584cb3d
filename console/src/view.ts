// Pieces every page shows the same way: refusals, statuses, busy buttons.
import { ApiError } from './api.js';
import { h, notice, replace } from './dom.js';

/** A refusal as the API put it: its status and detail, and each field it names. */
export function errorView(error: unknown): HTMLElement {
  if (!(error instanceof ApiError)) return notice('error', String(error));
  return notice(
    'error',
    h('strong', {}, `${error.status}: ${error.detail}`),
    error.problems.length > 0
      ? h(
          'ul',
          {},
          error.problems.map((problem) =>
            h('li', {}, h('code', {}, problem.field), ` ${problem.message}`),
          ),
        )
      : null,
  );
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: 'status' }, status.replace(/_/g, ' '));
}

/**
 * Runs `action` from a button: the button is disabled meanwhile and the outcome (or the API's
 * refusal) is written into `output`, which is announced to screen readers.
 */
export async function act(
  button: HTMLButtonElement,
  output: HTMLElement,
  action: () => Promise<Node | string>,
): Promise<void> {
  button.disabled = true;
  try {
    const result = await action();
    replace(output, typeof result === 'string' ? notice('ok', result) : result);
  } catch (error) {
    replace(output, errorView(error));
  } finally {
    button.disabled = false;
  }
}

export function output(): HTMLElement {
  return h('div', { 'aria-live': 'polite' });
}

/** A date input's value as the start of that day in UTC, the API's reading of a bare date. */
export function dayAfter(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}
