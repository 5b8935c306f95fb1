/**
 * The one way the web app talks to the API. Every request goes through
 * `ApiClient`, so session and CSRF headers (issue 5) are added in one place:
 * `requestHeaders`. Errors always arrive as `ApiError` with the API's
 * `{code, message, details}`, or a client-side code when the API could not
 * be reached.
 */

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Readonly<Record<string, QueryValue>>;

/** The API's error body. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Codes the client gives when there is no API answer to report. */
export const CLIENT_ERROR_CODES = {
  network: 'NETWORK_ERROR',
  aborted: 'ABORTED',
  badResponse: 'BAD_RESPONSE',
} as const;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Validation issues of a VALIDATION_FAILED answer (`details.errors`), or none. */
  get issues(): { path: string; message: string }[] {
    const errors = this.details['errors'];
    if (!Array.isArray(errors)) return [];
    return errors.filter(
      (e): e is { path: string; message: string } =>
        typeof e === 'object' && e !== null && typeof (e as { path?: unknown }).path === 'string' && typeof (e as { message?: unknown }).message === 'string',
    );
  }
}

export function isApiError(err: unknown, code?: string): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

/**
 * The record a page's address names does not exist: a 404, or an identifier
 * the API refuses as malformed (400 VALIDATION_FAILED in the path), which no
 * record can have — a mistyped or truncated link, not an error to retry.
 */
export function isNotFound(err: unknown): err is ApiError {
  return isApiError(err) && (err.status === 404 || (err.status === 400 && err.code === 'VALIDATION_FAILED' && err.details['in'] === 'params'));
}

export function isAbort(err: unknown): boolean {
  return isApiError(err, CLIENT_ERROR_CODES.aborted) || (err instanceof DOMException && err.name === 'AbortError');
}

/** What a transport is asked to send. Bodies are JSON text or multipart form data. */
export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names. */
  header(name: string): string | null;
  text(): Promise<string>;
  /** The body as bytes (downloads). */
  bytes(): Promise<ArrayBuffer>;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Carries requests to the API. The browser transport uses fetch, and
 * XMLHttpRequest for uploads because only XHR reports upload progress.
 */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  upload(request: TransportRequest, onProgress: (p: UploadProgress) => void): Promise<TransportResponse>;
}

export const browserTransport: Transport = {
  async send({ method, url, headers, body, signal }) {
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body ?? null, signal: signal ?? null, credentials: 'same-origin' });
    } catch (err) {
      if (signal?.aborted) throw new ApiError(0, CLIENT_ERROR_CODES.aborted, 'The request was cancelled');
      throw new ApiError(0, CLIENT_ERROR_CODES.network, `The server could not be reached (${(err as Error).message})`);
    }
    return { status: res.status, header: (name) => res.headers.get(name), text: () => res.text(), bytes: () => res.arrayBuffer() };
  },
  upload({ method, url, headers, body, signal }, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.withCredentials = true;
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
      });
      xhr.addEventListener('load', () =>
        resolve({
          status: xhr.status,
          header: (name) => xhr.getResponseHeader(name),
          text: async () => xhr.responseText,
          bytes: async () => new TextEncoder().encode(xhr.responseText).buffer as ArrayBuffer,
        }),
      );
      xhr.addEventListener('error', () => reject(new ApiError(0, CLIENT_ERROR_CODES.network, 'The upload failed: the server could not be reached')));
      xhr.addEventListener('abort', () => reject(new ApiError(0, CLIENT_ERROR_CODES.aborted, 'The upload was cancelled')));
      if (signal) {
        if (signal.aborted) return xhr.abort();
        signal.addEventListener('abort', () => xhr.abort(), { once: true });
      }
      xhr.send(body ?? null);
    });
  },
};

export interface ApiClientOptions {
  /** Prefix of every path; '' for the same origin (the app is served by the API server). */
  baseUrl?: string;
  transport?: Transport;
  /** Headers added to every request, read at each request. */
  requestHeaders?: () => Record<string, string>;
}

/** The header carrying the session's CSRF token on changes made with the session cookie. */
export const CSRF_HEADER = 'x-csrf-token';
/** Logging in answers 401 for a wrong password: that is the login form's business, not a sign the session ended. */
const LOGIN_PATH = '/api/auth/login';

