/**
 * Storing questioned originals, shared by comparison uploads and
 * verification requests. They are evidence: stored byte-exact under their
 * content-addressed key `questioned/<sha256>` (so either kind of submission
 * can name the other's images by hash), checked like an ingest first, and a
 * submission that fails part way removes the objects it created — never one
 * that was there before it.
 */
import { createReadStream } from 'node:fs';
import type { ImageFormat, LightSourceId } from '@exemplar/specimens-schema';
import { mayHaveBeenWritten } from '../errors';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import { sha256OfFile, type KeyLocks } from './common';
import type { IngestFile, IngestService } from './ingest.service';

/** A questioned original as stored. */
export interface StoredQuestionedFile {
  lightSource: LightSourceId;
  sha256: string;
  key: string;
  bytes: number;
  width: number;
  height: number;
  format: ImageFormat;
  originalName?: string;
}

export interface QuestionedImagesDeps {
  objects: ObjectStore;
  ingest: Pick<IngestService, 'checkFile'>;
  /** The image locks shared with ingest and clean-ups (context.ts). */
  locks: KeyLocks;
  /** Where a failed clean-up is reported (the object is then left for `exemplar verify --repair`). */
  onCleanupError?: ((key: string, err: unknown) => void) | undefined;
}

/**
 * Checks the files (type, pixels, a full decode), stores them, and runs
 * `record` with what was stored. Storing and `record` hold the locks of the
 * keys, so a concurrent submission of the same bytes cannot find an object,
 * rely on it, and lose it to this call's clean-up when `record` fails.
 */
export async function storeQuestionedImages<T>(
  deps: QuestionedImagesDeps,
  files: readonly IngestFile[],
  record: (stored: StoredQuestionedFile[]) => Promise<T>,
): Promise<T> {
  const checked = [];
  // Sequential: each check decodes a whole image.
  for (const f of files) checked.push(await deps.ingest.checkFile(f));
  // Hashed before the locks are taken: their keys are the hashes.
  const hashed: Array<{ f: (typeof checked)[number]; sha256: string }> = [];
  for (const f of checked) hashed.push({ f, sha256: await sha256OfFile(f.path) });

  return deps.locks.withKeys(
    hashed.map(({ sha256 }) => objectKeys.questioned(sha256)),
    async () => {
      const created: string[] = [];
      try {
        const stored: StoredQuestionedFile[] = [];
        for (const { f, sha256 } of hashed) {
          const key = objectKeys.questioned(sha256);
          const put = await deps.objects.put(key, createReadStream(f.path), { contentType: `image/${f.probe.format}`, bytes: f.bytes, expectedSha256: sha256 });
          if (put.created) created.push(put.key);
          stored.push({
            lightSource: f.lightSource,
            sha256,
            key,
            bytes: f.bytes,
            width: f.probe.width,
            height: f.probe.height,
            format: f.probe.format,
            ...(f.originalName !== undefined && { originalName: f.originalName }),
          });
        }
        return await record(stored);
      } catch (err) {
        // A record the store did not confirm may stand: the objects it names stay (at worst left unreferenced).
        if (mayHaveBeenWritten(err)) throw err;
        for (const key of created.reverse()) {
          try {
            await deps.objects.delete(key);
          } catch (cleanupErr) {
            deps.onCleanupError?.(key, cleanupErr);
          }
        }
        throw err;
      }
    },
  );
}
