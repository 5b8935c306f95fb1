/**
 * A small external store: state changes only through named commands
 * (a reducer over command objects), and components read slices of it with
 * `useStoreSelector`. Hot paths (viewers following a synced pan) subscribe
 * directly and apply changes without a React render.
 */
import { useSyncExternalStore } from 'react';

export interface Store<S, C> {
  getState(): S;
  dispatch(command: C): void;
  subscribe(listener: (state: S, previous: S) => void): () => void;
}

export function createStore<S, C>(reducer: (state: S, command: C) => S, initial: S): Store<S, C> {
  let state = initial;
  const listeners = new Set<(state: S, previous: S) => void>();
  return {
    getState: () => state,
    dispatch(command) {
      const previous = state;
      const next = reducer(state, command);
      if (next === previous) return;
      state = next;
      for (const listener of [...listeners]) listener(state, previous);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Re-renders when the selected slice changes (by `Object.is`); select primitives or stable objects. */
export function useStoreSelector<S, C, T>(store: Store<S, C>, selector: (state: S) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}
