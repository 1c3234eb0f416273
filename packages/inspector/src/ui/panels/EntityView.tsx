import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { EntityHistoryPage, EntityVersion } from '../../protocol/index.ts';
import { useAgent } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { diffStates } from '../../state-tree/state-diff.ts';
import { formatPath, previewOf } from '../../state-tree/tree-rows.ts';
import { count } from './format.ts';
import { ValueView } from './ValueView.tsx';

/** The version in force after `seq`: the last one at or before it. */
function versionAt(versions: readonly EntityVersion[], seq: number | null): number {
  if (seq === null) return versions.length - 1;
  let at = -1;
  for (let i = 0; i < versions.length; i++) if ((versions[i]?.seq ?? Infinity) <= seq) at = i;
  return at;
}

/**
 * One entity over time: every event that changed it, and its components after the one in force
 * at the selected point, with what that event changed.
 */
export function EntityView(props: { readonly seq: number | null }): ReactNode {
  const client = useAgent();
  const [selection, update] = useSelection();
  const entity = selection.entity;
  const [draft, setDraft] = useState(entity ?? '');
  const [versions, setVersions] = useState<readonly EntityVersion[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    setDraft(entity ?? '');
    setVersions([]);
    setError(null);
    if (entity === null) return;
    let live = true;
    setLoading(true);
    const collect = async (): Promise<void> => {
      const all: EntityVersion[] = [];
      let cursor: number | null = 0;
      // An entity's history is short next to the log; a few pages cover it.
      for (let pages = 0; cursor !== null && pages < 20 && live; pages++) {
        const page: EntityHistoryPage = await client.call(
          'entityHistory',
          cursor === 0 ? { entity, limit: 500 } : { entity, cursor, limit: 500 },
        );
        all.push(...page.versions);
        cursor = page.next;
      }
      if (live) setVersions(all);
    };
    collect().then(
      () => live && setLoading(false),
      (err: unknown) => {
        if (!live) return;
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [client, entity]);

  const open = (event: FormEvent): void => {
    event.preventDefault();
    const id = draft.trim();
    update((s) => ({ ...s, entity: id === '' ? null : id }));
  };
  const current = versionAt(versions, props.seq);
  const version = versions[current];
  const previous = versions[current - 1];
  const changes =
    version === undefined ? [] : diffStates(previous?.components ?? {}, version.components);
  return (
    <div className="entity-view">
      <form className="panel-toolbar" onSubmit={open}>
        <input
          className="text-input mono wide"
          aria-label="Entity id"
          placeholder="entity id (click an entity in the event panel)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          spellCheck={false}
        />
        <button type="submit" className="button">
          Show
        </button>
        {entity !== null && (
          <button
            type="button"
            className="button"
            onClick={() => update((s) => ({ ...s, filter: { entity } }))}
            title="Show only this entity's events in the timeline"
          >
            Filter timeline
          </button>
        )}
        <span className="muted small">
          {loading ? 'loading…' : entity === null ? '' : `${count(versions.length)} versions`}
        </span>
      </form>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {entity !== null && versions.length > 0 && (
        <div className="entity-split">
          <ol className="version-list" aria-label="Versions">
            {versions.map((v, i) => (
              <li key={v.seq}>
                <button
                  type="button"
                  className={i === current ? 'version active' : 'version'}
                  onClick={() => update((s) => ({ ...s, seq: v.seq }))}
                >
                  <span className="mono">#{v.seq}</span>
                  <span>{v.type}</span>
                  <span className="muted mono">t{v.tick}</span>
                </button>
              </li>
            ))}
          </ol>
          <div className="entity-components">
            {version === undefined ? (
              <p className="empty">The entity does not exist yet at seq {props.seq}.</p>
            ) : (
              <>
                <h3 className="section-title">
                  Components after #{version.seq} <span className="muted">{version.type}</span>
                </h3>
                <ValueView value={version.components} label="Components" />
                {changes.length > 0 && (
                  <>
                    <h3 className="section-title">Changed by this event</h3>
                    {changes.map((c) => (
                      <div key={formatPath(c.path)} className="diff-row compact">
                        <span className="mono">{formatPath(c.path)}</span>
                        <span className="mono removed">
                          {c.existedBefore ? previewOf(c.before) : '(absent)'}
                        </span>
                        <span className="arrow">→</span>
                        <span className="mono added">
                          {c.existsAfter ? previewOf(c.after) : '(absent)'}
                        </span>
                      </div>
                    ))}
                  </>
                )}
              </>
            )}
          </div>
        </div>
      )}
      {entity === null && (
        <p className="empty">Enter an entity id, or click one in the event panel.</p>
      )}
    </div>
  );
}
