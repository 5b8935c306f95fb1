import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, SETTINGS } from './config';
import { ExemplarError } from './errors';

describe('loadConfig', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv/exemplar');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(path.resolve('/srv/exemplar/data'));
    expect(config.catalog).toEqual({ kind: 'sqlite', path: path.resolve('/srv/exemplar/data/catalog.sqlite') });
    expect(config.objects).toEqual({ kind: 'fs', root: path.resolve('/srv/exemplar/data/objects') });
    expect(config.limits.maxUploadBytes).toBeGreaterThanOrEqual(590_000_000);
    expect(config.limits.maxImagePixels).toBeGreaterThanOrEqual(98_000_000);
    expect(config.seedDemo).toBe('auto');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('switches to MongoDB and S3 by configuration alone', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://db1,db2/?replicaSet=rs0',
      MONGODB_WRITE_CONCERN: '2',
      S3_ENDPOINT: 'minio.lab.example',
      S3_PORT: '9000',
      S3_USE_SSL: 'false',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
      PORT: '8080',
    });
    expect(config.port).toBe(8080);
    expect(config.catalog).toEqual({ kind: 'mongodb', uri: 'mongodb://db1,db2/?replicaSet=rs0', db: 'exemplar', writeConcern: 2, writeTimeoutMs: 10_000 });
    expect(loadConfig({ MONGODB_URI: 'mongodb://db1/?replicaSet=rs0', MONGODB_WRITE_TIMEOUT_MS: '2500' }).catalog).toMatchObject({ writeTimeoutMs: 2500 });
    expect(config.objects).toMatchObject({ kind: 's3', endPoint: 'minio.lab.example', port: 9000, useSSL: false, bucket: 'exemplar', region: 'us-east-1' });
  });

  it('believes no proxy unless told which: addresses and ranges, or a number of hops', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ EXEMPLAR_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,fd00::/8,loopback' }).trustProxy).toEqual({ addresses: ['10.0.0.5', '192.168.0.0/16', 'fd00::/8', 'loopback'] });
    expect(loadConfig({ EXEMPLAR_TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ MONGODB_URI: '', PORT: ' ' }).catalog.kind).toBe('sqlite');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ S3_USE_SSL: 'yes please' }, 'S3_USE_SSL'],
    [{ S3_ENDPOINT: 'https://minio:9000', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }, 'S3_ENDPOINT'],
    [{ S3_ENDPOINT: 'minio' }, 'S3_ACCESS_KEY'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    // Unacknowledged writes would lose duplicate-key errors (the audit chain's unique seq) without a word.
    [{ MONGODB_URI: 'mongodb://db1/?replicaSet=rs0', MONGODB_WRITE_CONCERN: '0' }, 'MONGODB_WRITE_CONCERN'],
    // MongoDB reads a wtimeout of 0 as none: writes whose majority is unreachable would never return.
    [{ MONGODB_URI: 'mongodb://db1/?replicaSet=rs0', MONGODB_WRITE_TIMEOUT_MS: '0' }, 'MONGODB_WRITE_TIMEOUT_MS'],
    [{ MONGODB_WRITE_TIMEOUT_MS: '10s' }, 'MONGODB_WRITE_TIMEOUT_MS'],
    [{ MONGODB_WRITE_TIMEOUT_MS: '3600001' }, 'MONGODB_WRITE_TIMEOUT_MS'],
    [{ EXEMPLAR_MAX_UPLOAD_BYTES: '-5' }, 'EXEMPLAR_MAX_UPLOAD_BYTES'],
    [{ EXEMPLAR_MAX_IMAGE_PIXELS: '1.5' }, 'EXEMPLAR_MAX_IMAGE_PIXELS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EXEMPLAR_SEED_DEMO: 'always' }, 'EXEMPLAR_SEED_DEMO'],
    [{ EXEMPLAR_TRUST_PROXY: 'true' }, 'EXEMPLAR_TRUST_PROXY'],
    [{ EXEMPLAR_TRUST_PROXY: '0' }, 'EXEMPLAR_TRUST_PROXY'],
    [{ EXEMPLAR_TRUST_PROXY: '10.0.0.0/33' }, 'EXEMPLAR_TRUST_PROXY'],
    [{ EXEMPLAR_TRUST_PROXY: '10.0.0.1, proxy.lab.example' }, 'EXEMPLAR_TRUST_PROXY'],
  ])('refuses %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ExemplarError);
    expect((error as ExemplarError).message).toContain(variable);
    expect((error as ExemplarError).details.errors).toEqual(expect.arrayContaining([expect.objectContaining({ variable })]));
  });

  it('documents every setting once', () => {
    const names = SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of SETTINGS) expect(s.description.length).toBeGreaterThan(0);
  });
});

describe('documentation of the settings', () => {
  const root = path.resolve(__dirname, '../..');

  it('.env.example lists every setting with its default, and nothing else', () => {
    const text = readFileSync(path.join(root, '.env.example'), 'utf8');
    const entries = new Map(
      text
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
    );
    expect([...entries.keys()].sort()).toEqual(SETTINGS.map((s) => s.name).sort());
    for (const s of SETTINGS) expect({ name: s.name, value: entries.get(s.name) }).toEqual({ name: s.name, value: s.default ?? '' });
    // The file as written loads, and gives the defaults.
    expect(loadConfig(Object.fromEntries(entries), '/srv')).toEqual(loadConfig({}, '/srv'));
  });

  it('README has a row for every setting', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    for (const s of SETTINGS) expect({ setting: s.name, documented: rows.has(s.name) }).toEqual({ setting: s.name, documented: true });
  });
});
