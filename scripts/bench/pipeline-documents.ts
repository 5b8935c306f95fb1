/**
 * The difference stage on documents, as JSON:
 *
 * - MIDV-2020/SIDTD forgeries (`../shared/benchdata/midv2020-sidtd`, identity
 *   homography): is the forged field flagged (a region covering at least half
 *   of its annotated quad), pixel IoU of the regions with the pixel-diff mask,
 *   and the regions elsewhere;
 * - the genuine pair of two holders, with the personalised quads of both
 *   annotation files as personalised zones: regions left outside them
 *   (target: at most one);
 * - PNG/JPEG pairs of the same specimen (`passporteye-specimens`): regions
 *   (target: none);
 * - perspective photos (seeded `simulatePhoto`: tilt, rotation, table,
 *   uneven light, blur, noise, JPEG) of the demo specimens and of the two
 *   MIDV-2020 templates, with the exact homography: corner error of our
 *   alignment (target: median ≤ 0.5 px; native ORB alone reaches about
 *   0.8 px on such photos), then the genuine photo compared with its own
 *   document, personalised zones marked: regions left outside them;
 * - the same for photos of another holder's genuine against the reference
 *   (the demo passport's holder B against A, MIDV-2020 01 against 00): the
 *   border post's case, where only the design is shared;
 * - the time of one full comparison (warp, MRZ reading under white light,
 *   normalisation, differences, regions, zone verdicts, both PNGs) of a
 *   2000 × 1400 capture in this process, after a warm-up run, per light
 *   source, and its findings.
 *
 * Cases are a list so that perspective-photo cases can join them.
 *
 *     npx tsc -b scripts && node scripts/dist/bench/pipeline-documents.js [--runs 5]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  alignImages,
  compareImages,
  cornerError,
  decodeForAnalysis,
  DEFAULT_COMPARE_PARAMS,
  HOLDERS,
  personalisedZonesFromAnnotations,
  pipelineVersions,
  pxPerMm,
  renderDocument,
  simulatePhoto,
  UTOPIA_ID_CARD_2021_FRONT,
  UTOPIA_PASSPORT_2019,
  type DocumentDesign,
  type GreyImage,
  type Holder,
  type ComparisonZone,
  type CompareResult,
  type DifferenceRegion,
  type FieldQuads,
  type PixelImage,
  type SynthLight,
} from '@exemplar/image-pipeline';

/** `../shared/benchdata` beside the repository root, seen from scripts/dist/bench. */
const DEFAULT_BENCH_DATA = path.resolve(__dirname, '../../../../shared/benchdata');

