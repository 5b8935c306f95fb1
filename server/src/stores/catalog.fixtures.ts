/**
 * Specimens for the catalog contract, the Mongo translation test and the
 * search benchmark: a small hand-made library whose answers the contract
 * states exactly, and a seeded generator of realistic ones (a few dominant
 * issuers and categories, fraud statuses linked to genuine models, captures
 * with light sources and feature zones as a lab records them).
 */
import type { Capture, CaptureImage, CapturePage, FeatureZone, Specimen } from '@exemplar/specimens-schema';
import { featureTypes, forgeryMethods, issuingStates } from '@exemplar/specimens-schema';
import { objectKeys } from './objects.port';

/** Small, fast, seedable PRNG (mulberry32); the same seed gives the same library. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex64 = (rand: () => number) => Array.from({ length: 8 }, () => Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0')).join('');

function image(lightSource: CaptureImage['lightSource'], sha256: string, withDzi: boolean): CaptureImage {
  return {
    lightSource,
    sha256,
    bytes: 1_800_000,
    width: 2000,
    height: 1400,
    format: 'jpeg',
    bitDepth: 8,
    channels: 3,
    derivatives: {
      thumbnail: objectKeys.derivative(sha256, 'thumbnail.webp'),
      preview: objectKeys.derivative(sha256, 'preview.webp'),
      ...(withDzi ? { dzi: objectKeys.derivative(sha256, 'tiles.dzi') } : {}),
    },
  };
}

function zone(id: string, type: FeatureZone['type'], lightSources: FeatureZone['lightSources'], personalised = false): FeatureZone {
  return { id, type, polygon: [[100, 100], [400, 100], [400, 300], [100, 300]], lightSources, personalised };
}

function capture(id: string, page: CapturePage, images: CaptureImage[], zones: FeatureZone[]): Capture {
  return { id, page, images, zones, createdAt: '2024-01-10T09:00:00.000Z', createdBy: 'fixture' };
}

/** A sha256 that names its fixture, so a test can tell which image a key belongs to. */
const sha = (n: number) => n.toString(16).padStart(64, '0');

function specimen(fields: Partial<Specimen> & Pick<Specimen, 'id' | 'status' | 'issuingState' | 'documentCategory' | 'title'>): Specimen {
  return {
    revision: 1,
    classification: 'public',
    tags: [],
    captures: [],
    createdBy: 'fixture',
    createdAt: '2024-01-10T09:00:00.000Z',
    updatedBy: 'fixture',
    updatedAt: '2024-01-10T09:00:00.000Z',
    ...fields,
  };
}

/**
 * The hand-made library. Properties the contract relies on are noted; change
 * them only together with the contract.
 */
