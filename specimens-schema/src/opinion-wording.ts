/**
 * An examiner's conclusion in words: the opinion on the ASTM E1658-style
 * scale ("did" … "did not") applied to the proposition it answers, so that a
 * reader learns what the document did, not only how strongly. One sentence,
 * the same on the case page and in the court report. A conclusion recorded
 * before the proposition was asked has none: it reads as not recorded, never
 * as a guess.
 */
import type { CaseOpinion, CaseProposition } from './generated/types';
import { casePropositions, type CasePropositionEntry } from './vocabularies';

/** Said where a conclusion carries no proposition (recorded before it was asked). */
export const PROPOSITION_NOT_RECORDED = 'not recorded';

const propositionById = new Map<string, CasePropositionEntry>(casePropositions.map((p) => [p.id, p]));

/** The proposition's entry; undefined for an id that is not one. */
export function getCaseProposition(id: string): CasePropositionEntry | undefined {
  return propositionById.get(id);
}

/**
 * How each step of the scale states the proposition: affirmed or denied, and
 * how firmly — the scale's own words ("probably", "indications").
 */
const STATEMENTS: Readonly<Record<CaseOpinion, (p: CasePropositionEntry) => string>> = {
  identification: (p) => `the questioned document ${p.clause}`,
  'probably-did': (p) => `the questioned document probably ${p.clause}`,
  'indications-did': (p) => `there are indications that the questioned document ${p.clause}`,
  'no-conclusion': (p) => `no conclusion can be reached as to whether the questioned document ${p.clause}`,
  'indications-did-not': (p) => `there are indications that the questioned document ${p.clauseNot}`,
  'probably-did-not': (p) => `the questioned document probably ${p.clauseNot}`,
  elimination: (p) => `the questioned document ${p.clauseNot}`,
};

/**
 * `The examiner's opinion is that the questioned document probably was not
 * produced by the issuing authority's process (is not genuine).`; null when
 * the conclusion records no proposition (or one this version does not know).
 */
export function conclusionSentence(opinion: CaseOpinion, proposition: CaseProposition | undefined): string | null {
  const p = proposition === undefined ? undefined : propositionById.get(proposition);
  return p ? `The examiner's opinion is that ${STATEMENTS[opinion](p)}.` : null;
}
