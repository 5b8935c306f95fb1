/**
 * Shared by the CLI tests: temp data folders, small real images made with
 * sharp, and two ways to run `exemplar` — in-process (`runExemplar`, the same
 * `runCli` the binary calls) and as the built binary (`spawnExemplar`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { runCli } from '../../server/src/cli/program';
import type { CliIo } from '../../server/src/cli/output';
import { loadConfig } from '../../server/src/config';
import { openContext, type AppContext } from '../../server/src/context';

// These tests are about the embedded stores in a temp folder, whatever the developer's shell points at.
delete process.env.MONGODB_URI;
delete process.env.S3_ENDPOINT;
delete process.env.EXEMPLAR_DATA_DIR;

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CLI_JS = path.join(REPO_ROOT, 'server/dist/cli.js');

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `exemplar-${prefix}-`));
}

/** A small image of seeded noise: distinct seeds give distinct bytes. */
export async function noiseImage(seed: number, format: 'png' | 'jpeg' | 'tiff' = 'png', width = 96, height = 64): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    raw[i] = x & 0xff;
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.tiff().toBuffer();
}

export async function writeImage(file: string, seed: number, format: 'png' | 'jpeg' | 'tiff' = 'png'): Promise<Buffer> {
  const bytes = await noiseImage(seed, format);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
  return bytes;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `exemplar --data-dir <dataDir> ...args` in this process. */
export async function runExemplar(dataDir: string, ...args: string[]): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const io: CliIo = { stdout: out.stream, stderr: err.stream };
  const code = await runCli(['node', 'exemplar', '--data-dir', dataDir, ...args], io);
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Runs the built binary (`node server/dist/cli.js`), as `npx exemplar` does. */
export function spawnExemplar(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: build first (npx tsc -b server, or npm test which builds)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, DEBUG: '', LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Opens the stores of a data folder, as a command would, for assertions. */
export async function withStores<T>(dataDir: string, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(loadConfig({ ...process.env, EXEMPLAR_DATA_DIR: dataDir }));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export async function allSpecimens(ctx: AppContext) {
  const out = [];
  for await (const id of ctx.catalog.specimens.ids()) {
    const s = await ctx.catalog.specimens.get(id);
    if (s) out.push(s);
  }
  return out;
}

export async function objectKeysIn(ctx: AppContext): Promise<string[]> {
  const keys: string[] = [];
  for await (const stat of ctx.objects.list('')) keys.push(stat.key);
  return keys;
}

/** The file of an object in the embedded (filesystem) store. */
export const objectPath = (dataDir: string, key: string) => path.join(dataDir, 'objects', ...key.split('/'));

export const GENUINE = {
  status: 'genuine',
  issuingState: 'UTO',
  documentCategory: 'passport',
  documentCode: 'P',
  series: '2019',
  title: 'Utopia passport, 2019 series',
  classification: 'public',
  tags: ['test'],
};

export const MRZ_ZONE = { type: 'mrz', polygon: [[2, 40], [90, 40], [90, 60], [2, 60]], lightSources: ['white', 'ir-870'], personalised: true, label: 'MRZ' };
