/**
 * The image type, decided from the first bytes of the file and nothing else:
 * never from a name, an extension or a declared MIME type. Only the four
 * raster formats a capture may be are recognised as acceptable; the rest is
 * named only so that a refusal can say what was sent. SVG in particular is
 * refused before any decoder sees it: it is active content (scripts,
 * external references), not a photograph of a document.
 */
export type AcceptedFormat = 'jpeg' | 'png' | 'tiff' | 'webp';

export type Sniffed =
  | { accepted: true; format: AcceptedFormat }
  | { accepted: false; detected: 'empty' | 'gif' | 'svg' | 'xml' | 'pdf' | 'heif' | 'bmp' | 'jpeg2000' | 'jxl' | 'text' | 'unknown' };

/** How many leading bytes `sniffImageType` looks at. */
export const SNIFF_BYTES = 512;

const startsWith = (buf: Buffer, bytes: readonly number[], offset = 0) =>
  buf.length >= offset + bytes.length && bytes.every((b, i) => buf[offset + i] === b);

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function sniffImageType(head: Buffer): Sniffed {
  if (head.length === 0) return { accepted: false, detected: 'empty' };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { accepted: true, format: 'jpeg' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { accepted: true, format: 'png' };
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return { accepted: true, format: 'tiff' };
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return { accepted: true, format: 'tiff' };
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return { accepted: true, format: 'webp' };

  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return { accepted: false, detected: 'gif' };
  if (startsWith(head, ascii('%PDF-'))) return { accepted: false, detected: 'pdf' };
  if (startsWith(head, ascii('ftyp'), 4)) return { accepted: false, detected: 'heif' };
  if (startsWith(head, ascii('BM'))) return { accepted: false, detected: 'bmp' };
  if (startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) {
    return { accepted: false, detected: 'jpeg2000' };
  }
  if (startsWith(head, [0xff, 0x0a]) || startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return { accepted: false, detected: 'jxl' };

  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) return { accepted: false, detected: /<svg[\s>]/i.test(text) ? 'svg' : 'xml' };
  // Printable UTF-8 without NULs reads as text (CSV, JSON, a mislabelled note).
  if (!head.includes(0) && !text.includes('\uFFFD')) return { accepted: false, detected: 'text' };
  return { accepted: false, detected: 'unknown' };
}
