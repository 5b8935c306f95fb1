/**
 * Records for component tests, built to the specimens-schema contract and
 * checked against it on creation, so a test can never feed a component data
 * the API would not send.
 */
import { validateSpecimen, type Capture, type CaptureImage, type FeatureZone, type Specimen } from '@exemplar/specimens-schema';
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
