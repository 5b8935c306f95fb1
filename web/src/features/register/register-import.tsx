import { useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { useActionError } from '../../shared/auth/use-action-error';
import { importCsv, type ImportReport } from './api';

/** The import report travels in the answer, or (all-or-nothing refused) in the 422's details. */
function reportIn(err: unknown): ImportReport | null {
  if (!isApiError(err) || !Array.isArray(err.details['rows'])) return null;
  return err.details as unknown as ImportReport;
}

export function RegisterImport({ onImported }: { onImported: () => void }) {
  const api = useApi();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<ImportReport['mode']>('valid-rows');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState(0);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [refusedWhole, setRefusedWhole] = useState(false);
  const [error, setError] = useActionError();

  const run = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    setRefusedWhole(false);
    setProgress(0);
    try {
      const r = await importCsv(api, file, mode, setProgress);
      setReport(r);
      if (r.imported > 0) onImported();
    } catch (err) {
      const r = reportIn(err);
      if (r) {
        setReport(r);
        setRefusedWhole(true);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const problems = report?.rows.filter((r) => !r.ok) ?? [];
  return (
    <section className="panel" aria-labelledby="import-heading">
      <h2 id="import-heading">Import a CSV file</h2>
      <p className="field__hint">
        Header row with <code>issuingState, documentNumber, documentCode, status, date, source, notes</code> (any order; issuingState, documentNumber, status and source required).
      </p>
      <div className="stack-form">
        <label className="field">
          <span className="field__label">CSV file</span>
          <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} disabled={busy} />
        </label>
        <fieldset className="checkbox-group">
          <legend className="field__label">When some rows are invalid</legend>
          <label className="radio-row">
            <input type="radio" name="import-mode" checked={mode === 'valid-rows'} onChange={() => setMode('valid-rows')} disabled={busy} />
            <span>Import the valid rows</span>
          </label>
          <label className="radio-row">
            <input type="radio" name="import-mode" checked={mode === 'all-or-nothing'} onChange={() => setMode('all-or-nothing')} disabled={busy} />
            <span>Import nothing</span>
          </label>
        </fieldset>
        <div className="button-row">
          <button type="button" className="button button--primary" disabled={!file || busy} onClick={() => void run()}>
            {busy ? 'Importing…' : 'Import'}
          </button>
          {busy && <progress max={1} value={progress} aria-label="Upload of the CSV file" />}
        </div>
      </div>
      {error !== null && (
        <p className="field__error" role="alert">
          The file was not imported: {errorMessage(error)}
        </p>
      )}
      {report && (
        <div className="import-report" role="status" aria-label="Import report">
          <p>
            <strong>
              {refusedWhole ? 'Nothing imported: some rows are invalid.' : `${report.imported} imported`}
              {!refusedWhole && report.refused > 0 ? `, ${report.refused} refused` : ''}
              {report.duplicates > 0 ? ` (${report.duplicates} duplicate${report.duplicates === 1 ? '' : 's'})` : ''}.
            </strong>
          </p>
          {problems.length > 0 && (
            <table className="data-table">
              <caption className="visually-hidden">Refused rows</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((r) => (
                  <tr key={r.row}>
                    <td>{r.row}</td>
                    <td>
                      {r.duplicate && <span className="pill">duplicate</span>}{' '}
                      {r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
