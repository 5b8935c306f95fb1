/**
 * Check-digit-driven correction: from the ranked candidates of every
 * position, choose the characters that make the check digits hold at the
 * smallest loss of match score. An exact dynamic programme over the checked
 * positions (state: running residue of the current field, running residue of
 * the composite, "field still empty"), where a check that cannot hold costs a
 * fixed penalty instead of being impossible: a genuinely wrong check digit is
 * then reported as wrong, not "corrected" by rewriting several characters.
 */
import { issuingStates } from '@exemplar/specimens-schema';
import { MRZ_FILLER, computeMrzCheckDigit, mrzCharValue, mrzWeight } from './check-digit';
import { CLASS_CHARS, formatsFor, LAYOUTS, type CheckGroup, type CheckName, type MrzFormat, type MrzLayout, type MrzPos } from './layouts';

export interface CharCandidate {
  char: string;
  /** Match score, higher is better (normalised cross-correlation, at most 1). */
  score: number;
}

export interface CorrectionOptions {
  /** An alternative is considered only when its score is at most this far below the position's best allowed one. */
  maxScoreLoss: number;
  /** Alternatives per position. */
  maxAlternatives: number;
  /** An alternative must match at least this well: where nothing matches, no check digit is "made" to hold. */
  minAlternativeScore: number;
  /** Cost of a check digit left failing, in score units. */
  failedCheckPenalty: number;
  /**
   * Cost of the composite check digit left failing. A character misread or
   * altered in a field fails that field's check and the composite together:
   * at a field's full penalty, one error would weigh as two, and the
   * corrector could as well "explain" it by rewriting a character elsewhere
   * so that the composite holds and another field fails.
   */
  failedCompositePenalty: number;
  /**
   * Cost of reading the letter O in a document number, where the digit 0 is
   * a candidate too. Their shapes differ by a few per cent of height, which a
   * small image blurs away, and the check digit cannot tell them apart in
   * general: O counts 24, 0 counts 0, so swapping them in positions whose
   * weights sum to a multiple of 5 leaves it holding. Issuing states commonly
   * keep the letter O out of document numbers for this very confusion, so
   * the O must match clearly better to be read.
   */
  letterOInNumberCost: number;
}

export const DEFAULT_CORRECTION_OPTIONS: CorrectionOptions = {
  maxScoreLoss: 0.15,
  maxAlternatives: 4,
  minAlternativeScore: 0.5,
  failedCheckPenalty: 1,
  failedCompositePenalty: 0.5,
  letterOInNumberCost: 0.03,
};

export interface Correction {
  line: number;
  column: number;
  /** Best-scoring character allowed at that position. */
  from: string;
  to: string;
  scoreLoss: number;
}

export interface CorrectedMrz {
  lines: string[];
  /** Every position's chosen candidate score. */
  scores: number[][];
  corrections: Correction[];
  /** Sum of score losses plus penalties of failed checks (lower is better). */
  cost: number;
  /** Which document-number rule the choice followed (TD1 numbers longer than 9 characters continue in the optional data). */
  documentNumberRule: 'standard' | 'long-icao' | 'long-including-filler';
}

interface Option {
  char: string;
  value: number;
  cost: number;
  score: number;
}

interface Step {
  pos: MrzPos;
  options: Option[];
  compositeWeight: number | null;
  /** `unread`: a position of the group matched no glyph, so its check can neither fail nor be made to hold. */
  groupRole: { role: 'data'; weight: number } | { role: 'check'; fillerWhenEmpty: boolean; unread: boolean } | null;
  compositeCheck: boolean;
  /** On the composite's check step: a position it covers matched no glyph. */
  compositeUnread: boolean;
}

/** One number per MRZ position (`line * 100 + column`), for sets and maps of positions. */
export const mrzPosKey = (p: MrzPos) => p[0] * 100 + p[1];

