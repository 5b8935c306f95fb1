import { useEffect } from 'react';
import { lightLabel } from '../../shared/vocabulary';

/** True when a key press belongs to a text field or control that uses digits itself. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
  }
  return false;
}

export interface LightSwitcherProps {
  lights: string[];
  current: string;
  onChange: (light: string) => void;
  /** Number keys 1..9 pick a light (default on); turn off where another control owns the digits. */
  hotkeys?: boolean;
  label?: string;
}

/** Buttons for the light sources of a capture; keys 1..9 pick the n-th. */
export function LightSwitcher({ lights, current, onChange, hotkeys = true, label = 'Light source' }: LightSwitcherProps) {
  useEffect(() => {
    if (!hotkeys) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      if (!/^[1-9]$/.test(e.key)) return;
      const light = lights[Number(e.key) - 1];
      if (light) {
        e.preventDefault();
        onChange(light);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [hotkeys, lights, onChange]);

  return (
    <div className="light-switcher" role="group" aria-label={label}>
      {lights.map((light, i) => (
        <button
          key={light}
          type="button"
          className={`light-button light-button--${light.split('-')[0]}`}
          aria-pressed={light === current}
          aria-keyshortcuts={hotkeys && i < 9 ? String(i + 1) : undefined}
          onClick={() => onChange(light)}
        >
          {hotkeys && i < 9 && (
            <kbd className="light-button__key" aria-hidden="true">
              {i + 1}
            </kbd>
          )}
          {lightLabel(light)}
        </button>
      ))}
    </div>
  );
}
