import { useId, useState, type ReactNode } from 'react';
import { mrzLineCountProblem, mrzLinesOf } from '../mrz';

export interface MrzInput {
  /** The text as typed. */
  text: string;
  setText: (text: string) => void;
  /** The lines to send (upper case, no spaces); empty when nothing is typed. */
  lines: string[];
  /** Why the lines cannot be an MRZ, or null. */
  problem: string | null;
}

/** The state of an MRZ text box: what was typed, the lines it stands for, and what is wrong with them. */
export function useMrzInput(initial = ''): MrzInput {
  const [text, setText] = useState(initial);
  const lines = mrzLinesOf(text);
  return { text, setText, lines, problem: mrzLineCountProblem(lines) };
}

/**
 * The optional MRZ lines of an upload form (a comparison, a verification
 * request): typed as printed, checked for shape as they are typed, the
 * problem shown in place of the hint. `children` go below (e.g. a check
 * against the API).
 */
export function MrzLinesField({
  input,
  label,
  hint,
  rows = 3,
  disabled,
  children,
}: {
  input: MrzInput;
  label: string;
  hint: string;
  rows?: number;
  disabled?: boolean;
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="field field--wide">
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      <textarea
        id={id}
        className="mrz-input"
        rows={rows}
        value={input.text}
        onChange={(e) => input.setText(e.target.value)}
        disabled={disabled}
        spellCheck={false}
        autoCapitalize="characters"
        aria-describedby={`${id}-hint`}
        aria-invalid={input.problem ? true : undefined}
      />
      <span id={`${id}-hint`} className={input.problem ? 'field__error' : 'field__hint'}>
        {input.problem ?? hint}
      </span>
      {children}
    </div>
  );
}
