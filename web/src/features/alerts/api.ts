/** Document intelligence alerts (/work/notes/api-alerts-exchange.md). */
import type { Alert, AlertCreate } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';

export type { Alert, AlertCreate };
export type AlertStatus = Alert['status'];
export type Severity = Alert['severity'];

export const SEVERITIES: { id: Severity; label: string }[] = [
  { id: 'low', label: 'Low' },
  { id: 'medium', label: 'Medium' },
  { id: 'high', label: 'High' },
  { id: 'critical', label: 'Critical' },
];
export const severityLabel = (id: string) => SEVERITIES.find((s) => s.id === id)?.label ?? id;

const STATUS_LABELS: Record<AlertStatus, string> = {
  draft: 'Draft',
  'pending-approval': 'Awaiting approval',
  published: 'Published',
  withdrawn: 'Withdrawn',
};
export const alertStatusLabel = (s: string) => STATUS_LABELS[s as AlertStatus] ?? s;

const ACTION_LABELS: Record<Alert['history'][number]['action'], string> = {
  create: 'Drafted',
  edit: 'Edited',
  submit: 'Submitted for approval',
  reject: 'Rejected (back to draft)',
  approve: 'Approved and published',
  withdraw: 'Withdrawn',
};
/** A history entry's action in words ("Drafted", not `create`). */
export const alertActionLabel = (a: string) => ACTION_LABELS[a as keyof typeof ACTION_LABELS] ?? a;

export interface AlertPage {
  items: Alert[];
  total: number;
}

export const ALERT_PAGE_SIZE = 50;
const path = (id: string) => `/api/alerts/${encodeURIComponent(id)}`;
export const ATOM_FEED_PATH = '/api/alerts/feed.atom';

export function listAlerts(api: ApiClient, query: { status?: string; since?: string; offset?: number; limit?: number }, signal?: AbortSignal) {
  return api.get<AlertPage>('/api/alerts', { query: { limit: ALERT_PAGE_SIZE, ...query }, ...(signal ? { signal } : {}) });
}

export function getAlert(api: ApiClient, id: string, signal?: AbortSignal) {
  return api.get<Alert>(path(id), signal ? { signal } : {});
}

export function createAlert(api: ApiClient, alert: AlertCreate) {
  return api.post<Alert>('/api/alerts', alert);
}

export function updateAlert(api: ApiClient, id: string, revision: number, alert: AlertCreate) {
  return api.patch<Alert>(path(id), { revision, ...alert });
}

export function alertAction(api: ApiClient, alert: Alert, action: 'submit' | 'reject' | 'approve' | 'withdraw', note?: string) {
  return api.post<Alert>(`${path(alert.id)}/${action}`, { revision: alert.revision, ...(note ? { note } : {}) });
}

export function deleteAlert(api: ApiClient, alert: Alert) {
  return api.delete(path(alert.id), { query: { revision: alert.revision } });
}

/**
 * Who may not approve an alert: its drafter and everyone who edited it
 * (the server refuses them with FOUR_EYES_REQUIRED; the page says so first).
 */
export function authorsOf(alert: Alert): string[] {
  return [...new Set([alert.draftedBy, ...alert.history.filter((h) => h.action === 'create' || h.action === 'edit').map((h) => h.actor)])];
}

/** The time of the user's previous visit to the alerts, kept in this browser, so alerts published since are marked new. */
const lastVisitKey = (username: string) => `exemplar.alerts.seen.${username}`;
export const alertVisits = {
  read(username: string): string | null {
    try {
      return localStorage.getItem(lastVisitKey(username));
    } catch {
      return null;
    }
  },
  mark(username: string, at: string): void {
    try {
      localStorage.setItem(lastVisitKey(username), at);
    } catch {
      // Private mode or storage full: alerts simply stay marked new.
    }
  },
};

/** Alerts published after the user's last visit: the nav badge count. */
export async function countNewAlerts(api: ApiClient, username: string, signal?: AbortSignal): Promise<number> {
  const since = alertVisits.read(username);
  const page = await listAlerts(api, { ...(since ? { since } : {}), limit: 1 }, signal);
  return page.total;
}
