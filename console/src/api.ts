// Calls to the /v1 API with the signed-in key. The key lives in sessionStorage only: it is gone
// when the tab closes, and never written anywhere else.
const KEY_ITEM = 'claimchain.apiKey';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An RFC 9457 problem answer, as the API sends for every refusal. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly problems: FieldProblem[],
    readonly body: unknown,
  ) {
    super(detail);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  text?: string;
  contentType?: string;
  query?: Record<string, string | undefined>;
  key?: string;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'text/plain';
    body = options.text;
  }
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') search.set(name, value);
  }
  const url = `/v1${path}${search.size > 0 ? `?${search.toString()}` : ''}`;
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body });
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's page): the status line is all there is.
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const detail =
    typeof record.detail === 'string' ? record.detail : `${response.status} ${response.statusText}`;
  const problems = Array.isArray(record.errors) ? (record.errors as FieldProblem[]) : [];
  return new ApiError(response.status, detail, problems, body);
}

export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await (await send(path, options)).json()) as T;
}

export async function sendJson<T>(path: string, options: RequestOptions): Promise<T> {
  return (await (await send(path, { method: 'POST', ...options })).json()) as T;
}

/** A file answer (the 835) saved through a download link: the key never goes into a URL. */
export async function download(path: string, fallbackName: string): Promise<string> {
  const response = await send(path, {});
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const text = await response.text();
  const url = URL.createObjectURL(new Blob([text], { type: 'application/edi-x12' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return text;
}
