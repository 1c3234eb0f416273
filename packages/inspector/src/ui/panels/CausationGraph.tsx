import { useMemo, type ReactNode } from 'react';
import type { EventDetail } from '../../protocol/index.ts';
import { layoutCausation, NODE_HEIGHT, NODE_WIDTH } from './causation-layout.ts';
import { colourOfType } from './format.ts';

/**
 * The causation graph: the chain of causes from the input down to the selected event, and the
 * tree of events it caused, laid out top to bottom. Clicking a node travels to that event.
 */
export function CausationGraph(props: {
  readonly detail: EventDetail;
  readonly onSelect: (seq: number) => void;
}): ReactNode {
  const graph = useMemo(() => layoutCausation(props.detail), [props.detail]);
  return (
    <figure className="causation-graph" aria-label="Causation graph">
      <svg
        width={graph.width}
        height={graph.height}
        viewBox={`0 0 ${graph.width} ${graph.height}`}
        role="group"
        data-testid="causation-graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 8 8"
            refX="7"
            refY="4"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L8,4 L0,8 z" className="edge-head" />
          </marker>
        </defs>
        {graph.edges.map((edge) => (
          <polyline
            key={`${edge.from}-${edge.to}`}
            className="edge"
            points={edge.points.map((p) => `${p.x},${p.y}`).join(' ')}
            markerEnd="url(#arrow)"
          />
        ))}
        {graph.nodes.map(({ event, role, x, y }) => (
          <g
            key={event.seq}
            className={`node ${role}`}
            transform={`translate(${x - NODE_WIDTH / 2},${y - NODE_HEIGHT / 2})`}
            role="button"
            tabIndex={0}
            aria-label={`${event.type}, seq ${event.seq}${role === 'selected' ? ' (selected)' : ''}`}
            data-seq={event.seq}
            onClick={() => props.onSelect(event.seq)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') props.onSelect(event.seq);
            }}
          >
            <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={4} />
            <rect width={3} height={NODE_HEIGHT} rx={1} fill={colourOfType(event.type)} />
            <text x={10} y={16} className="node-type">
              {event.type.length > 24 ? `${event.type.slice(0, 23)}…` : event.type}
            </text>
            <text x={10} y={31} className="node-meta">
              #{event.seq} · tick {event.tick}
              {event.causation === null ? ' · input' : ` · ${event.actor.slice(0, 16)}`}
            </text>
          </g>
        ))}
      </svg>
      {graph.hidden > 0 && (
        <figcaption className="muted small">{graph.hidden} more consequences not drawn.</figcaption>
      )}
    </figure>
  );
}
