import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', 'scripts', 'generate-types.js');

describe('generate-types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exemplar-types-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (name: string) => {
    const out = join(dir, name);
    execFileSync(process.execPath, [script, '--out', out], { stdio: 'pipe' });
    return readFileSync(out, 'utf8');
  };

  it('is deterministic and declares each stable type name once', () => {
    const first = run('a.ts');
    expect(run('b.ts')).toBe(first);
    const declared = [...first.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1] ?? '');
    expect(new Set(declared).size).toBe(declared.length);
    const stable = ['Specimen', 'Capture', 'CaptureImage', 'FeatureZone', 'SpecimenCreate', 'SpecimenPatch', 'CaptureCreate', 'CapturePatch',
      'FeatureZoneCreate', 'FeatureZonePatch', 'SpecimenStatus', 'ForgeryMethod', 'IssuingState', 'DocumentCategory', 'DocumentCode',
      'LightSourceId', 'FeatureType', 'Classification', 'CapturePage', 'LightBand', 'LightGeometry', 'LightMode', 'FeatureGroup', 'SchemaTypes'];
    expect(stable.filter((n) => !declared.includes(n))).toEqual([]);
    expect(declared.filter((n) => /\d$/.test(n) && declared.includes(n.replace(/\d+$/, '')))).toEqual([]);
    expect(first).toContain('export type CapturePage = ("data-page" | "front" | "back" | "cover" | "inside-cover" | `page-${number}`)');
  });
});
