/**
 * The built binary, as `npx exemplar` runs it (`node server/dist/cli.js`;
 * `npm test` builds first): help, version, coded errors without stack
 * traces, exit codes, and a bulk import with a refused row end to end.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CLI_JS, GENUINE, REPO_ROOT, spawnExemplar, tempDir, writeImage } from './helpers';

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(600_000);

describe('exemplar binary', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('binary');
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('--help lists every command', async () => {
    const run = await spawnExemplar(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'import', 'export', 'verify', 'seed-demo', 'align', 'users']) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(run.stdout).toMatch(/--data-dir <dir>/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'server/package.json'), 'utf8'));
    const run = await spawnExemplar(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('an unknown command or option is a usage error with a non-zero exit', async () => {
    const run = await spawnExemplar(['frobnicate']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
    const bad = await spawnExemplar(['verify', '--grace', 'soon']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/option '--grace <minutes>' argument 'soon' is invalid/);
  });

  it('shows the error code and no stack trace; --verbose adds the stack', async () => {
    const env = { EXEMPLAR_DATA_DIR: path.join(root, 'data-errors') };
    const run = await spawnExemplar(['import', path.join(root, 'nowhere')], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^exemplar: NOT_FOUND: no manifest\.json or manifest\.csv in /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const verbose = await spawnExemplar(['--verbose', 'import', path.join(root, 'nowhere')], { env });
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);

    const config = await spawnExemplar(['verify'], { env: { ...env, PORT: 'eighty' } });
    expect(config.code).toBe(1);
    expect(config.stderr).toMatch(/^exemplar: VALIDATION_FAILED: Invalid configuration: PORT must be a whole number/);
  });

  it('imports with a refused row: plain progress lines off a terminal, a summary, exit code 1', async () => {
    const folder = path.join(root, 'in');
    await writeImage(path.join(folder, 'ok.png'), 61);
    await fs.writeFile(path.join(folder, 'bad.png'), 'GIF89a not really');
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify([
        { ref: 'ok', specimen: GENUINE, captures: [{ page: 'front', images: { white: 'ok.png' } }] },
        { ref: 'bad', specimen: GENUINE, captures: [{ page: 'front', images: { white: 'bad.png' } }] },
      ]),
    );
    const dataDir = path.join(root, 'data-import');
    const run = await spawnExemplar(['--data-dir', dataDir, 'import', folder]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^import: 1\/2 images ok$/m);
    expect(run.stderr).toMatch(/^refused specimens\[1\] \(bad\) bad\.png: IMAGE_UNSUPPORTED: /m);
    expect(run.stdout).toMatch(/^imported 1, skipped 0, refused 1/);

    const verify = await spawnExemplar(['--data-dir', dataDir, 'verify', '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, specimens: 1, originals: 1 });
  });

  it('serve listens, answers, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = path.join(root, 'data-serve');
    const child = spawn(process.execPath, [CLI_JS, 'serve'], {
      cwd: REPO_ROOT,
      env: { ...process.env, EXEMPLAR_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', EXEMPLAR_SEED_DEMO: 'never', LOG_LEVEL: 'warn', DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/[^\s]+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
      });
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      // Everything but health and login needs a user.
      const anonymous = await fetch(`${url}/api/specimens`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
      expect(stderr).toMatch(/No users yet: create the first admin/);
      // The first admin, made by the binary beside the running server (password on stdin), can log in and read.
      const added = await new Promise<number | null>((resolve) => {
        const adding = spawn(process.execPath, [CLI_JS, '--data-dir', dataDir, 'users', 'add', '--username', 'first-admin', '--role', 'admin', '--password-stdin'], {
          cwd: REPO_ROOT,
          env: { ...process.env, DEBUG: '' },
          stdio: ['pipe', 'ignore', 'inherit'],
        });
        adding.on('exit', resolve);
        adding.stdin.end('first admin password\n');
      });
      expect(added).toBe(0);
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'first-admin', password: 'first admin password' }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const list = await fetch(`${url}/api/specimens`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await list.json()) as { items: unknown[] }).items).toEqual([]); // EXEMPLAR_SEED_DEMO=never: nothing seeded
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/seeding the demo library/i);
  });

  it('the first Ctrl-C lets the row in progress finish, leaves no half-imported specimen and exits 130', async () => {
    const ROWS = 10;
    const folder = path.join(root, 'in-many');
    const rows = [];
    for (let i = 0; i < ROWS; i++) {
      await writeImage(path.join(folder, `${i}.png`), 100 + i);
      rows.push({ id: `interrupt-${String(i).padStart(4, '0')}`, specimen: { ...GENUINE, title: `Row ${i}` }, captures: [{ page: 'front', images: { white: `${i}.png` } }] });
    }
    await fs.writeFile(path.join(folder, 'manifest.json'), JSON.stringify(rows));
    const dataDir = path.join(root, 'data-interrupt');
    const child = spawn(process.execPath, [CLI_JS, '--data-dir', dataDir, 'import', folder, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (new RegExp(`^import: 1/${ROWS} images`, 'm').test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/SIGINT: finishing the current row, then stopping/);
    const summary = JSON.parse(stdout);
    expect(summary.notAttempted.length).toBeGreaterThan(0);
    expect(summary.imported.length + summary.notAttempted.length).toBe(ROWS);

    // Every specimen in the catalogue is complete, and running again finishes the rest.
    const verify = await spawnExemplar(['--data-dir', dataDir, 'verify', '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, specimens: summary.imported.length, originals: summary.imported.length, unreferenced: [] });
    const rest = await spawnExemplar(['--data-dir', dataDir, 'import', folder]);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(new RegExp(`^imported ${summary.notAttempted.length}, skipped ${summary.imported.length}, refused 0`));
  });
});
