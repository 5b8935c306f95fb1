/**
 * The comparison API (issue 3 §6) and its translation into the viewer's
 * model. Everything that depends on the wire format of comparisons is in
 * this file.
 */
import type { Specimen } from '@exemplar/specimens-schema';
import type { ApiClient, UploadProgress } from '../../shared/api/client';
import { captureImageSource, type ImageSource } from '../../shared/api/images';
import type { Comparison, ComparisonLight, ComparisonStatus, FlaggedRegion, ZoneVerdict } from './types';

/* ---------- Wire format ---------- */

export interface ApiRegion {
  box: { x: number; y: number; width: number; height: number };
  polygon?: [number, number][];
  area?: number;
  score: number;
  peak?: number;
}

export interface ApiZoneVerdict {
  zoneId: string;
  type: string;
  label?: string;
  verdict: 'consistent' | 'different' | 'absent';
  score: number;
}

export interface ApiOutput {
  /** Where the image is served (relative to the API). */
  url: string;
  sha256?: string;
}

export interface ApiLightResult {
  lightSource: string;
  regions: ApiRegion[];
  personalisedRegions?: ApiRegion[];
  zoneVerdicts: ApiZoneVerdict[];
  outputs: { heatmap: ApiOutput; aligned: ApiOutput };
  /** Size of the output images (the reference frame, possibly reduced). */
  outputSize: [number, number];
  /** Size of the reference original, the frame of regions and zones. */
  referenceSize: [number, number];
}

export interface ApiComparison {
  id: string;
  status: ComparisonStatus;
  progress: { fraction: number; stage: string } | null;
  error: { code: string; message: string } | null;
  reference: { specimenId: string; captureId: string } | null;
  questioned?: { title?: string; name?: string } | null;
  result?: {
    lights: ApiLightResult[];
    skipped?: { lightSource: string; reason: string }[];
  } | null;
  createdAt?: string;
}

export interface IdentifyCandidate {
  specimenId: string;
  captureId: string;
  score: number;
  specimen?: Specimen;
}

/* ---------- Requests ---------- */

export type ReferenceChoice = { specimenId: string; captureId: string } | 'auto';

export interface QuestionedFile {
  lightSource: string;
  file: File;
}

/** Starts a comparison: the questioned images as file parts named by light source, the reference (or `auto`) in the `comparison` JSON part. */
export function startComparison(
  api: ApiClient,
  reference: ReferenceChoice,
  files: QuestionedFile[],
  meta: { title?: string },
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ id: string }> {
  const form = new FormData();
  form.append('comparison', JSON.stringify({ reference, questioned: { ...(meta.title ? { title: meta.title } : {}) } }));
  for (const { lightSource, file } of files) form.append(lightSource, file, file.name);
  return api.upload<{ id: string }>('/api/comparisons', form, onProgress, signal ? { signal } : {});
}

export function getComparison(api: ApiClient, id: string, signal?: AbortSignal): Promise<ApiComparison> {
  return api.get<ApiComparison>(`/api/comparisons/${encodeURIComponent(id)}`, signal ? { signal } : {});
}

/** Candidate references for a questioned image, best first. */
export function identify(api: ApiClient, image: QuestionedFile, signal?: AbortSignal): Promise<{ candidates: IdentifyCandidate[] }> {
  const form = new FormData();
  form.append(image.lightSource, image.file, image.file.name);
  return api.upload<{ candidates: IdentifyCandidate[] }>('/api/identify', form, () => undefined, signal ? { signal } : {});
}

/* ---------- Translation ---------- */

function regionsOf(raw: ApiRegion[], personalised: boolean): FlaggedRegion[] {
  return raw.map((r, i) => ({
    id: `${personalised ? 'p' : 'r'}${i + 1}`,
    box: r.box,
    polygon: r.polygon ?? [],
    score: r.score,
    personalised,
  }));
}

function outputSource(api: ApiClient, output: ApiOutput, size: [number, number]): ImageSource {
  return { kind: 'image', url: api.url(output.url), width: size[0], height: size[1] };
}

/**
 * The viewer's model of a comparison. The reference specimen supplies the
 * reference images (deep zoom where available) and the zone outlines.
 */
export function toComparison(api: ApiClient, raw: ApiComparison, reference: Specimen | null): Comparison {
  const capture = reference?.captures.find((c) => c.id === raw.reference?.captureId);
  const lights: ComparisonLight[] = (raw.result?.lights ?? []).map((l) => {
    const [width, height] = l.referenceSize;
    const image = capture?.images.find((i) => i.lightSource === l.lightSource);
    const zoneOutline = new Map(capture?.zones.map((z) => [z.id, z.polygon.map(([x, y]) => [x, y] as [number, number])]) ?? []);
    const zoneVerdicts: ZoneVerdict[] = l.zoneVerdicts.map((v) => {
      const polygon = zoneOutline.get(v.zoneId);
      return { zoneId: v.zoneId, type: v.type, verdict: v.verdict, score: v.score, ...(v.label ? { label: v.label } : {}), ...(polygon ? { polygon } : {}) };
    });
    return {
      lightSource: l.lightSource,
      frame: { width, height },
      // Without the reference record, the heatmap (the reference in grey with the differences) stands in for it.
      reference: image ? captureImageSource(api, image) : outputSource(api, l.outputs.heatmap, l.outputSize),
      questioned: outputSource(api, l.outputs.aligned, l.outputSize),
      heatmap: outputSource(api, l.outputs.heatmap, l.outputSize),
      regions: [...regionsOf(l.regions, false), ...regionsOf(l.personalisedRegions ?? [], true)],
      zoneVerdicts,
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
    questioned: { title: raw.questioned?.title ?? raw.questioned?.name ?? 'Questioned document' },
    lights,
    skipped: raw.result?.skipped ?? [],
    ...(raw.createdAt ? { createdAt: raw.createdAt } : {}),
  };
}