export interface DocumentsBenchOptions {
  /** Folder holding midv2020-sidtd/ and passporteye-specimens/ (default ../shared/benchdata beside the repository). */
  benchData?: string;
  /** Timed full comparisons per light source (default 5). */
  runs?: number;
  /** Seeds of the perspective photos taken of each document (default three). */
  photoSeeds?: readonly number[];
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

interface MidvCase {
  id: string;
  reference: string;
  questioned: string;
  label: string;
  H_ref_to_questioned: number[][];
  manipulated_fields?: string[];
  mask_fieldquad?: string;
  mask_pixeldiff?: string;
}

export interface ForgedCaseResult {
  kind: 'forged';
  id: string;
  fields: string[];
  /** A region covers at least half of the forged field's annotated quad. */
  flagged: boolean;
  /** Share of the field quad inside the best region's box. */
  fieldCoverage: number;
  /** Pixel IoU of the union of region polygons with the pixel-diff mask. */
  pixelIoU: number;
  regions: number;
  /** Regions not touching the field quad. */
  regionsElsewhere: number;
  ms: number;
}

export interface GenuineCaseResult {
  kind: 'genuine';
  id: string;
  personalisedZones: number;
  /** Regions outside the personalised zones (false alarms). */
  falseRegions: number;
  falseRegionBoxes: DifferenceRegion['box'][];
  personalisedRegions: number;
  meetsTarget: boolean;
  ms: number;
}

export interface IdentityCaseResult {
  kind: 'identity';
  id: string;
  size: [number, number];
  regions: number;
  flaggedShare: number;
  meetsTarget: boolean;
  ms: number;
}

export interface PhotoCaseResult {
  kind: 'photo';
  id: string;
  /** Reference (document) size, px. */
  size: [number, number];
  /** Drawn photo parameters. */
  tiltDeg: [number, number];
  rotationDeg: number;
  scale: number;
  aligned: boolean;
  /** Mean distance of the document's four corners mapped by our homography and by the true one, photo pixels (null when refused). */
  cornerErrorPx: number | null;
  /** The coarse attempt that was accepted (`orb`, `orb-dense`, `akaze` …), null when refused. */
  method: string | null;
  /** Regions outside personalised zones when the photo is compared with its reference, a genuine of the same design (false alarms). */
  falseRegions: number | null;
  falseRegionBoxes: DifferenceRegion['box'][];
  /** Findings (MRZ checks) on the genuine photo: false alarms when not empty. */
  findings: string[];
  alignMs: number;
  compareMs: number | null;
}

export interface TimingResult {
  image: string;
  size: [number, number];
  lightSource: string;
  runsMs: number[];
  medianMs: number;
  coldMs: number;
  /** Findings of the comparison (the altered birth date's MRZ under white light). */
  findings: string[];
}

export interface DocumentsBenchResult {
  benchmark: 'pipeline-documents';
  cases: (ForgedCaseResult | GenuineCaseResult | IdentityCaseResult | PhotoCaseResult)[];
  photos: { count: number; aligned: number; cornerErrorMedianPx: number | null; cornerErrorMaxPx: number | null; acc1px: number; falseRegionsMax: number | null; photosWithFindings: number };
  targets: {
    everyForgedFieldFlagged: boolean;
    atMostOneFalseRegionPerGenuinePair: boolean;
    nothingFlaggedOnIdentityPairs: boolean;
    photoCornerErrorMedianAtMostHalfPixel: boolean;
    atMostOneFalseRegionPerGenuinePhoto: boolean;
    noFindingsOnGenuinePhotos: boolean;
  };
  timing: TimingResult[];
  parameters: typeof DEFAULT_COMPARE_PARAMS;
  versions: ReturnType<typeof pipelineVersions>;
  cpus: number;
  loadAverage: number[];
  note: string;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const flatten = (h: number[][]) => h.flat();

async function rgb(file: string): Promise<PixelImage> {
  const img = await decodeForAnalysis(file, { channels: 'rgb' });
  return { data: img.data, width: img.width, height: img.height, channels: img.channels };
}

/** A 0/1 mask from an image file (white = inside). */
async function maskFromFile(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)), width: info.width, height: info.height };
}

/** The union of region polygons as a 0/1 mask, rasterised by librsvg. */
async function maskOfRegions(regions: readonly DifferenceRegion[], width: number, height: number): Promise<Uint8Array> {
  if (regions.length === 0) return new Uint8Array(width * height);
  const polys = regions.map((r) => `<polygon points="${r.polygon.map(([x, y]) => `${x + 0.5},${y + 0.5}`).join(' ')}" fill="#fff"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#000"/>${polys}</svg>`;
  const { data } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from(data, (v) => (v > 127 ? 1 : 0));
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 0 : inter / union;
}

function shareInBox(mask: { data: Uint8Array; width: number }, box: DifferenceRegion['box']): number {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) total++;
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) if (mask.data[y * mask.width + x]) inside++;
  return total === 0 ? 0 : inside / total;
}

async function personalisedZones(...files: string[]): Promise<ComparisonZone[]> {
  return personalisedZonesFromAnnotations(await Promise.all(files.map(async (file) => JSON.parse(await fs.readFile(file, 'utf8')) as FieldQuads)));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - t0) };
}

