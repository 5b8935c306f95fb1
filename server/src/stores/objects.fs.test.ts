import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeObjectStoreContract, listAll, readAll, sha256Of } from './objects.contract';
import { FsObjectStore } from './objects.fs';
import { openObjectStore } from './objects.open';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-objects-fs-'));
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

describeObjectStoreContract('filesystem', async () => {
  const root = await tempDir();
  const store = new FsObjectStore(path.join(root, 'objects'));
  await store.init();
  return {
    store,
    leftovers: () => filesUnder(path.join(root, 'objects', '.tmp')),
    dispose: async () => {
      await store.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsObjectStore specifics', () => {
  let root: string;
  let store: FsObjectStore;
  beforeEach(async () => {
    root = await tempDir();
    store = new FsObjectStore(path.join(root, 'objects'));
    await store.init();
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  test('objects are plain files at the path their key names', async () => {
    const data = Buffer.from('original');
    const key = `originals/${sha256Of(data).slice(0, 2)}/${sha256Of(data)}`;
    await store.put(key, data);
    expect(await fs.readFile(path.join(root, 'objects', ...key.split('/')))).toEqual(data);
  });

  test('list order is UTF-8 binary key order, as S3 lists, also where a folder walk would differ', async () => {
    // "a/..." sorts after "a-c" and "a.b" ('-' and '.' come before '/'), though folder "a" sorts before them by name.
    const keys = ['a/b', 'a-c', 'a.b', 'a0', 'a/a/z', 'ab/c', 'é/x', 'z'];
    for (const key of [...keys].reverse()) await store.put(key, Buffer.from(key));
    expect((await listAll(store)).map((s) => s.key)).toEqual(['a-c', 'a.b', 'a/a/z', 'a/b', 'a0', 'ab/c', 'z', 'é/x']);
    expect((await listAll(store, 'a')).map((s) => s.key)).toEqual(['a-c', 'a.b', 'a/a/z', 'a/b', 'a0', 'ab/c']);
  });

  test('two concurrent puts of one key: exactly one writes, the other keeps it', async () => {
    const one = Buffer.alloc(2 * 1024 * 1024, 1);
    const two = Buffer.alloc(2 * 1024 * 1024, 2);
    const results = await Promise.all([store.put('race/key', one), store.put('race/key', two)]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    const winner = results.find((r) => r.created)?.sha256;
    expect(sha256Of(await readAll(await store.get('race/key')))).toBe(winner);
    expect(await filesUnder(path.join(root, 'objects', '.tmp'))).toEqual([]);
  });

  test('a key running through an existing object is CONFLICT and leaves no temp file', async () => {
    await store.put('a', Buffer.from('file'));
    await expect(store.put('a/b', Buffer.from('nested'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.put('c/d', Buffer.from('nested'));
    await expect(store.put('c', Buffer.from('over a folder'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await filesUnder(path.join(root, 'objects', '.tmp'))).toEqual([]);
  });

  test('the content type survives a reopen; a lost sidecar only loses the content type', async () => {
    await store.put('derivatives/ab/abc/tiles.dzi', Buffer.from('<Image/>'), { contentType: 'application/xml' });
    const reopened = new FsObjectStore(path.join(root, 'objects'));
    await reopened.init();
    expect((await reopened.stat('derivatives/ab/abc/tiles.dzi'))?.contentType).toBe('application/xml');
    await fs.rm(path.join(root, 'objects', '.meta'), { recursive: true });
    const stat = await reopened.stat('derivatives/ab/abc/tiles.dzi');
    expect(stat).toMatchObject({ bytes: 8 });
    expect(stat?.contentType).toBeUndefined();
  });

  test('init purges temp files a crash left long ago and keeps recent ones', async () => {
    const tmp = path.join(root, 'objects', '.tmp');
    await fs.writeFile(path.join(tmp, 'old'), 'x');
    await fs.writeFile(path.join(tmp, 'recent'), 'x');
    const longAgo = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000);
    await fs.utimes(path.join(tmp, 'old'), longAgo, longAgo);
    await store.init();
    expect(await fs.readdir(tmp)).toEqual(['recent']);
  });

  test('openObjectStore without S3 settings opens <dataDir>/objects', async () => {
    const opened = await openObjectStore({ dataDir: root });
    expect(opened.kind).toBe('fs');
    await opened.put('originals/aa/x', Buffer.from('x'));
    expect(await fs.readFile(path.join(root, 'objects', 'originals', 'aa', 'x'), 'utf8')).toBe('x');
    await opened.close();
  });
});
