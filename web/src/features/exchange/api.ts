/** Exchange between labs (/work/notes/api-alerts-exchange.md): this lab's key, signed export, verified import. */
import type { ApiClient, UploadProgress } from '../../shared/api/client';

export interface LabKey {
  labId: string;
  publicKey: string;
  fingerprint: string;
}

export interface ImportReport {
  dryRun: boolean;
  signer: { name: string; fingerprint: string; labId: string };
  createdAt: string;
  imported: { id: string; sourceId: string; captures: number; images: number }[];
  skipped: { id: string; reason: string }[];
  conflicts: { id: string; reason: string; newId?: string }[];
  errors: { id: string; code: string; message: string }[];
}

export const PACKAGE_SHA_HEADER = 'x-exemplar-package-sha256';

export const getLabKey = (api: ApiClient, signal?: AbortSignal) => api.get<LabKey>('/api/exchange/key', signal ? { signal } : {});

export const exportPackage = (api: ApiClient, specimenIds: string[], withImitated: boolean) =>
  api.download('/api/exchange/export', { body: { specimenIds, withImitated } });

export function importPackage(api: ApiClient, file: File, options: { dryRun: boolean; onConflict: 'skip' | 'new-id' }, onProgress: (p: UploadProgress) => void) {
  const form = new FormData();
  form.append('package', file, file.name);
  return api.upload<ImportReport>('/api/exchange/import', form, onProgress, { query: { dryRun: options.dryRun ? 'true' : 'false', onConflict: options.onConflict } });
}
