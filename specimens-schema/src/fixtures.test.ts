/**
 * Table-driven check of the fixtures in ../fixtures: every valid fixture
 * passes its schema (and, for specimens, checkSpecimenRules); every invalid
 * fixture fails with exactly the errors it documents, so a fixture tests one
 * rule and a change that moves or renames an error shows up here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaNames, validate, validateSpecimen, validateSpecimenCreate, type SchemaName, type ValidationResult } from './index';

interface Fixture {
  schema: SchemaName;
  description: string;
  data: unknown;
  expectErrors?: { path: string; keyword?: string }[];
}

const fixturesDir = join(__dirname, '..', 'fixtures');

function load(kind: 'valid' | 'invalid'): [string, Fixture][] {
  const dir = join(fixturesDir, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture]);
}

/** What a service would run: schema, plus the semantic rules for specimens. */
function check(fixture: Fixture): ValidationResult<unknown> {
  if (fixture.schema === 'specimen') return validateSpecimen(fixture.data);
  if (fixture.schema === 'specimen-create') return validateSpecimenCreate(fixture.data);
  return validate(fixture.schema, fixture.data);
}

const valid = load('valid');
const invalid = load('invalid');

describe('fixtures', () => {
  it('name a known schema and match their file name', () => {
    for (const [file, fixture] of [...valid, ...invalid]) {
      expect(schemaNames).toContain(fixture.schema);
      expect(file.startsWith(`${fixture.schema}.`)).toBe(true);
      expect(fixture.description.length).toBeGreaterThan(0);
    }
  });

  it('cover every record and input schema, valid and invalid', () => {
    const records: SchemaName[] = [
      'specimen',
      'specimen-create',
      'specimen-patch',
      'capture',
      'capture-create',
      'capture-patch',
      'capture-image',
      'feature-zone',
      'feature-zone-create',
      'feature-zone-patch',
    ];
    const hasValid = new Set(valid.map(([, f]) => f.schema));
    const hasInvalid = new Set(invalid.map(([, f]) => f.schema));
    // A stored capture is covered inside the valid specimen fixtures.
    for (const name of records) if (name !== 'capture') expect([name, hasValid.has(name)]).toEqual([name, true]);
    for (const name of records) expect([name, hasInvalid.has(name)]).toEqual([name, true]);
  });

  describe.each(valid)('valid/%s', (_file, fixture) => {
    it('passes', () => {
      const result = check(fixture);
      expect(result.ok ? [] : result.errors).toEqual([]);
    });
  });

  describe.each(invalid)('invalid/%s', (_file, fixture) => {
    it('fails with exactly the documented errors', () => {
      const result = check(fixture);
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      const expected = fixture.expectErrors ?? [];
      expect(expected.length).toBeGreaterThan(0);
      expect(errors.map((e) => e.path).sort()).toEqual(expected.map((e) => e.path).sort());
      for (const exp of expected) {
        const match = errors.find((e) => e.path === exp.path);
        if (exp.keyword !== undefined) expect(match?.keyword).toBe(exp.keyword);
        expect(match?.message.length).toBeGreaterThan(0);
      }
    });
  });
});
