import {
  BLOWN_OUT_REGIONS_HEADING,
  blownOutRegionNote,
  blownOutRegionsSentence,
  lightOverexposedNote,
  lightOverexposedSentence,
  lightOverexposedShare,
  overexposedPercent,
  regionOverexposedNote,
  regionOverexposedShare,
} from './overexposure';

describe('blown-out (overexposed) wording', () => {
  it('notes a region mostly blown out in the questioned image, and says nothing of a little or unrecorded glare', () => {
    expect(regionOverexposedNote({ overexposed: 0.76 })).toBe('questioned image blown out (glare) over 76 % of this region — the difference may be the light');
    expect(regionOverexposedNote({ overexposed: 0.5 })).toBe('questioned image blown out (glare) over 50 % of this region — the difference may be the light');
    // Mostly showing detail, a region is not to be discounted for its blown-out part.
    expect(regionOverexposedNote({ overexposed: 0.49 })).toBe('questioned image blown out (glare) over 49 % of this region — the rest of it shows detail');
    expect(regionOverexposedNote({ overexposed: 0.05 })).toBe('questioned image blown out (glare) over 5.0 % of this region — the rest of it shows detail');
    expect(regionOverexposedNote({ overexposed: 0.049 })).toBeNull();
    expect(regionOverexposedNote({ overexposed: 0 })).toBeNull();
    // Results made before the share was recorded.
    expect(regionOverexposedNote({})).toBeNull();
    expect(regionOverexposedShare({})).toBeNull();
    expect(regionOverexposedShare({ overexposed: 0 })).toBe(0);
  });

  it('states the blown-out share of a light from its open stats, when recorded and worth stating', () => {
    expect(lightOverexposedNote(lightOverexposedShare({ comparedShare: 0.97, overexposedShare: 0.054 }))).toBe(
      'The questioned image is blown out (glare or overexposure) over 5.4 % of the compared area; those pixels show no detail.',
    );
    expect(lightOverexposedNote(0.004)).toBeNull();
    expect(lightOverexposedNote(lightOverexposedShare({ comparedShare: 0.97 }))).toBeNull();
    expect(lightOverexposedNote(undefined)).toBeNull();
    expect(lightOverexposedShare({ comparedShare: 0.97 })).toBeNull();
    expect(lightOverexposedShare({ overexposedShare: '0.2' })).toBeNull();
    expect(lightOverexposedShare(undefined)).toBeNull();
    expect(lightOverexposedShare({ overexposedShare: 0 })).toBe(0);
    expect(lightOverexposedSentence(0)).toBe('No blown-out area (glare or overexposure) was found in the questioned image over the compared area.');
  });

  it('never rounds a share that is not nothing to 0 %, nor one that is not all to 100 %', () => {
    expect(overexposedPercent(0.0004)).toBe('0.1');
    expect(overexposedPercent(0)).toBe('0');
    expect(overexposedPercent(0.234)).toBe('23');
    // One decimal below 10 %, whole from 10 % on, 10 % included once rounded.
    expect(overexposedPercent(0.0994)).toBe('9.9');
    expect(overexposedPercent(0.0996)).toBe('10');
    expect(overexposedPercent(0.998)).toBe('99');
    expect(overexposedPercent(1)).toBe('100');
  });

  it('words the areas listed apart as blown out and not judged, and an older result as not recorded', () => {
    expect(BLOWN_OUT_REGIONS_HEADING).toBe('Blown out — not judged');
    expect(blownOutRegionNote({ overexposed: 0.97 })).toBe('blown out in the questioned image (glare), over 97 % of this area — no detail shows there, not judged');
    expect(blownOutRegionNote({ overexposed: 1 })).toBe('blown out in the questioned image (glare), over 100 % of this area — no detail shows there, not judged');
    expect(blownOutRegionNote({})).toBe('blown out in the questioned image (glare), share not recorded — no detail shows there, not judged');
    expect(blownOutRegionsSentence(undefined)).toMatch(/not recorded/);
    expect(blownOutRegionsSentence(0)).toBe('No area differs only where the questioned image is blown out.');
    expect(blownOutRegionsSentence(1)).toBe(
      '1 area differs only where the questioned image is blown out (glare or overexposure): no detail shows there, so it is not judged or counted as a difference.',
    );
    expect(blownOutRegionsSentence(3)).toMatch(/^3 areas differ only where .* so they are not judged or counted as differences\.$/);
  });
});
