/**
 * What a worker does for each task: thin adapters from messages to the ops.
 * Only runs inside worker threads (OpenCV is loaded here, never on the
 * server's event loop).
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import { alignImages } from '../ops/align';
import type { GreyImage } from '../ops/align-types';
import { compareImages } from '../ops/compare';
import { describeImage, ORB_BYTES } from '../ops/descriptor';
import { verifyCandidates, voteSets, type VoteCandidate } from '../ops/identify';
import { refineLightHomography, type LightRegistration } from '../ops/multispectral';
import { readMrzForSure } from '../ops/mrz-findings';
import { checkPixelImage, type PixelImage } from '../ops/warp';
import { glyphTemplates } from '../mrz/glyph-templates';
import type { AlignTask, CompareLightTask, DescribeTask, ReadMrzTask, TaskValues, VerifyTask, VoteTask, WorkerTask } from './protocol';

function pixelImage(name: string, img: PixelImage): PixelImage {
  const out = { data: img.data, width: img.width, height: img.height, channels: img.channels };
  checkPixelImage(name, out);
  return out;
}

/** Grey from grey or RGB (OpenCV's BT.601 luma, as in cvtColor). */
export async function toGrey(img: PixelImage): Promise<GreyImage> {
  if (img.channels === 1) return { data: img.data, width: img.width, height: img.height };
  const cv = await loadOpenCv();
  const data = await withMats((track) => {
    const src = track(new cv.Mat(img.height, img.width, cv.CV_8UC3));
    src.data.set(img.data);
    const dst = track(new cv.Mat());
    cv.cvtColor(src, dst, cv.COLOR_RGB2GRAY);
    return new Uint8Array(dst.data);
  });
  return { data, width: img.width, height: img.height };
}

async function align(task: AlignTask): Promise<TaskValues['align']> {
  const reference = await toGrey(pixelImage('reference', task.reference));
  const questioned = await toGrey(pixelImage('questioned', task.questioned));
  return alignImages(reference, questioned, task.options);
}

async function compareLight(task: CompareLightTask): Promise<TaskValues['compare-light']> {
  const reference = pixelImage('reference', task.reference);
  const questioned = pixelImage('questioned', task.questioned);
  let registration: LightRegistration;
  if (task.registration) {
    registration = await refineLightHomography(await toGrey(reference), await toGrey(questioned), task.homography, task.registration.anchorLight, task.registration.options);
  } else {
    registration = { outcome: 'aligned', anchorLight: task.lightSource, shift: [0, 0], correlation: { anchor: null, best: null }, homography: task.homography };
  }
  const compare = await compareImages({
    reference,
    questioned,
    homography: registration.homography,
    lightSource: task.lightSource,
    zones: task.zones,
    params: task.params,
    ...(task.readMrz !== undefined && { readMrz: task.readMrz }),
  });
  return { registration, compare };
}

async function describe(task: DescribeTask): Promise<TaskValues['describe']> {
  return describeImage(await toGrey(pixelImage('image', task.image)));
}

async function verify(task: VerifyTask): Promise<TaskValues['verify']> {
  return verifyCandidates(task.questioned, task.candidates, task.options);
}

const WORDS_PER_DESCRIPTOR = ORB_BYTES / 4;

function vote(task: VoteTask): TaskValues['vote'] {
  const segments = task.segments.map((s) => new Int32Array(s));
  const { entries } = task;
  const candidates: VoteCandidate[] = [];
  for (let i = 0; i + 2 < entries.length; i += 3) {
    const segment = segments[entries[i]!];
    const offset = entries[i + 1]!;
    const count = entries[i + 2]!;
    if (count <= 0) {
      candidates.push({ words: new Int32Array(0), count: 0 });
      continue;
    }
    if (!segment || offset < 0 || offset + count * WORDS_PER_DESCRIPTOR > segment.length) throw new RangeError(`vote entry ${i / 3} lies outside the shared segments`);
    candidates.push({ words: segment.subarray(offset, offset + count * WORDS_PER_DESCRIPTOR), count });
  }
  return voteSets(task.questioned, candidates, task.voteMaxDistance);
}

async function readMrz(task: ReadMrzTask): Promise<TaskValues['read-mrz']> {
  const grey = await toGrey(pixelImage('image', task.image));
  return readMrzForSure(grey, await glyphTemplates());
}

export async function runTask(task: WorkerTask): Promise<unknown> {
  switch (task.op) {
    case 'align':
      return align(task);
    case 'compare-light':
      return compareLight(task);
    case 'describe':
      return describe(task);
    case 'verify':
      return verify(task);
    case 'vote':
      return vote(task);
    case 'read-mrz':
      return readMrz(task);
    default:
      throw new TypeError(`unknown pipeline task ${JSON.stringify((task as { op?: unknown }).op)}`);
  }
}
