/**
 * Names of the derived objects of one original, under
 * `objectKeys.derivative(sha256, name)`. They are the file names
 * image-pipeline's `makeDerivatives` writes (ingest refuses a manifest that
 * names anything else, so a change there cannot silently orphan objects).
 *
 * The API addresses the deep-zoom set as a DZI viewer expects, relative to
 * the descriptor: `tiles/image.dzi` and `tiles/image_files/<level>/<col>_<row>.<ext>`.
 */
export const DERIVATIVE_NAMES = {
  thumbnail: 'thumbnail.webp',
  preview: 'preview.jpg',
  dzi: 'tiles.dzi',
} as const;

export type PreviewKind = 'thumbnail' | 'preview';

const TILES_DIR = 'tiles_files/';
const TILE_PATH = /^image_files\/([0-9]{1,2})\/([0-9]{1,6})_([0-9]{1,6})\.(jpeg|jpg|png|webp)$/;

/** Whether a file of a derivative manifest belongs to the names above. */
export function isKnownDerivativeName(name: string): boolean {
  if (name === DERIVATIVE_NAMES.thumbnail || name === DERIVATIVE_NAMES.preview || name === DERIVATIVE_NAMES.dzi) return true;
  return name.startsWith(TILES_DIR) && TILE_PATH.test(`image_files/${name.slice(TILES_DIR.length)}`);
}

/** The derivative name for a path relative to the DZI descriptor, or undefined when it names nothing a DZI set holds. */
export function dziObjectName(path: string): string | undefined {
  if (path === 'image.dzi') return DERIVATIVE_NAMES.dzi;
  return TILE_PATH.test(path) ? TILES_DIR + path.slice('image_files/'.length) : undefined;
}
