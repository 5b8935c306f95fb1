import type { Specimen } from '@exemplar/specimens-schema';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { saveBytes, sha256Hex } from '../../shared/api/save-file';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { useActionError } from '../../shared/auth/use-action-error';
import { formatBytes } from '../../shared/ui/image-slot';
import { StatusBadge } from '../../shared/ui/status-badge';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { useSpecimenLookup } from '../library/use-specimen-lookup';
import { exportPackage, getLabKey, importPackage, PACKAGE_SHA_HEADER, type ImportReport } from './api';

export function ExchangePage() {
  useDocumentTitle('Exchange with other labs');
  const can = useCan();
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Exchange with other labs</h1>
          <p className="muted">Signed packages of specimens: partner labs check the signature and every hash before importing.</p>
        </div>
      </header>
      <LabKeyPanel />
      <div className="two-col two-col--even">
        {can('exchange:export') && <ExportPanel />}
        {can('exchange:import') && <ImportPanel />}
      </div>
    </div>
  );
}

function LabKeyPanel() {
  const api = useApi();
  const key = useResource('lab-key', (signal) => getLabKey(api, signal));
  return (
    <section className="panel" aria-labelledby="key-heading">
      <h2 id="key-heading">This lab’s signing key</h2>
      {key.status === 'error' && <p className="field__error">The key could not be loaded: {errorMessage(key.error)}</p>}
      {key.data && (
        <>
          <dl className="facts">
            <dt>Lab id</dt>
            <dd>{key.data.labId}</dd>
            <dt>Fingerprint</dt>
            <dd>
              <code className="sha">{key.data.fingerprint}</code>
            </dd>
          </dl>
          <details className="disclosure">
            <summary>Public key to give partner labs</summary>
            <pre className="mono key-pem">{key.data.publicKey}</pre>
          </details>
        </>
      )}
      {key.status === 'loading' && <p className="muted">Loading…</p>}
    </section>
  );
}

