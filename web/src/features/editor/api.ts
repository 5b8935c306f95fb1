/** Writes of the catalogue editor. */
import type { Capture, CaptureCreate, FeatureZone, FeatureZoneCreate, Specimen, SpecimenCreate, SpecimenPatch } from '@exemplar/specimens-schema';
import type { ApiClient, UploadProgress } from '../../shared/api/client';

const specimenPath = (id: string) => `/api/specimens/${encodeURIComponent(id)}`;

export function createSpecimen(api: ApiClient, body: SpecimenCreate): Promise<Specimen> {
  return api.post<Specimen>('/api/specimens', body);
}

export function patchSpecimen(api: ApiClient, id: string, patch: SpecimenPatch): Promise<Specimen> {
  return api.patch<Specimen>(specimenPath(id), patch);
}

export function deleteSpecimen(api: ApiClient, id: string, revision: number): Promise<void> {
  return api.delete(specimenPath(id), { query: { revision } });
}

export function deleteCapture(api: ApiClient, id: string, captureId: string, revision: number): Promise<Specimen> {
  return api.delete<Specimen>(`${specimenPath(id)}/captures/${encodeURIComponent(captureId)}`, { query: { revision } });
}

/** Every zone of a capture at once: kept zones with their id, new ones without. */
export function replaceZones(api: ApiClient, id: string, captureId: string, revision: number, zones: (FeatureZone | FeatureZoneCreate)[]): Promise<Specimen> {
  return api.put<Specimen>(`${specimenPath(id)}/captures/${encodeURIComponent(captureId)}/zones`, { revision, zones });
}

export interface CaptureFile {
  lightSource: string;
  file: File;
}

/**
 * One multipart request: the capture JSON first, then one file part per
 * light source, named by its id. Parts are sent in this order, so the bytes
 * sent so far tell how far each file is.
 */
export function uploadCapture(
  api: ApiClient,
  id: string,
  capture: CaptureCreate,
  files: CaptureFile[],
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<Capture> {
  const form = new FormData();
  form.append('capture', JSON.stringify(capture));
  for (const { lightSource, file } of files) form.append(lightSource, file, file.name);
  return api.upload<Capture>(`${specimenPath(id)}/captures`, form, onProgress, signal ? { signal } : {});
}

/**
 * Per-file progress from the progress of the whole body: each file is
 * credited with the bytes sent inside its span. The multipart framing (the
 * capture JSON and a header per part) is spread evenly between the files.
 */
export function fileProgress(sizes: number[], loaded: number, total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const gap = Math.max(total - sum, 0) / (sizes.length + 1);
  let start = 0;
  return sizes.map((size) => {
    start += gap;
    const done = size === 0 ? (loaded >= start ? 1 : 0) : Math.min(Math.max(loaded - start, 0), size) / size;
    start += size;
    return done;
  });
}
