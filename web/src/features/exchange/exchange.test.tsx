/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makePage, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';

const specimen = makeSpecimen({ title: 'Counterfeit Utopia passport', status: 'counterfeit', captures: [] });
const keyHandler = on('GET', '/api/exchange/key', ok({ labId: 'lab-a', publicKey: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----', fingerprint: 'c'.repeat(64) }));

test('an examiner exports chosen specimens as a signed package and sees its SHA-256', async () => {
  const api = createTestApi(
    keyHandler,
    on('GET', '/api/specimens', ok(makePage([specimen]))),
    on('POST', '/api/exchange/export', {
      status: 200,
      raw: new TextEncoder().encode('PK package'),
      headers: { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="exemplar-lab-a-2026-11-28.zip"', 'x-exemplar-package-sha256': 'd'.repeat(64) },
    }),
  );
  const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
  renderApp(api, '/exchange');
  const u = userEvent.setup();
  expect(await screen.findByText('lab-a')).toBeInTheDocument();
  await u.type(screen.getByRole('searchbox', { name: 'Find specimens to export' }), 'utopia');
  await u.click(await screen.findByRole('button', { name: 'Add Counterfeit Utopia passport' }));
  await u.click(screen.getByRole('checkbox', { name: /Include the genuine specimens/ }));
  await u.click(screen.getByRole('button', { name: 'Download signed package' }));
  const result = await screen.findByRole('status', { name: 'Package downloaded' });
  expect(result).toHaveTextContent('exemplar-lab-a-2026-11-28.zip');
  expect(result).toHaveTextContent('d'.repeat(64));
  const sent = api.calls('POST', '/api/exchange/export')[0]!;
  expect(sent.body).toEqual({ specimenIds: [specimen.id], withImitated: false });
  expect(sent.headers['x-csrf-token']).toBe('csrf-examiner');
  click.mockRestore();
});

test('importing: a dry run reports what would happen; an untrusted signer is refused with a plain message', async () => {
  const report = {
    dryRun: true,
    signer: { name: 'Lab North', fingerprint: 'e'.repeat(64), labId: 'lab-n' },
    createdAt: '2026-11-27T10:00:00Z',
    imported: [{ id: 'spec000123', sourceId: 'spec000123', captures: 2, images: 6 }],
    skipped: [{ id: 'spec000124', reason: 'same content' }],
    conflicts: [{ id: 'spec000125', reason: 'different content' }],
    errors: [],
  };
  let n = 0;
  const api = createTestApi(
    keyHandler,
    on('POST', '/api/exchange/import', () =>
      ++n === 1 ? ok(report) : { status: 422, body: { code: 'UNTRUSTED_SIGNER', message: 'unknown key e1e1', details: {} } },
    ),
  );
  renderApp(api, '/exchange');
  const u = userEvent.setup();
  await u.upload(await screen.findByLabelText('Package (.zip)'), new File(['PK'], 'pkg.zip', { type: 'application/zip' }));
  await u.click(screen.getByRole('button', { name: 'Check the package' }));
  const shown = await screen.findByRole('status', { name: 'Package report' });
  expect(shown).toHaveTextContent('Checked, nothing written.');
  expect(within(shown).getByRole('heading', { name: 'Would be imported (1)' })).toBeInTheDocument();
  expect(shown).toHaveTextContent('spec000125 — different content');
  expect(api.calls('POST', '/api/exchange/import')[0]!.url.searchParams.get('dryRun')).toBe('true');

  await u.click(screen.getByRole('checkbox', { name: 'Check only (write nothing)' }));
  await u.click(screen.getByRole('radio', { name: 'Import it under a new id' }));
  await u.click(screen.getByRole('button', { name: 'Import the package' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('not a trusted partner');
  const second = api.calls('POST', '/api/exchange/import')[1]!.url.searchParams;
  expect([second.get('dryRun'), second.get('onConflict')]).toEqual(['false', 'new-id']);
});
