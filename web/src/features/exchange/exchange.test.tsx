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
      ++n === 1
        ? ok(report)
        : {
            status: 422,
            body: {
              code: 'UNTRUSTED_SIGNER',
              message: `the package is signed by the key ${'e1'.repeat(32)} of lab-n, which is not a trusted partner key (an administrator adds partner keys)`,
              details: { fingerprint: 'e1'.repeat(32), labId: 'lab-n', revoked: false },
            },
          },
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
  const refused = await screen.findByRole('alert');
  // Said once: whose key, and that it is not a trusted partner's.
  expect(refused.textContent!.match(/trusted partner/g)).toHaveLength(1);
  expect(refused).toHaveTextContent(`Refused: the package is signed by the key ${'e1'.repeat(32)} of lab-n, which is not a trusted partner key`);
  const second = api.calls('POST', '/api/exchange/import')[1]!.url.searchParams;
  expect([second.get('dryRun'), second.get('onConflict')]).toEqual(['false', 'new-id']);
});

test('importing a package this lab made says so once, in words, and not that a partner is untrusted', async () => {
  const own = 'c'.repeat(64);
  const api = createTestApi(
    keyHandler,
    on('POST', '/api/exchange/import', {
      status: 422,
      // As the server answers for a package signed with the lab's own key.
      body: {
        code: 'UNTRUSTED_SIGNER',
        message: 'the package was made by this lab (lab-a) and signed with its own key: there is nothing to import from it; import packages from partner labs',
        details: { fingerprint: own, labId: 'lab-a', own: true, revoked: false },
      },
    }),
  );
  renderApp(api, '/exchange');
  const u = userEvent.setup();
  await u.upload(await screen.findByLabelText('Package (.zip)'), new File(['PK'], 'exemplar-lab-a-2026-11-28.zip', { type: 'application/zip' }));
  await u.click(screen.getByRole('button', { name: 'Check the package' }));
  const alerts = await screen.findAllByRole('alert');
  expect(alerts).toHaveLength(1);
  expect(alerts[0]!.textContent!.match(/made by this lab/g)).toHaveLength(1);
  expect(alerts[0]).toHaveTextContent('This package was made by this lab (it is signed with our own key), so there is nothing in it to import.');
  expect(alerts[0]).not.toHaveTextContent(/trusted partner/);
});
