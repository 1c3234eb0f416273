import { Graph, layout } from '@dagrejs/dagre';
import type { ConsequenceNode, EventDetail, WireEvent } from '../../protocol/index.ts';

/** How a node of the causation graph relates to the selected event. */
export type CausationRole = 'cause' | 'selected' | 'consequence';

/** One laid-out node: an event, its box's centre and its role. */
export interface CausationNode {
  readonly event: WireEvent;
  readonly role: CausationRole;
  readonly x: number;
  readonly y: number;
}

/** One laid-out edge, from a cause to what it caused, as a polyline. */
export interface CausationEdge {
  readonly from: number;
  readonly to: number;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** The laid-out graph and its size. */
export interface CausationLayout {
  readonly nodes: readonly CausationNode[];
  readonly edges: readonly CausationEdge[];
  readonly width: number;
  readonly height: number;
  /** Consequences left out beyond the node limit. */
  readonly hidden: number;
}

// The part of dagre's graph this layout uses. dagre's declarations reach graphlib's through a
// path TypeScript does not resolve here, so the graph is typed by what it is used for.
interface LayoutGraph {
  setGraph(label: {
    rankdir: string;
    nodesep: number;
    ranksep: number;
    marginx: number;
    marginy: number;
  }): void;
  setDefaultEdgeLabel(label: () => object): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string): void;
  node(id: string): { x?: number; y?: number };
  edges(): { v: string; w: string }[];
  edge(e: { v: string; w: string }): { points?: { x: number; y: number }[] };
  graph(): { width?: number; height?: number };
}

const LayoutGraph = Graph as unknown as new () => LayoutGraph;
const layoutGraph = layout as unknown as (graph: LayoutGraph) => void;

/** Width of a node's box. */
export const NODE_WIDTH = 196;
/** Height of a node's box. */
export const NODE_HEIGHT = 40;

/**
 * Lays out an event's causation chain (from the input down to it) and its consequences (what
 * it caused, recursively) top to bottom, with at most `limit` consequences drawn.
 */
export function layoutCausation(detail: EventDetail, limit = 120): CausationLayout {
  const graph = new LayoutGraph();
  graph.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 34, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  const events = new Map<number, { event: WireEvent; role: CausationRole }>();
  const add = (event: WireEvent, role: CausationRole): void => {
    events.set(event.seq, { event, role });
    graph.setNode(String(event.seq), { width: NODE_WIDTH, height: NODE_HEIGHT });
  };
  const chain = [...detail.causes].reverse();
  chain.forEach((event) => add(event, 'cause'));
  add(detail.event, 'selected');
  const path = [...chain, detail.event];
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1];
    const to = path[i];
    if (from !== undefined && to !== undefined) graph.setEdge(String(from.seq), String(to.seq));
  }
  let drawn = 0;
  let hidden = 0;
  const visit = (parent: WireEvent, nodes: readonly ConsequenceNode[]): void => {
    for (const node of nodes) {
      if (drawn >= limit) {
        hidden += 1 + countAll(node.children);
        continue;
      }
      drawn++;
      add(node.event, 'consequence');
      graph.setEdge(String(parent.seq), String(node.event.seq));
      visit(node.event, node.children);
    }
  };
  visit(detail.event, detail.consequences);
  layoutGraph(graph);
  const nodes: CausationNode[] = [];
  for (const [seq, { event, role }] of events) {
    const placed = graph.node(String(seq));
    nodes.push({ event, role, x: placed.x ?? 0, y: placed.y ?? 0 });
  }
  const edges: CausationEdge[] = graph.edges().map((e) => ({
    from: Number(e.v),
    to: Number(e.w),
    points: (graph.edge(e).points ?? []).map((p) => ({ x: p.x, y: p.y })),
  }));
  const size = graph.graph();
  return { nodes, edges, width: size.width ?? 0, height: size.height ?? 0, hidden };
}

function countAll(nodes: readonly ConsequenceNode[]): number {
  let n = 0;
  for (const node of nodes) n += 1 + countAll(node.children);
  return n;
}