async function midvCases(MIDV: string, log: (line: string) => void): Promise<(ForgedCaseResult | GenuineCaseResult)[]> {
  const { cases } = JSON.parse(await fs.readFile(path.join(MIDV, 'cases.json'), 'utf8')) as { cases: MidvCase[] };
  const zones = await personalisedZones(path.join(MIDV, 'annotations/alb_0_id.json'), path.join(MIDV, 'annotations/alb_1_id.json'));
  const out: (ForgedCaseResult | GenuineCaseResult)[] = [];
  for (const c of cases) {
    const reference = await rgb(path.join(MIDV, c.reference));
    const questioned = await rgb(path.join(MIDV, c.questioned));
    const homography = flatten(c.H_ref_to_questioned);
    if (c.label === 'forged' && c.mask_fieldquad && c.mask_pixeldiff) {
      const { value: res, ms } = await timed(() => compareImages({ reference, questioned, homography, lightSource: 'white' }));
      const quad = await maskFromFile(path.join(MIDV, c.mask_fieldquad));
      const pixel = await maskFromFile(path.join(MIDV, c.mask_pixeldiff));
      const coverage = res.regions.map((r) => shareInBox(quad, r.box));
      const best = Math.max(0, ...coverage);
      const predicted = await maskOfRegions(res.regions, reference.width, reference.height);
      const result: ForgedCaseResult = {
        kind: 'forged',
        id: c.id,
        fields: c.manipulated_fields ?? [],
        flagged: best >= 0.5,
        fieldCoverage: round4(best),
        pixelIoU: round4(iou(predicted, pixel.data)),
        regions: res.regions.length,
        regionsElsewhere: coverage.filter((s) => s === 0).length,
        ms,
      };
      log(`${c.id}: flagged ${result.flagged}, IoU ${result.pixelIoU}, ${result.regions} region(s), ${ms} ms`);
      out.push(result);
    } else {
      const { value: res, ms } = await timed(() => compareImages({ reference, questioned, homography, lightSource: 'white', zones }));
      const result: GenuineCaseResult = {
        kind: 'genuine',
        id: c.id,
        personalisedZones: zones.length,
        falseRegions: res.regions.length,
        falseRegionBoxes: res.regions.map((r) => r.box),
        personalisedRegions: res.personalisedRegions.length,
        meetsTarget: res.regions.length <= 1,
        ms,
      };
      log(`${c.id}: ${result.falseRegions} region(s) outside personalised zones, ${ms} ms`);
      out.push(result);
    }
  }
  return out;
}

async function identityCases(SPECIMENS: string, log: (line: string) => void): Promise<IdentityCaseResult[]> {
  const { identity_pairs: pairs } = JSON.parse(await fs.readFile(path.join(SPECIMENS, 'expected.json'), 'utf8')) as { identity_pairs: { reference: string; questioned: string; H_ref_to_questioned: number[][] }[] };
  const out: IdentityCaseResult[] = [];
  for (const pair of pairs) {
    const reference = await rgb(path.join(SPECIMENS, pair.reference));
    const questioned = await rgb(path.join(SPECIMENS, pair.questioned));
    const homography = flatten(pair.H_ref_to_questioned);
    const { value: res, ms } = await timed(() => compareImages({ reference, questioned, homography, lightSource: 'white' }));
    const result: IdentityCaseResult = {
      kind: 'identity',
      id: `${pair.reference} vs ${pair.questioned}`,
      size: [reference.width, reference.height],
      regions: res.regions.length,
      flaggedShare: res.stats.flaggedShare,
      meetsTarget: res.regions.length === 0,
      ms,
    };
    log(`${result.id}: ${result.regions} region(s), ${ms} ms`);
    out.push(result);
  }
  return out;
}

async function decodeBuffer(buf: Buffer): Promise<PixelImage> {
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3 };
}

async function greyOf(img: PixelImage): Promise<GreyImage> {
  if (img.channels === 1) return { data: img.data, width: img.width, height: img.height };
  const { data } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: img.width, height: img.height };
}

interface PhotoSource {
  id: string;
  /** The document as the reference capture (encoded). */
  reference: Buffer;
  /** Another capture of the same document, or a genuine of the same design with another holder (encoded), photographed. */
  recapture: Buffer;
  zones: ComparisonZone[];
  cornerRadiusPx: number;
}

async function demoSource(id: string, design: DocumentDesign, holder: Holder, photographed: Holder = holder): Promise<PhotoSource> {
  const r = await renderDocument(design, holder, 'white', { format: 'jpeg', quality: 92, noiseSeed: 1 });
  const q = await renderDocument(design, photographed, 'white', { format: 'png', noiseSeed: 2 });
  return { id, reference: r.image, recapture: q.image, zones: r.zones, cornerRadiusPx: design.cornerRadiusMm * pxPerMm(design) };
}

