// A billing office's submissions: one claim by form (POST /v1/claims), every field the API
// finds at fault marked beside its control; an 837P file (POST /v1/x12/837) with its answer
// per claim.
import { ApiError, getJson, sendJson, type FieldProblem } from '../api.js';
import { field, h, link, notice, replace, table } from '../dom.js';
import { errorView, output } from '../view.js';

interface Organization {
  id: string;
  name: string;
}

function input(name: string, attributes: Record<string, string> = {}): HTMLInputElement {
  return h('input', { name, 'data-field': name, ...attributes });
}

function lineRow(index: number): HTMLElement {
  const today = new Date().toISOString().slice(0, 10);
  const prefix = `serviceLines[${index}]`;
  return h(
    'fieldset',
    { class: 'grid', 'data-line': index },
    h('legend', {}, `Line ${index + 1}`),
    field('Procedure code', input(`${prefix}.procedureCode`, { value: '99213' })),
    field('Modifiers (comma separated)', input(`${prefix}.modifiers`)),
    field('Units', input(`${prefix}.units`, { value: '1', inputmode: 'decimal' })),
    field(
      'Charge',
      input(`${prefix}.chargeAmount`, { inputmode: 'decimal', placeholder: '125.00' }),
    ),
    field(
      'Service date',
      input(`${prefix}.serviceDate`, { type: 'date', value: today, max: today }),
    ),
  );
}

const valueOf = (form: HTMLElement, name: string) =>
  (
    form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${CSS.escape(name)}"]`)
      ?.value ?? ''
  ).trim();

const listOf = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** The form as the API's claim: text as typed, so the API judges it (not the page). */
function claimOf(form: HTMLElement, lineCount: number): unknown {
  const units = (text: string) => (text === '' ? text : Number(text));
  return {
    payerId: valueOf(form, 'payerId'),
    patientControlNumber: valueOf(form, 'patientControlNumber'),
    frequencyCode: '1',
    placeOfServiceCode: valueOf(form, 'placeOfServiceCode') || undefined,
    member: {
      memberId: valueOf(form, 'member.memberId'),
      firstName: valueOf(form, 'member.firstName'),
      lastName: valueOf(form, 'member.lastName'),
      birthDate: valueOf(form, 'member.birthDate'),
      gender: valueOf(form, 'member.gender'),
    },
    diagnosisCodes: listOf(valueOf(form, 'diagnosisCodes')),
    serviceLines: Array.from({ length: lineCount }, (_, index) => {
      const prefix = `serviceLines[${index}]`;
      return {
        procedureCode: valueOf(form, `${prefix}.procedureCode`),
        modifiers: listOf(valueOf(form, `${prefix}.modifiers`)),
        units: units(valueOf(form, `${prefix}.units`)),
        chargeAmount: valueOf(form, `${prefix}.chargeAmount`),
        serviceDate: valueOf(form, `${prefix}.serviceDate`),
      };
    }),
  };
}

/** Marks each control the API named; a problem under a list (diagnosisCodes[1]) marks the list. */
function markProblems(form: HTMLElement, problems: FieldProblem[]): void {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const control of form.querySelectorAll('[aria-invalid]'))
    control.removeAttribute('aria-invalid');
  for (const problem of problems) {
    const control = controlFor(form, problem.field);
    if (!control) continue;
    const id = `error-${problem.field.replace(/[^A-Za-z0-9]/g, '-')}`;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', id);
    control.insertAdjacentElement(
      'afterend',
      h('span', { class: 'field-error', id }, problem.message),
    );
  }
}