/** Allowed candidates of a position, best first, with their cost relative to the best allowed one (score gaps times `lossScale`). */
function optionsAt(cands: readonly CharCandidate[], cls: string, opts: CorrectionOptions, lossScale: number): Option[] {
  const allowed = CLASS_CHARS[cls] ?? CLASS_CHARS.X!;
  const list = cands.filter((c) => allowed.includes(c.char));
  if (list.length === 0) return [{ char: MRZ_FILLER, value: 0, cost: 0, score: 0 }];
  const best = list[0]!.score;
  return list
    .filter((c, i) => i === 0 || ((best - c.score) * lossScale <= opts.maxScoreLoss && c.score >= opts.minAlternativeScore))
    .slice(0, opts.maxAlternatives)
    .map((c) => ({ char: c.char, value: mrzCharValue(c.char), cost: (best - c.score) * lossScale, score: c.score }));
}

function buildSteps(groups: readonly CheckGroup[], optionsOf: (p: MrzPos) => Option[], unread: (p: MrzPos) => boolean): Step[] {
  const composite = groups.find((g) => g.name === 'composite');
  const fields = groups.filter((g) => g.name !== 'composite');
  const role = new Map<number, Step['groupRole']>();
  const anyUnread = (g: CheckGroup) => g.data.some(unread) || unread(g.check);
  for (const g of fields) {
    g.data.forEach((p, i) => role.set(mrzPosKey(p), { role: 'data', weight: mrzWeight(i) }));
    role.set(mrzPosKey(g.check), { role: 'check', fillerWhenEmpty: Boolean(g.fillerWhenEmpty), unread: anyUnread(g) });
  }
  const order: MrzPos[] = composite ? [...composite.data] : fields.flatMap((g) => [...g.data, g.check]);
  const steps: Step[] = order.map((pos, i) => ({
    pos,
    options: optionsOf(pos),
    compositeWeight: composite ? mrzWeight(i) : null,
    groupRole: role.get(mrzPosKey(pos)) ?? null,
    compositeCheck: false,
    compositeUnread: false,
  }));
  if (composite) {
    steps.push({ pos: composite.check, options: optionsOf(composite.check), compositeWeight: null, groupRole: null, compositeCheck: true, compositeUnread: anyUnread(composite) });
  }
  return steps;
}

const STATES = 200;
const state = (g: number, c: number, f: number) => g * 20 + c * 2 + f;

/** Minimum-cost choice along the steps; returns the chosen option index per step and the cost. */
function solve(steps: readonly Step[], penalty: number, compositePenalty: number): { choice: number[]; cost: number } {
  let cost = new Float64Array(STATES).fill(Infinity);
  cost[state(0, 0, 1)] = 0;
  const back: { prev: Int16Array; opt: Int8Array }[] = [];
  for (const step of steps) {
    const next = new Float64Array(STATES).fill(Infinity);
    const prev = new Int16Array(STATES).fill(-1);
    const opt = new Int8Array(STATES).fill(-1);
    for (let s = 0; s < STATES; s++) {
      const base = cost[s]!;
      if (base === Infinity) continue;
      const g = Math.floor(s / 20);
      const c = Math.floor((s % 20) / 2);
      const f = s % 2;
      step.options.forEach((o, oi) => {
        let ng = g;
        let nf = f;
        let extra = o.cost;
        const digit = o.char >= '0' && o.char <= '9';
        const r = step.groupRole;
        if (r?.role === 'data') {
          ng = (g + o.value * r.weight) % 10;
          nf = f && o.char === MRZ_FILLER ? 1 : 0;
        } else if (r?.role === 'check') {
          const ok = (digit && o.value === g) || (r.fillerWhenEmpty && o.char === MRZ_FILLER && f === 1);
          if (!ok && !r.unread) extra += penalty;
          ng = 0;
          nf = 1;
        }
        let nc = c;
        if (step.compositeWeight !== null) nc = (c + o.value * step.compositeWeight) % 10;
        if (step.compositeCheck && !step.compositeUnread && !(digit && o.value === c)) extra += compositePenalty;
        const ns = state(ng, nc, nf);
        if (base + extra < next[ns]!) {
          next[ns] = base + extra;
          prev[ns] = s;
          opt[ns] = oi;
        }
      });
    }
    back.push({ prev, opt });
    cost = next;
  }
  let best = 0;
  for (let s = 1; s < STATES; s++) if (cost[s]! < cost[best]!) best = s;
  const total = cost[best]!;
  const choice = new Array<number>(steps.length);
  let s = best;
  for (let i = steps.length - 1; i >= 0; i--) {
    choice[i] = back[i]!.opt[s]!;
    s = back[i]!.prev[s]!;
  }
  return { choice, cost: total };
}

