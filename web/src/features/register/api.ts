/** The lost/stolen/revoked document register (/work/notes/api-field.md). */
import type { RegisterEntry, RegisterEntryCreate, RegisterEntryStatus } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';

export const REGISTER_STATUSES: { id: RegisterEntryStatus; label: string }[] = [
  { id: 'lost', label: 'Lost' },
  { id: 'stolen', label: 'Stolen' },
  { id: 'stolen-blank', label: 'Stolen blank' },
  { id: 'revoked', label: 'Revoked' },
  { id: 'invalid', label: 'Invalid' },
];
export const registerStatusLabel = (id: string) => REGISTER_STATUSES.find((s) => s.id === id)?.label ?? id;

export interface RegisterPage {
  items: RegisterEntry[];
  total: number;
  limit: number;
  offset: number;
}

export const REGISTER_PAGE_SIZE = 50;

export function searchRegister(api: ApiClient, query: { issuingState?: string; documentNumber?: string; status?: string; offset?: number }, signal?: AbortSignal) {
  return api.get<RegisterPage>('/api/register', { query: { ...query, limit: REGISTER_PAGE_SIZE }, ...(signal ? { signal } : {}) });
}

export function createEntry(api: ApiClient, entry: RegisterEntryCreate) {
  return api.post<RegisterEntry>('/api/register', entry);
}

export function deleteEntry(api: ApiClient, entry: RegisterEntry) {
  return api.delete(`/api/register/${encodeURIComponent(entry.id)}`, { query: { revision: entry.revision } });
}

export interface ImportRow {
  row: number;
  ok: boolean;
  id?: string;
  duplicate?: boolean;
  errors: { field: string; message: string }[];
}

export interface ImportReport {
  mode: 'valid-rows' | 'all-or-nothing';
  ok: boolean;
  imported: number;
  refused: number;
  duplicates: number;
  rows: ImportRow[];
}

export function importCsv(api: ApiClient, file: File, mode: ImportReport['mode'], onProgress: (fraction: number) => void) {
  const form = new FormData();
  form.append('file', file, file.name);
  return api.upload<ImportReport>('/api/register/import', form, (p) => onProgress(p.total ? p.loaded / p.total : 0), { query: { mode } });
}
