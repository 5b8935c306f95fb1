import { validate } from '@exemplar/specimens-schema';
import { makeSpecimen } from '../../test/fixtures';
import { fileProgress } from './api';
import { checkDraft, draftFromSpecimen, draftToBody, emptyDraft, errorsByField, patchFrom, rebaseDraft } from './specimen-draft';

test('a filled draft becomes the minimal create body of the contract', () => {
  const body = draftToBody({
    ...emptyDraft,
    title: '  Utopia passport, 2019 series ',
    issuingState: 'uto',
    documentCode: 'p',
    series: '2019',
    tags: 'demo, td3  ',
  });
  expect(body).toEqual({
    status: 'genuine',
    issuingState: 'UTO',
    documentCategory: 'passport',
    documentCode: 'P',
    series: '2019',
    title: 'Utopia passport, 2019 series',
    classification: 'public',
    tags: ['demo', 'td3'],
  });
  expect(checkDraft({ ...emptyDraft, title: 'x', issuingState: 'UTO' }).ok).toBe(true);
});

test('the schema, not the form, decides what is wrong, and each message lands on its field', () => {
  const { ok, errors } = checkDraft({ ...emptyDraft, status: 'forgery', issuingState: 'ZZZ', issuedFrom: '2020', issuedTo: '2015', tags: 'ok, Bad Tag', seizedAt: 'yesterday' });
  expect(ok).toBe(false);
  expect(errors.title).toEqual(['is required']);
  expect(errors.forgeryMethods).toEqual(['is required when status is forgery']);
  expect(errors.issuingState).toEqual(['is not a known issuing state code']);
  expect(errors.tags?.[0]).toMatch(/^“Bad” must match pattern: Lowercase keyword/);
  expect(errors.seizedAt?.[0]).toMatch(/format "date"/);
  // Field comparisons are rules beside the schema; they run once the schema passes.
  const range = checkDraft({ ...emptyDraft, title: 'x', issuingState: 'UTO', issuedFrom: '2020', issuedTo: '2015' });
  expect(range.errors.issuedTo).toEqual(['must not be earlier than the year of first issue']);
  const year = checkDraft({ ...emptyDraft, title: 'x', issuingState: 'UTO', issuedFrom: 'soon' });
  expect(year.errors.issuedFrom).toEqual(['must be integer']);
});

test('forgery methods are sent for forgeries only', () => {
  const draft = { ...emptyDraft, title: 'x', issuingState: 'UTO', forgeryMethods: ['photo-substitution'] };
  expect(draftToBody({ ...draft, status: 'forgery' }).forgeryMethods).toEqual(['photo-substitution']);
  expect(draftToBody({ ...draft, status: 'counterfeit' })).not.toHaveProperty('forgeryMethods');
});

test('an edit sends only what changed, null for cleared fields, and the revision it started from', () => {
  const stored = makeSpecimen({ revision: 4, series: '2019', description: 'Old text', provenance: { source: 'Ministry' } });
  const draft = { ...draftFromSpecimen(stored), series: '', title: 'New title', provenanceSource: 'Embassy' };
  const patch = patchFrom(stored, draftToBody(draft));
  expect(patch).toEqual({ revision: 4, series: null, title: 'New title', provenance: { source: 'Embassy' } });
  expect(validate('specimen-patch', patch).ok).toBe(true);
  expect(patchFrom(stored, draftToBody(draftFromSpecimen(stored)))).toEqual({ revision: 4 });
});

test('unsaved edits carried over to a newer stored copy: untouched fields take it, typed ones stay, both changed is a clash', () => {
  const base = { ...emptyDraft, title: 'Stored title', series: '2019', notes: 'Stored notes', status: 'forgery', forgeryMethods: ['photo-substitution'] };
  const draft = { ...base, title: 'Typed title', notes: 'Typed notes', description: 'Typed description', forgeryMethods: ['photo-substitution', 'data-alteration'] };
  const stored = { ...base, title: 'Their title', series: '2020', description: 'Typed description', forgeryMethods: ['page-substitution'] };
  const { draft: next, clashes } = rebaseDraft(draft, base, stored);
  // Series was not touched: the stored value. Notes typed, unchanged in store: kept. Description typed as stored: no clash.
  expect(next).toEqual({ ...stored, title: 'Typed title', notes: 'Typed notes', forgeryMethods: ['photo-substitution', 'data-alteration'] });
  expect(clashes).toEqual([
    { field: 'title', stored: 'Their title' },
    { field: 'forgeryMethods', stored: ['page-substitution'] },
  ]);

  // Nothing stored moved: nothing to settle, the draft is as typed.
  expect(rebaseDraft(draft, base, base)).toEqual({ draft, clashes: [] });
  // A clash still open stays open through a later copy that leaves the field alone, until the values agree.
  expect(rebaseDraft(next, stored, { ...stored, series: '2021' }, ['title']).clashes).toEqual([{ field: 'title', stored: 'Their title' }]);
  expect(rebaseDraft(next, stored, { ...stored, title: 'Typed title' }, ['title']).clashes).toEqual([]);
});

test('server validation issues map to the same fields', () => {
  expect(errorsByField([{ path: '/provenance/caseReference', message: 'is too long' }, { path: '', message: 'must be object' }, { path: '/issued', message: 'x' }])).toEqual({
    caseReference: ['is too long'],
    form: ['must be object'],
    issuedFrom: ['x'],
  });
});

test('upload progress of the whole body is shared out to the files in the order they are sent', () => {
  // Two files of 1000 and 3000 bytes in a 4300-byte body: 100 bytes of framing before, between and after.
  expect(fileProgress([1000, 3000], 0, 4300)).toEqual([0, 0]);
  expect(fileProgress([1000, 3000], 600, 4300)).toEqual([0.5, 0]);
  expect(fileProgress([1000, 3000], 2700, 4300)).toEqual([1, 0.5]);
  expect(fileProgress([1000, 3000], 4300, 4300)).toEqual([1, 1]);
});
