/**
 * The cases API (issue 5; /work/notes/api-cases.md): case records, examiner
 * notes, the conclusion on the opinion scale, and the court exhibits.
 */
import { casePropositions, type Case, type CaseConclusion, type CaseNote, type CaseOpinion, type CaseProposition } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';

export type { Case, CaseConclusion, CaseNote };

/** ASTM E1658-style opinion scale, strongest "did" first. */
export const OPINIONS = [
  { id: 'identification', label: 'Identification', hint: 'The strongest positive opinion' },
  { id: 'probably-did', label: 'Probably did', hint: 'Strong evidence for' },
  { id: 'indications-did', label: 'Indications did', hint: 'Some evidence for' },
  { id: 'no-conclusion', label: 'No conclusion (inconclusive)', hint: 'Neither way' },
  { id: 'indications-did-not', label: 'Indications did not', hint: 'Some evidence against' },
  { id: 'probably-did-not', label: 'Probably did not', hint: 'Strong evidence against' },
  { id: 'elimination', label: 'Elimination', hint: 'The strongest negative opinion' },
] as const satisfies readonly { id: CaseOpinion; label: string; hint: string }[];
export type Opinion = CaseOpinion;
export type Proposition = CaseProposition;
/** What an opinion answers ("did" what), from the schema's vocabulary; the form lists them in its order. */
export const PROPOSITIONS = casePropositions;
export const opinionLabel = (id: string) => OPINIONS.find((o) => o.id === id)?.label ?? id;

export interface CaseSummary {
  id: string;
  title: string;
  reference: string;
  status: 'open' | 'closed';
  examiners: string[];
  prosecutors: string[];
  opinion: Opinion | null;
  /** What the opinion answers; null without a conclusion, or for one recorded before propositions were asked. */
  proposition: Proposition | null;
  updatedAt: string;
}

export interface CaseInput {
  title: string;
  reference: string;
  examiners: string[];
  prosecutors: string[];
  comparisons: string[];
  specimens: string[];
}

const casePath = (id: string) => `/api/cases/${encodeURIComponent(id)}`;

export const exhibitPaths = {
  pdf: (id: string) => `${casePath(id)}/exhibit.pdf`,
  zip: (id: string) => `${casePath(id)}/exhibit.zip`,
};
/** The header with the SHA-256 of an exhibit's bytes. */
export const EXHIBIT_SHA_HEADER = 'x-exhibit-sha256';

export const CASE_PAGE_SIZE = 50;

export function listCases(api: ApiClient, query: { status?: string; offset?: number }, signal?: AbortSignal) {
  return api.get<{ items: CaseSummary[]; total: number }>('/api/cases', { query: { ...query, limit: CASE_PAGE_SIZE }, ...(signal ? { signal } : {}) });
}

/** A comparison a case links, named for any reader of the case (prosecutors cannot open the comparison itself). */
export interface CaseComparisonName {
  id: string;
  /** As the exhibit labels the questioned document; null when the comparison is no longer stored. */
  label: string | null;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | null;
  submittedAt: string | null;
}

export function getCaseComparisonNames(api: ApiClient, id: string, signal?: AbortSignal) {
  return api.get<{ items: CaseComparisonName[] }>(`${casePath(id)}/comparisons`, signal ? { signal } : {});
}

export function getCase(api: ApiClient, id: string, signal?: AbortSignal) {
  return api.get<Case>(casePath(id), signal ? { signal } : {});
}

export function createCase(api: ApiClient, input: CaseInput) {
  return api.post<Case>('/api/cases', input);
}

export function updateCase(api: ApiClient, id: string, revision: number, patch: Partial<CaseInput> & { status?: 'open' | 'closed' }) {
  return api.patch<Case>(casePath(id), { revision, ...patch });
}

export function addNote(api: ApiClient, id: string, text: string) {
  return api.post<Case>(`${casePath(id)}/notes`, { text });
}

export function conclude(api: ApiClient, id: string, revision: number, conclusion: { opinion: Opinion; proposition: Proposition; statement: string }) {
  return api.put<Case>(`${casePath(id)}/conclusion`, { revision, ...conclusion });
}

/** "alice, bob  carol" → ['alice', 'bob', 'carol'] (names or ids typed in one box). */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}
