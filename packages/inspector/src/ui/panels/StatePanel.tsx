import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { StateAt, StateDiff, StatePath } from '../../protocol/index.ts';
import { cachedCall, dataOf, useAgent, useMethod } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { changedPaths } from '../../state-tree/state-diff.ts';
import {
  branchesToLoad,
  formatPath,
  pathKey,
  previewOf,
  windowsOf,
  WINDOW_ENTRIES,
  type BranchLoader,
  type BranchWindow,
  type WindowLookup,
} from '../../state-tree/tree-rows.ts';
import { StateTree } from './StateTree.tsx';

type Mode = 'tree' | 'diff';

// Diffs and automatic opening of changed branches stay readable up to this many changes.
const AUTO_EXPAND_CHANGES = 50;
// Levels of the state sent at once below the asked path (see the `stateAt` method): tables,
// their entities, and the entities' component values, which are small in an ECS state.
const TREE_DEPTH = 3;
const TREE_WIDTH = WINDOW_ENTRIES;
// A search is asked of the agent once typing pauses this long.
const SEARCH_DELAY_MS = 200;

/** `value`, once it has stayed the same for `ms` (at once when it becomes empty). */
function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (value === '') {
      setSettled('');
      return;
    }
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
// Open branches fetched at once; more are fetched as these arrive.
const MAX_BRANCH_FETCHES = 16;

/**
 * The state after the selected event, as a tree: the paths the event changed are highlighted,
 * a search finds keys and values, a diff lists what changed against the previous event or a
 * pinned point. Clicking a value (or Enter on its row) opens its path history.
 */
