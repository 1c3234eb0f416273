import { useCallback, useSyncExternalStore } from 'react';
import { selectionFromHash, selectionToHash, type Selection } from './url-selection.ts';

// The URL fragment is the one source of truth for the selection: every panel reads it, every
// change writes it, so a copied address always reopens the same moment.
let current: Selection = selectionFromHash(window.location.hash);
const listeners = new Set<() => void>();

function publish(next: Selection): void {
  current = next;
  for (const listener of listeners) listener();
}

window.addEventListener('hashchange', () => {
  publish(selectionFromHash(window.location.hash));
});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Changes the selection and writes it to the address bar (without a history entry per step). */
export function updateSelection(change: (selection: Selection) => Selection): void {
  const next = change(current);
  if (next === current) return;
  const hash = selectionToHash(next);
  const url = `${window.location.pathname}${window.location.search}${hash}`;
  window.history.replaceState(null, '', url);
  publish(next);
}

/** The current selection and a function to change it. */
export function useSelection(): readonly [
  Selection,
  (change: (selection: Selection) => Selection) => void,
] {
  const selection = useSyncExternalStore(subscribe, () => current);
  const update = useCallback((change: (selection: Selection) => Selection) => {
    updateSelection(change);
  }, []);
  return [selection, update] as const;
}