function ExportPanel() {
  const api = useApi();
  const [text, setText] = useState('');
  const { results } = useSpecimenLookup(text);
  const [chosen, setChosen] = useState<Specimen[]>([]);
  const [withImitated, setWithImitated] = useState(true);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error: string } | { fileName: string; bytes: number; sha256: string; manifest: string | null } | null>(null);

  const run = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const file = await exportPackage(api, chosen.map((s) => s.id), withImitated);
      const sha256 = await sha256Hex(file.bytes);
      saveBytes(file.bytes, file.fileName, file.contentType);
      setOutcome({ fileName: file.fileName, bytes: file.bytes.byteLength, sha256, manifest: file.header(PACKAGE_SHA_HEADER) });
    } catch (err) {
      setOutcome({ error: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Export specimens</h2>
      <label className="field">
        <span className="field__label">Find specimens to export</span>
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Title, series…" autoComplete="off" />
      </label>
      {results && (
        <ul className="picker__results" aria-label="Specimens found">
          {results.length === 0 && <li className="muted">No specimen matches.</li>}
          {results.map((s) => (
            <li key={s.id}>
              <button type="button" className="link-button" disabled={chosen.some((c) => c.id === s.id)} onClick={() => setChosen((all) => [...all, s])} aria-label={`Add ${s.title}`}>
                {s.title}
              </button>{' '}
              <StatusBadge status={s.status} />
            </li>
          ))}
        </ul>
      )}
      <h3>In the package ({chosen.length})</h3>
      {chosen.length === 0 ? (
        <p className="muted">Nothing chosen yet.</p>
      ) : (
        <ul className="id-list" aria-label="Specimens to export">
          {chosen.map((s) => (
            <li key={s.id}>
              <Link to={`/specimens/${s.id}`}>{s.title}</Link>{' '}
              <button type="button" className="link-button" aria-label={`Remove ${s.title}`} onClick={() => setChosen((all) => all.filter((x) => x.id !== s.id))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <label className="radio-row">
        <input type="checkbox" checked={withImitated} onChange={(e) => setWithImitated(e.target.checked)} />
        <span>Include the genuine specimens the frauds imitate</span>
      </label>
      <div className="button-row">
        <button type="button" className="button button--primary" disabled={busy || chosen.length === 0} onClick={() => void run()}>
          {busy ? 'Preparing the package…' : 'Download signed package'}
        </button>
      </div>
      {outcome && 'error' in outcome && (
        <p className="field__error" role="alert">
          The package was not made: {outcome.error}
        </p>
      )}
      {outcome && 'sha256' in outcome && (
        <div className="download__result" role="status" aria-label="Package downloaded">
          <span>
            {outcome.fileName} ({formatBytes(outcome.bytes)})
          </span>
          <span>
            SHA-256 <code className="sha">{outcome.sha256}</code>
          </span>
          {outcome.manifest && (
            <span>
              Manifest SHA-256 <code className="sha">{outcome.manifest}</code>
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function ImportPanel() {
  const api = useApi();
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(true);
  const [onConflict, setOnConflict] = useState<'skip' | 'new-id'>('skip');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState(0);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useActionError();

  const run = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await importPackage(api, file, { dryRun, onConflict }, (p) => setProgress(p.total ? p.loaded / p.total : 0)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const refusal = (err: unknown) => {
    // The server's message already says whose key it is and why it is not trusted: said once, not prefixed with the same words.
    if (isApiError(err, 'UNTRUSTED_SIGNER') && err.details['own'] === true)
      return 'This package was made by this lab (it is signed with our own key), so there is nothing in it to import. Import packages that partner labs send you.';
    if (isApiError(err, 'UNTRUSTED_SIGNER')) return `Refused: ${err.message}.`;
    if (isApiError(err, 'SIGNATURE_INVALID')) return `Refused: the signature does not match the package. ${err.message}`;
    if (isApiError(err, 'PACKAGE_INVALID')) return `Refused: the package is damaged or incomplete. ${err.message}`;
    return errorMessage(err);
  };

  return (
    <section className="panel" aria-labelledby="import-pkg-heading">
      <h2 id="import-pkg-heading">Import a package</h2>
      <div className="stack-form">
        <label className="field">
          <span className="field__label">Package (.zip)</span>
          <input type="file" accept=".zip,application/zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} disabled={busy} />
        </label>
        <label className="radio-row">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} disabled={busy} />
          <span>Check only (write nothing)</span>
        </label>
        <fieldset className="checkbox-group">
          <legend className="field__label">A specimen id we hold with other content</legend>
          <label className="radio-row">
            <input type="radio" name="on-conflict" checked={onConflict === 'skip'} onChange={() => setOnConflict('skip')} disabled={busy} />
            <span>Report it and leave ours</span>
          </label>
          <label className="radio-row">
            <input type="radio" name="on-conflict" checked={onConflict === 'new-id'} onChange={() => setOnConflict('new-id')} disabled={busy} />
            <span>Import it under a new id</span>
          </label>
        </fieldset>
        <div className="button-row">
          <button type="button" className="button button--primary" disabled={!file || busy} onClick={() => void run()}>
            {busy ? 'Verifying…' : dryRun ? 'Check the package' : 'Import the package'}
          </button>
          {busy && <progress max={1} value={progress} aria-label="Upload of the package" />}
        </div>
      </div>
      {error !== null && (
        <p className="field__error" role="alert">
          {refusal(error)}
        </p>
      )}
      {report && <ImportReportView report={report} />}
    </section>
  );
}

function ImportReportView({ report }: { report: ImportReport }) {
  const groups = [
    { title: report.dryRun ? 'Would be imported' : 'Imported', rows: report.imported.map((r) => ({ id: r.id, text: `${r.captures} captures, ${r.images} images${r.sourceId !== r.id ? ` (their id ${r.sourceId})` : ''}` })) },
    { title: 'Already here (skipped)', rows: report.skipped.map((r) => ({ id: r.id, text: r.reason })) },
    { title: 'Conflicts', rows: report.conflicts.map((r) => ({ id: r.id, text: `${r.reason}${r.newId ? ` → new id ${r.newId}` : ''}` })) },
    { title: 'Errors', rows: report.errors.map((r) => ({ id: r.id, text: `${r.code}: ${r.message}` })) },
  ];
  return (
    <div className="import-report" role="status" aria-label="Package report">
      <p>
        <strong>{report.dryRun ? 'Checked, nothing written.' : 'Imported.'}</strong> Signed by {report.signer.name} ({report.signer.labId}), fingerprint{' '}
        <code className="sha">{report.signer.fingerprint}</code>
      </p>
      {groups.map((g) =>
        g.rows.length === 0 ? null : (
          <div key={g.title}>
            <h3>
              {g.title} ({g.rows.length})
            </h3>
            <ul className="id-list">
              {g.rows.map((r) => (
                <li key={`${g.title}-${r.id}`}>
                  <code>{r.id}</code> — {r.text}
                </li>
              ))}
            </ul>
          </div>
        ),
      )}
    </div>
  );
}
