/**
 * Re-describes every catalogued image whose identification data was
 * computed by another method version (or is missing where identification
 * uses the light), so that identification can use it again: the index
 * ignores descriptors of other versions, which do not compare with a query's.
 *
 * Resumable and idempotent: the records themselves say what is left (an
 * image is done once its identification names the current method), so a run
 * stopped at any point is finished by running it again, and a run over an
 * up-to-date catalogue changes nothing. Per image (by hash: identical bytes
 * are described once), in an order that never leaves a record naming an
 * object that does not exist:
 * 1. describe the stored original and store the keypoint object;
 * 2. write each specimen using the image, through the specimen service
 *    (revision-checked, validated, audited), recomputed on a concurrent write;
 * 3. remove the old keypoint object once no record names it. A run that dies
 *    between 2 and 3 leaves it unreferenced, for `exemplar verify --repair`.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DESCRIPTOR_METHOD } from '@exemplar/image-pipeline';
import type { CaptureImage, ImageIdentification, Specimen } from '@exemplar/specimens-schema';
import { isExemplarError } from '../errors';
import type { CatalogStore } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';
import { everySpecimen } from './identify-index';
import { describesLight, KEYPOINTS_OBJECT_PREFIX as KEYPOINTS_PREFIX, type IdentifyService } from './identify.service';
import type { SpecimenService } from './specimens.service';

export interface ReindexDeps {
  catalog: CatalogStore;
  objects: ObjectStore;
  specimens: SpecimenService;
  identify: Pick<IdentifyService, 'describeForIngest'>;
  tmpDir?: string;
}

export interface ReindexReport {
  method: string;
  specimens: number;
  /** Distinct images (by hash) that needed new identification data at the start. */
  outdated: number;
  redescribed: number;
  /** Specimen records written. */
  recordsUpdated: number;
  /** Keypoint objects of an older version removed. */
  objectsRemoved: number;
  failed: { sha256: string; specimens: string[]; code: string; message: string }[];
}

export interface ReindexOptions {
  /** Told after each image. */
  onProgress?: (done: number, total: number) => void;
}

/** Whether identification wants new data for this image. */
export function needsRedescribe(image: CaptureImage): boolean {
  return describesLight(image.lightSource) && image.identification?.method !== DESCRIPTOR_METHOD;
}

/** Signals from inside a mutation that the record needs no write. */
class NothingToChange extends Error {}

interface Outdated {
  lightSource: string;
  specimens: Set<string>;
}

export async function reindexIdentification(deps: ReindexDeps, actor: Actor, options: ReindexOptions = {}): Promise<ReindexReport> {
  const outdated = new Map<string, Outdated>();
  let specimens = 0;
  for await (const s of everySpecimen(deps.catalog)) {
    specimens++;
    for (const image of s.captures.flatMap((c) => c.images)) {
      if (!needsRedescribe(image)) continue;
      let entry = outdated.get(image.sha256);
      if (!entry) outdated.set(image.sha256, (entry = { lightSource: image.lightSource, specimens: new Set() }));
      entry.specimens.add(s.id);
    }
  }

  const report: ReindexReport = { method: DESCRIPTOR_METHOD, specimens, outdated: outdated.size, redescribed: 0, recordsUpdated: 0, objectsRemoved: 0, failed: [] };
  const scratch = await fs.mkdtemp(path.join(deps.tmpDir ?? os.tmpdir(), 'exemplar-reindex-'));
  try {
    let done = 0;
    for (const [sha256, entry] of outdated) {
      try {
        await redescribe(deps, actor, sha256, entry, scratch, report);
      } catch (err) {
        report.failed.push({
          sha256,
          specimens: [...entry.specimens].sort(),
          code: isExemplarError(err) ? err.code : 'INTERNAL',
          message: err instanceof Error ? err.message : String(err),
        });
      }
      options.onProgress?.(++done, outdated.size);
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return report;
}

async function redescribe(deps: ReindexDeps, actor: Actor, sha256: string, entry: Outdated, scratch: string, report: ReindexReport): Promise<void> {
  const file = path.join(scratch, sha256);
  try {
    await pipeline(await deps.objects.get(objectKeys.original(sha256)), createWriteStream(file));
    const described = await deps.identify.describeForIngest({ path: file, lightSource: entry.lightSource, sha256 });
    if (!described) return;
    for (const o of described.objects) await deps.objects.put(o.key, o.body, { contentType: o.contentType, bytes: o.body.length });
    report.redescribed++;

    const replace = (images: readonly CaptureImage[], identification: ImageIdentification, changed: { any: boolean }) =>
      images.map((image) => {
        if (image.sha256 !== sha256 || !needsRedescribe(image)) return image;
        changed.any = true;
        return { ...image, identification };
      });
    for (const id of entry.specimens) {
      try {
        await deps.specimens.change(
          id,
          actor,
          undefined,
          (current: Specimen) => {
            const changed = { any: false };
            const captures = current.captures.map((c) => ({ ...c, images: replace(c.images, described.identification, changed) }));
            // Another run (or the image's removal) got there first: no new revision for nothing.
            if (!changed.any) throw new NothingToChange();
            return { ...current, captures };
          },
          { action: 'specimen.update', details: { identification: DESCRIPTOR_METHOD, sha256 } },
        );
        report.recordsUpdated++;
      } catch (err) {
        if (err instanceof NothingToChange) continue;
        if (isExemplarError(err) && err.code === 'SPECIMEN_NOT_FOUND') continue;
        throw err;
      }
    }

    // Records of other specimens with these bytes (created meanwhile, say) may still name an old object.
    const users = await deps.catalog.specimens.referencingSpecimens(objectKeys.original(sha256));
    const stillNamed = new Set<string>();
    for (const id of users) {
      const s = await deps.catalog.specimens.get(id);
      for (const image of s?.captures.flatMap((c) => c.images) ?? []) if (image.identification) stillNamed.add(image.identification.keypoints);
    }
    // Older versions' keypoints sit beside the new ones (a run stopped before this step left them too).
    const current = new Set(described.objects.map((o) => o.key));
    const stale: string[] = [];
    for await (const stat of deps.objects.list(objectKeys.derivativePrefix(sha256))) {
      if (path.posix.basename(stat.key).startsWith(KEYPOINTS_PREFIX) && !current.has(stat.key) && !stillNamed.has(stat.key)) stale.push(stat.key);
    }
    for (const key of stale) {
      await deps.objects.delete(key);
      report.objectsRemoved++;
    }
    // Every record let go of the image while it was described: its new keypoints would be left behind.
    if (users.length === 0) for (const o of described.objects) await deps.objects.delete(o.key);
  } finally {
    await fs.rm(file, { force: true });
  }
}