function controlFor(form: HTMLElement, path: string): Element | null {
  let candidate = path;
  while (candidate !== '') {
    const control = form.querySelector(`[data-field="${CSS.escape(candidate)}"]`);
    if (control) return control;
    candidate = candidate.replace(/(\[\d+\]|\.[^.[]+)$/, '');
    if (candidate === path) break;
  }
  return null;
}

export async function submitPage(): Promise<Node> {
  const { organizations } = await getJson<{ organizations: Organization[] }>('/organizations', {
    query: { kind: 'payer' },
  });
  const result = output();
  const lines = h('div', {}, lineRow(0));
  let lineCount = 1;
  const payer = h(
    'select',
    { name: 'payerId', 'data-field': 'payerId', required: true },
    organizations.map((organization) => h('option', { value: organization.id }, organization.name)),
  );
  const gender = h(
    'select',
    { name: 'member.gender', 'data-field': 'member.gender' },
    h('option', { value: 'U' }, 'Unknown'),
    h('option', { value: 'F' }, 'Female'),
    h('option', { value: 'M' }, 'Male'),
  );
  const submitButton = h('button', { type: 'submit' }, 'Submit claim');
  const form: HTMLFormElement = h(
    'form',
    {
      novalidate: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        void submit();
      },
    },
    h(
      'div',
      { class: 'grid' },
      field('Payer', payer),
      field('Patient control number', input('patientControlNumber', { maxlength: '38' })),
      field('Place of service', input('placeOfServiceCode', { value: '11', maxlength: '2' })),
      field('Diagnosis codes (comma separated)', input('diagnosisCodes', { placeholder: 'E11.9' })),
      field('Member id', input('member.memberId')),
      field('Member first name', input('member.firstName', { autocomplete: 'off' })),
      field('Member last name', input('member.lastName', { autocomplete: 'off' })),
      field('Member birth date', input('member.birthDate', { type: 'date' })),
      field('Member gender', gender),
    ),
    h('h2', {}, 'Service lines'),
    lines,
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            if (lineCount >= 50) return;
            lines.appendChild(lineRow(lineCount));
            lineCount += 1;
          },
        },
        'Add a line',
      ),
      submitButton,
    ),
    result,
  );

  async function submit(): Promise<void> {
    submitButton.disabled = true;
    try {
      const claim = await sendJson<{ id: string; status: string; duplicate?: boolean }>('/claims', {
        json: claimOf(form, lineCount),
      });
      markProblems(form, []);
      replace(
        result,
        notice(
          'ok',
          claim.duplicate ? 'This claim was already received: ' : 'Claim accepted: ',
          link(`#/claims/${claim.id}`, `claim ${claim.id}`),
          ` (${claim.status})`,
        ),
      );
    } catch (error) {
      if (error instanceof ApiError) markProblems(form, error.problems);
      replace(result, errorView(error));
    } finally {
      submitButton.disabled = false;
    }
  }
  return h('section', {}, h('h1', {}, 'Submit a claim'), form);
}

interface FileAnswer {
  interchangeControlNumber: string;
  accepted: number;
  duplicates: number;
  rejected: number;
  results: {
    index: number;
    status: string;
    patientControlNumber: string;
    claimId?: string;
    errors?: { field?: string; segment?: string; message: string }[];
  }[];
}

export function uploadPage(): Node {
  const file = h('input', { type: 'file', name: 'file', accept: '.x12,.edi,.837,.txt,text/plain' });
  const text = h('textarea', { name: 'x12', spellcheck: 'false', placeholder: 'ISA*00*…' });
  const result = output();
  const button = h('button', { type: 'submit' }, 'Send the file');
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (chosen) void chosen.text().then((content) => (text.value = content));
  });
  const form = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        void (async () => {
          button.disabled = true;
          try {
            const answer = await sendJson<FileAnswer>('/x12/837', {
              text: text.value,
              contentType: 'application/edi-x12',
            });
            replace(result, answerView(answer));
          } catch (error) {
            replace(result, errorView(error));
          } finally {
            button.disabled = false;
          }
        })();
      },
    },
    field('837P file', file),
    field('or paste the interchange', text),
    h('div', { class: 'row' }, button),
    result,
  );
  return h('section', {}, h('h1', {}, 'Upload an 837P file'), form);
}

function answerView(answer: FileAnswer): Node {
  return h(
    'div',
    {},
    notice(
      answer.rejected > 0 ? 'error' : 'ok',
      `Interchange ${answer.interchangeControlNumber}: ${answer.accepted} accepted, ${answer.duplicates} duplicate, ${answer.rejected} rejected.`,
    ),
    table(
      'Claims in the file',
      [
        { title: '#', cell: (r) => r.index + 1, numeric: true },
        { title: 'Patient control number', cell: (r) => r.patientControlNumber },
        { title: 'Outcome', cell: (r) => r.status },
        {
          title: 'Claim or problems',
          cell: (r) =>
            r.claimId
              ? link(`#/claims/${r.claimId}`, r.claimId)
              : h(
                  'ul',
                  {},
                  (r.errors ?? []).map((problem) =>
                    h(
                      'li',
                      {},
                      h('code', {}, problem.segment ?? problem.field ?? ''),
                      ` ${problem.message}`,
                    ),
                  ),
                ),
        },
      ],
      answer.results,
    ),
  );
}
