import { alignmentMethodLabel, referenceShareShown, refinementAgreement, registrationLabel, registrationShiftLength } from './alignment';

describe('alignment wording', () => {
  it.each([
    ['orb', 'features (ORB)'],
    ['orb-dense', 'features (ORB), twice the features'],
    ['orb-fine', 'features (ORB), finer questioned image'],
    ['orb-tilt2.8-y', 'features (ORB), simulated tilt'],
    ['orb-zoom-in', 'features (ORB), close-up'],
    ['orb-zoom-out', 'features (ORB), wider view'],
    ['akaze', 'features (AKAZE)'],
    ['akaze-tilt2-x', 'features (AKAZE), simulated tilt'],
    ['sift-affine', 'features (SIFT), affine'],
    [null, 'method not recorded'],
  ])('names method %s as %s', (method, label) => {
    expect(alignmentMethodLabel(method)).toBe(label);
  });

  it('reads the recorded share of the reference and the refinement points', () => {
    const closeUp = { inliers: 118, refinementPoints: 130, referenceShown: 0.3812, message: 'orb-zoom-in: 64 feature inliers' };
    expect(referenceShareShown(closeUp)).toBeCloseTo(0.3812, 6);
    expect(refinementAgreement(closeUp)).toEqual({ agreeing: 118, of: 130 });
    // A whole document: no share to state, whatever the message says.
    expect(referenceShareShown({ ...closeUp, referenceShown: 1, message: 'the questioned image shows 38 % of the reference' })).toBeNull();
    expect(refinementAgreement({ ...closeUp, refinementPoints: 100 })).toBeNull();
  });

  it('reads both from the message of a result stored before they were recorded, and nothing when it states none', () => {
    const closeUp = { inliers: 118, message: 'orb-zoom-in: 64 feature inliers; refined on 118 of 130 patches; the questioned image shows 38 % of the reference' };
    expect(referenceShareShown(closeUp)).toBeCloseTo(0.38, 6);
    expect(refinementAgreement(closeUp)).toEqual({ agreeing: 118, of: 130 });
    expect(referenceShareShown({ inliers: 96, message: 'orb: 300 feature inliers; refined on 96 of 96 patches' })).toBeNull();
    expect(referenceShareShown({ inliers: 1, message: 'the questioned image shows 180 % of the reference' })).toBeNull();
    expect(refinementAgreement({ inliers: 1, message: 'ok' })).toBeNull();
  });

  it('says how each light was registered', () => {
    const base = { anchorLight: 'white', correlation: { anchor: 0.8, best: 0.9 } } as const;
    expect(registrationLabel({ ...base, outcome: 'aligned', shift: [0, 0] })).toBe('aligned on its own features');
    expect(registrationShiftLength({ shift: [0.3, -0.4] })).toBeCloseTo(0.5, 9);
    expect(registrationLabel({ ...base, outcome: 'refined', shift: [0.3, -0.4] })).toBe('reused the alignment under White light, refined by 0.50 px');
    expect(registrationLabel({ ...base, outcome: 'anchor', shift: [0, 0] })).toMatch(/^reused the alignment under White light unchanged/);
    expect(registrationLabel({ ...base, outcome: 'anchor-unverified', shift: [0, 0] })).toMatch(/unverified/);
  });
});