export function fixtureSpecimens(): Specimen[] {
  return [
    specimen({
      id: 'uto-p-2019',
      status: 'genuine',
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      series: '2019',
      issued: { from: 2019 },
      title: 'Utopia passport, 2019 series',
      description: 'Polycarbonate data page with laser engraving and a kinegram.',
      notes: 'Reference specimen supplied by the issuing authority.',
      tags: ['demo', 'epassport'],
      captures: [
        capture('cap-uto-p-2019-dp', 'data-page', [image('white', sha(1), true), image('uv-365', sha(2), false), image('ir-870', sha(3), false)], [
          zone('z-uto19-photo', 'photo', ['white'], true),
          zone('z-uto19-mrz', 'mrz', ['white', 'ir-870']),
          zone('z-uto19-kine', 'kinegram', ['white']),
          zone('z-uto19-uv', 'uv-fluorescent-ink', ['uv-365']),
        ]),
      ],
      createdAt: '2024-01-10T09:00:00.000Z',
      updatedAt: '2024-03-01T12:00:00.000Z',
    }),
    specimen({
      id: 'uto-p-2009',
      status: 'genuine',
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      series: '2009',
      issued: { from: 2009, to: 2018 },
      title: 'Utopia passport, 2009 series',
      description: 'Paper data page, intaglio printing and a watermark.',
      tags: ['demo'],
      captures: [
        capture('cap-uto-p-2009-dp', 'data-page', [image('white', sha(4), false), image('uv-365', sha(5), false)], [
          zone('z-uto09-wm', 'watermark', ['white-transmitted']),
          zone('z-uto09-intaglio', 'intaglio', ['white']),
          zone('z-uto09-mrz', 'mrz', ['white']),
        ]),
      ],
      createdAt: '2024-01-11T09:00:00.000Z',
      updatedAt: '2024-02-01T12:00:00.000Z',
    }),
    specimen({
      id: 'uto-id-2021',
      status: 'specimen',
      issuingState: 'UTO',
      documentCategory: 'id-card',
      documentCode: 'I',
      series: '2021',
      issued: { from: 2021 },
      title: 'Utopia identity card — specimen',
      description: 'Polycarbonate card with MLI and a ghost image.',
      classification: 'restricted',
      tags: ['demo', 'polycarbonate'],
      captures: [
        capture(
          'cap-uto-id-front',
          'front',
          [image('white', sha(6), false), image('uv-365', sha(7), false), image('ir-870', sha(8), false), image('white-oblique', sha(9), false)],
          [zone('z-utoid-mli', 'mli', ['white-oblique']), zone('z-utoid-ghost', 'ghost-image', ['white']), zone('z-utoid-photo', 'photo', ['white'], true)],
        ),
        // The same white image as the front capture: object keys are listed once.
        capture('cap-uto-id-back', 'back', [image('white', sha(6), false), image('uv-254', sha(10), false)], [zone('z-utoid-mrz', 'mrz', ['white'])]),
      ],
      createdAt: '2024-01-12T09:00:00.000Z',
      updatedAt: '2024-02-01T12:00:00.000Z',
    }),
    specimen({
      id: 'fraud-photo-sub',
      status: 'forgery',
      forgeryMethods: ['photo-substitution'],
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      title: 'Photo substitution on a Utopia passport',
      description: 'The holder photo was replaced; the laminate was lifted at the edge.',
      notes: 'Seized at Ébène airport. AND "quoted" (a*b) OR NOT title:foo',
      modusOperandi: 'Laminate lifted with heat, photo glued in, laminate pressed back.',
      imitates: 'uto-p-2019',
      classification: 'confidential',
      tags: ['demo', 'photo-sub'],
      captures: [
        capture('cap-fraud-ps', 'data-page', [image('white', sha(11), false), image('uv-365', sha(12), false)], [
          zone('z-fps-photo', 'photo', ['white'], true),
          zone('z-fps-lam', 'laminate', ['white', 'uv-365']),
        ]),
      ],
      createdAt: '2024-01-13T09:00:00.000Z',
      updatedAt: '2024-02-01T12:00:00.000Z',
    }),
    specimen({
      id: 'fraud-altered',
      status: 'forgery',
      forgeryMethods: ['data-alteration', 'mrz-alteration'],
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      title: 'Altered date of birth on a Utopia passport',
      description: 'Digits of the date of birth scraped and redrawn.',
      imitates: 'uto-p-2019',
      classification: 'restricted',
      tags: ['demo'],
      captures: [
        capture('cap-fraud-alt', 'data-page', [image('white', sha(13), false), image('ir-870', sha(14), false)], [
          zone('z-falt-dob', 'date-of-birth', ['white', 'ir-870'], true),
          zone('z-falt-mrz', 'mrz', ['white']),
        ]),
      ],
      createdAt: '2024-01-14T09:00:00.000Z',
      updatedAt: '2024-01-20T08:00:00.000Z',
    }),
    specimen({
      id: 'counterfeit-guilloche',
      status: 'counterfeit',
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      title: 'Counterfeit Utopia passport with a wrong guilloche',
      description: 'Offset-printed imitation; guilloche lines broken and no UV response.',
      imitates: 'uto-p-2009',
      tags: ['demo', 'offset-print'],
      captures: [capture('cap-cfg', 'data-page', [image('white', sha(15), false), image('uv-365', sha(16), false)], [zone('z-cfg-guil', 'guilloche', ['white'])])],
      createdAt: '2024-01-15T09:00:00.000Z',
      updatedAt: '2024-01-20T08:00:00.000Z',
    }),
    specimen({
      id: 'fantasy-world',
      status: 'fantasy',
      issuingState: 'XXA',
      documentCategory: 'travel-document',
      title: "World Service Authority 'world passport'",
      description: 'Fantasy document not issued by any state.',
      tags: ['fantasy'],
      createdAt: '2024-01-16T09:00:00.000Z',
      updatedAt: '2024-01-20T08:00:00.000Z',
    }),
    specimen({
      id: 'd-pass-2017',
      status: 'genuine',
      issuingState: 'D',
      documentCategory: 'passport',
      documentCode: 'P',
      series: '2017',
      issued: { from: 2017 },
      title: 'German passport (Reisepass) 2017',
      description: 'Laser perforation, kinegram and a polycarbonate data page.',
      notes: 'Hinweis zu Änderungen der Überprüfung.',
      tags: ['eu', 'epassport'],
      captures: [
        capture(
          'cap-d-2017',
          'data-page',
          [image('white', sha(17), true), image('uv-365', sha(18), false), image('uv-254', sha(19), false), image('ir-870', sha(20), false)],
          [zone('z-d17-kine', 'kinegram', ['white']), zone('z-d17-perf', 'laser-perforation', ['white-transmitted']), zone('z-d17-mrz', 'mrz', ['white'])],
        ),
      ],
      createdAt: '2024-01-17T09:00:00.000Z',
      updatedAt: '2024-01-18T10:00:00.000Z',
    }),
    specimen({
      id: 'fra-id-2021',
      status: 'genuine',
      issuingState: 'FRA',
      documentCategory: 'id-card',
      documentCode: 'ID',
      series: '2021',
      issued: { from: 2021 },
      title: "French identity card (carte nationale d'identité) 2021",
      description: "Carte d'identité électronique au format carte bancaire.",
      tags: ['eu', 'polycarbonate'],
      captures: [capture('cap-fra-id', 'front', [image('white', sha(21), false), image('uv-365', sha(22), false)], [zone('z-fra-photo', 'photo', ['white'], true)])],
      createdAt: '2024-01-18T09:00:00.000Z',
      updatedAt: '2024-01-18T10:00:00.000Z',
    }),
    specimen({
      id: 'gbr-visa-2015',
      status: 'genuine',
      issuingState: 'GBR',
      documentCategory: 'visa',
      documentCode: 'V',
      series: '2015',
      issued: { from: 2015, to: 2020 },
      title: 'United Kingdom visa vignette 2015, kinegram issue',
      classification: 'restricted',
      captures: [capture('cap-gbr-visa', 'page-12', [image('white', sha(23), false)], [zone('z-gbr-ovd', 'ovd', ['white'])])],
      createdAt: '2024-01-09T09:00:00.000Z',
      updatedAt: '2024-01-18T10:00:00.000Z',
    }),
    specimen({
      id: 'impostor-uto',
      status: 'impostor',
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      title: 'Impostor using a genuine Utopia passport',
      imitates: 'uto-p-2019',
      classification: 'confidential',
      tags: ['lookalike'],
      createdAt: '2024-01-20T09:00:00.000Z',
      updatedAt: '2024-01-21T10:00:00.000Z',
    }),
    specimen({
      id: 'stolen-blank-uto',
      status: 'stolen-blank',
      issuingState: 'UTO',
      documentCategory: 'passport',
      documentCode: 'P',
      series: '2019',
      issued: { from: 2019 },
      title: 'Stolen blank Utopia passport, 2019 series',
      classification: 'restricted',
      tags: ['demo', 'stolen'],
      createdAt: '2024-01-21T09:00:00.000Z',
      updatedAt: '2024-01-21T10:00:00.000Z',
    }),
    specimen({
      id: 'uto-rp-old',
      status: 'genuine',
      issuingState: 'UTO',
      documentCategory: 'residence-permit',
      documentCode: 'IR',
      issued: { to: 2005 },
      title: 'Utopia residence permit (old model)',
      createdAt: '2024-01-08T09:00:00.000Z',
      updatedAt: '2024-01-21T10:00:00.000Z',
    }),
  ];
}

