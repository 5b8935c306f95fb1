/**
 * The exhibit's PDF report (pdfkit), byte-for-byte reproducible from its
 * record: the info dates come from `generatedAt` (pdfkit derives the trailer
 * /ID from the info dictionary, so it is fixed too), the fonts are the PDF
 * standard fonts (nothing embedded that could change with the machine),
 * images are reduced by `reportImage` with fixed settings, and streams are
 * deflated by the zlib bundled with Node.
 *
 * The standard fonts cover WinAnsi (Latin-1 and a few typographic marks);
 * other characters are printed as their closest Latin form or `?` — the
 * record itself, with exact text, travels in the bundle as exhibit.json.
 */
import PDFDocument from 'pdfkit';
import {
  alignmentMethodLabel,
  BLOWN_OUT_REGIONS_HEADING,
  blownOutRegionNote,
  blownOutRegionsSentence,
  closerKnownFrauds,
  conclusionSentence,
  getCaseProposition,
  PROPOSITION_NOT_RECORDED,
  getLightSource,
  isFraudStatus,
  lightOverexposedSentence,
  overexposedPercent,
  referenceShareShown,
  regionOverexposedNote,
  regionOverexposedShare,
  refinementAgreement,
  registrationLabel,
  specimenStatuses,
} from '@exemplar/specimens-schema';
import type { AuditEntry, JsonValue } from './chain';
import { reportImage, type LoadedImage } from './images';
import { OPINION_LABELS, OPINION_SCALE, type ExhibitComparison, type ExhibitComparisonLight, type ExhibitFinding, type ExhibitIdentification, type ExhibitInput } from './types';

const PAGE = { width: 595.28, height: 841.89, margin: 48 } as const;
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold', mono: 'Courier' } as const;
const GREY = '#555555';
const REGION_COLOUR = '#d40000';
/** Blown-out areas, not judged: dashed grey, so they do not read as regions of difference. */
const BLOWN_OUT_COLOUR = '#6b6b6b';
/** Document-check findings: magenta as in the pipeline's heatmap outlines, on a dark halo so they stand apart from the red regions. */
const FINDING_COLOUR = '#e000e0';
const FINDING_HALO = '#200020';

/** Characters beyond Latin-1 that pdfkit maps into WinAnsi. */
const WIN_ANSI_EXTRA = new Set([402, 8211, 8212, 8216, 8217, 8218, 8220, 8221, 8222, 8224, 8225, 8226, 8230, 8364, 8240, 8249, 8250, 710, 8482, 338, 339, 732, 352, 353, 376, 381, 382]);

/** Letters whose Latin form is not a decomposition (NFKD leaves them whole). */
const LATIN_FALLBACK: Readonly<Record<string, string>> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŧ: 'T', ŧ: 't', Ŋ: 'N', ŋ: 'n', ĸ: 'k' };

/** Text the standard fonts can show: accents dropped where that is all that is missing, `?` otherwise. */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    if (cp === 0x09 || cp === 0x0a) out += ch;
    else if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp)) out += ch;
    else {
      const base = (LATIN_FALLBACK[ch] ?? ch).normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += /^[\x20-\x7e]+$/.test(base) ? base : '?';
    }
  }
  return out;
}

type Doc = PDFKit.PDFDocument;

interface Column {
  header: string;
  width: number;
  mono?: boolean;
  align?: 'left' | 'right';
}

