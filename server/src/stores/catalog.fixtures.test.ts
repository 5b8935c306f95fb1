import { validateSpecimen } from '@exemplar/specimens-schema';
import { fixtureSpecimens, syntheticSpecimens } from './catalog.fixtures';

describe('catalog fixtures', () => {
  it('are valid specimens, hand-made and synthetic alike', () => {
    for (const s of [...fixtureSpecimens(), ...syntheticSpecimens(300, 3)]) {
      const result = validateSpecimen(s);
      if (!result.ok) throw new Error(`${s.id}: ${JSON.stringify(result.errors)}`);
    }
  });

  it('are the same for the same seed and differ for another', () => {
    expect(syntheticSpecimens(50, 1)).toEqual(syntheticSpecimens(50, 1));
    expect(syntheticSpecimens(50, 2)).not.toEqual(syntheticSpecimens(50, 1));
  });
});
