/**
 * Records for component tests, built to the specimens-schema contract and
 * checked against it on creation, so a test can never feed a component data
 * the API would not send.
 */
import {
  type Alert,
  validate,
  validateSpecimen,
  type Capture,
  type CaptureImage,
  type Comparison as ApiComparison,
  type ComparisonFinding,
  type FeatureZone,
  type LightComparisonResult,
  type RegisterEntry,
  type Specimen,
  type VerificationRequest,
} from '@exemplar/specimens-schema';
import type { ComparisonLight } from '../features/compare/types';
import type { SpecimenPage } from '../features/library/api';

let counter = 0;
const nextId = (prefix: string) => `${prefix}${String(++counter).padStart(6, '0')}`;

export function sha(seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return (h.toString(16).padStart(8, '0') + seed.length.toString(16)).padEnd(64, 'a').slice(0, 64);
}

export function makeImage(lightSource: CaptureImage['lightSource'], overrides: Partial<CaptureImage> = {}): CaptureImage {
  const sha256 = overrides.sha256 ?? sha(`${lightSource}-${++counter}`);
  return {
    lightSource,
    sha256,
    bytes: 1_234_567,
    width: 2000,
    height: 1400,
    format: 'png',
    bitDepth: 8,
    channels: 3,
    derivatives: {
      thumbnail: `derivatives/${sha256.slice(0, 2)}/${sha256}/thumbnail.webp`,
      preview: `derivatives/${sha256.slice(0, 2)}/${sha256}/preview.jpg`,
      dzi: `derivatives/${sha256.slice(0, 2)}/${sha256}/tiles.dzi`,
    },
    ...overrides,
  };
}

export function makeZone(overrides: Partial<FeatureZone> = {}): FeatureZone {
  return {
    id: nextId('zone'),
    type: 'microprint',
    polygon: [
      [100, 100],
      [400, 100],
      [400, 200],
      [100, 200],
    ],
    lightSources: ['white'],
    personalised: false,
    ...overrides,
  };
}

export function makeCapture(overrides: Partial<Capture> = {}): Capture {
  return {
    id: nextId('cap'),
    page: 'data-page',
    images: [makeImage('white'), makeImage('uv-365'), makeImage('ir-870')],
    zones: [],
    createdAt: '2024-03-01T10:00:00Z',
    createdBy: 'test',
    ...overrides,
  };
}

export function makeSpecimen(overrides: Partial<Specimen> = {}): Specimen {
  const specimen: Specimen = {
    id: nextId('spec'),
    revision: 1,
    status: 'genuine',
    issuingState: 'UTO',
    documentCategory: 'passport',
    documentCode: 'P',
    series: '2019',
    title: 'Utopia passport, 2019 series',
    classification: 'public',
    tags: ['demo'],
    captures: [makeCapture()],
    createdBy: 'test',
    createdAt: '2024-03-01T10:00:00Z',
    updatedBy: 'test',
    updatedAt: '2024-03-02T10:00:00Z',
    ...overrides,
  };
  const result = validateSpecimen(specimen);
  if (!result.ok) throw new Error(`test fixture is not a valid specimen: ${JSON.stringify(result.errors)}`);
  return specimen;
}

export function makePage(items: Specimen[], overrides: Partial<SpecimenPage> = {}): SpecimenPage {
  return {
    items,
    facets: {
      status: [],
      issuingState: [],
      documentCategory: [],
      documentCode: [],
      forgeryMethod: [],
      featureType: [],
      lightSource: [],
      classification: [],
      tags: [],
      year: [],
    },
    total: items.length,
    nextCursor: null,
    ...overrides,
  };
}

