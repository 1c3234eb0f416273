import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { StatePath } from '../../protocol/index.ts';
import type { ChangedPaths } from '../../state-tree/state-diff.ts';
import {
  formatPath,
  isBranch,
  pathKey,
  visibleRows,
  WINDOW_ENTRIES,
  type BranchLoader,
  type TreeRow,
  type WindowLookup,
} from '../../state-tree/tree-rows.ts';

const ROW_HEIGHT = 20;

/**
 * The state as a virtualised tree: only visible rows are drawn, so a table of 100,000 entities
 * opens instantly. ↑/↓ move, → opens, ← closes, Enter opens the value's path history.
 */
export function StateTree(props: {
  readonly value: unknown;
  /** Branches the agent left out and that were fetched since. */
  readonly loaded: BranchLoader;
  /** Branches the agent sent part of, with what was fetched of them. */
  readonly windows?: WindowLookup;
  /** Fetches the next entries of a branch the agent sent part of. */
  readonly onShowMore?: (branch: StatePath) => void;
  readonly open: ReadonlySet<string>;
  readonly changed: ChangedPaths;
  readonly matches: ReadonlySet<string>;
  readonly onToggle: (path: StatePath) => void;
  readonly onOpenHistory: (path: StatePath) => void;
  /** A row to bring into view (the first search match). */
  readonly focusPath: StatePath | null;
}): ReactNode {
  const rows = useMemo(
    () => visibleRows(props.value, props.open, props.loaded, props.windows),
    [props.value, props.open, props.loaded, props.windows],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const focusKey = props.focusPath === null ? null : pathKey(props.focusPath);
  useEffect(() => {
    if (focusKey === null) return;
    const index = rows.findIndex((r) => pathKey(r.path) === focusKey);
    if (index >= 0) {
      setActive(index);
      virtualizer.scrollToIndex(index, { align: 'center' });
    }
  }, [focusKey, rows, virtualizer]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const row = rows[active];
    const go = (index: number): void => {
      const next = Math.max(0, Math.min(rows.length - 1, index));
      setActive(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    };
    switch (event.key) {
      case 'ArrowDown':
        go(active + 1);
        break;
      case 'ArrowUp':
        go(active - 1);
        break;
      case 'ArrowRight':
        if (row !== undefined && isBranch(row.kind) && !row.expanded) props.onToggle(row.path);
        else go(active + 1);
        break;
      case 'ArrowLeft':
        if (row !== undefined && row.expanded) props.onToggle(row.path);
        else if (row !== undefined && row.path.length > 1) {
          const parent = pathKey(row.path.slice(0, -1));
          go(rows.findIndex((r) => pathKey(r.path) === parent));
        }
        break;
      case 'Enter':
        if (row?.more !== undefined) props.onShowMore?.(row.more.branch);
        else if (row !== undefined) props.onOpenHistory(row.path);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <div
      ref={scroller}
      className="state-tree"
      role="tree"
      aria-label="State"
      tabIndex={0}
      onKeyDown={onKeyDown}
      aria-activedescendant={rows[active] === undefined ? undefined : `state-row-${active}`}
      data-testid="state-tree"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (row === undefined) return null;
          if (row.more !== undefined) {
            const { branch } = row.more;
            return (
              <MoreRow
                key={item.key}
                id={`state-row-${item.index}`}
                row={row}
                top={item.start}
                active={item.index === active}
                onShowMore={() => props.onShowMore?.(branch)}
                onActivate={() => setActive(item.index)}
              />
            );
          }
          return (
            <StateRow
              key={item.key}
              id={`state-row-${item.index}`}
              row={row}
              top={item.start}
              active={item.index === active}
              changed={props.changed}
              matched={props.matches.has(pathKey(row.path))}
              onToggle={props.onToggle}
              onOpenHistory={props.onOpenHistory}
              onActivate={() => setActive(item.index)}
            />
          );
        })}
      </div>
      {rows.length === 0 && <p className="empty">The state is empty.</p>}
    </div>
  );
}

/** The row after the entries of a branch the agent sent part of: how many are left, and a button for more. */
function MoreRow(props: {
  readonly id: string;
  readonly row: TreeRow;
  readonly top: number;
  readonly active: boolean;
  readonly onShowMore: () => void;
  readonly onActivate: () => void;
}): ReactNode {
  const { row } = props;
  return (
    <div
      id={props.id}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={props.active}
      className={props.active ? 'state-row more-row active' : 'state-row more-row'}
      style={{ transform: `translateY(${props.top}px)`, paddingLeft: 8 + row.depth * 14 + 18 }}
      onClick={props.onActivate}
    >
      <span className="muted">{row.preview}</span>
      <button
        type="button"
        tabIndex={-1}
        className="link"
        onClick={props.onShowMore}
        title="Fetch the next entries of this branch (Enter)"
      >
        show {Math.min(row.size, WINDOW_ENTRIES).toLocaleString('en-US')} more
      </button>
    </div>
  );
}

function StateRow(props: {
  readonly id: string;
  readonly row: TreeRow;
  readonly top: number;
  readonly active: boolean;
  readonly changed: ChangedPaths;
  readonly matched: boolean;
  readonly onToggle: (path: StatePath) => void;
  readonly onOpenHistory: (path: StatePath) => void;
  readonly onActivate: () => void;
}): ReactNode {
  const { row } = props;
  const key = pathKey(row.path);
  const classes = ['state-row'];
  if (props.changed.exact.has(key)) classes.push('changed');
  else if (props.changed.within.has(key)) classes.push('changed-within');
  if (props.matched) classes.push('matched');
  if (props.active) classes.push('active');
  const branch = isBranch(row.kind);
  return (
    <div
      id={props.id}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-expanded={branch ? row.expanded : undefined}
      aria-selected={props.active}
      className={classes.join(' ')}
      style={{ transform: `translateY(${props.top}px)`, paddingLeft: 8 + row.depth * 14 }}
      data-path={formatPath(row.path)}
      onClick={props.onActivate}
    >
      <button
        type="button"
        tabIndex={-1}
        className="caret"
        aria-hidden="true"
        style={{ visibility: branch ? 'visible' : 'hidden' }}
        onClick={() => props.onToggle(row.path)}
      >
        {row.expanded ? '▾' : '▸'}
      </button>
      <span
        className="state-key mono"
        onClick={branch ? () => props.onToggle(row.path) : undefined}
      >
        {row.key}
      </span>
      <span className="colon">:</span>
      <button
        type="button"
        tabIndex={-1}
        className={`state-value mono kind-${row.kind}`}
        title={`History of ${formatPath(row.path)}`}
        onClick={() => props.onOpenHistory(row.path)}
      >
        {branch ? (row.expanded ? '' : row.preview) : row.preview}
      </button>
      {branch && (
        <span className="size muted">
          {row.kind === 'array' ? `[${row.size}]` : `{${row.size}}`}
        </span>
      )}
    </div>
  );
}
