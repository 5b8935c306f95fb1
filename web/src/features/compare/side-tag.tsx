import type { Side } from './store';

export const SIDE_LABELS: Record<Side, string> = { reference: 'Reference', questioned: 'Questioned' };

/** The label that marks an image as reference or questioned, in that side's colour, in every mode. */
export function SideTag({ side, title, extra, position = 'left' }: { side: Side; title?: string; extra?: string; position?: 'left' | 'right' | 'center' }) {
  return (
    <span className={`side-tag side-tag--${side} side-tag--${position}`} data-side={side}>
      <span className="side-tag__swatch" aria-hidden="true" />
      <strong>{SIDE_LABELS[side]}</strong>
      {title && <span className="side-tag__title">{title}</span>}
      {extra && <span className="side-tag__extra">{extra}</span>}
    </span>
  );
}