/**
 * Perspective photos of documents with a known homography. Seeds are fixed
 * (the same photos every run); each source is photographed with several.
 */
async function photoCases(MIDV: string, seeds: readonly number[], log: (line: string) => void): Promise<PhotoCaseResult[]> {
  const sources: PhotoSource[] = [
    await demoSource('demo passport 2019', UTOPIA_PASSPORT_2019, HOLDERS.passportA),
    await demoSource('demo ID card 2021', UTOPIA_ID_CARD_2021_FRONT, HOLDERS.idCard),
  ];
  for (const k of ['0', '1']) {
    const image = await fs.readFile(path.join(MIDV, `${k === '0' ? '00' : '01'}.jpg`));
    const zones = await personalisedZones(path.join(MIDV, `annotations/alb_${k}_id.json`));
    sources.push({ id: `MIDV-2020 alb_id ${k === '0' ? '00' : '01'}`, reference: image, recapture: image, zones, cornerRadiusPx: 0 });
  }
  // The border post's case: a photo of one holder's document against the reference of another
  // holder's, which share only the design (their personal data are personalised zones).
  sources.push(await demoSource('demo passport 2019, holder B against holder A', UTOPIA_PASSPORT_2019, HOLDERS.passportA, HOLDERS.passportB));
  sources.push({
    id: 'MIDV-2020 alb_id 01 against 00',
    reference: await fs.readFile(path.join(MIDV, '00.jpg')),
    recapture: await fs.readFile(path.join(MIDV, '01.jpg')),
    zones: await personalisedZones(path.join(MIDV, 'annotations/alb_0_id.json'), path.join(MIDV, 'annotations/alb_1_id.json')),
    cornerRadiusPx: 0,
  });
  const out: PhotoCaseResult[] = [];
  for (const src of sources) {
    const reference = await decodeBuffer(src.reference);
    const refGrey = await greyOf(reference);
    for (const seed of seeds) {
      const photo = await simulatePhoto(src.recapture, { seed, ...(src.cornerRadiusPx > 0 && { cornerRadiusPx: src.cornerRadiusPx }) });
      const questioned = await decodeBuffer(photo.image);
      const { value: al, ms: alignMs } = await timed(async () => alignImages(refGrey, await greyOf(questioned)));
      const result: PhotoCaseResult = {
        kind: 'photo',
        id: `${src.id}, photo seed ${seed}`,
        size: [reference.width, reference.height],
        tiltDeg: [round4(photo.params.tiltXDeg), round4(photo.params.tiltYDeg)],
        rotationDeg: round4(photo.params.rotationDeg),
        scale: round4(photo.params.scale),
        aligned: al.ok,
        method: al.ok ? al.diagnostics.chosen : null,
        cornerErrorPx: al.ok ? round4(cornerError(al.homography, photo.homography, reference.width, reference.height)) : null,
        falseRegions: null,
        falseRegionBoxes: [],
        findings: [],
        alignMs,
        compareMs: null,
      };
      if (al.ok) {
        const { value: res, ms } = await timed(() => compareImages({ reference, questioned, homography: al.homography, lightSource: 'white', zones: src.zones }));
        result.falseRegions = res.regions.length;
        result.falseRegionBoxes = res.regions.map((r) => r.box);
        result.findings = res.findings.map((f) => f.kind);
        result.compareMs = ms;
      }
      log(`${result.id}: ${al.ok ? `${result.method}, corner error ${result.cornerErrorPx} px, ${result.falseRegions} false region(s), findings [${result.findings.join(', ')}]` : `refused (${al.reason})`}, align ${alignMs} ms`);
      out.push(result);
    }
  }
  return out;
}

