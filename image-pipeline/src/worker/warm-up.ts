/**
 * A small synthetic comparison run once in each worker before it takes
 * tasks. The per-pixel loops of the difference stage (tone fitting, the
 * illumination field, blurs, envelopes, regions, zone verdicts) run only a
 * few times per comparison, so without this the first comparisons a worker
 * serves are interpreted or only baseline-compiled and cost several times
 * their optimised CPU. Every light profile is exercised (colour and grey
 * paths, tone fit and gain, the light registration), and one personalised
 * and one feature zone, so that each worker has compiled what any task it
 * may get needs. Its results are discarded.
 */
import { LIGHT_PROFILES, lightProfileFor } from '../ops/normalise';
import type { PixelImage } from '../ops/warp';
import type { ComparisonZone } from '../ops/zone-verdicts';
import { runTask } from './handlers';
import type { CompareLightTask } from './protocol';

/**
 * Larger than the working resolution, as captures are: the reduction to it
 * and every later loop then run with the shapes and trip counts of real
 * work (a warm-up at the working size itself left the first real comparison
 * nearly as slow as a cold one).
 */
const WIDTH = 1400;
const HEIGHT = 980;
const LIGHTS = ['white', 'uv-365', 'ir-870'] as const;

/** Deterministic page-like content: paper with a gentle gradient, ink blocks, and (questioned only) a changed field. */
function syntheticImage(channels: 1 | 3, questioned: boolean): PixelImage {
  const data = new Uint8Array(WIDTH * HEIGHT * channels);
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const ink: [number, number, number, number][] = [];
  for (let i = 0; i < 120; i++) ink.push([Math.floor(rand() * (WIDTH - 40)), Math.floor(rand() * (HEIGHT - 12)), 8 + Math.floor(rand() * 40), 3 + Math.floor(rand() * 9)]);
  if (questioned) ink.push([1000, 800, 80, 20]);
  const shade = questioned ? 0.96 : 1;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const paper = (220 + (20 * x) / WIDTH - (10 * y) / HEIGHT) * shade;
      for (let c = 0; c < channels; c++) data[(y * WIDTH + x) * channels + c] = Math.round(paper - 6 * c);
    }
  }
  for (const [x0, y0, w, h] of ink) {
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        for (let c = 0; c < channels; c++) data[(y * WIDTH + x) * channels + c] = 40 + 30 * c;
      }
    }
  }
  return { data, width: WIDTH, height: HEIGHT, channels };
}

const ZONES: ComparisonZone[] = [
  {
    id: 'warm-up-name',
    type: 'other-personal-data',
    polygon: [
      [60, 60],
      [600, 60],
      [600, 130],
      [60, 130],
    ],
    personalised: true,
    lightSources: ['white', 'ir-870'],
  },
  {
    id: 'warm-up-feature',
    type: 'guilloche',
    polygon: [
      [700, 400],
      [1340, 400],
      [1340, 940],
      [700, 940],
    ],
    personalised: false,
    lightSources: ['white', 'uv-365', 'ir-870'],
  },
];

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** The first channel of an RGB image: the grey image `syntheticImage` draws with one channel. */
function firstChannel(img: PixelImage): PixelImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n);
  for (let i = 0, k = 0; i < n; i++, k += img.channels) data[i] = img.data[k]!;
  return { data, width: img.width, height: img.height, channels: 1 };
}

/** Runs the warm-up comparisons; never throws (a worker that cannot warm up still serves tasks, only slower at first). */
export async function warmUpWorker(): Promise<void> {
  // One pair drawn, shared by every light (tasks only read their input pixels); grey lights take its first channel.
  const colour = { reference: syntheticImage(3, false), questioned: syntheticImage(3, true) };
  const grey = { reference: firstChannel(colour.reference), questioned: firstChannel(colour.questioned) };
  for (const light of LIGHTS) {
    const pair = LIGHT_PROFILES[lightProfileFor(light)!].colour === 'grey' ? grey : colour;
    const task: CompareLightTask = {
      op: 'compare-light',
      lightSource: light,
      reference: pair.reference,
      questioned: pair.questioned,
      homography: IDENTITY,
      ...(light !== 'white' && { registration: { anchorLight: 'white', options: {} } }),
      zones: ZONES,
      params: {},
      readMrz: false,
    };
    try {
      await runTask(task);
    } catch {
      // Nothing to recover: the warm-up only compiles code.
    }
  }
}
