import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import { describeObjectStoreContract, listAll, readAll, sha256Of } from './objects.contract';
import { openObjectStore } from './objects.open';
import { S3ObjectStore, type S3ObjectStoreConfig } from './objects.s3';

// s3rver ships no type declarations; this is the part of its API used here.
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: { address: string; port: number; silent: boolean; directory: string }) => S3rverServer;

let server: S3rverServer;
let serverDir: string;
let port: number;
let bucketSeq = 0;

beforeAll(async () => {
  serverDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-s3rver-'));
  // Port 0: the OS picks a free port, so parallel test runs never collide.
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: serverDir });
  port = (await server.run()).port;
});

afterAll(async () => {
  await server.close();
  await fs.rm(serverDir, { recursive: true, force: true });
});

function configFor(bucket: string, spoolDir: string): S3ObjectStoreConfig {
  return {
    endPoint: '127.0.0.1',
    port,
    useSSL: false,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    bucket,
    region: 'us-east-1',
    spoolDir,
    // Small, so the multi-MB bodies of the contract take the spool-to-file path.
    memoryBufferBytes: 1024 * 1024,
  };
}

async function filesIn(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

describeObjectStoreContract('s3 (s3rver)', async () => {
  const spoolDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-s3-spool-'));
  const store = new S3ObjectStore(configFor(`contract-${++bucketSeq}`, spoolDir));
  await store.init();
  return {
    store,
    leftovers: () => filesIn(spoolDir),
    dispose: async () => {
      await store.close();
      await fs.rm(spoolDir, { recursive: true, force: true });
    },
  };
});

describe('S3ObjectStore specifics', () => {
  let spoolDir: string;
  let raw: Client;
  beforeEach(async () => {
    spoolDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-s3-spool-'));
    raw = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' });
  });
  afterEach(async () => {
    await fs.rm(spoolDir, { recursive: true, force: true });
  });

  test('init creates the bucket when absent and accepts an existing one', async () => {
    const bucket = `created-${++bucketSeq}`;
    expect(await raw.bucketExists(bucket)).toBe(false);
    const store = new S3ObjectStore(configFor(bucket, spoolDir));
    await store.init();
    expect(await raw.bucketExists(bucket)).toBe(true);
    await store.put('originals/aa/x', Buffer.from('x'));
    const second = new S3ObjectStore(configFor(bucket, spoolDir));
    await second.init();
    expect((await readAll(await second.get('originals/aa/x'))).toString()).toBe('x');
    await Promise.all([store.close(), second.close()]);
  });

  test('objects carry their SHA-256 and content type as S3 metadata', async () => {
    const store = new S3ObjectStore(configFor(`meta-${++bucketSeq}`, spoolDir));
    await store.init();
    const data = Buffer.from('preview bytes');
    await store.put('derivatives/ab/abc/preview.jpg', data, { contentType: 'image/jpeg' });
    const stat = await raw.statObject(store.bucket, 'derivatives/ab/abc/preview.jpg');
    expect(stat.metaData).toMatchObject({ 'content-type': 'image/jpeg', sha256: sha256Of(data) });
    await store.close();
  });

  test('an existing object stored without SHA-256 metadata is re-hashed to check expectedSha256', async () => {
    const store = new S3ObjectStore(configFor(`foreign-${++bucketSeq}`, spoolDir));
    await store.init();
    const stored = Buffer.from('uploaded by another tool');
    await raw.putObject(store.bucket, 'originals/aa/foreign', stored, stored.length);
    const again = await store.put('originals/aa/foreign', stored, { expectedSha256: sha256Of(stored) });
    expect(again.created).toBe(false);
    const other = Buffer.from('not what is stored');
    await expect(store.put('originals/aa/foreign', other, { expectedSha256: sha256Of(other) })).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      details: { storedSha256: sha256Of(stored) },
    });
    await store.close();
  });

  test('openObjectStore picks S3 when an endpoint is configured and spools under the data folder', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-data-'));
    const { spoolDir: _unused, ...s3 } = configFor(`opened-${++bucketSeq}`, spoolDir);
    const store = await openObjectStore({ dataDir, s3 });
    expect(store.kind).toBe('s3');
    expect(await raw.bucketExists(s3.bucket)).toBe(true);
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    await store.put('originals/bb/big', data);
    expect((await listAll(store)).map((s) => [s.key, s.bytes])).toEqual([['originals/bb/big', data.length]]);
    expect(await fs.readdir(path.join(dataDir, 'tmp'))).toEqual([]);
    await store.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
});
