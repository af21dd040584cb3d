// `x12 submit <file>`: a billing office sends an 837P file to the API with its own key, as its
// practice-management system would, and reads each claim's answer. Over HTTP, not the database:
// a billing office holds an API key, never database credentials.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface X12SubmitOptions {
  file: string;
  /** The API's base URL, e.g. http://localhost:3000. */
  url: string;
  apiKey: string;
  /** Defaults to one derived from the file's bytes: sending the same file again replays its answer. */
  idempotencyKey?: string | undefined;
}

export interface X12SubmitResult {
  status: number;
  body: unknown;
  /** All claims accepted. */
  ok: boolean;
}

const REQUEST_TIMEOUT_MS = 120_000;

export async function submitX12File(options: X12SubmitOptions): Promise<X12SubmitResult> {
  const file = await readFile(options.file);
  const idempotencyKey =
    options.idempotencyKey ?? `x12-837-${createHash('sha256').update(file).digest('hex')}`;
  const response = await fetch(new URL('/v1/x12/837', options.url), {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${options.apiKey}`,
      'Content-Type': 'application/edi-x12',
      'Idempotency-Key': idempotencyKey,
    },
    body: file,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): shown as it came.
  }
  const rejected = (body as { rejected?: unknown }).rejected;
  return { status: response.status, body, ok: response.status === 200 && rejected === 0 };
}

interface Problem {
  field: string;
  segment?: string;
  element?: string;
  loop?: string;
  segmentPosition?: number;
  line?: number;
  message: string;
}

interface ClaimResult {
  status: 'accepted' | 'duplicate' | 'rejected';
  patientControlNumber: string;
  transactionSetControlNumber: string;
  line: number;
  claimId?: string;
  errors?: Problem[];
}

/** "SV1 SV102, loop 2400, segment 53, line 55: must be greater than 0". */
function describeProblem(problem: Problem): string {
  const where = [
    problem.segment === undefined
      ? problem.field
      : [problem.segment, problem.element].filter(Boolean).join(' '),
    problem.loop === undefined ? undefined : `loop ${problem.loop}`,
    problem.segmentPosition === undefined ? undefined : `segment ${problem.segmentPosition}`,
    problem.line === undefined ? undefined : `line ${problem.line}`,
  ].filter((part) => part !== undefined);
  return `${where.join(', ')}: ${problem.message}`;
}

/** The answer as lines for a person: one per claim, its problems indented under it. */
export function describeX12Answer(result: X12SubmitResult): string[] {
  const body = result.body as {
    interchangeControlNumber?: string;
    accepted?: number;
    duplicates?: number;
    rejected?: number;
    results?: ClaimResult[];
    title?: string;
    detail?: string;
    errors?: Problem[];
  };
  const first = (result.body as { firstAnswer?: unknown }).firstAnswer;
  if (result.status === 409 && first !== undefined) {
    return [
      'interchange already received (a duplicate: nothing written); the first answer:',
      ...describeX12Answer({ status: 200, body: first, ok: false }),
    ];
  }
  if (result.status !== 200 || !Array.isArray(body.results)) {
    const reason = typeof result.body === 'string' ? result.body : (body.detail ?? '');
    return [
      `file refused (${result.status}${body.title ? ` ${body.title}` : ''}): ${reason}`,
      ...(body.errors ?? []).map((problem) => `  ${describeProblem(problem)}`),
    ];
  }
  const lines = [
    `interchange ${body.interchangeControlNumber}: ${body.accepted} accepted, ` +
      (body.duplicates ? `${body.duplicates} already received, ` : '') +
      `${body.rejected} rejected`,
  ];
  for (const claim of body.results) {
    const place = `CLM01 ${claim.patientControlNumber} (ST ${claim.transactionSetControlNumber}, line ${claim.line})`;
    if (claim.status === 'accepted') {
      lines.push(`accepted  ${place}  claim ${claim.claimId}`);
    } else if (claim.status === 'duplicate') {
      lines.push(`already received  ${place}  claim ${claim.claimId}`);
    } else {
      lines.push(`rejected  ${place}`);
      lines.push(...(claim.errors ?? []).map((problem) => `  ${describeProblem(problem)}`));
    }
  }
  return lines;
}

/** The interchange an answer is about: the new one, or the first of a duplicate. */
export function interchangeIdOf(result: X12SubmitResult): string | undefined {
  const body = result.body as {
    interchangeId?: unknown;
    firstAnswer?: { interchangeId?: unknown };
  };
  const id = body.interchangeId ?? body.firstAnswer?.interchangeId;
  return typeof id === 'string' ? id : undefined;
}

export interface AcknowledgmentFetch {
  url: string;
  apiKey: string;
  interchangeId: string;
  /** The directory the files are written to (made when missing). */
  directory: string;
}

/**
 * Fetches the 999 and the 277CA of an interchange (GET /v1/x12/interchanges/:id/999, /277ca)
 * into `directory` as 999-<id>.x12 and 277ca-<id>.x12; answers the files written. There is no
 * 277CA when the 999 rejected every transaction set.
 */
export async function fetchAcknowledgments(options: AcknowledgmentFetch): Promise<string[]> {
  await mkdir(options.directory, { recursive: true });
  const written: string[] = [];
  for (const kind of ['999', '277ca']) {
    const path = `/v1/x12/interchanges/${encodeURIComponent(options.interchangeId)}/${kind}`;
    const response = await fetch(new URL(path, options.url), {
      headers: { Authorization: `Bearer ${options.apiKey}`, Accept: 'application/edi-x12' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.status === 404 && kind === '277ca') continue;
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    }
    const file = join(options.directory, `${kind}-${options.interchangeId}.x12`);
    await writeFile(file, await response.text());
    written.push(file);
  }
  return written;
}