/** A comparison record as GET /api/comparisons/:id answers, checked against the comparison schema. */
export function makeApiComparison(overrides: Partial<ApiComparison> = {}): ApiComparison {
  const c: ApiComparison = {
    id: 'cmp0001',
    status: 'queued',
    progress: { fraction: 0, stage: 'queued' },
    error: null,
    request: { reference: { specimenId: 'spec000001', captureId: 'cap000001' } },
    questioned: {
      white: { sha256: sha('qw'), bytes: 1000, width: 1900, height: 1350, format: 'jpeg', url: '/api/comparisons/cmp0001/questioned/white', originalName: 'gate4-white.jpg' },
    },
    reference: { specimenId: 'spec000001', captureId: 'cap000001' },
    identification: null,
    result: null,
    attempts: 0,
    createdBy: 'local',
    createdAt: '2024-05-01T10:00:00Z',
    updatedAt: '2024-05-01T10:00:00Z',
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
  const result = validate('comparison', c);
  if (!result.ok) throw new Error(`test fixture is not a valid comparison: ${JSON.stringify(result.errors)}`);
  return c;
}

export function makeLightResult(lightSource: LightComparisonResult['lightSource'], overrides: Partial<LightComparisonResult> = {}): LightComparisonResult {
  const out = (kind: string) => ({
    name: `${lightSource}.${kind}`,
    sha256: sha(`${lightSource}${kind}`),
    bytes: 100,
    contentType: kind.endsWith('json') ? ('application/json' as const) : ('image/png' as const),
    url: `/api/comparisons/cmp0001/outputs/${lightSource}.${kind}`,
  });
  return {
    lightSource,
    homography: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    registration: { outcome: 'aligned', anchorLight: 'white', shift: [0, 0], correlation: { anchor: null, best: null } },
    regions: [],
    personalisedRegions: [],
    zoneVerdicts: [],
    outputs: { aligned: out('aligned.png'), heatmap: out('heatmap.png'), regions: out('regions.json') },
    outputSize: [2000, 1400],
    referenceSize: [2000, 1400],
    questionedSize: [1900, 1350],
    stats: {},
    ...overrides,
  };
}

function checked<T>(schema: string, record: T): T {
  const result = validate(schema as Parameters<typeof validate>[0], record);
  if (!result.ok) throw new Error(`test fixture is not a valid ${schema}: ${JSON.stringify(result.errors)}`);
  return record;
}

/** A register entry as the API stores it, checked against the register-entry schema. */
export function makeRegisterEntry(overrides: Partial<RegisterEntry> = {}): RegisterEntry {
  return checked('register-entry', {
    id: nextId('reg'),
    revision: 1,
    issuingState: 'UTO',
    documentNumber: 'L898902C3',
    documentCode: 'P',
    status: 'stolen',
    date: '2026-10-01',
    source: 'Utopia police',
    createdBy: 'erin',
    createdAt: '2026-10-02T08:00:00Z',
    updatedBy: 'erin',
    updatedAt: '2026-10-02T08:00:00Z',
    ...overrides,
  } as RegisterEntry);
}

/** A verification request as GET /api/verification-requests/:id answers, checked against its schema. */
export function makeVerificationRequest(overrides: Partial<VerificationRequest> = {}): VerificationRequest {
  const id = overrides.id ?? nextId('vr');
  const white = sha(`vr-white-${id}`);
  return checked('verification-request', {
    id,
    revision: 1,
    status: 'submitted',
    urgency: 'urgent',
    dueAt: '2026-11-28T07:00:00Z',
    submittedBy: 'bo.officer',
    submittedAt: '2026-11-28T03:00:00Z',
    updatedAt: '2026-11-28T03:00:00Z',
    notes: 'Photo looks re-laminated',
    location: 'Port North, lane 4',
    questioned: { white: { sha256: white, bytes: 2048, width: 1200, height: 800, format: 'jpeg', originalName: 'white.jpg', url: `/api/verification-requests/${id}/questioned/white` } },
    registerHits: [],
    comparisons: [],
    history: [{ at: '2026-11-28T03:00:00Z', actor: 'bo.officer', action: 'submit', to: 'submitted' }],
    ...overrides,
  } as VerificationRequest);
}

/** An alert as GET /api/alerts/:id answers, checked against the alert schema. */
export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return checked('alert', {
    id: nextId('al'),
    revision: 1,
    title: 'Counterfeit Utopia passports without the UV emblem',
    summary: 'Counterfeits of the 2019 series lack the UV 365 emblem on the data page.',
    checks: [{ text: 'Look for the emblem under UV 365 nm.' }],
    specimenId: 'spec000001',
    affected: { issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P', series: '2019' },
    severity: 'high',
    status: 'published',
    history: [{ action: 'create', actor: 'erin', at: '2026-11-20T08:00:00Z' }],
    draftedBy: 'erin',
    createdAt: '2026-11-20T08:00:00Z',
    updatedAt: '2026-11-21T08:00:00Z',
    publishedAt: '2026-11-21T08:00:00Z',
    approvedBy: 'otto',
    submittedAt: '2026-11-20T09:00:00Z',
    ...overrides,
  } as Alert);
}

/*
 * The demo fraud "altered date of birth" (image-pipeline's synth library): holder
 * A's year of birth 87 overtyped as 84 in the MRZ, check digits left as printed.
 * These are the findings the pipeline reports for it (its own tests read them off
 * the image), boxed in the reference frame of a 2000 × 1400 data page.
 */
export const ALTERED_BIRTH_DATE_MRZ = ['P<UTOLINDQVIST<<ASTRID<ELENA<<<<<<<<<<<<<<<<', 'U23C418976UTO8403145F3106017870314T2205<<<10'];
export const ALTERED_BIRTH_DATE_FINDINGS: ComparisonFinding[] = [
  {
    kind: 'mrz-check-failed',
    message: 'MRZ check digits of the date of birth, composite fields fail: the MRZ was altered or misprinted.',
    zoneId: 'zone-mrz',
    box: { x: 900, y: 1210, width: 260, height: 60 },
    fields: ['birthDate', 'composite'],
    characters: [
      [1, 19],
      [1, 43],
    ],
    lines: ALTERED_BIRTH_DATE_MRZ,
    checks: [
      { field: 'birthDate', data: '840314', printed: '5', expected: 6, position: [1, 19] },
      { field: 'composite', data: 'U23C41897684031453106017870314T2205<<<1', printed: '0', expected: 7, position: [1, 43] },
    ],
    lightSource: 'white',
  },
  {
    kind: 'mrz-characters-misaligned',
    message: '1 MRZ character of a field whose check digit fails stands out of line with the printed grid (overtyped or pasted in).',
    zoneId: 'zone-mrz',
    box: { x: 1080, y: 1215, width: 40, height: 50 },
    characters: [[1, 14]],
    lines: ALTERED_BIRTH_DATE_MRZ,
    characterFields: ['birthDate'],
    lightSource: 'white',
  },
];

/** A finished comparison of the altered-birth-date forgery: its white light has the MRZ findings, IR none. */
export function makeComparisonWithFindings(overrides: Partial<ApiComparison> = {}): ApiComparison {
  return makeApiComparison({
    status: 'done',
    progress: { fraction: 1, stage: 'store' },
    finishedAt: '2026-11-28T03:40:00Z',
    result: {
      anchorLight: 'white',
      alignment: { homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], inliers: 300, rmse: 0.5, method: 'akaze', message: 'ok' },
      lights: [makeLightResult('white', { findings: ALTERED_BIRTH_DATE_FINDINGS }), makeLightResult('ir-870')],
      skipped: [],
      parameters: {},
      versions: {},
      elapsedMs: { total: 1000 },
    },
    ...overrides,
  });
}

/** A light source of a comparison as the viewer receives it (outputs at `/outputs/<light>-<kind>.png`, a 2000 × 1400 frame). */
export function makeViewerLight(lightSource: string, overrides: Partial<ComparisonLight> = {}): ComparisonLight {
  const img = (name: string) => ({ kind: 'image' as const, url: `/outputs/${lightSource}-${name}.png`, width: 2000, height: 1400 });
  return {
    lightSource,
    frame: { width: 2000, height: 1400 },
    reference: img('reference'),
    questioned: img('aligned'),
    heatmap: img('heatmap'),
    regions: [],
    zoneVerdicts: [],
    findings: [],
    ...overrides,
  };
}
