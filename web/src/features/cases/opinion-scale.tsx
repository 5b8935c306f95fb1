import { OPINIONS, type Opinion } from './api';

/** The whole opinion scale with the case's opinion marked, so a reader sees where it sits between the two ends. */
export function OpinionScale({ opinion }: { opinion: Opinion }) {
  return (
    <ol className="opinion-scale" aria-label="Opinion scale">
      {OPINIONS.map((o) => (
        <li key={o.id} className={`opinion-scale__step ${o.id === opinion ? 'opinion-scale__step--current' : ''}`} aria-current={o.id === opinion ? 'step' : undefined}>
          <span className="opinion-scale__label">{o.label}</span>
          {o.id === opinion && <span className="visually-hidden"> (this case)</span>}
        </li>
      ))}
    </ol>
  );
}
