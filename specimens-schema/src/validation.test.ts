import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify from 'fastify';
import {
  annotationKeywords,
  assertValid,
  createAjv,
  formatValidationErrors,
  mergeSpecimenPatch,
  schemaId,
  schemaNames,
  schemas,
  SchemaValidationError,
  validate,
  validateSpecimen,
  type Specimen,
} from './index';

const minimal = {
  status: 'genuine',
  issuingState: 'UTO',
  documentCategory: 'passport',
  documentCode: 'P',
  series: '2019',
  title: 'Utopia passport, 2019 series',
  classification: 'public',
  tags: ['demo'],
};

const stored: Specimen = {
  ...(minimal as Omit<Specimen, 'id' | 'revision' | 'captures' | 'createdBy' | 'createdAt' | 'updatedBy' | 'updatedAt'>),
  id: 'spc-000001',
  revision: 2,
  status: 'forgery',
  forgeryMethods: ['data-alteration'],
  captures: [],
  createdBy: 'a',
  createdAt: '2024-01-01T00:00:00Z',
  updatedBy: 'a',
  updatedAt: '2024-01-02T00:00:00Z',
};

describe('createAjv', () => {
  it('compiles every schema in strict mode without a warning', () => {
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, warn: (...a: unknown[]) => warnings.push(a), error: (...a: unknown[]) => warnings.push(a) };
    const ajv = createAjv({ logger, strictTypes: true, strictTuples: true });
    for (const s of schemas) expect(typeof ajv.getSchema(s.$id)).toBe('function');
    expect(warnings).toEqual([]);
  });

  it('checks the metadata of every vocabulary entry; a plain Ajv cannot, because it does not know the keywords', () => {
    const ajv = createAjv();
    const plain = new Ajv();
    addFormats(plain);
    for (const s of schemas) plain.addSchema(s as object);
    // Validation never enters definitions.entries, so the records compile without the keywords…
    for (const s of schemas) expect(typeof plain.getSchema(s.$id)).toBe('function');
    const vocabularies = schemas.filter((s) => (s['definitions'] as { entries?: unknown } | undefined)?.entries !== undefined);
    expect(vocabularies.length).toBe(9);
    for (const s of vocabularies) {
      // …but the entries themselves are checked against the annotation lists.
      expect(typeof ajv.getSchema(`${s.$id}#/definitions/entries`)).toBe('function');
      const annotated = JSON.stringify((s['definitions'] as { entries: unknown }).entries).includes('"x-');
      if (annotated) expect(() => plain.getSchema(`${s.$id}#/definitions/entries`)).toThrow(/unknown keyword: "x-/);
    }
  });

  it('checks the annotations of vocabulary entries against their lists', () => {
    const ajv = createAjv();
    expect(() => ajv.compile({ type: 'string', 'x-band': 'red' })).toThrow(/x-band/);
    expect(() => ajv.compile({ type: 'string', 'x-band': 'uv', 'x-wavelength-nm': 365 })).not.toThrow();
  });
});

describe('validate', () => {
  it('accepts a schema $id as well as a name', () => {
    expect(validate(schemaId('specimen-create'), minimal).ok).toBe(true);
    expect(validate('specimen-create', minimal)).toEqual({ ok: true, value: minimal });
  });

  it('refuses an unknown schema name loudly', () => {
    expect(() => validate('specimen-draft', {})).toThrow(/unknown schema/);
  });

  it('reports all problems at once, each at its JSON pointer', () => {
    const result = validate('specimen-create', { ...minimal, status: 'forgery', issuingState: 'UT0', tags: ['a/b', 'A'], extra: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.path, e.message])).toEqual([
      ['/forgeryMethods', 'is required when status is forgery'],
      ['/extra', 'is not an allowed property'],
      ['/issuingState', 'is not a known issuing state code'],
      ['/tags/1', expect.stringMatching(/^must match pattern: Lowercase keyword/)],
    ]);
  });

  it('says what a record id looks like, for any kind of record', () => {
    const result = validate('case-create', { title: 'Port North', reference: 'PN-1', comparisons: ['nope'] });
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([['/comparisons/0', 'must match pattern: Server-generated record identifier (of a specimen, capture, zone, comparison, case …): 6 to 64 letters, digits, _ or -.']]);
  });

  it('escapes property names in paths', () => {
    const result = validate('specimen-create', { ...minimal, 'a/b~c': 1 });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['/a~1b~0c']);
  });

  it('assertValid returns typed data or throws a coded error', () => {
    expect(assertValid('specimen-create', minimal).title).toBe(minimal.title);
    try {
      assertValid('specimen-create', { ...minimal, title: '' });
      throw new Error('no throw');
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaValidationError);
      expect((err as SchemaValidationError).code).toBe('VALIDATION_FAILED');
      expect((err as SchemaValidationError).errors[0]?.path).toBe('/title');
    }
  });
});