/** Renders the report; resolves to the PDF bytes. */
export async function renderExhibitReport(input: ExhibitInput, images: Map<string, LoadedImage>): Promise<Buffer> {
  const generatedAt = new Date(input.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    autoFirstPage: false,
    compress: true,
    pdfVersion: '1.4',
    info: {
      Title: `Exhibit — ${input.case.reference} — ${input.case.title}`,
      Author: input.case.examiners.map((e) => e.name).join(', '),
      Subject: `Forensic document examination, case ${input.case.id}`,
      Keywords: `exhibit ${input.case.reference}`,
      Creator: `Exemplar ${input.softwareVersion}`,
      Producer: `Exemplar ${input.softwareVersion} (PDFKit)`,
      CreationDate: generatedAt,
      ModDate: generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });

  const r = new ReportWriter(doc);
  writeCover(r, input);
  writeCaseRecord(r, input);
  for (const comparison of input.comparisons) {
    for (const light of comparison.lights) await writeComparisonLight(r, input, comparison, light, images);
    writeParameters(r, comparison);
  }
  writeHashTable(r, images);
  writeCustodyLog(r, input.custodyLog);
  writeConclusion(r, input);
  writeFooters(doc, input);
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

/** Page flow helpers: headings, label/value lines and tables that continue on the next page. */
class ReportWriter {
  constructor(readonly doc: Doc) {}

  get bottom(): number {
    return PAGE.height - PAGE.margin - 14; // room for the footer
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.x = PAGE.margin;
    this.doc.y = PAGE.margin;
  }

  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  heading(text: string, size = 15): void {
    // Room for the first lines of what it heads (a table's header and first row), so that no heading ends a page alone.
    this.ensure(size * 3 + 30);
    this.doc.moveDown(0.4);
    this.doc.font(FONT.bold).fontSize(size).fillColor('black').text(toWinAnsi(text), PAGE.margin, this.doc.y, { width: CONTENT_WIDTH });
    this.doc.moveDown(0.3);
  }

  paragraph(text: string, options: { size?: number; colour?: string; font?: string } = {}): void {
    const size = options.size ?? 10;
    this.doc.font(options.font ?? FONT.regular).fontSize(size);
    const t = toWinAnsi(text);
    const h = this.doc.heightOfString(t, { width: CONTENT_WIDTH });
    this.ensure(Math.min(h, 3 * size));
    this.doc.fillColor(options.colour ?? 'black').text(t, PAGE.margin, this.doc.y, { width: CONTENT_WIDTH });
  }

  field(label: string, value: string): void {
    const labelWidth = 130;
    this.doc.font(FONT.regular).fontSize(10);
    const v = toWinAnsi(value);
    const h = Math.max(12, this.doc.heightOfString(v, { width: CONTENT_WIDTH - labelWidth }));
    this.ensure(h + 2);
    const y = this.doc.y;
    this.doc.font(FONT.bold).fillColor(GREY).text(toWinAnsi(label), PAGE.margin, y, { width: labelWidth - 8 });
    this.doc.font(FONT.regular).fillColor('black').text(v, PAGE.margin + labelWidth, y, { width: CONTENT_WIDTH - labelWidth });
    this.doc.y = y + h + 2;
  }

  table(columns: Column[], rows: string[][], size = 8): void {
    const pad = 2;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * CONTENT_WIDTH);
    const rowHeight = (cells: string[], header: boolean) =>
      Math.max(
        ...cells.map((cell, i) => {
          this.doc.font(header ? FONT.bold : columns[i]?.mono ? FONT.mono : FONT.regular).fontSize(size);
          return this.doc.heightOfString(cell, { width: (widths[i] ?? 0) - 2 * pad });
        }),
      ) + 2 * pad;
    const drawRow = (cells: string[], header: boolean) => {
      const h = rowHeight(cells, header);
      const y = this.doc.y;
      let x = PAGE.margin;
      if (header) this.doc.rect(PAGE.margin, y, CONTENT_WIDTH, h).fill('#e8e8e8');
      cells.forEach((cell, i) => {
        const w = widths[i] ?? 0;
        this.doc
          .font(header ? FONT.bold : columns[i]?.mono ? FONT.mono : FONT.regular)
          .fontSize(size)
          .fillColor('black')
          .text(cell, x + pad, y + pad, { width: w - 2 * pad, align: header ? 'left' : (columns[i]?.align ?? 'left') });
        x += w;
      });
      this.doc
        .moveTo(PAGE.margin, y + h)
        .lineTo(PAGE.margin + CONTENT_WIDTH, y + h)
        .lineWidth(0.3)
        .strokeColor('#999999')
        .stroke();
      this.doc.y = y + h;
    };
    const header = columns.map((c) => toWinAnsi(c.header));
    const body = rows.map((row) => row.map(toWinAnsi));
    this.ensure(rowHeight(header, true) + (body[0] ? rowHeight(body[0], false) : 0));
    drawRow(header, true);
    if (!body.length) {
      this.doc.font(FONT.regular).fontSize(size).fillColor(GREY).text('(none)', PAGE.margin + pad, this.doc.y + pad);
      this.doc.y += 2;
      return;
    }
    for (const row of body) {
      const h = rowHeight(row, false);
      if (this.doc.y + h > this.bottom) {
        this.newPage();
        drawRow(header, true);
      }
      drawRow(row, false);
    }
    this.doc.moveDown(0.5);
  }

  /** Draws `image` fitted in the box; returns the rectangle it occupies. */
  async image(image: LoadedImage, x: number, y: number, boxW: number, boxH: number): Promise<{ x: number; y: number; w: number; h: number }> {
    const reduced = await reportImage(image);
    const scale = Math.min(boxW / reduced.width, boxH / reduced.height);
    const w = reduced.width * scale;
    const h = reduced.height * scale;
    const rect = { x: x + (boxW - w) / 2, y: y + (boxH - h) / 2, w, h };
    this.doc.image(reduced.jpeg, rect.x, rect.y, { width: w, height: h });
    this.doc.rect(rect.x, rect.y, w, h).lineWidth(0.3).strokeColor('#999999').stroke();
    return rect;
  }
}

function fmt(n: number | undefined, digits = 3): string {
  return n === undefined || !Number.isFinite(n) ? '' : Number(n.toFixed(digits)).toString();
}

function lightLabel(id: string): string {
  const entry = getLightSource(id);
  return entry ? `${entry.label} (${id})` : id;
}

function personName(input: ExhibitInput, id: string): string {
  return input.case.examiners.find((e) => e.id === id)?.name ?? id;
}

