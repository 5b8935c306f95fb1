/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeCapture, makeImage, makePage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';

const front = makeCapture({ id: 'cap000001', page: 'front', images: [makeImage('white'), makeImage('uv-365')] });
const back = makeCapture({ id: 'cap000002', page: 'back', images: [makeImage('white')] });
const specimen = makeSpecimen({ id: 'spec000001', revision: 4, captures: [front, back] });

test('deleting a capture (its images and zones) asks first; cancelling keeps it, confirming deletes only that one', async () => {
  const api = createTestApi(
    on('GET', `/api/specimens/${specimen.id}`, ok(specimen)),
    on('GET', '/api/specimens', ok(makePage([]))),
    on('DELETE', `/api/specimens/${specimen.id}/captures/${back.id}`, ok({ ...specimen, revision: 5, captures: [front] })),
  );
  renderApp(api, `/specimens/${specimen.id}/edit`);
  const user = userEvent.setup();
  const captures = await screen.findByRole('region', { name: /^Captures/ });

  await user.click(within(captures).getByRole('button', { name: 'Delete the Back capture' }));
  const question = within(captures).getByRole('group', { name: 'Confirm deletion of the Back capture' });
  expect(question).toHaveTextContent('Delete this capture, its 1 image and its zones?');
  expect(api.calls('DELETE', `/api/specimens/${specimen.id}/captures/${back.id}`)).toHaveLength(0);
  await user.click(within(question).getByRole('button', { name: 'Cancel' }));
  expect(within(captures).queryByRole('group', { name: /^Confirm deletion/ })).toBeNull();
  expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);

  await user.click(within(captures).getByRole('button', { name: 'Delete the Back capture' }));
  await user.click(within(captures).getByRole('button', { name: 'Yes, delete the Back capture' }));
  await waitFor(() => expect(screen.getByRole('heading', { name: 'Captures (1)' })).toBeInTheDocument());
  expect(api.calls('DELETE', `/api/specimens/${specimen.id}/captures/${back.id}`)).toHaveLength(1);
  expect(api.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
});