export function StatePanel(props: {
  readonly seq: number | null;
  readonly available: boolean;
}): ReactNode {
  const { seq } = props;
  const [selection, update] = useSelection();
  const [mode, setMode] = useState<Mode>('tree');
  const [pinned, setPinned] = useState<number | null>(null);
  const [opened, setOpened] = useState<ReadonlySet<string>>(() => new Set());
  const [closed, setClosed] = useState<ReadonlySet<string>>(() => new Set());
  const query = selection.stateQuery;
  // The tree asks for three levels (tables, entities, components) and the first 200 entries of
  // each, fetches deeper branches as they open and further entries as asked, so a state of
  // 100,000 entities arrives as fast as a small one. A search runs in the agent, which sends
  // the state cut down to the entries holding a match; a diff runs there too, and sends the
  // changed paths.
  const searching = useDebounced(query.trim(), SEARCH_DELAY_MS);
  const live = seq !== null && props.available;
  const state = useMethod(
    'stateAt',
    live && searching === '' && mode === 'tree'
      ? { seq, depth: TREE_DEPTH, width: TREE_WIDTH }
      : null,
  );
  const found = useMethod(
    'searchState',
    live && searching !== '' && mode === 'tree' ? { seq, query: searching } : null,
  );
  const patches = useMethod('patches', seq === null || !props.available ? null : { seq });
  const baseSeq = pinned ?? (seq === null ? null : seq - 1);
  const differences = useMethod(
    'diffStates',
    live && mode === 'diff' && baseSeq !== null && baseSeq >= 0 ? { seq, base: baseSeq } : null,
  );
  const searchAnswer = dataOf(found);
  const treeAnswer: StateAt | undefined = useMemo(() => {
    if (searching !== '') {
      return searchAnswer === undefined
        ? undefined
        : {
            seq: searchAnswer.seq,
            path: [],
            exists: true,
            value: searchAnswer.state,
            windows: searchAnswer.windows,
          };
    }
    return dataOf(state);
  }, [searching, searchAnswer, state]);
  const value = treeAnswer?.value;
  const search = useMemo(() => {
    const matches = searching === '' ? [] : (searchAnswer?.matches ?? []);
    // Every ancestor of a match opens, as every ancestor of a change does.
    const toExpand = changedPaths(matches.map((m) => m.path)).within;
    return { matches, truncated: searchAnswer?.truncated ?? false, toExpand };
  }, [searching, searchAnswer]);
  const changed = useMemo(() => {
    const set = dataOf(patches);
    return changedPaths(set === undefined || set.seq !== seq ? [] : set.patches.map((p) => p.path));
  }, [patches, seq]);
  const autoOpen = search.toExpand;
  // Branches holding a change open by themselves and stay open while the user steps on, so the
  // value being watched does not vanish when the next event changes something else.
  useEffect(() => {
    if (changed.exact.size === 0 || changed.exact.size > AUTO_EXPAND_CHANGES) return;
    setOpened((prev) => {
      const fresh = [...changed.within].filter((key) => !prev.has(key) && !closed.has(key));
      return fresh.length === 0 ? prev : new Set([...prev, ...fresh]);
    });
  }, [changed, closed]);
  const diff = mode === 'diff' ? (dataOf(differences) ?? null) : null;
  const failure =
    [state, found, differences].find((request) => request.status === 'failed')?.error ?? null;
  const matchKeys = useMemo(() => new Set(search.matches.map((m) => pathKey(m.path))), [search]);

  const openHistory = (path: StatePath): void => update((s) => ({ ...s, tab: 'history', path }));
  // A branch is open when the user (or a change) opened it, or when a search match lies inside
  // it and the user has not closed it.
  const open = useMemo(() => {
    const set = new Set(opened);
    for (const key of autoOpen) if (!closed.has(key)) set.add(key);
    return set;
  }, [opened, closed, autoOpen]);
  const [windows, showMore] = useWindows(treeAnswer, searching);
  const branches = useBranches(seq, value, open, windows.add, windows.lookup);
  const toggle = (path: StatePath): void => {
    const key = pathKey(path);
    const isOpen = open.has(key);
    const without = (prev: ReadonlySet<string>): ReadonlySet<string> => {
      const next = new Set(prev);
      next.delete(key);
      return next;
    };
    const withKey = (prev: ReadonlySet<string>): ReadonlySet<string> => new Set(prev).add(key);
    setOpened(isOpen ? without : withKey);
    setClosed(isOpen ? withKey : without);
  };

  if (!props.available) {
    return (
      <p className="empty">
        This agent cannot compute states: it serves a store without the application's appliers.
        Attach to the running app, or open the store with its application module.
      </p>
    );
  }
  if (seq === null) {
    return <p className="empty">Select an event to see the state after it.</p>;
  }
  return (
    <div className="state-panel">
      <div className="panel-toolbar">
        <input
          id="state-search"
          className="text-input search"
          placeholder="Search keys and values  ( / )"
          aria-label="Search inside state"
          value={query}
          onChange={(e) => {
            const stateQuery = e.target.value;
            update((s) => ({ ...s, stateQuery }));
          }}
          spellCheck={false}
        />
        <span className="muted small" aria-live="polite">
          {query === ''
            ? `after seq ${seq}`
            : `${search.matches.length}${search.truncated ? '+' : ''} match${search.matches.length === 1 ? '' : 'es'}`}
        </span>
        <span className="segmented" role="group" aria-label="View">
          <button
            type="button"
            className={mode === 'tree' ? 'active' : ''}
            aria-pressed={mode === 'tree'}
            onClick={() => setMode('tree')}
          >
            Tree
          </button>
          <button
            type="button"
            className={mode === 'diff' ? 'active' : ''}
            aria-pressed={mode === 'diff'}
            onClick={() => setMode('diff')}
          >
            Diff
          </button>
        </span>
        <button
          type="button"
          className={pinned === null ? 'button' : 'button active'}
          onClick={() => setPinned(pinned === null ? seq : null)}
          title="Pin this point and diff later points against it"
        >
          {pinned === null ? 'Pin' : `Pinned #${pinned}`}
        </button>
      </div>
      {failure !== null && (
        <p className="error" role="alert">
          {failure.message}
        </p>
      )}
      {mode === 'tree' ? (
        value === undefined ? (
          <p className="empty">Loading the state after seq {seq}…</p>
        ) : (
          <StateTree
            value={value}
            open={open}
            loaded={branches}
            windows={windows.lookup}
            onShowMore={showMore}
            changed={changed}
            matches={matchKeys}
            onToggle={toggle}
            onOpenHistory={openHistory}
            focusPath={search.matches[0]?.path ?? null}
          />
        )
      ) : (
        <DiffList
          title={`seq ${baseSeq ?? '—'} → seq ${seq}`}
          diff={diff}
          onOpenHistory={openHistory}
        />
      )}
    </div>
  );
}

/**
 * Branches of the state fetched as they open: a lookup from path key to the branch's value
 * after `seq`, filled in as answers arrive.
 */
