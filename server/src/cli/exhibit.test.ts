/**
 * `exemplar exhibit verify` as the built binary runs it (`node server/dist/cli.js`;
 * build first with `npx tsc -b server`): readable report or JSON, exit 0 when
 * the bundle is intact, 1 naming what failed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeExhibitFixture, rezipBundle, unzipBundle, type ExhibitFixture } from '../exhibits/exhibit-fixture';
import { buildExhibit, type BundleVerification } from '../exhibits';

const CLI_JS = path.resolve(__dirname, '../../dist/cli.js');

// Real images through sharp on a shared machine: slowness is not a failure.
jest.setTimeout(300_000);

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The bundle with one member replaced. */
async function withMember(bundle: Buffer, name: string, data: Buffer): Promise<Buffer> {
  const files = await unzipBundle(bundle);
  files.set(name, data);
  return rezipBundle(files);
}

describe('exemplar exhibit verify', () => {
  let fx: ExhibitFixture;
  let intact: string;
  let tampered: string;

  beforeAll(async () => {
    await fs.access(CLI_JS).catch(() => {
      throw new Error(`${CLI_JS} is missing: build with \`npx tsc -b server\` first`);
    });
    fx = await makeExhibitFixture();
    const built = await buildExhibit(fx.input, fx.load);
    intact = path.join(fx.dir, 'intact.zip');
    await fs.writeFile(intact, built.bundle);
    const log = JSON.parse(JSON.stringify(fx.input.custodyLog)) as { actor: string }[];
    log[1]!.actor = 'someone-else';
    tampered = path.join(fx.dir, 'tampered.zip');
    await fs.writeFile(tampered, await withMember(built.bundle, 'custody-log.json', Buffer.from(JSON.stringify(log))));
  });

  afterAll(async () => {
    await fx?.cleanup();
  });

  it('exits 0 on an intact bundle and says so', async () => {
    const run = await runCli(['exhibit', 'verify', intact]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/case PRO-2026\/0142 \(case-1\)/);
    expect(run.stdout).toMatch(/^ok {6}custody log hash chain intact$/m);
    expect(run.stdout).toMatch(/\nINTACT\n$/);
  });

  it('exits 1 on a tampered bundle, naming the file and the custody entry', async () => {
    const run = await runCli(['exhibit', 'verify', tampered]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED {2}every listed file hashes to its SHA-256 and size\n {10}- custody-log\.json hashes to [0-9a-f]{64}, the manifest says/m);
    expect(run.stdout).toMatch(/^FAILED {2}custody log hash chain intact\n {10}- entry seq 2: content does not match its hash/m);
    expect(run.stdout).toMatch(/NOT INTACT: \d+ problem\(s\)\n$/);
  });

  it('--json prints the structured result with the same exit codes', async () => {
    const ok = await runCli(['exhibit', 'verify', '--json', intact]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as BundleVerification).ok).toBe(true);
    const bad = await runCli(['exhibit', 'verify', tampered, '--json']);
    expect(bad.code).toBe(1);
    const result = JSON.parse(bad.stdout) as BundleVerification;
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ check: 'custody-log', seq: 2 }));
  });

  it('exits 1 with a coded message for a missing bundle or a file that is no zip', async () => {
    const missing = await runCli(['exhibit', 'verify', path.join(fx.dir, 'nowhere.zip')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^exemplar: NOT_FOUND: bundle .*nowhere\.zip not found/);
    const junk = path.join(fx.dir, 'junk.zip');
    await fs.writeFile(junk, 'not a zip at all');
    const notZip = await runCli(['exhibit', 'verify', junk]);
    expect(notZip.code).toBe(1);
    expect(notZip.stdout).toMatch(/^FAILED {2}zip archive readable\n {10}- not a readable zip archive/m);
  });

  it('is listed in the help', async () => {
    const run = await runCli(['exhibit', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/verify \[options\] <bundle>/);
  });
});