/** Groups for a TD1 document number continued in the optional data, its check digit at `checkAt` (line 1). */
function longNumberGroups(layout: MrzLayout, checkAt: number, includeFiller: boolean): CheckGroup[] {
  return layout.groups.map((g) => {
    if (g.name !== 'documentNumber') return g;
    const data: MrzPos[] = [];
    for (let c = 5; c < checkAt; c++) if (c !== 14 || includeFiller) data.push([0, c]);
    return { name: 'documentNumber', data, check: [0, checkAt] };
  });
}

/**
 * Chooses one character per position: within each position's class, the
 * best candidate unless a slightly worse one makes check digits hold.
 * `candidates[line][column]` is ranked best first. `lossScales[line]`
 * (default 1) multiplies that line's score gaps before they are weighed:
 * scores from softened templates lie closer together (see
 * `templateSeparation`), and the losses, penalties and costs here are
 * meant on the sharp templates' scale. Positions in `asPrinted`
 * (`mrzPosKey`) keep their best candidate: a character seen out
 * of line is what was printed there.
 */
export function correctMrz(
  layout: MrzLayout,
  candidates: readonly (readonly (readonly CharCandidate[])[])[],
  options: Partial<CorrectionOptions> = {},
  lossScales: readonly number[] = [],
  asPrinted: ReadonlySet<number> = new Set(),
): CorrectedMrz {
  const opts = { ...DEFAULT_CORRECTION_OPTIONS, ...options };
  const scaleOf = (l: number) => lossScales[l] ?? 1;
  const allOptions = layout.classes.map((cls, l) =>
    Array.from(cls, (cc, col) => {
      const o = optionsAt(candidates[l]?.[col] ?? [], cc, opts, scaleOf(l));
      return asPrinted.has(mrzPosKey([l, col])) ? o.slice(0, 1) : o;
    }),
  );
  // In the row's own score units, not brought to the sharp scale: the O must match better in the scores it was read with.
  const withLetterOCost = (o: Option[], l: number): Option[] =>
    o.some((x) => x.char === '0') ? o.map((x) => (x.char === 'O' ? { ...x, cost: x.cost + opts.letterOInNumberCost * scaleOf(l) } : x)) : o;
  const best = allOptions.map((line) => line.map((o) => o[0]!));
  // A cell that matches no glyph (blank: an ink this light does not show, erased, covered, lost to glare) could hold
  // any character: the checks over it are unknown, so no other character is changed to make them hold.
  const unread = (p: MrzPos) => best[p[0]]![p[1]]!.score < opts.minAlternativeScore;

  const variants: { rule: CorrectedMrz['documentNumberRule']; groups: CheckGroup[]; forceFillerAt14: boolean }[] = [{ rule: 'standard', groups: layout.groups, forceFillerAt14: false }];
  if (layout.format === 'TD1') {
    const line1 = best[0]!.map((o) => o.char).join('');
    const fillerAt14 = allOptions[0]![14]!.some((o) => o.char === MRZ_FILLER);
    const firstFiller = line1.indexOf(MRZ_FILLER, 15);
    const checkAt = (firstFiller < 0 ? 30 : firstFiller) - 1;
    if (fillerAt14 && checkAt > 15) {
      variants.push({ rule: 'long-icao', groups: longNumberGroups(layout, checkAt, false), forceFillerAt14: true });
      variants.push({ rule: 'long-including-filler', groups: longNumberGroups(layout, checkAt, true), forceFillerAt14: true });
    }
  }

  let winner: { lines: Option[][]; cost: number; rule: CorrectedMrz['documentNumberRule'] } | undefined;
  for (const v of variants) {
    // The document number as this rule reads it: a long TD1 number's continuation in the optional data is part of it.
    const numberAt = new Set(v.groups.filter((g) => g.name === 'documentNumber').flatMap((g) => g.data.map(mrzPosKey)));
    const optionsOf = (p: MrzPos): Option[] => {
      const o = allOptions[p[0]]![p[1]]!;
      if (v.forceFillerAt14 && p[0] === 0 && p[1] === 14) return o.filter((x) => x.char === MRZ_FILLER);
      return numberAt.has(mrzPosKey(p)) ? withLetterOCost(o, p[0]) : o;
    };
    const steps = buildSteps(v.groups, optionsOf, unread);
    const { choice, cost } = solve(steps, opts.failedCheckPenalty, opts.failedCompositePenalty);
    const lines = best.map((l) => [...l]);
    let total = cost;
    steps.forEach((st, i) => {
      lines[st.pos[0]]![st.pos[1]] = st.options[choice[i]!]!;
    });
    // Positions outside every check keep their best candidate (cost 0), except a forced filler.
    if (v.forceFillerAt14 && !steps.some((st) => st.pos[0] === 0 && st.pos[1] === 14)) {
      const f = optionsOf([0, 14])[0];
      if (f) {
        lines[0]![14] = f;
        total += f.cost;
      }
    }
    if (!winner || total < winner.cost - 1e-9) winner = { lines, cost: total, rule: v.rule };
  }
  const chosen = winner!;
  for (const field of layout.codes) chosen.cost += chooseKnownCode(field, chosen.lines, candidates, opts.maxScoreLoss, opts.minAlternativeScore, scaleOf);
  const corrections: Correction[] = [];
  chosen.lines.forEach((line, l) =>
    line.forEach((o, c) => {
      const b = best[l]![c]!;
      if (o.char !== b.char) corrections.push({ line: l, column: c, from: b.char, to: o.char, scoreLoss: b.score - o.score });
    }),
  );
  return {
    lines: chosen.lines.map((l) => l.map((o) => o.char).join('')),
    scores: chosen.lines.map((l) => l.map((o) => o.score)),
    corrections,
    cost: chosen.cost,
    documentNumberRule: chosen.rule,
  };
}

