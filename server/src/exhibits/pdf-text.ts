/**
 * The text a report shows, for tests of this module and of its callers: the
 * report is deflated and its strings hex-encoded, so a byte search finds
 * nothing. Reads what `report-pdf.ts` writes (pdfkit with the standard
 * fonts: `[<hex> kerning <hex> …] TJ` in Flate streams, WinAnsi bytes); it
 * is no general PDF text extractor.
 */
import zlib from 'node:zlib';

/** WinAnsi bytes 0x80–0x9f that differ from Latin-1 and that the report uses. */
const WIN_ANSI: Readonly<Record<number, string>> = { 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x85: '…' };

function decodeHex(hex: string): string {
  let out = '';
  for (let i = 0; i + 1 < hex.length; i += 2) {
    const byte = parseInt(hex.slice(i, i + 2), 16);
    out += WIN_ANSI[byte] ?? String.fromCharCode(byte);
  }
  return out;
}

/** Each text run (one `TJ`: a line or a table cell line) of the report, in page order. */
export function pdfTextRuns(pdf: Buffer): string[] {
  const text = pdf.toString('latin1');
  const runs: string[] = [];
  const starts = /stream\r?\n/g;
  for (let m = starts.exec(text); m; m = starts.exec(text)) {
    const from = m.index + m[0].length;
    const to = text.indexOf('endstream', from);
    if (to < 0) break;
    let content: string;
    try {
      content = zlib.inflateSync(pdf.subarray(from, to)).toString('latin1');
    } catch {
      continue; // images and fonts: not text
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      runs.push([...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => decodeHex(h[1]!)).join(''));
    }
    starts.lastIndex = to;
  }
  return runs;
}
