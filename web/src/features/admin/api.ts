/** Administration: users (/api/users), partner keys (/api/partners), the audit trail (/api/audit). */
import type { AuditEntry, PartnerKey } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';
import type { Role } from '../../shared/auth/permissions';

export type { AuditEntry, PartnerKey };

export interface User {
  username: string;
  role: Role;
  displayName: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

const userPath = (username: string) => `/api/users/${encodeURIComponent(username)}`;

export const listUsers = (api: ApiClient, signal?: AbortSignal) => api.get<{ items: User[] }>('/api/users', signal ? { signal } : {});
export const createUser = (api: ApiClient, user: { username: string; role: Role; password: string; displayName?: string }) => api.post<User>('/api/users', user);
export const updateUser = (api: ApiClient, username: string, patch: { role?: Role; disabled?: boolean; displayName?: string }) => api.patch<User>(userPath(username), patch);
export const setPassword = (api: ApiClient, username: string, password: string) => api.post<void>(`${userPath(username)}/password`, { password });

/** The server's rule (auth/passwords.ts): at least this many characters. */
export const MIN_PASSWORD_LENGTH = 10;

export const listPartners = (api: ApiClient, signal?: AbortSignal) => api.get<{ items: PartnerKey[] }>('/api/partners', signal ? { signal } : {});
export const addPartner = (api: ApiClient, name: string, publicKey: string) => api.post<PartnerKey>('/api/partners', { name, publicKey });
export const revokePartner = (api: ApiClient, id: string) => api.post<PartnerKey>(`/api/partners/${encodeURIComponent(id)}/revoke`, {});

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
  cursor?: string;
}
export const AUDIT_PAGE_SIZE = 100;
export const listAudit = (api: ApiClient, query: AuditQuery, signal?: AbortSignal) =>
  api.get<{ items: AuditEntry[]; nextCursor: string | null }>('/api/audit', { query: { ...query, limit: AUDIT_PAGE_SIZE }, ...(signal ? { signal } : {}) });
