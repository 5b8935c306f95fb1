/**
 * Demo-like documents for the comparison and identification tests, drawn by
 * the synthetic generator at a reduced resolution (the tests are about the
 * API, jobs and workers; the difference stage has its own tests at full size),
 * and helpers to catalogue them through the real API.
 */
import {
  HOLDERS,
  UTOPIA_ID_CARD_2021_BACK,
  UTOPIA_ID_CARD_2021_FRONT,
  UTOPIA_PASSPORT_2019,
  UTOPIA_RESIDENCE_PERMIT_2020_BACK,
  UTOPIA_RESIDENCE_PERMIT_2020_FRONT,
  renderDocument,
  type DocumentDesign,
  type DocumentVariant,
  type Holder,
  type SynthFeatureZone,
  type SynthLight,
} from '@exemplar/image-pipeline';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { multipartBody, MINIMAL_SPECIMEN, type TestApp } from '../../server/src/test-helpers';

export interface RenderedCapture {
  images: Partial<Record<SynthLight, Buffer>>;
  zones: SynthFeatureZone[];
  /** Where a fraud differs from its genuine (white light). */
  altered: { lightSource: SynthLight; polygon: [number, number][] }[];
  width: number;
  height: number;
}

export const DESIGNS = {
  passport: UTOPIA_PASSPORT_2019,
  idFront: UTOPIA_ID_CARD_2021_FRONT,
  idBack: UTOPIA_ID_CARD_2021_BACK,
  permitFront: UTOPIA_RESIDENCE_PERMIT_2020_FRONT,
  permitBack: UTOPIA_RESIDENCE_PERMIT_2020_BACK,
} as const;

export async function renderCapture(
  design: DocumentDesign,
  holder: Holder,
  options: { dpi: number; lights: readonly SynthLight[]; noiseSeed: number; variant?: DocumentVariant },
): Promise<RenderedCapture> {
  const out: RenderedCapture = { images: {}, zones: [], altered: [], width: 0, height: 0 };
  for (const light of options.lights) {
    const r = await renderDocument({ ...design, dpi: options.dpi }, holder, light, { variant: options.variant, format: 'png', noiseSeed: options.noiseSeed });
    out.images[light] = r.image;
    out.zones = r.zones;
    out.width = r.width;
    out.height = r.height;
    out.altered = r.altered.map((a) => ({ lightSource: a.lightSource, polygon: a.polygon as [number, number][] }));
  }
  return out;
}

export { HOLDERS };

/** Creates a specimen and uploads one capture (zones included) through the API. */
export async function catalogue(
  t: TestApp,
  specimen: Record<string, unknown>,
  captures: { page: string; capture: RenderedCapture }[],
): Promise<{ specimen: Specimen; captures: Capture[] }> {
  const created = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, ...specimen } });
  if (created.statusCode !== 201) throw new Error(`specimen not created: ${created.body}`);
  const s = created.json<Specimen>();
  const out: Capture[] = [];
  for (const { page, capture } of captures) {
    const zones = capture.zones.map(({ id: _id, ...z }) => z);
    const { payload, headers } = multipartBody([
      { name: 'capture', value: JSON.stringify({ page, dpi: 150, zones }) },
      ...Object.entries(capture.images).map(([light, data]) => ({ name: light, filename: `${light}.png`, data: data as Buffer, contentType: 'image/png' })),
    ]);
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: `/api/specimens/${s.id}/captures`, payload, headers });
    if (res.statusCode !== 201) throw new Error(`capture not uploaded: ${res.body}`);
    out.push(res.json<Capture>());
  }
  return { specimen: s, captures: out };
}

/** Polls a comparison until it leaves queued/running. */
export async function waitForComparison(t: TestApp, id: string, timeoutMs = 600_000): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await (await t.login('examiner')).inject({ method: 'GET', url: `/api/comparisons/${id}` });
    const body = res.json();
    if (res.statusCode !== 200) throw new Error(`GET /api/comparisons/${id} answered ${res.statusCode}: ${res.body}`);
    if (body.status !== 'queued' && body.status !== 'running') return body;
    if (Date.now() > until) throw new Error(`comparison ${id} still ${body.status} (${JSON.stringify(body.progress)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Intersection over the smaller of two axis-aligned boxes. */
export function overlapShare(a: { x: number; y: number; width: number; height: number }, polygon: readonly (readonly number[])[]): number {
  const xs = polygon.map((p) => p[0]!);
  const ys = polygon.map((p) => p[1]!);
  const b = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / Math.max(1e-9, Math.min(a.width * a.height, b.width * b.height));
}
