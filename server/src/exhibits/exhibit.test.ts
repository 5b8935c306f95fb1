import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { isExemplarError } from '../errors';
import { sha256 } from '../test-helpers';
import { FIXTURE_MRZ, makeExhibitFixture, rezipBundle as rezip, unzipBundle as unzip, type ExhibitFixture } from './exhibit-fixture';
import { pdfTextRuns } from './pdf-text';
import { buildExhibit, buildExhibitReport, chainAuditEntry, manifestEntriesHash, verifyBundle, type AuditEntry, type BuiltExhibit, type ExhibitManifest } from './index';

let fx: ExhibitFixture;
let built: BuiltExhibit;

beforeAll(async () => {
  fx = await makeExhibitFixture();
  built = await buildExhibit(fx.input, fx.load);
});

afterAll(async () => {
  await fx?.cleanup();
});

/** Rewrites the manifest so that its file list and hashes describe `files` again, as a careful forger would. */
function reManifest(files: Map<string, Buffer>): void {
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as ExhibitManifest;
  manifest.files = manifest.files
    .filter((f) => files.has(f.path))
    .map((f) => ({ ...f, sha256: sha256(files.get(f.path)!), bytes: files.get(f.path)!.length }));
  manifest.entriesSha256 = manifestEntriesHash(manifest.files);
  files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
}

async function tampered(edit: (files: Map<string, Buffer>) => void | Promise<void>): Promise<Awaited<ReturnType<typeof verifyBundle>>> {
  const files = await unzip(built.bundle);
  await edit(files);
  return verifyBundle(await rezip(files));
}

/** The report's text runs, and where the first run equal to `text` at or after `from` is (-1 when none). */
function reportRuns(report: Parameters<typeof pdfTextRuns>[0]): { runs: string[]; at: (text: string, from?: number) => number } {
  const runs = pdfTextRuns(report);
  return { runs, at: (text, from = 0) => runs.findIndex((r, i) => i >= from && r === text) };
}

const failedChecks = (r: Awaited<ReturnType<typeof verifyBundle>>) => r.checks.filter((c) => !c.ok).map((c) => c.check);

