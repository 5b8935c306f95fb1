/** Verification requests, the 24-hour service (/work/notes/api-field.md). */
import type { Comparison, VerificationAnswer, VerificationRequest } from '@exemplar/specimens-schema';
import type { ApiClient, UploadProgress } from '../../shared/api/client';
import { formatDuration } from '../../shared/ui/format';

export type { VerificationRequest };
export type Urgency = VerificationRequest['urgency'];
export type VerificationStatus = VerificationRequest['status'];

export const URGENCIES: { id: Urgency; label: string; hint: string }[] = [
  { id: 'routine', label: 'Routine', hint: 'answer within 24 hours' },
  { id: 'urgent', label: 'Urgent', hint: 'answer within 4 hours' },
  { id: 'immediate', label: 'Immediate', hint: 'the traveller is waiting: answer within 1 hour' },
];
export const urgencyLabel = (id: string) => URGENCIES.find((u) => u.id === id)?.label ?? id;

const STATUS_LABELS: Record<VerificationStatus, string> = {
  submitted: 'Waiting for an examiner',
  claimed: 'Being examined',
  'returned-for-information': 'Question for the submitter',
  answered: 'Answered',
  closed: 'Closed',
  withdrawn: 'Withdrawn',
};
export const verificationStatusLabel = (s: string) => STATUS_LABELS[s as VerificationStatus] ?? s;

const ACTION_LABELS: Record<VerificationRequest['history'][number]['action'], string> = {
  submit: 'Submitted',
  claim: 'Claimed',
  release: 'Released',
  return: 'Returned with a question',
  reply: 'Replied',
  answer: 'Answered',
  close: 'Closed',
  withdraw: 'Withdrawn',
  'link-comparison': 'Comparison linked',
};
/** A history entry's action in words ("Submitted", not `submit`). */
export const verificationActionLabel = (a: string) => ACTION_LABELS[a as keyof typeof ACTION_LABELS] ?? a;

export const CONCLUSIONS: { id: VerificationAnswer['conclusion']; label: string }[] = [
  { id: 'genuine', label: 'Genuine' },
  { id: 'fraudulent', label: 'Fraudulent' },
  { id: 'inconclusive', label: 'Inconclusive' },
  { id: 'needs-original', label: 'Needs the original document' },
];
export const conclusionLabel = (id: string) => CONCLUSIONS.find((c) => c.id === id)?.label ?? id;

export const FRAUD_TYPES: { id: NonNullable<VerificationAnswer['fraudType']>; label: string }[] = [
  { id: 'counterfeit', label: 'Counterfeit' },
  { id: 'forgery', label: 'Forgery' },
  { id: 'pseudo', label: 'Pseudo document' },
  { id: 'fantasy', label: 'Fantasy document' },
  { id: 'fraudulently-obtained-genuine', label: 'Fraudulently obtained genuine' },
  { id: 'impostor', label: 'Impostor (look-alike)' },
  { id: 'stolen-blank', label: 'Stolen blank' },
];

export interface VerificationPage {
  items: VerificationRequest[];
  total: number;
  limit: number;
  offset: number;
}

export const VERIFICATION_PAGE_SIZE = 50;
const path = (id: string) => `/api/verification-requests/${encodeURIComponent(id)}`;

export interface RequestQuery {
  status?: string[];
  mine?: boolean;
  claimedBy?: string;
  offset?: number;
}

export function listRequests(api: ApiClient, query: RequestQuery, signal?: AbortSignal) {
  return api.get<VerificationPage>('/api/verification-requests', {
    query: { status: query.status, mine: query.mine ? 'true' : undefined, claimedBy: query.claimedBy, offset: query.offset, limit: VERIFICATION_PAGE_SIZE },
    ...(signal ? { signal } : {}),
  });
}

export function getRequest(api: ApiClient, id: string, signal?: AbortSignal) {
  return api.get<VerificationRequest>(path(id), signal ? { signal } : {});
}

export interface NewRequest {
  urgency: Urgency;
  notes?: string;
  location?: string;
  mrz?: { lines: string[] };
  document?: { issuingState?: string; documentCode?: string; documentNumber?: string };
}

export function submitRequest(api: ApiClient, request: NewRequest, files: { lightSource: string; file: File }[], onProgress: (p: UploadProgress) => void, signal?: AbortSignal) {
  const form = new FormData();
  form.append('request', JSON.stringify(request));
  for (const { lightSource, file } of files) form.append(lightSource, file, file.name);
  return api.upload<VerificationRequest>('/api/verification-requests', form, onProgress, signal ? { signal } : {});
}

export const questionedImagePath = (id: string, light: string) => `${path(id)}/questioned/${encodeURIComponent(light)}`;

type Action = 'claim' | 'release' | 'return' | 'reply' | 'withdraw' | 'close';
export function act(api: ApiClient, id: string, action: Action, body: { message?: string } = {}) {
  return api.post<VerificationRequest>(`${path(id)}/${action}`, body);
}

export function answerRequest(api: ApiClient, id: string, answer: VerificationAnswer) {
  return api.post<VerificationRequest>(`${path(id)}/answer`, answer);
}

export function linkComparison(api: ApiClient, id: string, comparisonId: string) {
  return api.post<VerificationRequest>(`${path(id)}/comparisons`, { comparisonId });
}

/** Runs a comparison on the request's stored questioned images (by SHA-256, no upload) against the best-matching reference. */
export function compareStoredImages(api: ApiClient, request: VerificationRequest) {
  const images = Object.fromEntries(Object.entries(request.questioned).flatMap(([light, image]) => (image ? [[light, image.sha256]] : [])));
  return api.post<Comparison>('/api/comparisons', {
    reference: 'auto',
    questioned: { images },
    notes: `Verification request ${request.id}`,
    ...(request.mrz ? { mrz: { lines: request.mrz.lines } } : {}),
  });
}

/** "2 h 10 min left" or "overdue by 35 min". */
export function dueText(dueAt: string, now: number): { text: string; overdue: boolean } {
  const ms = new Date(dueAt).getTime() - now;
  return ms >= 0 ? { text: `${formatDuration(ms)} left`, overdue: false } : { text: `overdue by ${formatDuration(ms)}`, overdue: true };
}