function useBranches(
  seq: number | null,
  value: unknown,
  open: ReadonlySet<string>,
  addWindows: (answer: StateAt) => void,
  windows: WindowLookup,
): BranchLoader {
  const client = useAgent();
  const [loaded, setLoaded] = useState<ReadonlyMap<string, unknown>>(() => new Map());
  const loader = useCallback<BranchLoader>((key) => loaded.get(`${seq}:${key}`), [loaded, seq]);
  useEffect(() => {
    if (seq === null || value === undefined) return;
    let live = true;
    for (const path of branchesToLoad(value, open, loader, windows).slice(0, MAX_BRANCH_FETCHES)) {
      cachedCall(client, 'stateAt', { seq, path, depth: TREE_DEPTH, width: TREE_WIDTH }).then(
        (answer) => {
          if (!live) return;
          addWindows(answer);
          setLoaded((prev) => {
            // Only the selected point's branches are kept; others come back from the cache.
            const next = new Map([...prev].filter(([key]) => key.startsWith(`${seq}:`)));
            return next.set(`${seq}:${pathKey(path)}`, answer.value);
          });
        },
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [client, seq, value, open, loader, windows, addWindows]);
  return loader;
}

/**
 * The branches the agent sent part of (`stateAt`'s windows), for the answer on screen and the
 * branches fetched since, with the entries fetched as the user asks for more; and the function
 * that fetches a branch's next entries.
 */
function useWindows(
  answer: StateAt | undefined,
  view: string,
): [
  { readonly lookup: WindowLookup; readonly add: (answer: StateAt) => void },
  (branch: StatePath) => void,
] {
  const client = useAgent();
  const seq = answer?.seq ?? null;
  const [known, setKnown] = useState<ReadonlyMap<string, BranchWindow>>(() => new Map());
  // Windows are kept per point and per view (the tree, or a search's cut-down state, where a
  // table holds only its matching entries).
  const add = useCallback(
    (next: StateAt): void => {
      if (next.windows.length === 0) return;
      const prefix = `${next.seq}:${JSON.stringify(view)}:`;
      setKnown((prev) => {
        // Only one point's and view's windows are kept: the answer's.
        const out = new Map([...prev].filter(([key]) => key.startsWith(prefix)));
        for (const [key, window] of windowsOf(next.path, next.value, next.windows)) {
          const id = `${prefix}${key}`;
          const had = out.get(id);
          // A later page of a branch adds to the entries fetched before it.
          const first = next.windows[0];
          if (
            had !== undefined &&
            first !== undefined &&
            first.offset > 0 &&
            first.offset === had.entries.length &&
            pathKey(first.path) === key
          )
            out.set(id, { size: window.size, entries: [...had.entries, ...window.entries] });
          else if (had === undefined || had.entries.length <= window.entries.length)
            out.set(id, window);
        }
        return out;
      });
    },
    [view],
  );
  useEffect(() => {
    if (answer !== undefined) add(answer);
  }, [answer, add]);
  const lookup = useCallback<WindowLookup>(
    (key) => known.get(`${seq}:${JSON.stringify(view)}:${key}`),
    [known, seq, view],
  );
  const showMore = useCallback(
    (branch: StatePath): void => {
      const window = lookup(pathKey(branch));
      if (seq === null || window === undefined) return;
      const offset = window.entries.length;
      cachedCall(client, 'stateAt', {
        seq,
        path: branch,
        depth: TREE_DEPTH,
        width: TREE_WIDTH,
        offset,
      }).then(add, () => undefined);
    },
    [client, seq, lookup, add],
  );
  return [useMemo(() => ({ lookup, add }), [lookup, add]), showMore];
}

function DiffList(props: {
  readonly title: string;
  readonly diff: StateDiff | null;
  readonly onOpenHistory: (path: StatePath) => void;
}): ReactNode {
  if (props.diff === null) return <p className="empty">Loading the states to compare…</p>;
  const { changes, truncated } = props.diff;
  return (
    <div className="diff-list" role="table" aria-label={`State diff ${props.title}`}>
      <div className="diff-title muted">
        {props.title}: {truncated ? 'the first ' : ''}
        {changes.length} path{changes.length === 1 ? '' : 's'} changed
      </div>
      {changes.map((change) => (
        <div key={pathKey(change.path)} className="diff-row" role="row">
          <button
            type="button"
            className="link mono"
            role="cell"
            onClick={() => props.onOpenHistory(change.path)}
          >
            {formatPath(change.path)}
          </button>
          <span className="mono removed" role="cell">
            {change.existedBefore ? previewOf(change.before) : '(absent)'}
          </span>
          <span className="arrow" aria-hidden="true">
            →
          </span>
          <span className="mono added" role="cell">
            {change.existsAfter ? previewOf(change.after) : '(absent)'}
          </span>
        </div>
      ))}
    </div>
  );
}
