/**
 * Who is logged in. At start the app asks GET /api/auth/session; the CSRF
 * token it answers goes to the API client, which sends it with every change.
 * Any 401 from the API (the session expired, was ended elsewhere, the user
 * was disabled) turns the app back to logged out. A user who was working
 * keeps the page (and what they typed on it) under a login dialog
 * (`previous`); without a session from the start, the router sends the user
 * to the login page with the page they wanted kept.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useApi } from '../api/api-context';
import { isApiError } from '../api/client';
import { userCan, type Permission, type Role } from './permissions';

export interface SessionUser {
  username: string;
  role: Role;
  displayName: string;
  disabled?: boolean;
  /** What the user's role may do, as the server says (login and session answers). */
  permissions: readonly Permission[];
}

export type SessionState =
  | { status: 'loading' }
  /** `previous`: whose session ended while the app was open; their page stays, under a login dialog. */
  | { status: 'anonymous'; ended: boolean; previous?: SessionUser }
  | { status: 'authenticated'; user: SessionUser }
  | { status: 'error'; error: unknown };

interface SessionApi {
  state: SessionState;
  login(username: string, password: string): Promise<SessionUser>;
  logout(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<SessionApi | null>(null);

interface SessionAnswer {
  user: Omit<SessionUser, 'permissions'>;
  permissions: readonly Permission[];
  csrfToken: string | null;
}

const sessionUser = (answer: SessionAnswer): SessionUser => ({ ...answer.user, permissions: answer.permissions ?? [] });

export function SessionProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    api.get<SessionAnswer>('/api/auth/session', { signal: controller.signal }).then(
      (answer) => {
        if (controller.signal.aborted) return;
        api.setCsrfToken(answer.csrfToken);
        setState({ status: 'authenticated', user: sessionUser(answer) });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (isApiError(error) && error.status === 401) setState({ status: 'anonymous', ended: false });
        else setState({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [api, generation]);

  useEffect(
    () =>
      api.onUnauthenticated(() => {
        api.setCsrfToken(null);
        setState((s) => (s.status === 'authenticated' ? { status: 'anonymous', ended: true, previous: s.user } : s));
      }),
    [api],
  );

  const login = useCallback(
    async (username: string, password: string) => {
      const answer = await api.post<SessionAnswer>('/api/auth/login', { username, password });
      api.setCsrfToken(answer.csrfToken);
      const user = sessionUser(answer);
      setState({ status: 'authenticated', user });
      return user;
    },
    [api],
  );

  const logout = useCallback(async () => {
    try {
      await api.post('/api/auth/logout', {});
    } catch {
      // Logged out either way: the cookie is cleared by the server or the session was already gone.
    }
    api.setCsrfToken(null);
    setState({ status: 'anonymous', ended: false });
  }, [api]);

  const retry = useCallback(() => setGeneration((g) => g + 1), []);
  const value = useMemo(() => ({ state, login, logout, retry }), [state, login, logout, retry]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a <SessionProvider> above it');
  return session;
}

/** The session if there is one above: for parts that also render alone (a component on its own in a test). */
export function useOptionalSession(): SessionApi | null {
  return useContext(SessionContext);
}

/**
 * The logged-in user; only for pages behind <RequireSession>. While a login
 * dialog covers a page whose session ended, the user it was shown to (the
 * server refuses what they try until they log in again).
 */
export function useUser(): SessionUser {
  const { state } = useSession();
  if (state.status === 'authenticated') return state.user;
  if (state.status === 'anonymous' && state.previous) return state.previous;
  throw new Error('useUser outside a logged-in page');
}

/** Whether the logged-in user may use something (the server decides in the end). */
export function useCan(): (permission: Permission) => boolean {
  const user = useUser();
  return useCallback((permission: Permission) => userCan(user, permission), [user]);
}

/** A same-site path to return to after login; anything else (other sites, protocol-relative) goes home. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/';
  return next;
}
