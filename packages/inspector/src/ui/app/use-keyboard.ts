import { useEffect, useRef } from 'react';
import type { DetailTab } from '../selection/url-selection.ts';

/** What the global shortcuts do. */
export interface KeyboardActions {
  readonly stepBack: () => void;
  readonly stepForward: () => void;
  readonly first: () => void;
  readonly last: () => void;
  readonly togglePlay: () => void;
  readonly toggleFollow: () => void;
  readonly showTab: (tab: DetailTab) => void;
  readonly toggleHelp: () => void;
  /** The open tab: `/` searches inside it when it has a search field. */
  readonly tab: DetailTab;
}

const TAB_KEYS: Readonly<Record<string, DetailTab>> = {
  '1': 'state',
  '2': 'event',
  '3': 'entity',
  '4': 'history',
  '5': 'divergence',
  '6': 'activities',
};

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

/** Focuses the search field of the open panel, or the event search. */
export function focusSearch(tab: DetailTab): void {
  const inPanel = tab === 'state' ? document.getElementById('state-search') : null;
  const field = inPanel ?? document.getElementById('filter-text');
  if (field instanceof HTMLInputElement) {
    field.focus();
    field.select();
  }
}

/**
 * The global shortcuts: ←/→ step, Home/End jump, Space plays, `f` follows live, `/` searches,
 * 1–6 switch panels, `?` lists them. Keys typed into a field stay in the field (Escape leaves
 * it); lists that handle arrows themselves stop them before they get here.
 */
export function useKeyboard(actions: KeyboardActions): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const a = ref.current;
      if (isTyping(event.target)) {
        if (event.key === 'Escape' && event.target instanceof HTMLElement) event.target.blur();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      const tab = TAB_KEYS[event.key];
      if (tab !== undefined) {
        a.showTab(tab);
        event.preventDefault();
        return;
      }
      const run: Record<string, (() => void) | undefined> = {
        ArrowLeft: a.stepBack,
        ArrowRight: a.stepForward,
        Home: a.first,
        End: a.last,
        ' ': a.togglePlay,
        f: a.toggleFollow,
        '?': a.toggleHelp,
        '/': () => focusSearch(a.tab),
      };
      const action = run[event.key];
      if (action === undefined) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
