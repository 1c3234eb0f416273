import { useEffect, useState, type ReactNode } from 'react';
import type { PathChange, StatePath } from '../../protocol/index.ts';
import { useAgent } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { formatPath, previewOf } from '../../state-tree/tree-rows.ts';
import { count } from './format.ts';

/**
 * Path history: every event that changed one value (or anything under it), oldest first, with
 * the value before and after. Clicking a change travels to it.
 */
export function PathHistory(props: {
  readonly path: StatePath | null;
  readonly seq: number | null;
}): ReactNode {
  const client = useAgent();
  const [, update] = useSelection();
  const [changes, setChanges] = useState<readonly PathChange[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [indexedSeq, setIndexedSeq] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const pathText = props.path === null ? null : JSON.stringify(props.path);

  const load = (cursor: number | undefined, reset: boolean): void => {
    if (pathText === null) return;
    const path = JSON.parse(pathText) as StatePath;
    setLoading(true);
    const params = cursor === undefined ? { path, limit: 500 } : { path, cursor, limit: 500 };
    client.call('pathHistory', params).then(
      (page) => {
        setChanges((prev) => (reset ? page.changes : [...prev, ...page.changes]));
        setNext(page.next);
        setIndexedSeq(page.indexedSeq);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    setChanges([]);
    setNext(null);
    load(undefined, true);
    // Reloaded when the path changes; `load` reads the path from `pathText`.
  }, [client, pathText]);

  if (props.path === null) {
    return (
      <p className="empty">
        Click a value in the state panel (or press Enter on its row) to see every event that changed
        it.
      </p>
    );
  }
  return (
    <div className="path-history">
      <div className="panel-toolbar">
        <span className="panel-title">
          History of <code className="path">{formatPath(props.path)}</code>
        </span>
        <span className="muted small" aria-live="polite">
          {loading
            ? 'loading…'
            : `${count(changes.length)}${next === null ? '' : '+'} change${changes.length === 1 ? '' : 's'}`}
          {indexedSeq !== null && ` · indexed to seq ${count(indexedSeq)}`}
        </span>
      </div>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="grid" aria-label={`Changes of ${formatPath(props.path)}`}>
        <thead>
          <tr>
            <th className="num">seq</th>
            <th className="num">tick</th>
            <th>event</th>
            <th>actor</th>
            <th>before</th>
            <th>after</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr
              key={change.seq}
              className={change.seq === props.seq ? 'selected' : undefined}
              onClick={() => update((s) => ({ ...s, seq: change.seq }))}
              tabIndex={0}
              onKeyDown={(e) => {
                if (e.key === 'Enter') update((s) => ({ ...s, seq: change.seq }));
              }}
            >
              <td className="num mono">{change.seq}</td>
              <td className="num mono">{change.tick}</td>
              <td>{change.type}</td>
              <td className="muted">{change.actor}</td>
              <td className="mono removed">
                {change.existedBefore ? previewOf(change.before) : '(absent)'}
              </td>
              <td className="mono added">
                {change.existsAfter ? previewOf(change.after) : '(absent)'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && changes.length === 0 && error === null && (
        <p className="empty">No event changed this value (up to the indexed seq).</p>
      )}
      {next !== null && (
        <button
          type="button"
          className="button"
          onClick={() => load(next, false)}
          disabled={loading}
        >
          Load more
        </button>
      )}
    </div>
  );
}