/** One full comparison of the demo passport (≈ 2000 × 1400) per light source: a cold run, then `runs` timed warm ones. */
async function timing(runs: number, log: (line: string) => void): Promise<TimingResult[]> {
  const out: TimingResult[] = [];
  const lights: SynthLight[] = ['white', 'uv-365', 'ir-870'];
  for (const light of lights) {
    const r = await renderDocument(UTOPIA_PASSPORT_2019, HOLDERS.passportA, light, { format: 'jpeg', quality: 92, noiseSeed: 1 });
    const q = await renderDocument(UTOPIA_PASSPORT_2019, HOLDERS.passportA, light, {
      format: 'jpeg',
      quality: 92,
      noiseSeed: 2,
      variant: { alterFields: { dateOfBirth: '1984-03-14' } },
    });
    const input = { reference: await decodeBuffer(r.image), questioned: await decodeBuffer(q.image), homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], lightSource: light, zones: r.zones };
    const cold = await timed<CompareResult>(() => compareImages(input));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push((await timed(() => compareImages(input))).ms);
    const findings = cold.value.findings.map((f) => (f.fields ? `${f.kind}:${f.fields.join('+')}` : f.kind));
    const result: TimingResult = { image: 'demo passport 2019, genuine vs altered date of birth', size: [r.width, r.height], lightSource: light, runsMs: times, medianMs: median(times), coldMs: cold.ms, findings };
    log(`timing ${light}: median ${result.medianMs} ms over ${runs} (cold ${cold.ms} ms)`);
    out.push(result);
  }
  return out;
}

export async function benchDocuments(options: DocumentsBenchOptions = {}): Promise<DocumentsBenchResult> {
  const runs = options.runs ?? 5;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const data = options.benchData ?? DEFAULT_BENCH_DATA;
  const midv = await midvCases(path.join(data, 'midv2020-sidtd/alb_id'), log);
  const identity = await identityCases(path.join(data, 'passporteye-specimens'), log);
  const photos = await photoCases(path.join(data, 'midv2020-sidtd/alb_id'), options.photoSeeds ?? [101, 102, 103], log);
  const time = await timing(runs, log);
  const forged = midv.filter((c): c is ForgedCaseResult => c.kind === 'forged');
  const genuine = midv.filter((c): c is GenuineCaseResult => c.kind === 'genuine');
  const errors = photos.map((p) => p.cornerErrorPx).filter((e): e is number => e !== null);
  // A refused photo counts as a miss: the median is taken over every photo, refusals as infinite error.
  const allErrors = photos.map((p) => p.cornerErrorPx ?? Number.POSITIVE_INFINITY);
  const falseCounts = photos.map((p) => p.falseRegions).filter((n): n is number => n !== null);
  const photoMedian = allErrors.length > 0 ? median(allErrors) : null;
  return {
    benchmark: 'pipeline-documents',
    cases: [...midv, ...identity, ...photos],
    photos: {
      count: photos.length,
      aligned: errors.length,
      cornerErrorMedianPx: photoMedian === null || !Number.isFinite(photoMedian) ? photoMedian : round4(photoMedian),
      cornerErrorMaxPx: errors.length === photos.length && errors.length > 0 ? round4(Math.max(...errors)) : null,
      acc1px: photos.length > 0 ? round4(errors.filter((e) => e <= 1).length / photos.length) : 0,
      falseRegionsMax: falseCounts.length > 0 ? Math.max(...falseCounts) : null,
      photosWithFindings: photos.filter((p) => p.findings.length > 0).length,
    },
    targets: {
      photoCornerErrorMedianAtMostHalfPixel: photoMedian !== null && photoMedian <= 0.5,
      atMostOneFalseRegionPerGenuinePhoto: falseCounts.length === photos.length && falseCounts.every((n) => n <= 1),
      noFindingsOnGenuinePhotos: falseCounts.length === photos.length && photos.every((p) => p.findings.length === 0),
      everyForgedFieldFlagged: forged.length > 0 && forged.every((c) => c.flagged),
      atMostOneFalseRegionPerGenuinePair: genuine.length > 0 && genuine.every((c) => c.meetsTarget),
      nothingFlaggedOnIdentityPairs: identity.length > 0 && identity.every((c) => c.meetsTarget),
    },
    timing: time,
    parameters: DEFAULT_COMPARE_PARAMS,
    versions: pipelineVersions(),
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    note: 'Single-threaded, in this process. Times are wall clock on a machine whose CPUs other processes share: read them with the load average.',
  };
}

if (require.main === module) {
  const i = process.argv.indexOf('--runs');
  benchDocuments(i >= 0 ? { runs: Number(process.argv[i + 1]) } : {}).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`pipeline-documents: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
