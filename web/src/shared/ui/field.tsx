import { useId, type ReactNode } from 'react';

export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

/** A labelled form field with an optional hint and its validation messages, wired for screen readers. */
export function Field({
  label,
  hint,
  errors,
  required,
  children,
  className,
}: {
  label: string;
  hint?: string;
  errors?: string[] | undefined;
  required?: boolean;
  children: (props: FieldControlProps) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const invalid = (errors?.length ?? 0) > 0;
  const describedBy = [hint ? hintId : '', invalid ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${invalid ? 'field--invalid' : ''} ${className ?? ''}`}>
      <label htmlFor={id} className="field__label">
        {label}
        {required && (
          <span className="field__required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(invalid ? { 'aria-invalid': true } : {}) })}
      {hint && (
        <span id={hintId} className="field__hint">
          {hint}
        </span>
      )}
      {invalid && (
        <span id={errorId} className="field__error">
          {errors!.map((e) => `${label} ${e}`).join('; ')}
        </span>
      )}
    </div>
  );
}
