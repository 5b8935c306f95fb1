/**
 * Writes the synthetic demo library to a folder for eyeballing: one image per
 * page and light source, optionally a simulated hand-held photo of each white
 * image, and manifest.json with the specimen records, zones, MRZs and ground
 * truth of the frauds.
 *
 *   npx tsc -b scripts && node scripts/dist/render-demo.js OUT_DIR [--seed N] [--format png|jpeg] [--photos] [--only KEY,...]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { checkMrzLines, demoLibraryPlan, renderDemoSpecimen, simulatePhoto, toCaptureCreate, type DemoLibraryOptions } from '@exemplar/image-pipeline';

interface Args {
  out: string;
  seed: number;
  format: 'png' | 'jpeg';
  photos: boolean;
  only?: string[];
}

const USAGE = 'usage: node scripts/dist/render-demo.js OUT_DIR [--seed N] [--format png|jpeg] [--photos] [--only KEY,...]';

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = { seed: 1, format: 'jpeg', photos: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--seed') {
      args.seed = Number(value());
      if (!Number.isInteger(args.seed)) throw new Error(`--seed must be an integer\n${USAGE}`);
    } else if (a === '--format') {
      const f = value();
      if (f !== 'png' && f !== 'jpeg') throw new Error(`--format must be png or jpeg\n${USAGE}`);
      args.format = f;
    } else if (a === '--photos') args.photos = true;
    else if (a === '--only') args.only = value().split(',');
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else if (args.out === undefined) args.out = a;
    else throw new Error(`unexpected argument ${a}\n${USAGE}`);
  }
  if (!args.out) throw new Error(USAGE);
  return args as Args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const options: DemoLibraryOptions = { seed: args.seed, format: args.format };
  const plans = demoLibraryPlan(options).filter((p) => !args.only || args.only.includes(p.key));
  if (args.only) {
    const unknown = args.only.filter((k) => !plans.some((p) => p.key === k));
    if (unknown.length > 0) throw new Error(`no demo specimen has the key(s) ${unknown.join(', ')}`);
  }
  await fs.mkdir(args.out, { recursive: true });
  const ext = args.format === 'jpeg' ? 'jpg' : 'png';
  const manifest: unknown[] = [];
  const started = Date.now();
  for (const plan of plans) {
    const t0 = Date.now();
    const s = await renderDemoSpecimen(plan, options);
    const dir = path.join(args.out, s.key);
    await fs.mkdir(dir, { recursive: true });
    const captures = [];
    for (const capture of s.captures) {
      const files: Record<string, string> = {};
      for (const [light, bytes] of Object.entries(capture.images)) {
        files[light] = path.join(s.key, `${capture.page}-${light}.${ext}`);
        await fs.writeFile(path.join(args.out, files[light]!), bytes);
      }
      let photo: unknown;
      if (args.photos) {
        const p = await simulatePhoto(capture.images.white, { seed: args.seed * 1000 + captures.length, cornerRadiusPx: plan.pages[0]!.design.cornerRadiusMm * (capture.dpi / 25.4) });
        const file = path.join(s.key, `${capture.page}-white-photo.jpg`);
        await fs.writeFile(path.join(args.out, file), p.image);
        photo = { file, homography: p.homography, width: p.width, height: p.height, params: p.params };
      }
      captures.push({ ...toCaptureCreate(capture), width: capture.width, height: capture.height, files, mrz: capture.mrz, mrzValid: capture.mrz.length > 0 ? checkMrzLines(capture.mrz)?.valid : undefined, photo });
    }
    manifest.push({ key: s.key, specimen: s.specimen, captures, groundTruth: s.groundTruth });
    process.stdout.write(`${s.key}: ${s.captures.length} capture(s) in ${Date.now() - t0} ms\n`);
  }
  await fs.writeFile(path.join(args.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${plans.length} specimen(s) written to ${args.out} in ${Date.now() - started} ms\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
