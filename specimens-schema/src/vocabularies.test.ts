import {
  capturePages,
  classificationRank,
  classifications,
  documentCategories,
  featureGroups,
  featureTypes,
  forgeryMethods,
  getLightSource,
  getSchema,
  isFraudStatus,
  isLightSourceId,
  issuingStateKinds,
  issuingStates,
  lightBands,
  lightGeometries,
  lightModes,
  lightSources,
  specimenStatuses,
  validate,
  type SchemaName,
} from './index';

const vocabularies: [SchemaName, readonly { id: string; label: string }[]][] = [
  ['light-source', lightSources],
  ['feature-type', featureTypes],
  ['specimen-status', specimenStatuses],
  ['forgery-method', forgeryMethods],
  ['issuing-state', issuingStates],
  ['document-category', documentCategories],
  ['classification', classifications],
];

describe.each(vocabularies)('vocabulary %s', (name, entries) => {
  it('lists exactly the values of the schema enum, in order', () => {
    expect(entries.map((e) => e.id)).toEqual(getSchema(name)['enum']);
  });

  it('has unique ids and a label for each', () => {
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    for (const e of entries) expect(e.label.trim()).not.toBe('');
  });

  it('validates each of its values and refuses others', () => {
    for (const e of entries) expect(validate(name, e.id).ok).toBe(true);
    expect(validate(name, 'not-a-value').ok).toBe(false);
    expect(validate(name, entries[0]!.id.toUpperCase() + 'X').ok).toBe(false);
  });
});

describe('light sources', () => {
  it('carry band, geometry and mode from the controlled lists', () => {
    for (const ls of lightSources) {
      expect(lightBands).toContain(ls.band);
      expect(lightGeometries).toContain(ls.geometry);
      expect(lightModes).toContain(ls.mode);
    }
  });

  it('include the lights of the data model with their wavelength and geometry', () => {
    expect(getLightSource('uv-365')).toMatchObject({ band: 'uv', wavelengthNm: 365, geometry: 'top', mode: 'luminescence' });
    expect(getLightSource('ir-870')).toMatchObject({ band: 'ir', wavelengthNm: 870, mode: 'reflected' });
    expect(getLightSource('white')).toMatchObject({ band: 'visible', wavelengthNm: null, geometry: 'top' });
    expect(getLightSource('white-transmitted')).toMatchObject({ geometry: 'transmitted', mode: 'transmitted' });
    expect(getLightSource('coaxial')?.geometry).toBe('coaxial');
    expect(getLightSource('anti-stokes')?.mode).toBe('anti-stokes');
    for (const id of ['white-oblique', 'uv-313', 'uv-254', 'ir-700', 'ir-720', 'ir-940', 'ir-transmitted', 'ir-luminescence', 'ovd']) {
      expect(isLightSourceId(id)).toBe(true);
    }
    expect(isLightSourceId('capture')).toBe(false);
    expect(getLightSource('uv-366')).toBeUndefined();
  });

  it('have ids usable as multipart field names', () => {
    for (const ls of lightSources) expect(ls.id).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('feature types', () => {
  it('belong to a known group', () => {
    for (const ft of featureTypes) expect(featureGroups).toContain(ft.group);
  });

  it('mark personalisation fields as personalised and printed security features as not', () => {
    const personalised = new Map(featureTypes.map((f) => [f.id, f.personalised]));
    for (const id of ['photo', 'name', 'document-number', 'date-of-birth', 'signature', 'mrz'] as const) expect(personalised.get(id)).toBe(true);
    for (const id of ['intaglio', 'guilloche', 'microprint', 'watermark', 'hologram', 'uv-fibres'] as const) expect(personalised.get(id)).toBe(false);
  });

  it('cover the PRADO terms named in the data model', () => {
    const ids = new Set<string>(featureTypes.map((f) => f.id));
    const named = ['intaglio', 'guilloche', 'microprint', 'rainbow-printing', 'latent-image', 'ovd', 'hologram', 'kinegram', 'watermark',
      'security-thread', 'uv-fluorescent-ink', 'uv-fibres', 'uv-planchettes', 'ir-absorbing-ink', 'laser-perforation', 'mli', 'cli',
      'photo-integration', 'mrz', 'photo', 'name', 'document-number', 'signature'];
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });
});

describe('specimen statuses', () => {
  it('mark frauds', () => {
    expect(specimenStatuses.filter((s) => !s.isFraud).map((s) => s.id)).toEqual(['genuine', 'specimen']);
    expect(isFraudStatus('forgery')).toBe(true);
    expect(isFraudStatus('genuine')).toBe(false);
  });
});

describe('issuing states', () => {
  const byCode = new Map(issuingStates.map((s) => [s.id, s]));

  it('hold every ISO 3166-1 alpha-3 code as three capitals, and the ICAO special codes', () => {
    const iso = issuingStates.filter((s) => s.kind === 'iso-3166');
    expect(iso.length).toBe(249);
    for (const s of iso) expect(s.id).toMatch(/^[A-Z]{3}$/);
    for (const code of ['D', 'GBD', 'GBN', 'GBO', 'GBP', 'GBS', 'EUE', 'UNO', 'UNA', 'UNK', 'XXA', 'XXB', 'XXC', 'XXX', 'XOM', 'XPO']) {
      expect([code, byCode.get(code as never)?.kind]).toEqual([code, 'icao']);
    }
    expect(byCode.get('UTO' as never)?.kind).toBe('test');
    for (const s of issuingStates) expect(issuingStateKinds).toContain(s.kind);
  });
});

describe('classifications', () => {
  it('are ordered by rank', () => {
    expect(classifications.map((c) => c.rank)).toEqual([0, 1, 2]);
    expect(classificationRank('confidential')).toBeGreaterThan(classificationRank('restricted'));
  });
});

describe('capture pages', () => {
  it('list the fixed pages, each valid, and accept page-N', () => {
    expect(capturePages.map((p) => p.id)).toEqual(['data-page', 'front', 'back', 'cover', 'inside-cover']);
    for (const p of capturePages) expect(validate('capture-page', p.id).ok).toBe(true);
    expect(validate('capture-page', 'page-1').ok).toBe(true);
    expect(validate('capture-page', 'page-01').ok).toBe(false);
  });
});