// ------------------------------------------------------------ synthetic library

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

const zipfTables = new WeakMap<readonly unknown[], Map<number, Float64Array>>();

/** Picks index i with weight proportional to 1/(i+1)^s: a few frequent values and a long tail, as in a real collection. */
function zipf<T>(rand: () => number, list: readonly T[], s = 1.1): T {
  let bySkew = zipfTables.get(list);
  if (!bySkew) zipfTables.set(list, (bySkew = new Map()));
  let cumulative = bySkew.get(s);
  if (!cumulative) {
    cumulative = new Float64Array(list.length);
    let total = 0;
    for (let i = 0; i < list.length; i++) cumulative[i] = total += 1 / (i + 1) ** s;
    bySkew.set(s, cumulative);
  }
  const r = rand() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return list[lo]!;
}

function weighted<T extends string>(rand: () => number, weights: Readonly<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  let r = rand() * entries.reduce((n, [, w]) => n + w, 0);
  for (const [value, w] of entries) {
    r -= w;
    if (r <= 0) return value;
  }
  return entries[entries.length - 1]![0];
}

const CATEGORY_WEIGHTS = { passport: 45, 'id-card': 30, visa: 8, 'residence-permit': 7, 'driving-licence': 6, 'travel-document': 3, other: 1 } as const;
const CODES: Record<keyof typeof CATEGORY_WEIGHTS, readonly string[]> = {
  passport: ['P', 'PD', 'PO', 'PS'],
  'id-card': ['I', 'ID', 'IC'],
  visa: ['V', 'VC'],
  'residence-permit': ['IR', 'AR'],
  'travel-document': ['PT', 'PR'],
  'driving-licence': [],
  other: [],
};
const STATUS_WEIGHTS = {
  genuine: 45,
  specimen: 12,
  counterfeit: 12,
  forgery: 15,
  pseudo: 3,
  fantasy: 3,
  'fraudulently-obtained-genuine': 4,
  impostor: 4,
  'stolen-blank': 2,
} as const;
const CLASSIFICATION_WEIGHTS = { public: 60, restricted: 30, confidential: 10 } as const;
const TAGS = [
  'epassport', 'polycarbonate', 'eu', 'schengen', 'paper', 'demo', 'training', 'court-exhibit', 'photo-sub', 'offset-print',
  'inkjet', 'laser-print', 'high-quality', 'low-quality', 'border-seizure', 'mail-seizure', 'airport', 'series-change', 'specimen-issue',
  'reference', 'alert', 'interpol', 'frontex', 'prado', 'chip', 'no-chip', 'laminate', 'booklet', 'card', 'sticker',
];
/** Light sources and how often a lab records each on a capture (white always). */
const LIGHT_FREQUENCY: readonly [CaptureImage['lightSource'], number][] = [
  ['uv-365', 0.85], ['ir-870', 0.65], ['white-oblique', 0.3], ['white-transmitted', 0.25], ['uv-254', 0.2], ['coaxial', 0.15],
  ['uv-313', 0.08], ['ir-940', 0.1], ['ir-720', 0.06], ['ir-luminescence', 0.05], ['anti-stokes', 0.03], ['ovd', 0.05],
];
const FREQUENT_STATES: readonly string[] = ['UTO', 'D', 'FRA', 'ITA', 'ESP', 'NLD', 'POL', 'ROU', 'UKR', 'GBR', 'TUR', 'ALB', 'MAR', 'NGA', 'CHN', 'IND', 'USA', 'BRA'];
const PAGES: readonly CapturePage[] = ['data-page', 'front', 'back', 'cover', 'inside-cover', 'page-2', 'page-3'];
const VOCABULARY = [
  'laminate', 'intaglio', 'guilloche', 'microprint', 'hologram', 'kinegram', 'watermark', 'thread', 'fluorescent', 'fibres',
  'planchettes', 'perforation', 'engraving', 'polycarbonate', 'substrate', 'offset', 'inkjet', 'toner', 'stamp', 'signature',
  'holder', 'photo', 'page', 'booklet', 'cover', 'binding', 'ink', 'colour', 'pattern', 'background', 'rainbow', 'printing',
  'numbering', 'letterpress', 'relief', 'tactile', 'window', 'chip', 'antenna', 'border', 'seized', 'airport', 'examined',
  'compared', 'reference', 'specimen', 'series', 'variant', 'issue', 'authority', 'replaced', 'altered', 'erased', 'digits',
  'date', 'birth', 'expiry', 'name', 'number', 'missing', 'weak', 'strong', 'blurred', 'sharp', 'misaligned', 'genuine',
  'counterfeit', 'forgery', 'visible', 'under', 'light', 'absorbs', 'reflects', 'shows', 'edge', 'corner', 'lower', 'upper',
];

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(zipf(rand, VOCABULARY, 0.8));
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function syntheticCapture(rand: () => number, specimenId: string, n: number, at: string): Capture {
  const lights: CaptureImage['lightSource'][] = ['white'];
  for (const [light, p] of LIGHT_FREQUENCY) if (rand() < p) lights.push(light);
  const zoneCount = 2 + Math.floor(rand() * 8);
  const zones: FeatureZone[] = [];
  for (let z = 0; z < zoneCount; z++) {
    const ft = zipf(rand, featureTypes, 0.7);
    zones.push({
      id: `${specimenId}-z${n}-${z}`,
      type: ft.id,
      polygon: [
        [Math.floor(rand() * 1500), Math.floor(rand() * 1000)],
        [1600, Math.floor(rand() * 1000)],
        [1600, 1200],
        [Math.floor(rand() * 1500), 1200],
      ],
      lightSources: [pick(rand, lights)],
      personalised: ft.personalised,
    });
  }
  return {
    id: `${specimenId}-c${n}`,
    page: n === 0 ? pick(rand, PAGES.slice(0, 2)) : pick(rand, PAGES),
    dpi: pick(rand, [600, 1200]),
    images: lights.map((l) => image(l, hex64(rand), rand() < 0.2)),
    zones,
    createdAt: at,
    createdBy: 'synthetic',
  };
}