/** Every issuing state and nationality code an MRZ may hold, as its three positions read (fillers padding a shorter code). */
const KNOWN_CODES: readonly string[] = issuingStates.map((e) => e.id.padEnd(3, MRZ_FILLER));
const KNOWN_CODE_SET: ReadonlySet<string> = new Set(KNOWN_CODES);

/**
 * A state or nationality code read as no known code (UTD for UTO, at a low
 * resolution where O and D blur together) is replaced by the known code its
 * candidates give at the smallest loss, when that loss is at most
 * `maxLoss` for the whole code and each letter put in matches at least
 * `minScore`. Only letters read as letters are replaced: where a cell
 * matched a digit best (a specimen printing digits there, forced to letters
 * by the layout) no code is made up. A fantasy state printed clearly, whose
 * letters match nothing else, stays as printed (the server's parse reports
 * it). Code positions lie outside every check digit, so nothing else moves.
 * Returns the loss taken.
 */
function chooseKnownCode(
  field: readonly MrzPos[],
  lines: Option[][],
  candidates: readonly (readonly (readonly CharCandidate[])[])[],
  maxLoss: number,
  minScore: number,
  lossScale: (line: number) => number,
): number {
  const read = field.map(([l, c]) => lines[l]![c]!);
  if (KNOWN_CODE_SET.has(read.map((o) => o.char).join(''))) return 0;
  if (field.some(([l, c], i) => candidates[l]?.[c]?.[0]?.char !== read[i]!.char)) return 0;
  let best: { code: string; loss: number } | null = null;
  for (const code of KNOWN_CODES) {
    let loss = 0;
    for (let i = 0; i < field.length && loss <= maxLoss; i++) {
      if (code[i] === read[i]!.char) continue;
      const [l, c] = field[i]!;
      const cand = candidates[l]?.[c]?.find((x) => x.char === code[i]);
      loss += cand && cand.score >= minScore ? (read[i]!.score - cand.score) * lossScale(l) : Number.POSITIVE_INFINITY;
    }
    if (loss <= maxLoss && (!best || loss < best.loss)) best = { code, loss };
  }
  if (!best) return 0;
  field.forEach(([l, c], i) => {
    const char = best.code[i]!;
    if (char === read[i]!.char) return;
    const score = candidates[l]![c]!.find((x) => x.char === char)!.score;
    lines[l]![c] = { char, value: mrzCharValue(char), cost: read[i]!.cost + (read[i]!.score - score) * lossScale(l), score };
  });
  return best.loss;
}

