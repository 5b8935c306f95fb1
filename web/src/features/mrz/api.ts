/** MRZ parsing and reading (POST /api/mrz/parse, /api/mrz/read), with the register check the API adds. */
import type { RegisterEntry } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';

export interface MrzParse {
  format: string;
  valid: boolean;
  checkDigitsValid: boolean;
  fields: Record<string, string | null>;
  checks: Record<string, boolean>;
  errors: { field: string; message: string }[];
  lines: string[];
  registerHits?: RegisterEntry[];
}

export interface MrzRead {
  found: boolean;
  parse: MrzParse | null;
  registerHits?: RegisterEntry[];
}

export function parseMrz(api: ApiClient, lines: string[]) {
  return api.post<MrzParse>('/api/mrz/parse', { lines });
}

export function readMrz(api: ApiClient, image: File) {
  const form = new FormData();
  form.append('image', image, image.name);
  return api.upload<MrzRead>('/api/mrz/read', form, () => undefined);
}

/** What an examiner calls a check-digit group (one table for the MRZ check and comparison findings). */
export { mrzCheckLabel as checkLabel } from '../../shared/mrz';
