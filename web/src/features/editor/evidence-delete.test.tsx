/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeCapture, makeImage, makePage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';

const capture = makeCapture({ id: 'cap000001', images: [makeImage('white')] });
const specimen = makeSpecimen({ id: 'spec000001', revision: 4, captures: [capture] });

/** What the API answers for a delete of a specimen (or capture) that cases, requests or comparisons rest on. */
const evidence = (what: string) => ({
  status: 409,
  body: {
    code: 'CONFLICT',
    message: `${what} is evidence: a reference specimen of case(s) case000007; it is kept while they rest on it`,
    details: { reason: 'EVIDENCE', cases: ['case000007'], verificationRequests: ['vr0003'], comparisons: ['cmp0009'] },
  },
});

function evidenceApi() {
  return createTestApi(
    on('GET', `/api/specimens/${specimen.id}`, ok(specimen)),
    on('GET', '/api/specimens', ok(makePage([]))),
    on('DELETE', `/api/specimens/${specimen.id}`, evidence(`Specimen ${specimen.id}`)),
    on('DELETE', `/api/specimens/${specimen.id}/captures/${capture.id}`, evidence(`Capture ${capture.id} of specimen ${specimen.id}`)),
  );
}

test('a specimen kept as evidence says so and links what rests on it, with no retry that could only fail again', async () => {
  const api = evidenceApi();
  const { location } = renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Delete…' }));
  await user.click(screen.getByRole('button', { name: 'Yes, delete' }));

  const refusal = await screen.findByRole('alert');
  expect(refusal).toHaveTextContent('This specimen is evidence and cannot be deleted');
  expect(within(refusal).getByRole('link', { name: 'Case case000007' })).toHaveAttribute('href', '/cases/case000007');
  expect(within(refusal).getByRole('link', { name: 'Verification request vr0003' })).toHaveAttribute('href', '/verification/vr0003');
  expect(within(refusal).getByRole('link', { name: 'Comparison cmp0009' })).toHaveAttribute('href', '/comparisons/cmp0009');
  expect(within(refusal).queryByRole('button', { name: 'Try again' })).toBeNull();
  // The question is answered: it does not stay open for another click.
  expect(screen.queryByRole('button', { name: 'Yes, delete' })).toBeNull();
  expect(location.current.pathname).toBe(`/specimens/${specimen.id}/edit`);
  expect(api.calls('DELETE', `/api/specimens/${specimen.id}`)).toHaveLength(1);
});

test('a capture kept as evidence says so the same way', async () => {
  const api = evidenceApi();
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  const captures = await screen.findByRole('region', { name: /^Captures/ });
  await user.click(within(captures).getByRole('button', { name: /^Delete/ }));
  const confirm = within(captures).queryByRole('button', { name: /^Yes, delete/ });
  if (confirm) await user.click(confirm);
  const refusal = await screen.findByRole('alert');
  expect(refusal).toHaveTextContent('This capture is evidence and cannot be deleted');
  expect(within(refusal).getByRole('link', { name: 'Case case000007' })).toHaveAttribute('href', '/cases/case000007');
  expect(within(refusal).queryByRole('button', { name: 'Try again' })).toBeNull();
});