export interface DownloadedFile {
  bytes: ArrayBuffer;
  fileName: string;
  contentType: string;
  header(name: string): string | null;
}

export interface RequestOptions {
  query?: Query;
  signal?: AbortSignal;
}

/** Appends a query string: arrays become repeated keys, empty values are left out. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value as readonly (string | number)[]) params.append(key, String(v));
    else params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly transport: Transport;
  private readonly requestHeaders: () => Record<string, string>;
  private csrfToken: string | null = null;
  private readonly unauthenticatedListeners = new Set<(err: ApiError) => void>();

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.transport = options.transport ?? browserTransport;
    this.requestHeaders = options.requestHeaders ?? (() => ({}));
  }

  /** The session's CSRF token (from login or GET /api/auth/session), sent with every unsafe request; null when logged out. */
  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  /** Called whenever the API answers 401 (the session ended or was never there); returns the unsubscribe. */
  onUnauthenticated(listener: (err: ApiError) => void): () => void {
    this.unauthenticatedListeners.add(listener);
    return () => this.unauthenticatedListeners.delete(listener);
  }

  private headersFor(method: TransportRequest['method']): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.requestHeaders() };
    if (method !== 'GET' && this.csrfToken) headers[CSRF_HEADER] = this.csrfToken;
    return headers;
  }

  /** Absolute URL of an API path, for `<img src>`, downloads and the tile viewer. */
  url(path: string, query?: Query): string {
    return this.baseUrl + withQuery(path, query);
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('GET', path, undefined, options);
  }
  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', path, body, options);
  }
  put<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('PUT', path, body, options);
  }
  patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('PATCH', path, body, options);
  }
  delete<T = void>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('DELETE', path, undefined, options);
  }

  /**
   * Fetches a file (an exhibit, a package) as bytes with its answer headers;
   * `body` makes it a POST with that JSON (an export of chosen records).
   * Errors arrive as ApiError like any request.
   */
  async download(path: string, options: RequestOptions & { body?: unknown } = {}): Promise<DownloadedFile> {
    const method = options.body === undefined ? 'GET' : 'POST';
    const headers: Record<string, string> = { ...this.headersFor(method), accept: '*/*' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const request: TransportRequest = {
      method,
      url: this.url(path, options.query),
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const res = await this.transport.send(request);
    if (res.status < 200 || res.status >= 300) return this.read<never>(path, res);
    const disposition = res.header('content-disposition') ?? '';
    const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? path.split('/').pop() ?? 'download';
    return { bytes: await res.bytes(), fileName, contentType: res.header('content-type') ?? 'application/octet-stream', header: (n) => res.header(n) };
  }

  /** Sends multipart form data, reporting upload progress. */
  async upload<T>(path: string, form: FormData, onProgress: (p: UploadProgress) => void, options: RequestOptions = {}): Promise<T> {
    const request: TransportRequest = {
      method: 'POST',
      url: this.url(path, options.query),
      headers: this.headersFor('POST'),
      body: form,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return this.read<T>(path, await this.transport.upload(request, onProgress));
  }

  private async json<T>(method: TransportRequest['method'], path: string, body: unknown, options: RequestOptions): Promise<T> {
    const headers = this.headersFor(method);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request: TransportRequest = {
      method,
      url: this.url(path, options.query),
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return this.read<T>(path, await this.transport.send(request));
  }

  private async read<T>(path: string, res: TransportResponse): Promise<T> {
    const text = await res.text();
    const isJson = (res.header('content-type') ?? '').includes('json');
    let parsed: unknown;
    if (text !== '' && isJson) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError(res.status, CLIENT_ERROR_CODES.badResponse, `The server sent invalid JSON (HTTP ${res.status})`);
      }
    }
    if (res.status >= 200 && res.status < 300) return parsed as T;
    const err = isErrorBody(parsed)
      ? new ApiError(res.status, parsed.code, parsed.message, parsed.details ?? {})
      : new ApiError(res.status, CLIENT_ERROR_CODES.badResponse, `The server answered HTTP ${res.status}`);
    if (res.status === 401 && path !== LOGIN_PATH) for (const listener of this.unauthenticatedListeners) listener(err);
    throw err;
  }
}

function isErrorBody(v: unknown): v is ErrorBody {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ErrorBody).code === 'string' &&
    typeof (v as ErrorBody).message === 'string'
  );
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
