import { isFraudStatus, type SpecimenStatus } from '@exemplar/specimens-schema';
import { statusLabel } from '../vocabulary';

/** The specimen's status; frauds carry a distinct badge so they are never mistaken for a genuine reference. */
export function StatusBadge({ status }: { status: SpecimenStatus }) {
  const fraud = isFraudStatus(status);
  return (
    <span className={`badge ${fraud ? 'badge--fraud' : 'badge--genuine'}`} data-fraud={fraud || undefined}>
      {fraud && (
        <span className="badge__icon" aria-hidden="true">
          ⚠
        </span>
      )}
      {statusLabel(status)}
      {fraud && <span className="visually-hidden"> (fraudulent document)</span>}
    </span>
  );
}
