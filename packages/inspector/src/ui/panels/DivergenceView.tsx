import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { ComparisonResult } from '../../protocol/index.ts';
import { useAgent } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { previewOf } from '../../state-tree/tree-rows.ts';
import { count } from './format.ts';

type Divergence = Extract<ComparisonResult, { ok: false }>['divergence'];
type Envelope = NonNullable<NonNullable<Divergence['event']>['a']>;

const REEXECUTION = 'reexecution';

const REASONS: Readonly<Record<Divergence['reason'], string>> = {
  hash: 'the state hashes differ',
  events: 'the events differ (same state hash)',
  commit: 'the commit records differ',
  'missing-tick': 'one log has the tick, the other does not',
  failed: 'one side could not run the tick',
};

/**
 * Two logs side by side: this one and another store (two peers of a lockstep run), or this one
 * and its re-execution. Shows the first divergent tick, the commit records, the first differing
 * event field by field, and the differing state paths.
 */
export function DivergenceView(props: {
  readonly canVerify: boolean;
  /** The logs the agent may open to compare with (it refuses any other). */
  readonly compareWith: readonly string[];
}): ReactNode {
  const client = useAgent();
  const [selection, update] = useSelection();
  const [other, setOther] = useState(
    selection.compare === REEXECUTION ? '' : (selection.compare ?? ''),
  );
  const [result, setResult] = useState<ComparisonResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const target = selection.compare;
  useEffect(
    () =>
      client.on('verifyProgress', (p) =>
        setProgress(`${count(p.ticks)} / ${count(p.ofTicks)} ticks`),
      ),
    [client],
  );
  useEffect(() => {
    if (target === null) return;
    let live = true;
    setResult(null);
    setError(null);
    setProgress(null);
    const call =
      target === REEXECUTION
        ? client.call('verify', {})
        : client.call('compare', { other: target });
    call.then(
      (r) => live && setResult(r),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [client, target]);
  const compare = (event: FormEvent): void => {
    event.preventDefault();
    const url = other.trim();
    if (url !== '') update((s) => ({ ...s, compare: url }));
  };
  return (
    <div className="divergence-view">
      <form className="panel-toolbar" onSubmit={compare}>
        <input
          id="compare-url"
          className="text-input mono wide"
          aria-label="Other log (store URL)"
          list="compare-targets"
          placeholder={
            props.compareWith.length === 0
              ? 'no other log: start the inspector with --compare <store-url>'
              : `other log: ${props.compareWith.join(', ')}`
          }
          value={other}
          onChange={(e) => setOther(e.target.value)}
          spellCheck={false}
        />
        <datalist id="compare-targets">
          {props.compareWith.map((url) => (
            <option key={url} value={url} />
          ))}
        </datalist>
        <button type="submit" className="button primary">
          Compare
        </button>
        <button
          type="button"
          className="button"
          disabled={!props.canVerify}
          title={
            props.canVerify
              ? 'Re-execute the inputs and compare'
              : 'The agent has no makeSystem to re-execute with'
          }
          onClick={() => update((s) => ({ ...s, compare: REEXECUTION }))}
        >
          Re-execute this log
        </button>
      </form>
      {target !== null && result === null && error === null && (
        <p className="muted" aria-live="polite">
          Comparing… {progress}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result?.ok === true && (
        <p className="verdict ok" role="status">
          No divergence: {count(result.ticks)} ticks and {count(result.events)} events agree.
        </p>
      )}
      {result?.ok === false && (
        <DivergenceReport
          divergence={result.divergence}
          onSeq={(seq) => update((s) => ({ ...s, seq, tab: 'event' }))}
        />
      )}
      {target === null && (
        <p className="empty">
          Name another log to compare with this one, tick by tick (one of those the inspector was
          started with), or re-execute this log&apos;s inputs.
        </p>
      )}
    </div>
  );
}

function DivergenceReport(props: {
  readonly divergence: Divergence;
  readonly onSeq: (seq: number) => void;
}): ReactNode {
  const d = props.divergence;
  const [a, b] = d.sides;
  const commitFields = new Set<string>(d.commitFields);
  const eventFields = new Set<string>(d.event?.fields ?? []);
  return (
    <div className="divergence-report">
      <p className="verdict bad" role="status">
        First divergence at <b>tick {d.tick}</b>
        {d.seq !== null && (
          <>
            {' '}
            (seq{' '}
            <button type="button" className="link" onClick={() => props.onSeq(d.seq ?? 0)}>
              {d.seq}
            </button>
            )
          </>
        )}
        : {REASONS[d.reason]}.{d.error !== null && <span className="mono"> {d.error}</span>}
      </p>
      <div className="side-by-side" data-testid="divergence-sides">
        <h3 className="section-title">{a}</h3>
        <h3 className="section-title">{b}</h3>
        <CommitCard commit={d.commits.a} differing={commitFields} />
        <CommitCard commit={d.commits.b} differing={commitFields} />
        {d.event !== null && (
          <>
            <EventCard event={d.event.a} differing={eventFields} />
            <EventCard event={d.event.b} differing={eventFields} />
          </>
        )}
      </div>
      {d.event !== null && d.event.data.length > 0 && (
        <PathTable title="Payload paths that differ" sides={d.sides} paths={d.event.data} />
      )}
      {d.state?.ok === true && d.state.paths.length > 0 && (
        <PathTable
          title={`State paths that differ after tick ${d.tick}`}
          sides={d.sides}
          paths={d.state.paths}
        />
      )}
      {d.state?.ok === false && (
        <p className="error">States could not be compared: {d.state.error}</p>
      )}
    </div>
  );
}

function CommitCard(props: {
  readonly commit: Divergence['commits']['a'];
  readonly differing: ReadonlySet<string>;
}): ReactNode {
  if (props.commit === null) return <div className="card muted">no such tick</div>;
  const c = props.commit;
  const fields: [string, string | number][] = [
    ['tick', c.tick],
    ['at', c.at],
    ['firstSeq', c.firstSeq],
    ['lastSeq', c.lastSeq],
    ['lastInput', c.lastInput],
    ['hash', c.hash],
  ];
  return (
    <dl className="card envelope mono">
      {fields.map(([name, value]) => (
        <div
          key={name}
          className={props.differing.has(name) ? 'envelope-row differs' : 'envelope-row'}
        >
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function EventCard(props: {
  readonly event: Envelope | null;
  readonly differing: ReadonlySet<string>;
}): ReactNode {
  if (props.event === null) return <div className="card muted">no event at this seq</div>;
  const e = props.event;
  const fields: [string, string][] = [
    ['seq', String(e.seq)],
    ['type', `${e.type} v${e.version}`],
    ['id', e.id],
    ['entity', e.entity],
    ['causation', e.causation ?? '—'],
    ['actor', e.actor],
    ['data', previewOf(e.data)],
  ];
  return (
    <dl className="card envelope mono">
      {fields.map(([name, value]) => (
        <div
          key={name}
          className={
            props.differing.has(name === 'type' ? 'type' : name)
              ? 'envelope-row differs'
              : 'envelope-row'
          }
        >
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function PathTable(props: {
  readonly title: string;
  readonly sides: readonly [string, string];
  readonly paths: readonly { readonly path: string; readonly a: unknown; readonly b: unknown }[];
}): ReactNode {
  return (
    <section className="section">
      <h3 className="section-title">{props.title}</h3>
      <table className="grid" aria-label={props.title}>
        <thead>
          <tr>
            <th>path</th>
            <th className="side-name">{props.sides[0]}</th>
            <th className="side-name">{props.sides[1]}</th>
          </tr>
        </thead>
        <tbody>
          {props.paths.map((p) => (
            <tr key={p.path}>
              <td className="mono">{p.path}</td>
              <td className="mono side-a">{p.a === undefined ? '(absent)' : previewOf(p.a)}</td>
              <td className="mono side-b">{p.b === undefined ? '(absent)' : previewOf(p.b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