describe('buildExhibit', () => {
  it('gives byte-identical report and bundle for the same record', async () => {
    const again = await buildExhibit(structuredClone(fx.input), fx.load);
    expect(again.report.equals(built.report)).toBe(true);
    expect(again.bundle.equals(built.bundle)).toBe(true);
    expect(again.bundleSha256).toBe(built.bundleSha256);
    expect((await buildExhibitReport(fx.input, fx.load)).equals(built.report)).toBe(true);
  });

  it('gives the same bytes in another process and time zone (zip times are the record time in UTC)', async () => {
    // A child process: jest's environment does not follow a change of TZ. Uses the built module (npx tsc -b server).
    const dist = path.resolve(__dirname, '../../dist/exhibits');
    const script = `
      const { makeExhibitFixture } = require(${JSON.stringify(path.join(dist, 'exhibit-fixture.js'))});
      const { buildExhibit } = require(${JSON.stringify(path.join(dist, 'index.js'))});
      (async () => {
        const fx = await makeExhibitFixture();
        const b = await buildExhibit(fx.input, fx.load);
        await fx.cleanup();
        process.stdout.write(JSON.stringify({ hour: new Date(fx.input.generatedAt).getHours(), bundle: b.bundleSha256, report: b.reportSha256 }));
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, TZ: 'Pacific/Kiritimati' } });
    const child = JSON.parse(stdout) as { hour: number; bundle: string; report: string };
    expect(child.hour).not.toBe(new Date(fx.input.generatedAt).getUTCHours());
    expect(child).toEqual({ hour: child.hour, bundle: built.bundleSha256, report: built.reportSha256 });
  });

  it('depends on the record: another generatedAt gives another report', async () => {
    const other = await buildExhibitReport({ ...fx.input, generatedAt: '2026-03-05T00:00:00.000Z' }, fx.load);
    expect(other.equals(built.report)).toBe(false);
  });

  it('writes a PDF with the record dates, a fixed ID and reduced images', () => {
    const text = built.report.toString('latin1');
    // Matched, never printed: a failing toContain would dump megabytes of PDF.
    const infoValue = (name: string) => {
      const ref = new RegExp(`/${name} (\\d+) 0 R`).exec(text)?.[1];
      return ref ? new RegExp(`\\n${ref} 0 obj\\n\\(([^)]*)\\)`).exec(text)?.[1] : undefined;
    };
    expect(text.slice(0, 8)).toBe('%PDF-1.4');
    expect(infoValue('CreationDate')).toBe('D:20260304163000Z');
    expect(infoValue('ModDate')).toBe('D:20260304163000Z');
    expect(/\/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]/.exec(text)?.[0]).toBeDefined();
    // 8 image uses (2 lights x questioned, reference, aligned, heatmap), all as baseline JPEG.
    expect(text.match(/\/Subtype \/Image/g)).toHaveLength(8);
    expect(text.match(/\/Filter \/DCTDecode/g)).toHaveLength(8);
    // A page for the cover, case record, 2 lights, parameters, hashes, custody, conclusion at least.
    expect(Number(/\/Type \/Pages[\s\S]*?\/Count (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(8);
  });

  it('bundles originals byte-exact, outputs, the custody log and a manifest of every file', async () => {
    const files = await unzip(built.bundle);
    const names = [...files.keys()];
    expect(names.slice(0, 3)).toEqual(['manifest.json', 'custody-log.json', 'exhibit.json']);
    expect(names[names.length - 1]).toBe('report.pdf');
    expect(files.get('report.pdf')!.equals(built.report)).toBe(true);

    const originals = names.filter((n) => n.startsWith('originals/'));
    const outputs = names.filter((n) => n.startsWith('outputs/'));
    expect(originals).toHaveLength(4);
    expect(outputs).toHaveLength(4);
    for (const key of fx.keys) {
      const data = await fx.load(key);
      const inBundle = names.find((n) => n.includes(sha256(data)));
      expect(inBundle).toBeDefined();
      expect(files.get(inBundle!)!.equals(data)).toBe(true);
    }
    expect(originals.some((n) => n.endsWith('.png'))).toBe(true); // the PNG questioned image keeps its format

    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as ExhibitManifest;
    expect(manifest).toEqual(built.manifest);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(names.filter((n) => n !== 'manifest.json').sort());
    for (const f of manifest.files) {
      expect(f.sha256).toBe(sha256(files.get(f.path)!));
      expect(f.bytes).toBe(files.get(f.path)!.length);
    }
    expect(manifest.report.sha256).toBe(built.reportSha256);
    expect(manifest.custodyLog).toEqual({ path: 'custody-log.json', entries: 5, head: fx.input.custodyLog[4]!.hash });
    expect(JSON.parse(files.get('custody-log.json')!.toString('utf8'))).toEqual(fx.input.custodyLog);
    expect(JSON.parse(files.get('exhibit.json')!.toString('utf8'))).toEqual(fx.input);
    // The findings travel with the record, per light, exactly as recorded.
    const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as typeof fx.input;
    expect(record.comparisons[0]!.lights.map((l) => (l.findings ?? []).map((f) => [f.kind, f.fields ?? null, f.box]))).toEqual([
      [
        ['mrz-check-failed', ['birthDate', 'composite'], { x: 250, y: 380, width: 95, height: 22 }],
        ['mrz-characters-misaligned', null, { x: 290, y: 382, width: 14, height: 18 }],
      ],
      [],
    ]);
    // With the facts the comparison recorded: each failing digit printed and expected, the light the MRZ was read under.
    const [failed, misaligned] = record.comparisons[0]!.lights[0]!.findings!;
    expect(failed!.checks).toEqual([
      { field: 'birthDate', data: '840314', printed: '5', expected: 6, position: [1, 19] },
      { field: 'composite', data: 'X1234567<784031453106017<<<<<<<<<<<<<<0', printed: '6', expected: 3, position: [1, 43] },
    ]);
    expect([failed!.lightSource, misaligned!.lightSource, misaligned!.characterFields]).toEqual(['white', 'white', ['birthDate']]);
  });

  it('keeps the report small by reducing large images', async () => {
    // sharp's types require a background; with noise it is not read.
    const big = await sharp({ create: { width: 2600, height: 1800, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const key = 'questioned/bi/big';
    await fx.objects.put(key, big, { bytes: big.length });
    const input = structuredClone(fx.input);
    input.comparisons[0]!.lights[0]!.questioned = { key, sha256: sha256(big) };
    const report = await buildExhibitReport(input, fx.load);
    const widths = [...report.toString('latin1').matchAll(/\/Width (\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...widths)).toBe(1200);
    expect(report.length).toBeLessThan(built.report.length + big.length / 2);
  });

  it('refuses an image whose bytes do not match the recorded SHA-256, naming it', async () => {
    const input = structuredClone(fx.input);
    const light = input.comparisons[0]!.lights[1]!;
    light.heatmap = { ...light.heatmap, sha256: 'f'.repeat(64) };
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(isExemplarError(err) && err.code).toBe('INTEGRITY_FAILED');
    expect((err as Error).message).toContain(light.heatmap.key);
    expect((err as Error).message).toContain('comparison cmp-1 · uv-365 · heatmap');
  });

  it('refuses bytes changed in the object store after the record was made', async () => {
    const key = fx.input.references[0]!.images[0]!.key;
    const load = async (k: string) => {
      const data = await fx.load(k);
      if (k === key) data[data.length - 10]! ^= 0xff;
      return data;
    };
    await expect(buildExhibit(fx.input, load)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', details: { key } });
  });

  it('states the proposition the opinion answers, on the cover and on the conclusion page in one sentence with the scale', async () => {
    const words = pdfTextRuns(built.report).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain("Conclusion Elimination (definite conclusion of different origin) Proposition Genuine: produced by the issuing authority's process");
    expect(words).toContain("Proposition Genuine: produced by the issuing authority's process Opinion scale (after ASTM E1658), on that proposition:");
    expect(words).toContain("The examiner's opinion is that the questioned document was not produced by the issuing authority's process (is not genuine).");

    const probably = structuredClone(fx.input);
    probably.case.conclusion.opinion = 'probably-did';
    probably.case.conclusion.proposition = 'altered';
    const altered = pdfTextRuns(await buildExhibitReport(probably, fx.load)).join(' ').replace(/\s+/g, ' ');
    expect(altered).toContain("The examiner's opinion is that the questioned document probably has been altered after it was produced.");
  });

  it('says "not recorded" for a conclusion recorded before the proposition was asked, and words no opinion sentence for it', async () => {
    const older = structuredClone(fx.input);
    delete older.case.conclusion.proposition;
    const words = pdfTextRuns((await buildExhibit(older, fx.load)).report).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('Proposition not recorded Opinion scale');
    expect(words).not.toContain("The examiner's opinion is that");
  });

  it('refuses a malformed record with every problem listed', async () => {
    const input = structuredClone(fx.input);
    (input.case.conclusion as { opinion: string }).opinion = 'maybe';
    (input.case.conclusion as { proposition: string }).proposition = 'it is fake';
    input.generatedAt = '4 March 2026';
    input.comparisons[0]!.specimenId = 'spec-unknown';
    input.custodyLog[1] = { ...input.custodyLog[1]!, actor: 'intruder' };
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    const problems = (err as { details: { problems: string[] } }).details.problems.join('\n');
    expect(problems).toMatch(/opinion must be one of identification/);
    expect(problems).toMatch(/case\.conclusion\.proposition must be one of the case propositions/);
    expect(problems).toMatch(/generatedAt/);
    expect(problems).toMatch(/spec-unknown/);
    expect(problems).toMatch(/custodyLog: entry seq 2/);
  });

  it('reports each comparison light\'s findings next to its regions: code, fields, box, and the MRZ as read', async () => {
    const { runs, at } = reportRuns(built.report);
    // The white light's page: regions, then findings, then zone verdicts.
    const white = at('Comparison cmp-1 — White light (white)');
    expect(white).toBeGreaterThan(0);
    const regions = at('Regions of difference', white);
    const findings = at('Document-check findings', white);
    const verdicts = at('Zone verdicts', white);
    expect(regions).toBeLessThan(findings);
    expect(findings).toBeLessThan(verdicts);
    const table = runs.slice(findings, verdicts);
    // One row per finding: number, code, fields (or MRZ positions), box in reference pixels, the sentence.
    expect(table).toEqual(expect.arrayContaining(['M1', 'mrz-check-failed', 'birthDate, composite', '250', '380', '95', '22', 'M2', 'mrz-characters-misaligned', 'line 2, pos. 15', '290', '14']));
    expect(table.join(' ').replace(/\s+/g, ' ')).toContain('MRZ check digits of the date of birth, composite fields fail');
    expect(table).toEqual(expect.arrayContaining(FIXTURE_MRZ));
    // Each failing digit as recorded (never worked out by the report), and the light the MRZ was read under.
    const words = table.join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('Check digits, as recorded by the comparison: M1 — birthDate 840314: printed 5, its data give 6. M1 — composite: printed 6, its data give 3.');
    expect(words).toContain('MRZ as read on the questioned image under White light (white) (M1, M2):');
    // Drawn over the reference and the heatmap: the labels, twice each.
    expect(runs.slice(white, regions).filter((r) => r === 'M1')).toHaveLength(2);
    // The white light is 5.4 % blown out: the caption says how the heatmap shows it.
    expect(runs.slice(white, regions).join('')).toContain('Heatmap: regions (red), findings (M, magenta); white hatching: blown out (glare)');
    // UV: the MRZ is read under white light only; none is said as none.
    const uv = at('Comparison cmp-1 — UV 365 nm (uv-365)');
    const uvFindings = at('Document-check findings', uv);
    // Nothing blown out under UV: its heatmap caption says nothing of hatching.
    expect(runs.slice(uv, uvFindings).join('')).not.toContain('hatching');
    expect(runs[uvFindings + 1 + 8]).toBe('(none)');
    // The cover names them too.
    expect(runs.slice(0, white).join('')).toContain('cmp-1, White light (white): mrz-check-failed (birthDate, composite); mrz-characters-misaligned');
  });

  it('states on each light page the alignment the differences rest on: method, points agreeing, RMSE, share of the reference shown, message, registration and homography', async () => {
    const { runs, at } = reportRuns(built.report);
    const section = (title: string) => {
      const page = at(title);
      expect(page).toBeGreaterThan(0);
      const from = at('Alignment', page);
      const to = at('Regions of difference', page);
      expect(from).toBeGreaterThan(page);
      expect(to).toBeGreaterThan(from);
      return runs.slice(from, to);
    };
    const alignment = fx.input.comparisons[0]!.alignment;
    for (const [title, light] of [
      ['Comparison cmp-1 — White light (white)', fx.input.comparisons[0]!.lights[0]!],
      ['Comparison cmp-1 — UV 365 nm (uv-365)', fx.input.comparisons[0]!.lights[1]!],
    ] as const) {
      const runsOf = section(title);
      const words = runsOf.join(' ').replace(/\s+/g, ' ');
      expect(words).toContain('features (ORB), close-up (orb-zoom-in)');
      expect(words).toContain('118 of 130 agree on the homography');
      expect(words).toContain('0.318 px (reprojection error of the agreeing points, questioned pixels)');
      expect(words).toContain('The questioned image shows 86 % of the reference: only that part was compared.');
      expect(words).toContain(alignment.message);
      expect(words).toContain('reference pixels (640 x 420) to questioned pixels (700 x 460)');
      // The light's homography, every number as recorded, row by row.
      const table = runsOf.slice(runsOf.indexOf("x'"));
      expect(table.filter((r) => /^[-0-9.e]+$/.test(r))).toEqual(light.homography.map(String));
    }
    expect(section('Comparison cmp-1 — White light (white)').join(' ')).toContain('White light aligned on its own features (aligned)');
    expect(section('Comparison cmp-1 — White light (white)').join(' ')).toContain('1.0823');
    const uv = section('Comparison cmp-1 — UV 365 nm (uv-365)').join(' ').replace(/\s+/g, ' ');
    expect(uv).toContain("UV 365 nm reused the alignment under White light, refined by 0.38 px (refined); shift (0.31, -0.22) reference px; correlation 0.612 at the anchor's position, 0.704 at the best");
    expect(uv).toContain('5.083');
  });

  it('carries the alignment and each light\'s registration in the bundle record, and a report without a share says none', async () => {
    const files = await unzip(built.bundle);
    const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as typeof fx.input;
    expect(record.comparisons[0]!.alignment).toEqual(fx.input.comparisons[0]!.alignment);
    expect(record.comparisons[0]!.anchorLight).toBe('white');
    expect(record.comparisons[0]!.lights.map((l) => [l.lightSource, l.homography, l.registration])).toEqual(fx.input.comparisons[0]!.lights.map((l) => [l.lightSource, l.homography, l.registration]));

    const whole = structuredClone(fx.input);
    whole.comparisons[0]!.alignment = { ...whole.comparisons[0]!.alignment, rmse: 0.41, method: 'akaze', message: 'akaze: 300 feature inliers; refined on 96 of 96 patches' };
    const words = pdfTextRuns(await buildExhibitReport(whole, fx.load)).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('features (AKAZE) (akaze)');
    expect(words).toContain('0.41 px');
    expect(words).not.toContain('% of the reference');
  });

  it('states where the questioned image is blown out: over each light\'s compared area and per region, and carries both in the bundle record', async () => {
    const { runs, at } = reportRuns(built.report);
    const section = (title: string) => {
      const page = at(title);
      expect(page).toBeGreaterThan(0);
      return runs.slice(at('Regions of difference', page), at('Document-check findings', page));
    };
    const white = section('Comparison cmp-1 — White light (white)');
    const words = white.join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('The questioned image is blown out (glare or overexposure) over 5.4 % of the compared area; those pixels show no detail.');
    expect(words).toContain('Region 1: questioned image blown out (glare) over 76 % of this region — the difference may be the light.');
    expect(words).not.toContain('Region 2:');
    // The table's column: the share per region, as recorded.
    expect(white).toEqual(expect.arrayContaining(['blown out', '76 %', '0 %']));
    const uv = section('Comparison cmp-1 — UV 365 nm (uv-365)').join(' ').replace(/\s+/g, ' ');
    expect(uv).toContain('No blown-out area (glare or overexposure) was found in the questioned image over the compared area.');
    expect(uv).not.toContain('the difference may be the light');
    // What differs only where the photo is blown out is listed apart from the regions, each with its box and share, as not judged.
    expect(words).toContain('Blown out — not judged');
    expect(words).toContain('1 area differs only where the questioned image is blown out (glare or overexposure): no detail shows there, so it is not judged or counted as a difference.');
    expect(white).toEqual(expect.arrayContaining(['B1', '300', '40', '120', '30', '97 %']));
    expect(words).toContain('B1: blown out in the questioned image (glare), over 97 % of this area — no detail shows there, not judged.');
    expect(uv).toContain('No area differs only where the questioned image is blown out.');
    expect(uv).not.toContain('B1');

    const record = JSON.parse((await unzip(built.bundle)).get('exhibit.json')!.toString('utf8')) as typeof fx.input;
    expect(record.comparisons[0]!.lights.map((l) => [l.overexposedShare, l.regions.map((g) => g.overexposed)])).toEqual([
      [0.054, [0.76, 0]],
      [0, [0, 0]],
    ]);
    expect(record.comparisons[0]!.lights.map((l) => l.blownOutRegions?.map((g) => [g.box, g.overexposed]))).toEqual([[[{ x: 300, y: 40, width: 120, height: 30 }, 0.97]], []]);
  });

  it('says blown-out areas were not recorded for a comparison made before they were measured, never that there were none', async () => {
    const input = structuredClone(fx.input);
    for (const l of input.comparisons[0]!.lights) {
      delete l.overexposedShare;
      for (const g of l.regions) delete g.overexposed;
      delete l.blownOutRegions;
    }
    const runs = pdfTextRuns(await buildExhibitReport(input, fx.load));
    const words = runs.join(' ').replace(/\s+/g, ' ');
    expect(words.split('Blown-out areas of the questioned image (glare, overexposure) were not recorded with this comparison.')).toHaveLength(3);
    expect(words).not.toContain('No blown-out area');
    expect(runs).not.toContain('blown out');
    // Nor were the areas differing only where it is blown out listed apart: not recorded, not "none".
    expect(words.split('were not listed apart with this comparison (not recorded)')).toHaveLength(3);
    expect(words).not.toContain('No area differs only where');
    expect(runs).not.toContain('B1');
  });

  it('refuses a blown-out share outside [0, 1]', async () => {
    const input = structuredClone(fx.input);
    input.comparisons[0]!.lights[0]!.overexposedShare = 5.4;
    input.comparisons[0]!.lights[1]!.regions[0]!.overexposed = -0.1;
    input.comparisons[0]!.lights[0]!.blownOutRegions![0]!.overexposed = 97;
    await expect(buildExhibit(input, fx.load)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: {
        problems: [
          'comparisons[0].lights[0].overexposedShare must be a share in [0, 1]',
          'comparisons[0].lights[0].blownOutRegions[0].overexposed must be a share in [0, 1]',
          'comparisons[0].lights[1].regions[0].overexposed must be a share in [0, 1]',
        ],
      },
    });
  });

  it('refuses a record whose alignment or registration is missing or malformed', async () => {
    const input = structuredClone(fx.input);
    input.comparisons[0]!.alignment.homography = [1, 0, 0, 0, 1, 0, 0, 0];
    (input.comparisons[0]!.alignment as { rmse: unknown }).rmse = 'small';
    (input.comparisons[0]!.lights[1]!.registration as { outcome: string }).outcome = 'guessed';
    delete (input.comparisons[0]!.lights[0] as { registration?: unknown }).registration;
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    const problems = (err as { details: { problems: string[] } }).details.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'comparisons[0].alignment.homography must be 9 finite numbers (row-major 3×3, reference → questioned pixels)',
        'comparisons[0].alignment.rmse must be a non-negative number',
        'comparisons[0].lights[1].registration.outcome must be one of aligned, refined, anchor, anchor-unverified',
        'comparisons[0].lights[0].registration.outcome must be one of aligned, refined, anchor, anchor-unverified',
      ]),
    );
    const missing = structuredClone(fx.input);
    delete (missing.comparisons[0] as { alignment?: unknown }).alignment;
    await expect(buildExhibit(missing, fx.load)).rejects.toMatchObject({ details: { problems: ['comparisons[0].alignment is missing'] } });
    const recorded = structuredClone(fx.input);
    Object.assign(recorded.comparisons[0]!.alignment, { refinementPoints: 2, referenceShown: 1.5 });
    await expect(buildExhibit(recorded, fx.load)).rejects.toMatchObject({
      details: {
        problems: ['comparisons[0].alignment.refinementPoints must be a count of at least inliers', 'comparisons[0].alignment.referenceShown must be a share in (0, 1]'],
      },
    });
  });

  it('says findings were not recorded for a comparison made before they existed, and changes the report with them', async () => {
    const input = structuredClone(fx.input);
    for (const l of input.comparisons[0]!.lights) delete l.findings;
    const report = await buildExhibitReport(input, fx.load);
    const runs = pdfTextRuns(report);
    expect(runs.filter((r) => r.startsWith('Not recorded: the record of this comparison holds no document checks'))).toHaveLength(2);
    expect(runs).not.toContain('mrz-check-failed');
    expect(runs.join('')).toContain('2 light sources with no document checks on record');
    expect(runs.join(' ')).not.toContain('Check digits, as recorded');
    expect(report.equals(built.report)).toBe(false);
    const moved = structuredClone(fx.input);
    moved.comparisons[0]!.lights[0]!.findings![0]!.box.x += 1;
    expect((await buildExhibitReport(moved, fx.load)).equals(built.report)).toBe(false);
  });

  it('says the expected digits were not recorded for findings made before they were, without working them out', async () => {
    const input = structuredClone(fx.input);
    for (const f of input.comparisons[0]!.lights[0]!.findings!) {
      delete f.checks;
      delete f.characterFields;
      delete f.lightSource;
    }
    const runs = pdfTextRuns(await buildExhibitReport(input, fx.load));
    const words = runs.join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('M1 — birthDate, composite: the digits their data give were not recorded with this comparison.');
    expect(words).not.toMatch(/its data give \d/);
    expect(words).toContain('MRZ as read on the questioned image (M1, M2):');
    expect(runs).toEqual(expect.arrayContaining(['M1', 'mrz-check-failed', 'birthDate, composite']));
  });

  it('refuses a recorded check digit that is no digit', async () => {
    const input = structuredClone(fx.input);
    input.comparisons[0]!.lights[0]!.findings![0]!.checks![0]!.expected = 12;
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as { details: { problems: string[] } }).details.problems).toEqual([
      "comparisons[0].lights[0].findings[0].checks must list each check digit's field, data, digit printed and expected digit (0–9, or null)",
    ]);
  });

  it('reports the library matches: who chose the reference, the known fraud that matched better than any genuine reference, each candidate', async () => {
    const words = pdfTextRuns(built.report).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('Comparison cmp-1 — library matches, parameters and software');
    expect(words).toContain('The reference was named by the submitter; the questioned image was also ranked against 120 library images');
    // The cover names the match, so it is read first.
    expect(words).toContain('Known-fraud match cmp-1: closer to the known fraud sample spec-9 (counterfeit, 210 agreeing keypoints) than to any genuine reference');
    expect(words).toContain(
      'The questioned image matches the known fraud sample spec-9 (Utopia passport 2019, counterfeit of the Port North batch; counterfeit; 210 agreeing keypoints) more closely than any genuine reference in the library (at most 70 agreeing keypoints).',
    );
    expect(words).toContain('spec-4 / cap-4, front, White light');
    // Chosen by identification, with the genuine reference ahead: no fraud is named.
    const input = structuredClone(fx.input);
    const id = input.comparisons[0]!.identification!;
    id.referenceChosenBy = 'identification';
    id.candidates = [id.candidates[1]!, { ...id.candidates[0]!, inliers: 80 }, id.candidates[2]!];
    const chosen = pdfTextRuns(await buildExhibitReport(input, fx.load)).join(' ').replace(/\s+/g, ' ');
    expect(chosen).toContain('The reference was chosen by identification: the best verified genuine or specimen capture among 120 library images');
    expect(chosen).not.toContain('known fraud');
    // None verified: the full alignment refused the first genuine candidate and accepted the second, the reference.
    id.referenceChosenBy = 'alignment';
    id.candidates = [
      { ...id.candidates[2]!, fullAlignment: 'refused' },
      { ...id.candidates[0]!, verified: false, score: 0, inliers: 30, fullAlignment: 'accepted' },
    ];
    const aligned = pdfTextRuns(await buildExhibitReport(input, fx.load)).join(' ').replace(/\s+/g, ' ');
    expect(aligned).toContain('The reference was chosen automatically and confirmed by full alignment: identification verified no genuine or specimen capture among 120 library images');
    expect(aligned).toContain('no; full alignment refused');
    expect(aligned).toContain('no; aligned in full');
  });

  it('says identification was not recorded for a comparison that holds none', async () => {
    const input = structuredClone(fx.input);
    delete input.comparisons[0]!.identification;
    const words = pdfTextRuns(await buildExhibitReport(input, fx.load)).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain('Not recorded: the record of this comparison holds no identification of the questioned image against the library.');
    expect(words).not.toContain('spec-9');
  });

  it('refuses library matches without their specimen, status or inliers', async () => {
    const input = structuredClone(fx.input);
    (input.comparisons[0]!.identification!.candidates[0] as { inliers: number }).inliers = -1;
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as { details: { problems: string[] } }).details.problems).toEqual([
      "comparisons[0].identification.candidates must list each candidate's specimen, title, status, verification and inliers",
    ]);
  });

  it('refuses a finding without a usable box', async () => {
    const input = structuredClone(fx.input);
    input.comparisons[0]!.lights[0]!.findings![1]!.box = { x: 1, y: Number.NaN, width: 3, height: 4 };
    const err = await buildExhibit(input, fx.load).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as { details: { problems: string[] } }).details.problems).toEqual(['comparisons[0].lights[0].findings[1].box must have finite x, y and non-negative width, height']);
  });

  it('passes loader errors through', async () => {
    const input = structuredClone(fx.input);
    input.references[0]!.images[0]!.key = 'originals/00/missing';
    await expect(buildExhibit(input, fx.load)).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });
});

describe('verifyBundle', () => {
  it('finds the bundle intact, from a file and from bytes', async () => {
    const file = path.join(fx.dir, 'exhibit.zip');
    await fs.writeFile(file, built.bundle);
    const r = await verifyBundle(file);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({
      bundle: file,
      case: { id: 'case-1', reference: 'PRO-2026/0142' },
      files: { listed: built.manifest.files.length, present: built.manifest.files.length + 1 },
      entriesSha256: built.manifest.entriesSha256,
      reportSha256: built.reportSha256,
      custodyLog: { entries: 5, head: fx.input.custodyLog[4]!.hash, gaps: [] },
    });
    expect((await verifyBundle(built.bundle)).ok).toBe(true);
  });

  it('detects a changed original', async () => {
    const r = await tampered((files) => {
      const name = [...files.keys()].find((n) => n.startsWith('originals/'))!;
      const data = Buffer.from(files.get(name)!);
      data[data.length >> 1]! ^= 0x01;
      files.set(name, data);
    });
    expect(r.ok).toBe(false);
    // The record's image (by hash) is gone as well.
    expect(failedChecks(r)).toEqual(['files', 'record']);
    expect(r.problems[0]!.message).toMatch(/^originals\/[0-9a-f]{64}\.\w+ hashes to/);
  });

  it('detects a changed original even when the manifest was rewritten to match', async () => {
    const r = await tampered((files) => {
      const name = [...files.keys()].find((n) => n.startsWith('originals/'))!;
      files.set(name, Buffer.concat([files.get(name)!, Buffer.from('x')]));
      reManifest(files);
    });
    expect(failedChecks(r)).toEqual(['files', 'record']);
    expect(r.problems[0]!.message).toMatch(/is named after/);
  });

  it('detects a removed file', async () => {
    let removed = '';
    const r = await tampered((files) => {
      removed = [...files.keys()].find((n) => n.startsWith('outputs/'))!;
      files.delete(removed);
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual({ check: 'listing', path: removed, message: `listed but missing: ${removed}` });
    expect(failedChecks(r)).toContain('record'); // the heatmap the record names is gone too
  });

  it('detects an extra file', async () => {
    const r = await tampered((files) => {
      files.set('originals/extra.jpg', Buffer.from('not evidence'));
    });
    expect(failedChecks(r)).toEqual(['listing']);
    expect(r.problems).toEqual([{ check: 'listing', path: 'originals/extra.jpg', message: 'present but not listed: originals/extra.jpg' }]);
  });

  it('detects an edited custody entry, by the manifest and by the chain', async () => {
    const edit = (files: Map<string, Buffer>) => {
      const log = JSON.parse(files.get('custody-log.json')!.toString('utf8')) as AuditEntry[];
      log[2]!.actor = 'someone-else';
      files.set('custody-log.json', Buffer.from(JSON.stringify(log, null, 2)));
    };
    const plain = await tampered(edit);
    expect(failedChecks(plain)).toEqual(['files', 'custody-log']);
    const forged = await tampered((files) => {
      edit(files);
      reManifest(files);
    });
    expect(failedChecks(forged)).toEqual(['custody-log']);
    expect(forged.problems[0]).toMatchObject({ check: 'custody-log', seq: 3 });
    expect(forged.problems[0]!.message).toMatch(/entry seq 3: content does not match its hash/);
  });

  it('detects reordered custody entries', async () => {
    const r = await tampered((files) => {
      const log = JSON.parse(files.get('custody-log.json')!.toString('utf8')) as AuditEntry[];
      [log[1], log[3]] = [log[3]!, log[1]!];
      files.set('custody-log.json', Buffer.from(JSON.stringify(log, null, 2)));
      reManifest(files);
    });
    expect(failedChecks(r)).toEqual(['custody-log']);
    expect(r.problems.some((p) => /follows seq/.test(p.message))).toBe(true);
  });

  it('detects a deleted custody entry re-chained by a forger, by the manifest head and count', async () => {
    const r = await tampered((files) => {
      const log = JSON.parse(files.get('custody-log.json')!.toString('utf8')) as AuditEntry[];
      const kept = log.filter((e) => e.seq !== 5);
      files.set('custody-log.json', Buffer.from(JSON.stringify(kept)));
      reManifest(files);
    });
    expect(failedChecks(r)).toEqual(['custody-log']);
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/holds 4 entries, the manifest says 5/);
  });

  it('detects a replaced report', async () => {
    const r = await tampered(async (files) => {
      const input = structuredClone(fx.input);
      input.case.conclusion.statement = 'Genuine.';
      files.set('report.pdf', await buildExhibitReport(input, fx.load));
      reManifest(files);
    });
    expect(failedChecks(r)).toEqual(['report']);
    expect(r.problems[0]!.message).toMatch(/report.pdf hashes to .*, the manifest says/);
  });

  it('detects a manifest whose entries no longer hash to entriesSha256', async () => {
    const r = await tampered((files) => {
      const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as ExhibitManifest;
      manifest.entriesSha256 = '0'.repeat(64);
      files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    });
    expect(failedChecks(r)).toEqual(['entries-hash']);
  });

  it('reports an unreadable archive and a missing manifest as failures, not exceptions', async () => {
    const junk = await verifyBundle(Buffer.from('PK this is not a zip'));
    expect(junk.ok).toBe(false);
    expect(failedChecks(junk)).toContain('zip');
    const noManifest = await tampered((files) => {
      files.delete('manifest.json');
    });
    expect(noManifest.ok).toBe(false);
    expect(failedChecks(noManifest)).toEqual(expect.arrayContaining(['manifest', 'files', 'listing', 'report']));
    await expect(verifyBundle(path.join(fx.dir, 'absent.zip'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('accepts a custody log that is a slice of the audit log (seq gaps), and reports the gaps', async () => {
    const input = structuredClone(fx.input);
    const log: AuditEntry[] = [];
    for (let seq = 1; seq <= 6; seq++) log.push(chainAuditEntry({ seq, time: `2026-03-0${seq}T00:00:00.000Z`, actor: 'a', action: 'x', target: 't', hashes: {} }, log[log.length - 1] ?? null));
    input.custodyLog = [log[0]!, log[1]!, log[4]!, log[5]!];
    const slice = await buildExhibit(input, fx.load);
    const r = await verifyBundle(slice.bundle);
    expect(r.ok).toBe(true);
    expect(r.custodyLog?.gaps).toEqual([{ after: 2, before: 5 }]);
  });
});
