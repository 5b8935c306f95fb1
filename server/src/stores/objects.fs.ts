/**
 * ObjectStore on a local folder (the embedded default).
 *
 * Layout under `root`:
 * - `<key>`: the object's bytes, at the path the key names (keys are
 *   validated, so they never leave `root`);
 * - `.tmp/`: bodies being written; same file system, so the final step is a
 *   link, never a copy;
 * - `.meta/<key>.json`: `{ contentType }` when a put gave one. The content
 *   type is kept rather than inferred because a put may name any type (JSON
 *   reports, DZI descriptors…). The sidecar is advisory: written after the
 *   object and not fsynced, so a crash can lose it, and `stat` then reports
 *   no content type; it never affects the object itself.
 *
 * Durability: a body is streamed into `.tmp/` while hashed, fsynced, checked
 * against what the caller declared, then hard-linked to its key and the
 * directory fsynced. `link` fails when the key exists, so an object is never
 * rewritten, even by two concurrent puts. Temp files are removed on every
 * path; ones a crash left behind are purged by `init()` once stale.
 *
 * Keys `a` and `a/b` cannot both exist here (a file is not a folder); such a
 * put fails with CONFLICT. The key schemes in `objectKeys` never do that.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExemplarError, notFound } from '../errors';
import {
  assertDeclared,
  assertExistingMatches,
  assertObjectKey,
  assertObjectKeyPrefix,
  assertPutOptions,
  compareKeys,
  digestStream,
  hashingStage,
  resolveRange,
  toReadable,
} from './objects.common';
import type { ByteRange, ObjectStat, ObjectStore, PutOptions, PutResult } from './objects.port';

const TMP_DIR = '.tmp';
const META_DIR = '.meta';
/** Temp files younger than this may belong to a put still running in another process (CLI import beside the server). */
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function fsyncPath(p: string, flags: 'r' | 'r+' = 'r'): Promise<void> {
  const handle = await fs.open(p, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async init(): Promise<void> {
    await fs.mkdir(path.join(this.root, TMP_DIR), { recursive: true });
    await fs.mkdir(path.join(this.root, META_DIR), { recursive: true });
    await this.purgeStaleTemps(Date.now() - STALE_TMP_MS);
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<PutResult> {
    assertObjectKey(key);
    assertPutOptions(key, options);
    const finalPath = this.pathOf(key);
    if (await isFile(finalPath)) return this.keepExisting(key, finalPath, await digestStream(body), options);

    const tmpPath = path.join(this.root, TMP_DIR, randomUUID());
    try {
      const hashing = hashingStage();
      await pipeline(toReadable(body), hashing.stage, createWriteStream(tmpPath, { flags: 'wx' }));
      const digest = hashing.digest();
      assertDeclared(key, options, digest);
      await fsyncPath(tmpPath, 'r+');

      const dir = path.dirname(finalPath);
      await this.makeDirs(key, dir);
      try {
        await fs.link(tmpPath, finalPath);
      } catch (err) {
        // Another put won the race for this key: its object stays.
        if (errnoCode(err) !== 'EEXIST') throw err;
        if (!(await isFile(finalPath))) throw new ExemplarError('CONFLICT', 'Object key names a folder of other objects', { key });
        return await this.keepExisting(key, finalPath, digest, options);
      }
      await fsyncPath(dir);
      if (options.contentType !== undefined) await this.writeMeta(key, { contentType: options.contentType });
      return { key, sha256: digest.sha256, bytes: digest.bytes, created: true };
    } finally {
      await fs.rm(tmpPath, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertObjectKey(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw notFound('OBJECT_NOT_FOUND', 'Object', { key });
      throw err;
    }
    try {
      // Size and kind come from the open handle, so a concurrent delete cannot change them under us.
      const info = await handle.stat();
      if (!info.isFile()) throw notFound('OBJECT_NOT_FOUND', 'Object', { key });
      const span = range ? resolveRange(key, range, info.size) : undefined;
      return handle.createReadStream(span ? { start: span.start, end: span.end } : {});
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertObjectKey(key);
    let info;
    try {
      info = await fs.stat(this.pathOf(key));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
      throw err;
    }
    if (!info.isFile()) return null;
    const meta = await this.readMeta(key);
    return {
      key,
      bytes: info.size,
      lastModified: new Date(info.mtimeMs),
      ...(meta?.contentType !== undefined ? { contentType: meta.contentType } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    const finalPath = this.pathOf(key);
    try {
      const info = await fs.stat(finalPath);
      if (!info.isFile()) return;
      await fs.unlink(finalPath);
      await fsyncPath(path.dirname(finalPath));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
    }
    await fs.rm(this.metaPathOf(key), { force: true });
  }

  async *list(prefix = ''): AsyncIterable<ObjectStat> {
    assertObjectKeyPrefix(prefix);
    const baseKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.walk(baseKey, prefix);
  }

  /** Files of the folder for `dirKey` (ends with `/` or is empty) whose keys start with `prefix`, in key order. */
  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ObjectStat> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, dirKey), { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
      throw err;
    }
    // Sorting a folder's entries as `name/` for folders and `name` for files
    // yields all keys beneath in UTF-8 binary order (as S3 lists them): no
    // such sort key is a proper prefix of another folder's sort key.
    const ordered = entries
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
      .map((e) => ({ entry: e, sortKey: `${dirKey}${e.name}${e.isDirectory() ? '/' : ''}` }))
      .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const { entry, sortKey } of ordered) {
      if (entry.isDirectory()) {
        if (sortKey.startsWith(prefix) || prefix.startsWith(sortKey)) yield* this.walk(sortKey, prefix);
      } else if (sortKey.startsWith(prefix)) {
        let info;
        try {
          info = await fs.stat(path.join(this.root, sortKey));
        } catch (err) {
          if (errnoCode(err) === 'ENOENT') continue; // deleted while listing
          throw err;
        }
        yield { key: sortKey, bytes: info.size, lastModified: new Date(info.mtimeMs) };
      }
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private metaPathOf(key: string): string {
    return `${path.join(this.root, META_DIR, ...key.split('/'))}.json`;
  }

  /** Creates the object's folders, fsyncing each new folder's parent so the folder itself survives a crash. */
  private async makeDirs(key: string, dir: string): Promise<void> {
    let first: string | undefined;
    try {
      first = await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOTDIR' || errnoCode(err) === 'EEXIST') {
        throw new ExemplarError('CONFLICT', 'Object key runs through an existing object', { key });
      }
      throw err;
    }
    if (first === undefined) return;
    // Each new folder's entry lives in its parent: sync from the deepest parent up to the one that already existed.
    const existing = path.dirname(first);
    for (let d = path.dirname(dir); ; d = path.dirname(d)) {
      await fsyncPath(d);
      if (d === existing) break;
    }
  }

  /** Nothing is written: the stored object stays; with `expectedSha256` it is re-hashed to prove it matches. */
  private async keepExisting(key: string, finalPath: string, digest: { sha256: string; bytes: number }, options: PutOptions): Promise<PutResult> {
    assertDeclared(key, options, digest);
    if (options.expectedSha256 !== undefined) {
      const stored = await digestStream(createReadStream(finalPath));
      assertExistingMatches(key, options.expectedSha256, stored.sha256);
    }
    return { key, sha256: digest.sha256, bytes: digest.bytes, created: false };
  }

  private async readMeta(key: string): Promise<{ contentType?: string } | undefined> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.metaPathOf(key), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { contentType?: unknown }).contentType === 'string') {
        return { contentType: (parsed as { contentType: string }).contentType };
      }
      return undefined;
    } catch (err) {
      // A sidecar lost in a crash or torn is only a missing content type.
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR' || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  private async writeMeta(key: string, meta: { contentType: string }): Promise<void> {
    const metaPath = this.metaPathOf(key);
    await fs.mkdir(path.dirname(metaPath), { recursive: true });
    const tmpPath = path.join(this.root, TMP_DIR, `${randomUUID()}.json`);
    try {
      await fs.writeFile(tmpPath, JSON.stringify(meta), { flag: 'wx' });
      await fs.rename(tmpPath, metaPath);
    } finally {
      await fs.rm(tmpPath, { force: true });
    }
  }

  private async purgeStaleTemps(olderThan: number): Promise<void> {
    const dir = path.join(this.root, TMP_DIR);
    for (const name of await fs.readdir(dir)) {
      const p = path.join(dir, name);
      try {
        if ((await fs.stat(p)).mtimeMs < olderThan) await fs.rm(p, { force: true });
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
  }
}
