import type { IdentificationCandidate } from './generated/types';
import { closerKnownFrauds, KNOWN_FRAUD_MARGIN, KNOWN_FRAUD_MIN_GAP } from './identification';

let next = 0;
function candidate(status: IdentificationCandidate['status'], inliers: number, verified = true): IdentificationCandidate {
  next += 1;
  return {
    specimenId: `spec${String(next).padStart(8, '0')}`,
    captureId: `cap${String(next).padStart(9, '0')}`,
    lightSource: 'white',
    score: verified ? 0.8 : 0,
    inliers,
    similarity: 0.7,
    verified,
    title: `${status} ${inliers}`,
    status,
    issuingState: 'UTO',
    page: 'data-page',
  };
}

describe('closerKnownFrauds', () => {
  it('names a fraud that gathers clearly more agreeing keypoints than every genuine candidate', () => {
    const forgery = candidate('forgery', 240);
    const result = closerKnownFrauds({ candidates: [forgery, candidate('counterfeit', 84), candidate('genuine', 76)] });
    expect(result).toEqual([forgery]);
  });

  it('names nothing when a genuine reference matches about as well (look-alikes of one design)', () => {
    expect(closerKnownFrauds({ candidates: [candidate('genuine', 228), candidate('counterfeit', 91), candidate('forgery', 73)] })).toEqual([]);
    // A fraud ahead, but within the margin of the genuine one.
    const genuine = candidate('genuine', 100);
    expect(closerKnownFrauds({ candidates: [candidate('counterfeit', Math.floor(KNOWN_FRAUD_MARGIN * 100) - 1), genuine] })).toEqual([]);
    expect(closerKnownFrauds({ candidates: [candidate('counterfeit', KNOWN_FRAUD_MARGIN * 100), genuine] })).toHaveLength(1);
  });

  it('names nothing when every candidate matches as weakly as a look-alike (a genuine of a holder the library lacks)', () => {
    // Counts from a photo of a third holder's demo passport: frauds of holder A ahead of A by chance.
    expect(closerKnownFrauds({ candidates: [candidate('counterfeit', 23), candidate('counterfeit', 20), candidate('forgery', 19), candidate('genuine', 15)] })).toEqual([]);
    expect(closerKnownFrauds({ candidates: [candidate('counterfeit', KNOWN_FRAUD_MIN_GAP - 1), candidate('genuine', 0, false)] })).toEqual([]);
    const clear = candidate('counterfeit', 15 + KNOWN_FRAUD_MIN_GAP);
    expect(closerKnownFrauds({ candidates: [clear, candidate('genuine', 15)] })).toEqual([clear]);
  });

  it('counts only verified candidates, on both sides', () => {
    const counterfeit = candidate('counterfeit', 60);
    // The unverified genuine candidate carries no inliers worth comparing; the unverified fraud is no match at all.
    expect(closerKnownFrauds({ candidates: [counterfeit, candidate('genuine', 0, false), candidate('forgery', 0, false)] })).toEqual([counterfeit]);
  });

  it('treats specimens as genuine references and every fraud status as a fraud, best first', () => {
    const stolen = candidate('stolen-blank', 300);
    const pseudo = candidate('pseudo', 320);
    expect(closerKnownFrauds({ candidates: [stolen, pseudo, candidate('specimen', 150)] })).toEqual([pseudo, stolen]);
    expect(closerKnownFrauds({ candidates: [candidate('pseudo', 200), candidate('specimen', 150)] })).toEqual([]);
  });

  it('names nothing for an empty result', () => {
    expect(closerKnownFrauds({ candidates: [] })).toEqual([]);
  });
});
