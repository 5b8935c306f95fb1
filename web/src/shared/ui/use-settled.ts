import { useEffect, useState } from 'react';

/**
 * `value` once it has stayed the same for `pauseMs` (typing paused): what a
 * search as the user types asks the API for, so that each key pressed is
 * not a request. An emptied value settles at once: clearing a search box
 * shows the whole list again without waiting.
 */
export function useSettled(value: string, pauseMs: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (value === '') {
      setSettled('');
      return;
    }
    const timer = setTimeout(() => setSettled(value), pauseMs);
    return () => clearTimeout(timer);
  }, [value, pauseMs]);
  return settled;
}
