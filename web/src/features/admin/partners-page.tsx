import { useState, type FormEvent } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { formatTimestamp } from '../../shared/ui/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { addPartner, listPartners, revokePartner } from './api';

/** Trusted partner labs: only packages signed by one of these keys (not revoked) are imported. */
export function PartnersPage() {
  useDocumentTitle('Partner keys');
  const api = useApi();
  const partners = useResource('partners', (signal) => listPartners(api, signal));
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !publicKey.includes('BEGIN PUBLIC KEY')) return setError('Enter the lab name and its Ed25519 public key (PEM, "-----BEGIN PUBLIC KEY-----").');
    setBusy(true);
    setError(null);
    try {
      await addPartner(api, name.trim(), publicKey.trim());
      setName('');
      setPublicKey('');
      partners.reload();
    } catch (err) {
      setError(isApiError(err, 'CONFLICT') ? 'This key is already listed.' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string, label: string) => {
    if (!window.confirm(`Revoke the key of ${label}? Packages signed with it will no longer be imported.`)) return;
    setError(null);
    try {
      await revokePartner(api, id);
      partners.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      {partners.status === 'loading' && !partners.data && <LoadingState label="Loading partner keys…" />}
      {partners.status === 'error' && <ErrorState title="The partner keys could not be loaded" error={partners.error} onRetry={partners.reload} />}
      {partners.data && partners.data.items.length === 0 && (
        <EmptyState title="No partner keys">
          <p>Add the public key of a lab you exchange specimens with.</p>
        </EmptyState>
      )}
      {partners.data && partners.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Partner keys</caption>
            <thead>
              <tr>
                <th scope="col">Lab</th>
                <th scope="col">Fingerprint (SHA-256)</th>
                <th scope="col">Added</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {partners.data.items.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>
                    <code className="sha">{p.fingerprint}</code>
                  </td>
                  <td>
                    {formatTimestamp(p.addedAt)} by {p.addedBy}
                  </td>
                  <td>
                    <span className={`pill pill--${p.revoked ? 'revoked' : 'active'}`}>{p.revoked ? `Revoked${p.revokedAt ? ` ${formatTimestamp(p.revokedAt)}` : ''}` : 'Trusted'}</span>
                  </td>
                  <td>
                    {!p.revoked && (
                      <button type="button" className="button button--small button--danger" onClick={() => void revoke(p.id, p.name)}>
                        Revoke {p.name}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section className="panel" aria-labelledby="add-partner-heading">
        <h2 id="add-partner-heading">Trust a partner lab</h2>
        <form className="stack-form" onSubmit={add} noValidate>
          <label className="field">
            <span className="field__label">Lab name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} disabled={busy} />
          </label>
          <label className="field">
            <span className="field__label">Public key (PEM)</span>
            <textarea rows={4} value={publicKey} onChange={(e) => setPublicKey(e.target.value)} disabled={busy} spellCheck={false} className="mono" />
          </label>
          {error && (
            <p className="field__error" role="alert">
              {error}
            </p>
          )}
          <div>
            <button type="submit" className="button button--primary" disabled={busy}>
              Add partner key
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
