/**
 * Component tests run in jsdom, which has no fetch and no server. The API
 * boundary is replaced by a transport that answers from handlers the test
 * declares and records every request, so tests assert both what a component
 * shows for an answer and what it asked for. (The real server is exercised
 * end to end by tests/e2e in Chromium.)
 */
import { render } from '@testing-library/react';
import { createMemoryRouter, Outlet, RouterProvider, useLocation, type Location } from 'react-router-dom';
import { appRoutes } from '../app/app';
import { ApiProvider } from '../shared/api/api-context';
import type { Role } from '../shared/auth/permissions';
import type { SessionUser } from '../shared/auth/session';
// The server's own table, so that test sessions carry exactly what the server would send.
import { permissionsOf } from '../../../server/src/auth/policy';
import { ApiClient, type Transport, type TransportRequest, type TransportResponse, type UploadProgress } from '../shared/api/client';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Parsed JSON body, or the FormData of an upload. */
  body: unknown;
}

/** `body` is sent as JSON; `raw` as bytes with the given headers (downloads). */
export type Reply = { status: number; body?: unknown; raw?: Uint8Array; headers?: Record<string, string> };
export type Handler = (req: RecordedRequest) => Reply | Promise<Reply> | undefined;

export interface TestApi {
  client: ApiClient;
  requests: RecordedRequest[];
  /** Requests to a path (without query), in order. */
  calls(method: string, path: string): RecordedRequest[];
  /** Progress events an upload emits before its reply: fractions of the body. */
  uploadSteps: number[];
}

function respond(reply: Reply): TransportResponse {
  if (reply.raw) {
    const raw = reply.raw;
    const headers = Object.fromEntries(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: reply.status,
      header: (name) => headers[name.toLowerCase()] ?? null,
      text: async () => new TextDecoder().decode(raw),
      bytes: async () => raw.slice().buffer,
    };
  }
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  return {
    status: reply.status,
    header: (name) => (name.toLowerCase() === 'content-type' && text ? 'application/json; charset=utf-8' : null),
    text: async () => text,
    bytes: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
  };
}

export function createTestApi(...handlers: Handler[]): TestApi {
  const requests: RecordedRequest[] = [];
  const api: TestApi = {
    client: undefined as unknown as ApiClient,
    requests,
    calls: (method, path) => requests.filter((r) => r.method === method && r.url.pathname === path),
    uploadSteps: [0.25, 0.5, 1],
  };
  const handle = async (req: TransportRequest): Promise<TransportResponse> => {
    if (req.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const recorded: RecordedRequest = {
      method: req.method,
      url: new URL(req.url, 'http://exemplar.test'),
      headers: req.headers,
      body: typeof req.body === 'string' ? (JSON.parse(req.body) as unknown) : req.body,
    };
    requests.push(recorded);
    for (const h of [...handlers, sessionAs('examiner')]) {
      const reply = await h(recorded);
      if (reply) return respond(reply);
    }
    return respond({ status: 404, body: { code: 'NOT_FOUND', message: `no test handler for ${req.method} ${recorded.url.pathname}`, details: {} } });
  };
  const transport: Transport = {
    send: handle,
    async upload(req, onProgress: (p: UploadProgress) => void) {
      // The body is the files plus some multipart framing, as a browser would count it.
      let total = 500;
      if (req.body instanceof FormData) for (const v of req.body.values()) total += v instanceof File ? v.size : String(v).length;
      for (const step of api.uploadSteps) onProgress({ loaded: Math.round(step * total), total });
      return handle(req);
    },
  };
  api.client = new ApiClient({ transport, requestHeaders: () => ({ 'x-test': '1' }) });
  return api;
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

export function testUser(role: Role, overrides: Partial<SessionUser> = {}): SessionUser {
  const names: Record<Role, string> = { admin: 'Ada Admin', examiner: 'Erin Examiner', 'border-officer': 'Bo Officer', prosecutor: 'Pat Prosecutor', viewer: 'Vic Viewer' };
  return { username: role.replace('-', '.'), role, displayName: names[role], disabled: false, permissions: permissionsOf(role), ...overrides };
}

/** A login or session answer for this user, shaped as the server sends it (permissions beside the user). */
export function sessionAnswer(user: SessionUser, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { permissions, ...rest } = user;
  return { user: rest, permissions, ...extra };
}

/**
 * GET /api/auth/session answering a logged-in user of this role. Every test
 * API ends with an examiner's session, so pages render logged in unless a test
 * puts another answer first.
 */
export function sessionAs(role: Role, overrides: Partial<SessionUser> = {}): Handler {
  return on('GET', '/api/auth/session', ok(sessionAnswer(testUser(role, overrides), { csrfToken: `csrf-${role}`, via: 'session' })));
}

/** No session: GET /api/auth/session answers 401. */
export const loggedOut: Handler = on('GET', '/api/auth/session', { status: 401, body: { code: 'UNAUTHENTICATED', message: 'log in first', details: {} } });

/** A handler for one method and path (a string, or a pattern for ids). */
export function on(method: string, path: string | RegExp, reply: Reply | ((req: RecordedRequest) => Reply | Promise<Reply>)): Handler {
  return (req) => {
    if (req.method !== method) return undefined;
    const matches = typeof path === 'string' ? req.url.pathname === path : path.test(req.url.pathname);
    if (!matches) return undefined;
    return typeof reply === 'function' ? reply(req) : reply;
  };
}

function LocationProbe({ into }: { into: { current: Location | null } }) {
  into.current = useLocation();
  return null;
}

/**
 * Renders the whole app (its real routes) at a URL, or at the last of several history entries (so the back button has
 * somewhere to go); `location.current` is where the app is now, `router` drives its history.
 */
export function renderApp(api: TestApi, url: string | string[]) {
  const location: { current: Location | null } = { current: null };
  const router = createMemoryRouter(
    [
      {
        element: (
          <>
            <Outlet />
            <LocationProbe into={location} />
          </>
        ),
        children: appRoutes,
      },
    ],
    { initialEntries: typeof url === 'string' ? [url] : url },
  );
  const utils = render(
    <ApiProvider client={api.client}>
      <RouterProvider router={router} />
    </ApiProvider>,
  );
  return { ...utils, location: location as { current: Location }, router };
}
