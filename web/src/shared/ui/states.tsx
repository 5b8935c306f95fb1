import type { ReactNode } from 'react';
import { errorMessage, isApiError } from '../api/client';

/** Announced to screen readers; `label` says what is loading. */
export function LoadingState({ label }: { label: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** `onRetry` is offered unless the server refused the user (403): trying again cannot change their role. */
export function ErrorState({ title, error, onRetry, children }: { title: string; error: unknown; onRetry?: () => void; children?: ReactNode }) {
  const refused = isApiError(error) && error.status === 403;
  return (
    <div className="state state--error" role="alert">
      <strong>{title}</strong>
      <p>{errorMessage(error)}</p>
      {children}
      {onRetry && !refused && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}
