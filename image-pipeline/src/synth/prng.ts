/**
 * Seeded pseudo-random numbers for the synthetic document generator. Every
 * random choice in synth/ goes through here so that the same seed gives
 * byte-identical images on every run and machine.
 */

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number;

/** 32-bit FNV-1a over the parts, so that derived seeds are stable and independent. */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === 'number' ? `#${part}` : `$${part}`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** sfc32 seeded through splitmix32: small, fast and well mixed even for adjacent seeds. */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  // Discard the first outputs: sfc32 needs a few rounds to decorrelate its state.
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** Integer in [min, max], both inclusive. */
export function integer(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(rng() * items.length)]!;
}

/** Standard normal deviate (Box–Muller). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Size of the table returned by normalTable (a power of two, for cheap index wrapping). */
export const NORMAL_TABLE_SIZE = 1 << 16;
let normals: Float32Array | undefined;

/**
 * A fixed table of standard normal deviates. Pixel noise walks through it with
 * a random start and odd stride per row: far cheaper than a deviate per
 * sample, and without visible two-dimensional structure.
 */
export function normalTable(): Float32Array {
  if (!normals) {
    const rng = createRng(0x5eed);
    normals = new Float32Array(NORMAL_TABLE_SIZE);
    for (let i = 0; i < NORMAL_TABLE_SIZE; i++) normals[i] = gaussian(rng);
  }
  return normals;
}
