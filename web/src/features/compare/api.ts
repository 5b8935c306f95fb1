/**
 * The comparison and identification API (issue 3 §6; records in
 * specimens-schema's comparison, comparison-request and identification
 * schemas) and the translation of a comparison into the viewer's model.
 */
import {
  lightOverexposedShare,
  type Comparison as ApiComparison,
  type ComparisonRequest,
  type DifferenceRegion,
  type IdentificationResult,
  type IdentifyFilter,
  type Specimen,
} from '@exemplar/specimens-schema';
import type { ApiClient, UploadProgress } from '../../shared/api/client';
import { captureImageSource, type ImageSource } from '../../shared/api/images';
import { lightLabel } from '../../shared/vocabulary';
import { describeFindings, mrzOutcomeOf } from './findings';
import type { Comparison, ComparisonLight, FlaggedRegion, ZoneVerdict } from './types';

export type { ApiComparison };

export type ReferenceChoice = ComparisonRequest['reference'];

export interface QuestionedFile {
  lightSource: string;
  file: File;
}

/**
 * Starts a comparison: the request JSON in the `comparison` part, then one
 * file part per questioned image named by its light source. Answers 202
 * with the queued comparison.
 */
export function startComparison(
  api: ApiClient,
  request: Omit<ComparisonRequest, 'questioned'>,
  files: QuestionedFile[],
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<ApiComparison> {
  const form = new FormData();
  form.append('comparison', JSON.stringify(request));
  for (const { lightSource, file } of files) form.append(lightSource, file, file.name);
  return api.upload<ApiComparison>('/api/comparisons', form, onProgress, signal ? { signal } : {});
}

/**
 * Runs a comparison again on the questioned images it already stored: after
 * a timeout, say, or against another reference (a library match).
 */
export function repeatComparison(api: ApiClient, previous: ApiComparison, reference: ReferenceChoice = previous.request.reference): Promise<ApiComparison> {
  const images = Object.fromEntries(Object.entries(previous.questioned).flatMap(([light, image]) => (image ? [[light, image.sha256]] : [])));
  const body: ComparisonRequest = { ...previous.request, reference, questioned: { images } };
  return api.post<ApiComparison>('/api/comparisons', body);
}

/** Comparisons per page of a listing (newest first); older ones are appended on demand. */
export const COMPARISON_PAGE_SIZE = 50;

/** What a listing of comparisons keeps: a status (empty: any) and search words (`q`, matched by the API against what the lists show; empty: none). */
export interface ComparisonFilter {
  status: string;
  q: string;
}

/** A page of the comparisons the user may read (a border officer's own) that `filter` keeps, newest first; `cursor` is the previous page's `nextCursor`. */
export function listComparisons(api: ApiClient, filter: ComparisonFilter, cursor: string | null, signal?: AbortSignal) {
  return api.get<{ items: ApiComparison[]; nextCursor: string | null }>('/api/comparisons', {
    query: { limit: COMPARISON_PAGE_SIZE, status: filter.status || undefined, q: filter.q || undefined, cursor: cursor ?? undefined },
    ...(signal ? { signal } : {}),
  });
}

const STATUS_LABELS: Record<ApiComparison['status'], string> = { queued: 'Waiting', running: 'Running', done: 'Finished', failed: 'Failed', cancelled: 'Cancelled' };

/** What a comparison came to, in a few words (the comparison page has the details). */
export function comparisonOutcome(c: ApiComparison): string {
  if (c.status !== 'done') return STATUS_LABELS[c.status];
  const findings = (c.result?.lights ?? []).reduce((n, l) => n + (l.findings?.length ?? 0), 0);
  const regions = (c.result?.lights ?? []).reduce((n, l) => n + l.regions.length, 0);
  const parts = [findings ? `${findings} finding${findings === 1 ? '' : 's'}` : '', regions ? `${regions} flagged region${regions === 1 ? '' : 's'}` : ''].filter(Boolean);
  return `Finished${parts.length ? ` — ${parts.join(', ')}` : ' — nothing flagged'}`;
}

export function getComparison(api: ApiClient, id: string, signal?: AbortSignal): Promise<ApiComparison> {
  return api.get<ApiComparison>(`/api/comparisons/${encodeURIComponent(id)}`, signal ? { signal } : {});
}

/** Catalogue captures that show the same document as a (white-light) questioned image, best first. */
export function identify(api: ApiClient, image: File, filter: IdentifyFilter = {}, signal?: AbortSignal): Promise<IdentificationResult> {
  const form = new FormData();
  if (filter.issuingState) form.append('issuingState', filter.issuingState);
  if (filter.documentCode) form.append('documentCode', filter.documentCode);
  form.append('image', image, image.name);
  return api.upload<IdentificationResult>('/api/identify', form, () => undefined, signal ? { signal } : {});
}

/* ---------- Translation ---------- */

const SKIP_REASONS: Record<string, string> = {
  'not-in-reference': 'the reference capture has no image under this light',
  'not-in-questioned': 'no questioned image was given under this light',
};

/** The viewer's regions of one list: differences (`r`), in personalised zones (`p`), or blown out and not judged (`b`). */
function regionsOf(raw: DifferenceRegion[], list: 'r' | 'p' | 'b'): FlaggedRegion[] {
  const personalised = list === 'p';
  return raw.map((r, i) => ({
    id: `${list}${i + 1}`,
    box: r.box,
    polygon: r.polygon.map((p) => [p[0] ?? 0, p[1] ?? 0] as [number, number]),
    score: r.score,
    ...(r.overexposed !== undefined && { overexposed: r.overexposed }),
    personalised,
  }));
}

function outputSource(api: ApiClient, url: string, size: number[]): ImageSource {
  return { kind: 'image', url: api.url(url), width: size[0] ?? 1, height: size[1] ?? 1 };
}

/**
 * What to call the questioned document: the examiner's notes (first line), else an image's file name — under a
 * given light that light's own image (another light's file would misname the picture shown), else the white one's.
 */
export function questionedTitle(raw: ApiComparison, lightSource?: string): string {
  const note = raw.request.notes?.split('\n')[0]?.trim();
  if (note) return note.length > 80 ? `${note.slice(0, 77)}…` : note;
  const images = Object.values(raw.questioned).filter((i) => i !== undefined);
  const named = lightSource ? raw.questioned[lightSource]?.originalName : (raw.questioned['white']?.originalName ?? images.find((i) => i.originalName)?.originalName);
  return named ? `Questioned (${named})` : 'Questioned document';
}

/**
 * The viewer's model of a comparison. The reference specimen supplies the
 * reference images (deep zoom where available) and the zone outlines; without
 * it the heatmap (the reference in grey with the differences) stands in.
 */
export function toComparison(api: ApiClient, raw: ApiComparison, reference: Specimen | null): Comparison {
  const capture = reference?.captures.find((c) => c.id === raw.reference?.captureId);
  const outlines = new Map(capture?.zones.map((z) => [z.id, z.polygon.map(([x, y]) => [x, y] as [number, number])]) ?? []);
  const lights: ComparisonLight[] = (raw.result?.lights ?? []).map((l) => {
    const image = capture?.images.find((i) => i.lightSource === l.lightSource);
    const mrz = mrzOutcomeOf(l);
    const overexposedShare = lightOverexposedShare(l.stats);
    const zoneVerdicts: ZoneVerdict[] = l.zoneVerdicts.map((v) => {
      const polygon = outlines.get(v.zoneId);
      return { zoneId: v.zoneId, type: v.type, verdict: v.verdict, score: v.score, ...(v.label ? { label: v.label } : {}), ...(polygon ? { polygon } : {}) };
    });
    return {
      lightSource: l.lightSource,
      questionedTitle: questionedTitle(raw, l.lightSource),
      frame: { width: l.referenceSize[0] ?? 1, height: l.referenceSize[1] ?? 1 },
      reference: image ? captureImageSource(api, image) : outputSource(api, l.outputs.heatmap.url, l.outputSize),
      questioned: outputSource(api, l.outputs.aligned.url, l.outputSize),
      heatmap: outputSource(api, l.outputs.heatmap.url, l.outputSize),
      regions: [...regionsOf(l.regions, 'r'), ...regionsOf(l.personalisedRegions, 'p')],
      // Apart from the regions: not differences. Absent in results made before they were listed apart.
      ...(l.blownOutRegions && { blownOutRegions: regionsOf(l.blownOutRegions, 'b') }),
      zoneVerdicts,
      // Results made before findings existed have none.
      findings: describeFindings(l.findings ?? []),
      ...(mrz ? { mrz } : {}),
      registration: l.registration,
      ...(overexposedShare !== null && { overexposedShare }),
    };
  });
  return {
    id: raw.id,
    status: raw.status,
    progress: raw.progress,
    error: raw.error,
    reference: {
      ...(raw.reference ? { specimenId: raw.reference.specimenId, captureId: raw.reference.captureId } : {}),
      title: reference?.title ?? 'Reference',
    },
    questioned: { title: questionedTitle(raw) },
    lights,
    skipped: (raw.result?.skipped ?? []).map((s) => ({ lightSource: s.lightSource, reason: SKIP_REASONS[s.reason] ?? s.reason })),
    ...(raw.result ? { alignment: { ...raw.result.alignment, anchorLight: raw.result.anchorLight } } : {}),
  };
}

/** Words for a progress stage (queued, start, identify, confirm-reference, fetch, decode, align, compare, compare:<light>, store). */
export function stageLabel(stage: string): string {
  const light = /^compare:(.+)$/.exec(stage)?.[1];
  if (light) return `Comparing under ${lightLabel(light)}`;
  const words: Record<string, string> = {
    queued: 'Waiting for a worker',
    running: 'Starting',
    start: 'Starting',
    identify: 'Searching the library for matching documents',
    'confirm-reference': 'Confirming the best library matches by full alignment',
    fetch: 'Fetching the images',
    decode: 'Reading the images',
    align: 'Aligning the questioned document to the reference',
    compare: 'Comparing the light sources',
    store: 'Saving the results',
  };
  return words[stage] ?? stage;
}
