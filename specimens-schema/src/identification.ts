/**
 * Reading an identification result: whether the questioned image looks more
 * like a known fraud in the library than like any genuine reference.
 *
 * Frauds in a library are often near copies of a genuine document of the same
 * design, so every candidate of that design verifies with many keypoints. The
 * capture the questioned image actually shows stands out from them: its own
 * print, holder and defects agree as well, and it gathers several times the
 * inliers of its look-alikes. A fraud candidate that clearly outscores every
 * genuine one is therefore the likelier source of the questioned document —
 * intelligence the examiner must see, not a verdict.
 */
import type { IdentificationCandidate, IdentificationResult } from './generated/types';
import { isFraudStatus } from './vocabularies';

/**
 * How many times the agreeing keypoints of the best genuine candidate a fraud
 * candidate needs to count as the closer match. Near copies of one design
 * differ by tens of percent; the document itself scores two to four times
 * its look-alikes.
 */
export const KNOWN_FRAUD_MARGIN = 1.5;

/**
 * … and by at least this many keypoints. When the questioned document is
 * none of the candidates (a genuine of a holder the library lacks), every
 * candidate of its design is a look-alike with a low, close count (15–30
 * keypoints on the demo passport), and the ratio alone swung past the margin
 * for one photo in four (23 against 15); a fraud that is the document gathers
 * hundreds (300–360 against at most 130 for its genuine model).
 */
export const KNOWN_FRAUD_MIN_GAP = 25;

/**
 * The verified fraud candidates that match the questioned image clearly
 * better than every verified genuine (non-fraud) candidate, best first (when
 * no genuine candidate verified, every verified fraud with at least
 * `KNOWN_FRAUD_MIN_GAP` keypoints). Empty when a genuine reference matches as
 * well, or when all match as weakly as look-alikes do.
 */
export function closerKnownFrauds(identification: Pick<IdentificationResult, 'candidates'>): IdentificationCandidate[] {
  const verified = identification.candidates.filter((c) => c.verified);
  let bestGenuine = 0;
  for (const c of verified) if (!isFraudStatus(c.status)) bestGenuine = Math.max(bestGenuine, c.inliers);
  return verified
    .filter((c) => isFraudStatus(c.status) && c.inliers >= KNOWN_FRAUD_MARGIN * bestGenuine && c.inliers - bestGenuine >= KNOWN_FRAUD_MIN_GAP)
    .sort((a, b) => b.inliers - a.inliers);
}