export interface CheckResult {
  name: CheckName;
  valid: boolean;
}

/** A check digit as read and as its data give it: what an examiner is told when it fails. */
export interface CheckDetail extends CheckResult {
  /** The checked characters as read, in order. */
  data: string;
  /** The check digit as read (a digit, or whatever stands in its place). */
  printed: string;
  /**
   * The digit the data give; null when they give none for sure (a TD1 long
   * document number, which issuers check with or without the filler before
   * its continuation) or hold a character that is no MRZ character.
   */
  expected: number | null;
  /** Where the check digit is. */
  position: MrzPos;
}

/**
 * Every check digit of MRZ lines in a layout, with its data, the digit
 * printed and the one the data give (filler check of an empty TD3 personal
 * number accepted; a TD1 long document number valid under either rule — see
 * the server's report for which).
 */
export function checkDigitDetails(layout: MrzLayout, lines: readonly string[]): CheckDetail[] {
  const at = (p: MrzPos) => lines[p[0]]?.[p[1]] ?? '';
  const text = (ps: readonly MrzPos[]) => ps.map(at).join('');
  const digitOf = (data: string) => (/^[0-9A-Z<]*$/.test(data) ? computeMrzCheckDigit(data) : null);
  const holds = (data: string, check: string) => /^[0-9]$/.test(check) && digitOf(data) === Number(check);
  return layout.groups.map((g) => {
    const data = text(g.data);
    const printed = at(g.check);
    const plain = { name: g.name, data, printed, expected: digitOf(data), position: g.check };
    if (g.fillerWhenEmpty && printed === MRZ_FILLER && /^<*$/.test(data)) return { ...plain, valid: true };
    if (layout.format === 'TD1' && g.name === 'documentNumber' && printed === MRZ_FILLER) {
      const line1 = lines[0] ?? '';
      const firstFiller = line1.indexOf(MRZ_FILLER, 15);
      const checkAt = (firstFiller < 0 ? 30 : firstFiller) - 1;
      if (checkAt <= 15) return { ...plain, expected: null, valid: false };
      const tail = line1.slice(15, checkAt);
      const digit = line1[checkAt]!;
      const long = line1.slice(5, 14) + tail;
      return { name: g.name, data: long, printed: digit, expected: null, position: [0, checkAt] as const, valid: holds(long, digit) || holds(line1.slice(5, 15) + tail, digit) };
    }
    return { ...plain, valid: holds(data, printed) };
  });
}

/** Recomputes every check digit of MRZ lines in a layout (see `checkDigitDetails`). */
export function verifyCheckDigits(layout: MrzLayout, lines: readonly string[]): CheckResult[] {
  return checkDigitDetails(layout, lines).map(({ name, valid }) => ({ name, valid }));
}

/** The check digits of MRZ lines in the first layout their shape fits (the visa layout for a V document), or null when none fits. */
export function checkMrzLines(lines: readonly string[]): { format: MrzFormat; checks: CheckResult[]; valid: boolean } | null {
  const [format] = formatsFor(lines.length, lines[0]?.length ?? 0, lines[0]?.[0]);
  if (!format || lines.some((l) => l.length !== lines[0]!.length)) return null;
  const checks = verifyCheckDigits(LAYOUTS[format], lines);
  return { format, checks, valid: checks.every((c) => c.valid) };
}