function writeCover(r: ReportWriter, input: ExhibitInput): void {
  const { doc } = r;
  const c = input.case;
  r.newPage();
  doc.font(FONT.regular).fontSize(11).fillColor(GREY).text('FORENSIC DOCUMENT EXAMINATION — COURT EXHIBIT', PAGE.margin, 120, { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(1.5);
  doc.font(FONT.bold).fontSize(22).fillColor('black').text(toWinAnsi(c.title), { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(0.5);
  doc.font(FONT.regular).fontSize(13).text(toWinAnsi(`Reference ${c.reference}`), { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(3);
  r.field('Case', c.id);
  r.field('Examiners', c.examiners.map((e) => `${e.name}${e.role ? ` (${e.role})` : ''}`).join('\n'));
  r.field('Conclusion', OPINION_LABELS[c.conclusion.opinion]);
  r.field('Proposition', propositionLabel(c.conclusion.proposition));
  r.field('', c.conclusion.statement);
  r.field('Concluded', `${personName(input, c.conclusion.concludedBy)}, ${c.conclusion.concludedAt}`);
  r.field('Questioned', input.questioned.map((q) => `${q.id}: ${q.label}`).join('\n') || '(none)');
  r.field('References', input.references.map((s) => `${s.id}: ${s.title}`).join('\n') || '(none)');
  r.field('Comparisons', String(input.comparisons.length));
  r.field('Findings', findingsSummary(input));
  const fraudMatches = input.comparisons.flatMap((c) => (c.identification ? closerKnownFrauds(c.identification).map((f) => `${c.id}: closer to the known fraud sample ${f.specimenId} (${statusLabel(f.status).toLowerCase()}, ${f.inliers} agreeing keypoints) than to any genuine reference`) : []));
  if (fraudMatches.length > 0) r.field('Known-fraud match', fraudMatches.join('\n'));
  r.field('Generated', input.generatedAt);
  r.field('Software', `Exemplar ${input.softwareVersion}`);
  doc.moveDown(2);
  r.paragraph(
    'Every image in this report is identified by its SHA-256 (see "Image hashes"). The accompanying bundle holds the originals, ' +
      'the comparison outputs, this report, the custody log and a manifest; `exemplar exhibit verify BUNDLE` checks it offline.',
    { size: 9, colour: GREY },
  );
}

function writeCaseRecord(r: ReportWriter, input: ExhibitInput): void {
  r.newPage();
  r.heading('Examiner notes');
  if (!input.case.notes.length) r.paragraph('(none)', { colour: GREY });
  for (const n of input.case.notes) {
    r.paragraph(`${n.time} — ${n.author}`, { font: FONT.bold, size: 9 });
    r.paragraph(n.text, { size: 10 });
    r.doc.moveDown(0.4);
  }
  r.heading('Questioned documents');
  for (const q of input.questioned) {
    r.paragraph(`${q.id}: ${q.label}`, { font: FONT.bold, size: 11 });
    r.field('Submitted', `${q.submittedBy}, ${q.submittedAt}`);
    if (q.description) r.field('Description', q.description);
    r.field('Images', q.images.map((i) => `${lightLabel(i.lightSource)}${i.originalName ? ` — ${i.originalName}` : ''}`).join('\n') || '(none)');
    r.doc.moveDown(0.4);
  }
  r.heading('Reference specimens');
  for (const s of input.references) {
    r.paragraph(`${s.id}: ${s.title}`, { font: FONT.bold, size: 11 });
    for (const key of Object.keys(s.details).sort()) r.field(key, s.details[key] ?? '');
    if (s.captureId) r.field('Capture', s.captureId);
    r.field('Images', s.images.map((i) => lightLabel(i.lightSource)).join('\n') || '(none)');
    r.doc.moveDown(0.4);
  }
}

async function writeComparisonLight(
  r: ReportWriter,
  input: ExhibitInput,
  comparison: ExhibitComparison,
  light: ExhibitComparisonLight,
  images: Map<string, LoadedImage>,
): Promise<void> {
  const { doc } = r;
  const get = (sha: string) => {
    const img = images.get(sha);
    if (!img) throw new Error(`exhibit: image ${sha} was not loaded`);
    return img;
  };
  const questioned = input.questioned.find((q) => q.id === comparison.submissionId);
  const specimen = input.references.find((s) => s.id === comparison.specimenId);
  r.newPage();
  r.heading(`Comparison ${comparison.id} — ${lightLabel(light.lightSource)}`, 13);
  r.paragraph(`Questioned ${comparison.submissionId}${questioned ? ` (${questioned.label})` : ''} against reference ${comparison.specimenId}${specimen ? ` (${specimen.title})` : ''}; finished ${comparison.finishedAt}.`, { size: 9, colour: GREY });
  doc.moveDown(0.5);

  const gap = 12;
  const boxW = (CONTENT_WIDTH - gap) / 2;
  const boxH = 190;
  const reference = get(light.reference.sha256);
  const captioned = async (img: LoadedImage, caption: string, x: number, y: number) => {
    doc.font(FONT.bold).fontSize(8).fillColor('black').text(toWinAnsi(caption), x, y, { width: boxW });
    doc.font(FONT.mono).fontSize(6).fillColor(GREY).text(img.sha256, x, y + 10, { width: boxW });
    return r.image(img, x, y + 20, boxW, boxH);
  };
  let y = doc.y;
  await captioned(get(light.questioned.sha256), 'Questioned', PAGE.margin, y);
  const refRect = await captioned(reference, 'Reference', PAGE.margin + boxW + gap, y);
  y += boxH + 28;
  await captioned(get(light.aligned.sha256), 'Questioned aligned to the reference', PAGE.margin, y);
  const findings = light.findings ?? [];
  const blown = (light.overexposedShare ?? 0) > 0 ? '; white hatching: blown out (glare)' : '';
  const blownAreas = (light.blownOutRegions?.length ?? 0) > 0 ? '; B: blown out, not judged (dashed)' : '';
  const heatCaption = (findings.length ? 'Heatmap: regions (red), findings (M, magenta)' : 'Difference heatmap with regions') + blown + blownAreas;
  const heatRect = await captioned(get(light.heatmap.sha256), heatCaption, PAGE.margin + boxW + gap, y);
  // Regions and findings are in reference pixels; the heatmap is drawn in the reference frame.
  for (const rect of [refRect, heatRect]) {
    drawRegions(doc, light, rect, reference);
    drawFindings(doc, findings, rect, reference);
  }
  doc.x = PAGE.margin;
  doc.y = y + boxH + 28;

  writeAlignment(r, comparison, light);
  writeRegions(r, light);
  writeBlownOut(r, light);
  writeFindings(r, light);
  r.heading('Zone verdicts', 11);
  r.table(
    [
      { header: 'Zone', width: 14 },
      { header: 'Label', width: 18 },
      { header: 'Type', width: 14 },
      { header: 'Verdict', width: 10 },
      { header: 'score', width: 7, align: 'right' },
      { header: 'flagged', width: 7, align: 'right' },
      { header: 'coverage', width: 7, align: 'right' },
    ],
    light.zoneVerdicts.map((z) => [z.zoneId, z.label ?? '', z.type ?? '', z.verdict, fmt(z.score), fmt(z.flaggedShare), fmt(z.coverage)]),
  );
}

/**
 * The geometry this light's differences rest on: the feature alignment of
 * the anchor light as recorded (method, refinement points agreeing, RMSE, the
 * pipeline's message with the share of the reference a close-up shows), how
 * this light was registered, and the homography its images were compared
 * with, every number as recorded.
 */
function writeAlignment(r: ReportWriter, comparison: ExhibitComparison, light: ExhibitComparisonLight): void {
  const a = comparison.alignment;
  r.heading('Alignment', 11);
  const others = comparison.lights.length > 1 ? '; the other lights reuse that alignment' : '';
  r.paragraph(`The questioned image was aligned to the reference on their ${lightLabel(comparison.anchorLight)} images${others}.`, { size: 9, colour: GREY });
  r.doc.moveDown(0.2);
  r.field('Method', `${alignmentMethodLabel(a.method)}${a.method ? ` (${a.method})` : ''}`);
  const agreement = refinementAgreement(a);
  r.field('Refinement points', agreement ? `${agreement.agreeing} of ${agreement.of} agree on the homography` : `${a.inliers} agree on the homography`);
  r.field('RMSE', `${fmt(a.rmse)} px (reprojection error of the agreeing points, questioned pixels)`);
  const share = referenceShareShown(a);
  if (share !== null) r.field('Reference shown', `The questioned image shows ${Math.round(share * 100)} % of the reference: only that part was compared.`);
  r.field('Message', a.message);
  const reg = light.registration;
  const detail =
    reg.outcome === 'aligned'
      ? ''
      : `; shift (${fmt(reg.shift[0])}, ${fmt(reg.shift[1])}) reference px; correlation ${reg.correlation.anchor === null ? 'n/a' : fmt(reg.correlation.anchor)} at the anchor's position, ${reg.correlation.best === null ? 'n/a' : fmt(reg.correlation.best)} at the best`;
  r.field(`${getLightSource(light.lightSource)?.label ?? light.lightSource}`, `${registrationLabel(reg)} (${reg.outcome})${detail}`);
  const [rw, rh] = light.referenceSize;
  const [qw, qh] = light.questionedSize;
  r.paragraph(`Homography of this light (row-major), reference pixels (${rw} x ${rh}) to questioned pixels (${qw} x ${qh}), pixel centres at integers; questioned x = x'/w, y = y'/w:`, { size: 8, colour: GREY });
  const h = light.homography;
  r.table(
    [
      { header: '', width: 10 },
      { header: '× reference x', width: 30, mono: true, align: 'right' },
      { header: '× reference y', width: 30, mono: true, align: 'right' },
      { header: '× 1', width: 30, mono: true, align: 'right' },
    ],
    ["x'", "y'", 'w'].map((name, row) => [name, ...[0, 1, 2].map((col) => String(h[3 * row + col]))]),
  );
}

/**
 * The regions of difference as recorded, with where the questioned image is
 * blown out (glare, overexposure): over the compared area of this light, and
 * per region (a difference there may be the light, not the document). A
 * comparison made before that was measured says it was not recorded.
 */
function writeRegions(r: ReportWriter, light: ExhibitComparisonLight): void {
  r.heading('Regions of difference', 11);
  const share = light.overexposedShare;
  r.paragraph(
    share === undefined
      ? 'Blown-out areas of the questioned image (glare, overexposure) were not recorded with this comparison.'
      : lightOverexposedSentence(share),
    { size: 9, colour: GREY },
  );
  r.doc.moveDown(0.3);
  // The column only where the comparison recorded it: an empty cell would read as none.
  const blown = light.regions.some((g) => regionOverexposedShare(g) !== null);
  r.table(
    [
      { header: '#', width: 4, align: 'right' },
      { header: 'x', width: 8, align: 'right' },
      { header: 'y', width: 8, align: 'right' },
      { header: 'width', width: 8, align: 'right' },
      { header: 'height', width: 8, align: 'right' },
      { header: 'area', width: 9, align: 'right' },
      { header: 'score', width: 8, align: 'right' },
      { header: 'peak', width: 8, align: 'right' },
      ...(blown ? [{ header: 'blown out', width: 9, align: 'right' as const }] : []),
    ],
    light.regions.map((g, i) => {
      const row = [String(i + 1), fmt(g.box.x, 1), fmt(g.box.y, 1), fmt(g.box.width, 1), fmt(g.box.height, 1), fmt(g.area, 0), fmt(g.score), fmt(g.peak)];
      if (!blown) return row;
      const s = regionOverexposedShare(g);
      return [...row, s === null ? 'not recorded' : `${overexposedPercent(s)} %`];
    }),
  );
  const notes = light.regions.flatMap((g, i) => {
    const note = regionOverexposedNote(g);
    return note ? [`Region ${i + 1}: ${note}.`] : [];
  });
  if (notes.length > 0) {
    r.paragraph(notes.join('\n'), { size: 9 });
    r.doc.moveDown(0.5);
  }
}

/**
 * The areas listed apart from the differences: what differs only where the
 * questioned image is blown out, which shows no detail there and was not
 * judged. Each with its box and blown-out share; a comparison made before
 * they were listed apart says they were not recorded (any are then among the
 * regions above, with their share).
 */
function writeBlownOut(r: ReportWriter, light: ExhibitComparisonLight): void {
  const areas = light.blownOutRegions;
  r.heading(BLOWN_OUT_REGIONS_HEADING, 11);
  r.paragraph(blownOutRegionsSentence(areas?.length), { size: 9, colour: GREY });
  r.doc.moveDown(0.3);
  if (!areas?.length) return;
  r.table(
    [
      { header: '#', width: 6, align: 'right' },
      { header: 'x', width: 10, align: 'right' },
      { header: 'y', width: 10, align: 'right' },
      { header: 'width', width: 10, align: 'right' },
      { header: 'height', width: 10, align: 'right' },
      { header: 'blown out', width: 12, align: 'right' },
    ],
    areas.map((g, i) => {
      const s = regionOverexposedShare(g);
      return [`B${i + 1}`, fmt(g.box.x, 1), fmt(g.box.y, 1), fmt(g.box.width, 1), fmt(g.box.height, 1), s === null ? 'not recorded' : `${overexposedPercent(s)} %`];
    }),
  );
  r.paragraph(areas.map((g, i) => `B${i + 1}: ${blownOutRegionNote(g)}.`).join('\n'), { size: 9 });
  r.doc.moveDown(0.5);
}

function drawRegions(doc: Doc, light: ExhibitComparisonLight, rect: { x: number; y: number; w: number; h: number }, reference: LoadedImage): void {
  if (!reference.width || !reference.height) return;
  const sx = rect.w / reference.width;
  const sy = rect.h / reference.height;
  doc.save();
  doc.rect(rect.x, rect.y, rect.w, rect.h).clip();
  light.regions.forEach((g, i) => {
    const x = rect.x + g.box.x * sx;
    const y = rect.y + g.box.y * sy;
    doc.rect(x, y, Math.max(1, g.box.width * sx), Math.max(1, g.box.height * sy)).lineWidth(0.8).strokeColor(REGION_COLOUR).stroke();
    doc.font(FONT.bold).fontSize(6).fillColor(REGION_COLOUR).text(String(i + 1), x + 1, Math.max(rect.y, y - 7), { lineBreak: false });
  });
  (light.blownOutRegions ?? []).forEach((g, i) => {
    const x = rect.x + g.box.x * sx;
    const y = rect.y + g.box.y * sy;
    doc.rect(x, y, Math.max(1, g.box.width * sx), Math.max(1, g.box.height * sy)).lineWidth(0.8).dash(2, { space: 2 }).strokeColor(BLOWN_OUT_COLOUR).stroke().undash();
    doc.font(FONT.bold).fontSize(6).fillColor(BLOWN_OUT_COLOUR).text(`B${i + 1}`, x + 1, Math.max(rect.y, y - 7), { lineBreak: false });
  });
  doc.restore();
}

/** MRZ positions as printed, from 1: `line 2, pos. 15`. */
function mrzPositions(characters: readonly (readonly number[])[] | undefined): string {
  return (characters ?? []).map(([line, column]) => `line ${(line ?? 0) + 1}, pos. ${(column ?? 0) + 1}`).join('\n');
}

/** What a finding concerns: the failing check-digit groups, or the MRZ characters out of line. */
function findingSubject(f: ExhibitFinding): string {
  return f.fields?.length ? f.fields.join(', ') : mrzPositions(f.characters);
}

function writeFindings(r: ReportWriter, light: ExhibitComparisonLight): void {
  r.heading('Document-check findings', 11);
  if (light.findings === undefined) {
    r.paragraph('Not recorded: the record of this comparison holds no document checks (MRZ check digits).', { size: 9, colour: GREY });
    r.doc.moveDown(0.5);
    return;
  }
  r.table(
    [
      { header: '#', width: 4, align: 'right' },
      { header: 'Code', width: 25, mono: true },
      { header: 'Fields / characters', width: 17 },
      { header: 'x', width: 6, align: 'right' },
      { header: 'y', width: 6, align: 'right' },
      { header: 'width', width: 6, align: 'right' },
      { header: 'height', width: 6, align: 'right' },
      { header: 'Finding', width: 30 },
    ],
    light.findings.map((f, i) => [`M${i + 1}`, f.kind, findingSubject(f), fmt(f.box.x, 1), fmt(f.box.y, 1), fmt(f.box.width, 1), fmt(f.box.height, 1), f.message ?? '']),
  );
  writeCheckDigits(r, light.findings);
  // The MRZ as read, once per distinct reading, for the court to compare with the document.
  const readings = [...new Set(light.findings.filter((f) => f.lines?.length).map((f) => f.lines!.join('\n')))];
  for (const lines of readings) {
    const using = light.findings.filter((f) => f.lines?.join('\n') === lines);
    const used = light.findings.flatMap((f, i) => (using.includes(f) ? [`M${i + 1}`] : []));
    const under = [...new Set(using.map((f) => f.lightSource))];
    const readUnder = under.length === 1 && under[0] ? ` under ${lightLabel(under[0])}` : '';
    r.paragraph(`MRZ as read on the questioned image${readUnder} (${used.join(', ')}):`, { size: 8, colour: GREY });
    r.paragraph(lines, { size: 8, font: FONT.mono });
    r.doc.moveDown(0.4);
  }
}

/**
 * Each failing check digit as the comparison recorded it: the digit printed
 * and the one its data give. A comparison recorded before the digits were
 * says so; the report never works them out itself.
 */
function writeCheckDigits(r: ReportWriter, findings: readonly ExhibitFinding[]): void {
  const lines: string[] = [];
  findings.forEach((f, i) => {
    if (f.kind !== 'mrz-check-failed') return;
    if (!f.checks?.length) {
      lines.push(`M${i + 1} — ${f.fields?.join(', ') || 'check digits'}: the digits their data give were not recorded with this comparison.`);
      return;
    }
    for (const c of f.checks) {
      const data = c.field === 'composite' ? '' : ` ${c.data}`;
      const gives = c.expected === null ? 'its data give no single digit (a long document number, checked two ways)' : `its data give ${c.expected}`;
      lines.push(`M${i + 1} — ${c.field}${data}: printed ${c.printed}, ${gives}.`);
    }
  });
  if (!lines.length) return;
  r.paragraph('Check digits, as recorded by the comparison:', { size: 8, colour: GREY });
  for (const l of lines) r.paragraph(l, { size: 8 });
  r.doc.moveDown(0.4);
}

function drawFindings(doc: Doc, findings: readonly ExhibitFinding[], rect: { x: number; y: number; w: number; h: number }, reference: LoadedImage): void {
  if (!reference.width || !reference.height || findings.length === 0) return;
  const sx = rect.w / reference.width;
  const sy = rect.h / reference.height;
  doc.save();
  doc.rect(rect.x, rect.y, rect.w, rect.h).clip();
  findings.forEach((f, i) => {
    const x = rect.x + f.box.x * sx;
    const y = rect.y + f.box.y * sy;
    const w = Math.max(1, f.box.width * sx);
    const h = Math.max(1, f.box.height * sy);
    doc.rect(x, y, w, h).lineWidth(2.2).strokeColor(FINDING_HALO).stroke();
    doc.rect(x, y, w, h).lineWidth(1.1).strokeColor(FINDING_COLOUR).stroke();
    // Beside the box, where a region's number (above its corner) is not; inside the image when the box touches its right edge.
    const lx = x + w + 10 > rect.x + rect.w ? Math.max(rect.x, x - 10) : x + w + 1;
    doc.font(FONT.bold).fontSize(6).fillColor(FINDING_COLOUR).text(`M${i + 1}`, lx, Math.max(rect.y, y - 7), { lineBreak: false });
  });
  doc.restore();
}

/** The cover's line on findings: how many, and of which kinds, per comparison and light. */
function findingsSummary(input: ExhibitInput): string {
  const lines: string[] = [];
  let unrecorded = 0;
  for (const c of input.comparisons) {
    for (const l of c.lights) {
      if (l.findings === undefined) unrecorded += 1;
      else if (l.findings.length) lines.push(`${c.id}, ${lightLabel(l.lightSource)}: ${l.findings.map((f) => `${f.kind}${f.fields?.length ? ` (${f.fields.join(', ')})` : ''}`).join('; ')}`);
    }
  }
  if (unrecorded) lines.push(`${unrecorded} light source${unrecorded > 1 ? 's' : ''} with no document checks on record`);
  return lines.join('\n') || 'none';
}

/** `a.b[0].c: value` lines in canonical key order. */
function flatten(value: JsonValue, prefix: string, out: [string, string][]): void {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) {
      if (value.every((v) => v === null || typeof v !== 'object')) out.push([prefix, JSON.stringify(value)]);
      else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    } else {
      for (const key of Object.keys(value).sort()) {
        const v = value[key];
        if (v !== undefined) flatten(v, prefix ? `${prefix}.${key}` : key, out);
      }
    }
  } else out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
}

const statusLabel = (status: string) => specimenStatuses.find((e) => e.id === status)?.label ?? status;

/**
 * What identification found in the library for the questioned image: who
 * chose the reference, the candidates as recorded and, above all, a known
 * fraud sample that matched better than any genuine reference.
 */
function writeIdentification(r: ReportWriter, comparison: ExhibitComparison): void {
  r.heading('Library matches of the questioned image', 11);
  const id = comparison.identification;
  if (!id) {
    r.paragraph('Not recorded: the record of this comparison holds no identification of the questioned image against the library.', { size: 9, colour: GREY });
    r.doc.moveDown(0.5);
    return;
  }
  const chosenBy: Record<ExhibitIdentification['referenceChosenBy'], string> = {
    identification: `The reference was chosen by identification: the best verified genuine or specimen capture among ${id.searched} library images (method ${id.method}).`,
    alignment: `The reference was chosen automatically and confirmed by full alignment: identification verified no genuine or specimen capture among ${id.searched} library images (method ${id.method}), and the full alignment, with its quality gate, accepted the questioned image against one of the best ranked.`,
    submitter: `The reference was named by the submitter; the questioned image was also ranked against ${id.searched} library images (method ${id.method}).`,
  };
  r.paragraph(chosenBy[id.referenceChosenBy], { size: 9 });
  const frauds = closerKnownFrauds(id);
  if (frauds.length > 0) {
    const genuine = Math.max(0, ...id.candidates.filter((c) => c.verified && !isFraudStatus(c.status)).map((c) => c.inliers));
    r.paragraph(
      `The questioned image matches ${frauds.map((c) => `the known fraud sample ${c.specimenId} (${c.title}; ${statusLabel(c.status).toLowerCase()}; ${c.inliers} agreeing keypoints)`).join(' and ')} more closely than any genuine reference in the library (${genuine > 0 ? `at most ${genuine} agreeing keypoints` : 'none verified'}). It may be that document, or come from the same source.`,
      { size: 9, font: FONT.bold },
    );
  }
  if (id.withheld) {
    r.paragraph(`${id.withheld} recorded ${id.withheld === 1 ? 'match is' : 'matches are'} left out: classified above what every reader of this exhibit may see, or deleted since.`, { size: 9, colour: GREY });
  }
  r.doc.moveDown(0.3);
  if (id.candidates.length === 0) {
    r.paragraph('No library image matched.', { size: 9, colour: GREY });
    return;
  }
  r.table(
    [
      { header: '#', width: 4, align: 'right' },
      { header: 'Specimen', width: 44 },
      { header: 'Status', width: 16 },
      { header: 'Verified', width: 10 },
      { header: 'Agreeing keypoints', width: 14, align: 'right' },
      { header: 'Score', width: 8, align: 'right' },
    ],
    id.candidates.map((c, i) => [String(i + 1), `${c.title}\n${c.specimenId} / ${c.captureId}, ${c.page}, ${lightLabel(c.lightSource)}`, statusLabel(c.status), verifiedText(c), String(c.inliers), fmt(c.score, 2)]),
  );
}

/** Identification's verdict on a candidate, and the full alignment's when an automatic reference was sought with it. */
function verifiedText(c: ExhibitIdentification['candidates'][number]): string {
  if (c.verified) return 'yes';
  if (c.fullAlignment === 'accepted') return 'no; aligned in full';
  if (c.fullAlignment === 'refused') return 'no; full alignment refused';
  return 'no';
}

function writeParameters(r: ReportWriter, comparison: ExhibitComparison): void {
  r.newPage();
  r.heading(`Comparison ${comparison.id} — library matches, parameters and software`, 13);
  writeIdentification(r, comparison);
  r.doc.moveDown(0.5);
  r.heading('Parameters', 11);
  const params: [string, string][] = [];
  flatten(comparison.parameters, '', params);
  r.table([{ header: 'Parameter', width: 45 }, { header: 'Value', width: 55, mono: true }], params);
  const versions = Object.keys(comparison.versions)
    .sort()
    .map((k) => [k, comparison.versions[k] ?? '']);
  r.heading('Versions', 11);
  r.table([{ header: 'Component', width: 45 }, { header: 'Version', width: 55, mono: true }], versions);
}

function writeHashTable(r: ReportWriter, images: Map<string, LoadedImage>): void {
  r.newPage();
  r.heading('Image hashes (SHA-256)');
  r.paragraph('Every image this report shows or names, as stored in the bundle. Identical images are listed once with each of their uses.', { size: 9, colour: GREY });
  r.doc.moveDown(0.4);
  r.table(
    [
      { header: 'Uses', width: 25 },
      { header: 'Format, pixels, bytes, bundle path', width: 19 },
      { header: 'SHA-256', width: 56, mono: true },
    ],
    [...images.values()].map((img) => [
      img.roles.join('\n'),
      `${img.format}, ${img.width} x ${img.height}\n${img.bytes.length} bytes\n${img.bundlePath.replace(img.sha256, '<sha256>')}`,
      img.sha256,
    ]),
    7,
  );
}

function writeCustodyLog(r: ReportWriter, log: AuditEntry[]): void {
  r.newPage();
  r.heading('Custody log');
  r.paragraph('Audit entries for this case, each hashed with the hash of the entry before it (custody-log.json in the bundle).', { size: 9, colour: GREY });
  r.doc.moveDown(0.4);
  r.table(
    [
      { header: 'Seq', width: 4, align: 'right' },
      { header: 'Time', width: 16 },
      { header: 'Actor', width: 10 },
      { header: 'Action', width: 11 },
      { header: 'Target', width: 12 },
      { header: 'Object hashes / entry hash', width: 47, mono: true },
    ],
    log.map((e) => [
      String(e.seq),
      e.time,
      e.actor,
      e.action,
      e.target,
      // Labels on their own lines so that no hash breaks across lines.
      [...Object.keys(e.hashes).sort().map((k) => `${k}:\n${e.hashes[k]}`), `entry:\n${e.hash}`].join('\n'),
    ]),
    5.8,
  );
}

/** The proposition as the vocabulary names it; `not recorded` for a conclusion recorded before it was asked. */
function propositionLabel(proposition: string | undefined): string {
  return (proposition === undefined ? undefined : getCaseProposition(proposition)?.label) ?? PROPOSITION_NOT_RECORDED;
}

function writeConclusion(r: ReportWriter, input: ExhibitInput): void {
  const c = input.case.conclusion;
  r.newPage();
  r.heading('Conclusion');
  r.field('Proposition', propositionLabel(c.proposition));
  r.doc.moveDown(0.3);
  r.paragraph('Opinion scale (after ASTM E1658), on that proposition:', { size: 10 });
  r.doc.moveDown(0.3);
  for (const opinion of OPINION_SCALE) {
    const chosen = opinion === c.opinion;
    r.paragraph(`${chosen ? '[X]' : '[  ]'}  ${OPINION_LABELS[opinion]}`, { font: chosen ? FONT.bold : FONT.regular, size: 10 });
  }
  r.doc.moveDown(0.8);
  // Without a proposition the scale answers nothing stated: no sentence is made up for it.
  const sentence = conclusionSentence(c.opinion, c.proposition);
  if (sentence !== null) {
    r.paragraph(sentence, { font: FONT.bold, size: 11 });
    r.doc.moveDown(0.5);
  }
  r.paragraph(c.statement, { size: 11 });
  r.doc.moveDown(0.8);
  r.field('Concluded by', personName(input, c.concludedBy));
  r.field('Date', c.concludedAt);
  r.field('Examiners', input.case.examiners.map((e) => `${e.name}${e.role ? ` (${e.role})` : ''}`).join('\n'));
}

function writeFooters(doc: Doc, input: ExhibitInput): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing below the bottom margin would otherwise start a new page.
    const margins = doc.page.margins;
    const bottom = margins.bottom;
    margins.bottom = 0;
    doc
      .font(FONT.regular)
      .fontSize(7)
      .fillColor(GREY)
      .text(toWinAnsi(`Case ${input.case.reference} — exhibit generated ${input.generatedAt} — page ${i + 1} of ${range.count}`), PAGE.margin, PAGE.height - PAGE.margin + 10, {
        width: CONTENT_WIDTH,
        align: 'center',
        lineBreak: false,
      });
    margins.bottom = bottom;
  }
}
