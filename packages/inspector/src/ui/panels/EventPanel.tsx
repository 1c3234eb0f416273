import type { ReactNode } from 'react';
import type { WireEvent } from '../../protocol/index.ts';
import { dataOf, useMethod } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { CausationGraph } from './CausationGraph.tsx';
import { isoTime } from './format.ts';
import { ValueView } from './ValueView.tsx';

/**
 * The selected event: its envelope, its payload, and why it happened (the causation chain up
 * to the input) and what it caused (its consequences), drawn as a graph.
 */
export function EventPanel(props: { readonly seq: number | null }): ReactNode {
  const [, update] = useSelection();
  const request = useMethod('event', props.seq === null ? null : { seq: props.seq });
  const detail = dataOf(request);
  if (props.seq === null) return <p className="empty">Select an event in the timeline.</p>;
  if (request.status === 'failed') {
    return (
      <p className="error" role="alert">
        {request.error.message}
      </p>
    );
  }
  if (detail === undefined) return <p className="empty">Loading event {props.seq}…</p>;
  const { event } = detail;
  const select = (seq: number): void => update((s) => ({ ...s, seq }));
  return (
    <div className="event-panel">
      <section aria-label="Envelope" className="section">
        <h2 className="section-title">
          {event.type} <span className="muted">v{event.version}</span>
        </h2>
        <Envelope
          event={event}
          onEntity={(entity) => update((s) => ({ ...s, tab: 'entity', entity }))}
          onFilter={(filter) => update((s) => ({ ...s, filter }))}
        />
      </section>
      <section aria-label="Payload" className="section">
        <h3 className="section-title">Payload</h3>
        <ValueView value={event.data as unknown} label="Payload" />
      </section>
      <section aria-label="Causation" className="section">
        <h3 className="section-title">
          Causation{' '}
          <span className="muted small">
            {plural(detail.causes.length, 'cause')} up to the input ·{' '}
            {plural(countNodes(detail.consequences), 'consequence')}
          </span>
        </h3>
        <CausationGraph detail={detail} onSelect={select} />
      </section>
    </div>
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function countNodes(nodes: EventDetailNodes): number {
  let n = 0;
  for (const node of nodes) n += 1 + countNodes(node.children);
  return n;
}
type EventDetailNodes = readonly { readonly children: EventDetailNodes }[];

function Envelope(props: {
  readonly event: WireEvent;
  readonly onEntity: (entity: string) => void;
  readonly onFilter: (filter: { correlation: string }) => void;
}): ReactNode {
  const { event } = props;
  const rows: [string, ReactNode][] = [
    ['seq', event.seq],
    ['tick', event.tick],
    ['id', event.id],
    [
      'entity',
      <button key="e" type="button" className="link" onClick={() => props.onEntity(event.entity)}>
        {event.entity}
      </button>,
    ],
    ['at', `${isoTime(event.at)} (${event.at})`],
    ['causation', event.causation ?? '— (input)'],
    [
      'correlation',
      <button
        key="c"
        type="button"
        className="link"
        title="Show this chain's events"
        onClick={() => props.onFilter({ correlation: event.correlation })}
      >
        {event.correlation}
      </button>,
    ],
    ['actor', event.actor],
  ];
  return (
    <dl className="envelope mono">
      {rows.map(([name, value]) => (
        <div key={name} className="envelope-row">
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
