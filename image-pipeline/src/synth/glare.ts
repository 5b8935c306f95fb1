/**
 * Light reflected off a laminate, as a photo under a lamp shows it: an
 * elliptical Gaussian highlight added to every channel, blown out where it
 * is strongest. Test and benchmark input for the glare handling of the
 * difference stage and the MRZ reader.
 */

export interface Glare {
  /** Centre and radii of the highlight, in the coordinates `frame` gives (the image's pixels by default). */
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  /** Grey levels added at the centre (beyond 255 - paper: a blown-out core). */
  peak: number;
}

/**
 * Adds `glare` to `image` in place (interleaved 8-bit channels). `frame`
 * maps a pixel of the image to the coordinates the glare is given in, e.g.
 * the reference frame of a photographed document.
 */
export function addGlare(
  image: { data: Uint8Array; width: number; height: number; channels: number },
  glare: Glare,
  frame: (x: number, y: number) => readonly [number, number] = (x, y) => [x, y],
): void {
  const { data, width, height, channels } = image;
  for (let y = 0, k = 0; y < height; y++) {
    for (let x = 0; x < width; x++, k += channels) {
      const [px, py] = frame(x, y);
      const u = (px - glare.cx) / glare.rx;
      const v = (py - glare.cy) / glare.ry;
      const add = glare.peak * Math.exp(-(u * u + v * v));
      if (add >= 1) for (let c = 0; c < channels; c++) data[k + c] = Math.min(255, data[k + c]! + add);
    }
  }
}
