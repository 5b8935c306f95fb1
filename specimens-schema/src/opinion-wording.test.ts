import { conclusionSentence, getCaseProposition } from './opinion-wording';
import { validate } from './validation';
import { casePropositions } from './vocabularies';

describe('conclusionSentence', () => {
  it('states the proposition with the strength of each step of the scale', () => {
    expect(conclusionSentence('identification', 'genuine')).toBe("The examiner's opinion is that the questioned document was produced by the issuing authority's process (is genuine).");
    expect(conclusionSentence('probably-did', 'altered')).toBe("The examiner's opinion is that the questioned document probably has been altered after it was produced.");
    expect(conclusionSentence('indications-did', 'common-origin')).toBe(
      "The examiner's opinion is that there are indications that the questioned document shares a common origin with the reference specimens of this case.",
    );
    expect(conclusionSentence('no-conclusion', 'genuine')).toBe(
      "The examiner's opinion is that no conclusion can be reached as to whether the questioned document was produced by the issuing authority's process (is genuine).",
    );
    expect(conclusionSentence('indications-did-not', 'altered')).toBe("The examiner's opinion is that there are indications that the questioned document has not been altered after it was produced.");
    expect(conclusionSentence('probably-did-not', 'genuine')).toBe(
      "The examiner's opinion is that the questioned document probably was not produced by the issuing authority's process (is not genuine).",
    );
    expect(conclusionSentence('elimination', 'common-origin')).toBe("The examiner's opinion is that the questioned document does not share a common origin with the reference specimens of this case.");
  });

  it('affirms on the "did" side and denies on the "did not" side, for every proposition', () => {
    for (const p of casePropositions) {
      for (const opinion of ['identification', 'probably-did', 'indications-did', 'no-conclusion'] as const) expect(conclusionSentence(opinion, p.id)).toContain(p.clause);
      for (const opinion of ['indications-did-not', 'probably-did-not', 'elimination'] as const) expect(conclusionSentence(opinion, p.id)).toContain(p.clauseNot);
      expect(p.clauseNot).not.toBe(p.clause);
    }
  });

  it('says nothing of a conclusion recorded before propositions were asked, which the schema still accepts', () => {
    expect(conclusionSentence('probably-did', undefined)).toBeNull();
    expect(getCaseProposition('it is fake')).toBeUndefined();
    const old = { opinion: 'elimination', statement: 'Not issued so.', concludedBy: 'alice', concludedAt: '2026-03-02T10:00:00.000Z' };
    const record = {
      id: 'Cs3vX9aP0bLmN2cD', revision: 2, title: 'Old case', reference: 'CR-1', status: 'open', examiners: ['alice'], prosecutors: [], comparisons: [], specimens: [], notes: [],
      conclusion: old, createdBy: 'alice', createdAt: '2026-03-01T08:00:00.000Z', updatedBy: 'alice', updatedAt: '2026-03-02T10:00:00.000Z',
    };
    expect(validate('case', record).ok).toBe(true);
    expect(validate('case-conclusion-set', { revision: 2, opinion: 'elimination', statement: 'x' }).ok).toBe(false);
  });
});
