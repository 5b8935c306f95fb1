import type { RegisterEntry } from '@exemplar/specimens-schema';
import { issuingStateShortLabel } from '../../shared/vocabulary';
import { registerStatusLabel } from './api';

/**
 * The document is in the lost/stolen/revoked register: shown as a red banner
 * wherever the API returns `registerHits` (MRZ read, comparison, verification
 * request), so it cannot be missed. An empty list (checked, no hit) shows a
 * quiet line only when `showClear` asks for it.
 */
export function RegisterHitsBanner({ hits, showClear }: { hits: RegisterEntry[] | undefined; showClear?: boolean }) {
  if (!hits) return null;
  if (hits.length === 0)
    return showClear ? (
      <p className="register-clear" role="status">
        Checked against the lost/stolen register: no entry for this document.
      </p>
    ) : null;
  return (
    <div className="register-banner" role="alert" aria-label="Register hit">
      <strong className="register-banner__title">
        <span aria-hidden="true">⚠ </span>
        {hits.length === 1 ? 'This document is in the lost/stolen register' : `This document has ${hits.length} entries in the lost/stolen register`}
      </strong>
      <ul>
        {hits.map((h) => (
          <li key={h.id}>
            <strong>{registerStatusLabel(h.status)}</strong> — {issuingStateShortLabel(h.issuingState)} {h.documentCode ? `${h.documentCode} ` : ''}
            {h.documentNumber}
            {h.date ? `, since ${h.date}` : ''}; reported by {h.source}
            {h.notes ? <span className="register-banner__notes"> ({h.notes})</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