describe('mergeSpecimenPatch', () => {
  it('replaces present fields, removes null ones, leaves revision to the store and the input untouched', () => {
    const before = structuredClone(stored);
    const merged = mergeSpecimenPatch(stored, { revision: 2, status: 'genuine', forgeryMethods: null, title: 'Re-examined' });
    expect(stored).toEqual(before);
    expect(merged.revision).toBe(2);
    expect(merged.status).toBe('genuine');
    expect('forgeryMethods' in merged).toBe(false);
    expect(validateSpecimen(merged).ok).toBe(true);
  });

  it('yields a record the schema refuses when a patch breaks a cross-field rule', () => {
    const merged = mergeSpecimenPatch(stored, { revision: 2, status: 'genuine' });
    const result = validateSpecimen(merged);
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([['/forgeryMethods', 'is allowed only when status is forgery']]);
  });
});

describe('in Fastify', () => {
  async function build() {
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, warn: (...a: unknown[]) => warnings.push(a), error: (...a: unknown[]) => warnings.push(a) };
    const app = Fastify({
      ajv: { customOptions: { keywords: [...annotationKeywords], removeAdditional: false, coerceTypes: false, logger } },
    });
    for (const s of schemas) app.addSchema(s);
    app.setErrorHandler((err: { validation?: Parameters<typeof formatValidationErrors>[0] }, _req, reply) => {
      if (!err.validation) return reply.code(500).send({ code: 'INTERNAL' });
      return reply.code(400).send({ code: 'VALIDATION_FAILED', message: 'invalid body', details: formatValidationErrors(err.validation, 'specimen-create') });
    });
    app.post(
      '/specimens',
      {
        schema: {
          body: { $ref: `${schemaId('specimen-create')}#` },
          response: { 201: { $ref: `${schemaId('specimen')}#` } },
        },
      },
      async (req, reply) => {
        const body = req.body as typeof minimal;
        const now = '2024-01-01T00:00:00Z';
        reply.code(201);
        return { ...body, id: 'spc-000002', revision: 1, captures: [], createdBy: 'x', createdAt: now, updatedBy: 'x', updatedAt: now, internalKey: 'secret' };
      },
    );
    // Real HTTP: inject() loads light-my-request → cookie@2, an ES module jest cannot require on Node 20.
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : '';
    const post = async (payload: unknown) => {
      const res = await fetch(`${base}/specimens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      return { statusCode: res.status, body: (await res.json()) as Record<string, unknown> & { details?: unknown } };
    };
    return { app, warnings, post };
  }

  it('loads the same files with addSchema, validates bodies and serialises responses', async () => {
    const { app, warnings, post } = await build();
    try {
      const ok = await post(minimal);
      expect(ok.statusCode).toBe(201);
      const created = ok.body;
      expect(created).not.toHaveProperty('internalKey');
      expect(validateSpecimen(created).ok).toBe(true);

      const bad = await post({ ...minimal, issuingState: 'XYZ' });
      expect(bad.statusCode).toBe(400);
      expect(bad.body.details).toEqual([
        { path: '/issuingState', message: 'is not a known issuing state code', keyword: 'enum', params: { vocabulary: 'issuing-state' } },
      ]);

      const forgery = await post({ ...minimal, status: 'forgery' });
      expect(forgery.body.details).toEqual([{ path: '/forgeryMethods', message: 'is required when status is forgery', keyword: 'required' }]);

      const typo = await post({ ...minimal, tittle: 'x' });
      expect(typo.body.details).toEqual([{ path: '/tittle', message: 'is not an allowed property', keyword: 'additionalProperties' }]);
      expect(warnings).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('has every schema name registered', () => {
    expect(schemaNames.length).toBe(schemas.length - 1);
  });
});