/**
 * `count` realistic specimens from `seed`, with ids `<prefix><n>` (zero-padded,
 * so id order is generation order). Frauds imitate earlier genuine ones.
 */
export function syntheticSpecimens(count: number, seed: number, idPrefix = 'syn'): Specimen[] {
  const rand = seededRandom(seed);
  // A library holds mostly documents of its neighbours and main travel routes, then a long tail.
  const states = [
    ...FREQUENT_STATES.map((code) => issuingStates.find((s) => s.id === code)!).filter(Boolean),
    ...issuingStates.filter((s) => !FREQUENT_STATES.includes(s.id)),
  ];
  const width = String(Math.max(count - 1, 0)).length;
  const genuineIds: string[] = [];
  const out: Specimen[] = [];
  const t0 = Date.UTC(2019, 0, 1);
  const span = Date.UTC(2025, 0, 1) - t0;
  for (let n = 0; n < count; n++) {
    const id = `${idPrefix}${String(n).padStart(width, '0')}`;
    const state = zipf(rand, states, 1.2);
    const category = weighted(rand, CATEGORY_WEIGHTS);
    const codes = CODES[category];
    const status = weighted(rand, STATUS_WEIGHTS);
    const from = 1995 + Math.floor(rand() * 30);
    const series = rand() < 0.85 ? String(from) : undefined;
    // Whole days: many specimens share a timestamp, as after a bulk import, so sorts need their tie-break.
    const created = t0 + Math.floor(rand() * (span / 86_400_000)) * 86_400_000;
    const updated = created + Math.floor(rand() * 90) * 86_400_000;
    const createdAt = new Date(created).toISOString();
    const tags = new Set<string>();
    const tagCount = Math.floor(rand() * 4);
    for (let t = 0; t < tagCount; t++) tags.add(zipf(rand, TAGS, 1));
    const captureCount = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 3);
    const fraud = status !== 'genuine' && status !== 'specimen';
    const s: Specimen = {
      id,
      revision: 1 + Math.floor(rand() * 3),
      status,
      issuingState: state.id,
      documentCategory: category,
      title: `${fraud ? `${status.replace(/-/g, ' ')}: ` : ''}${state.label} ${category.replace('-', ' ')}${series ? `, ${series} series` : ''}`,
      classification: weighted(rand, CLASSIFICATION_WEIGHTS),
      tags: [...tags].sort(),
      captures: Array.from({ length: captureCount }, (_, c) => syntheticCapture(rand, id, c, createdAt)),
      createdBy: 'synthetic',
      createdAt,
      updatedBy: 'synthetic',
      updatedAt: new Date(updated).toISOString(),
    };
    if (codes.length > 0) s.documentCode = pick(rand, codes);
    if (series) s.series = series;
    if (rand() < 0.8) s.issued = rand() < 0.35 ? { from } : { from, to: Math.min(2200, from + 2 + Math.floor(rand() * 12)) };
    if (rand() < 0.9) s.description = sentence(rand, 6 + Math.floor(rand() * 25));
    if (rand() < 0.4) s.notes = sentence(rand, 4 + Math.floor(rand() * 15));
    if (status === 'forgery') {
      const methods = new Set([zipf(rand, forgeryMethods, 1).id]);
      if (rand() < 0.3) methods.add(zipf(rand, forgeryMethods, 1).id);
      s.forgeryMethods = [...methods];
    }
    if (fraud && genuineIds.length > 0 && rand() < 0.7) s.imitates = pick(rand, genuineIds);
    if (status === 'genuine') genuineIds.push(id);
    out.push(s);
  }
  return out;
}
