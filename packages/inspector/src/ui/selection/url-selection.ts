import type { EventFilter, StatePath } from '../../protocol/index.ts';

/** The detail panel shown beside the timeline. */
export type DetailTab = 'state' | 'event' | 'entity' | 'history' | 'divergence' | 'activities';

const TABS: readonly DetailTab[] = [
  'state',
  'event',
  'entity',
  'history',
  'divergence',
  'activities',
];

/** Everything a link to a moment carries: the selected event, the filters, the open panel. */
export interface Selection {
  /** The selected event; the state panel shows the state after it. Null: nothing selected. */
  readonly seq: number | null;
  readonly filter: EventFilter;
  readonly tab: DetailTab;
  /** The value whose history is open. */
  readonly path: StatePath | null;
  /** The entity shown in the entity view. */
  readonly entity: string | null;
  /** The text searched inside the state. */
  readonly stateQuery: string;
  /** The other log compared in the divergence view (a store URL), or `reexecution`. */
  readonly compare: string | null;
}

/** Nothing selected, no filter, the state panel open. */
export const emptySelection: Selection = {
  seq: null,
  filter: {},
  tab: 'state',
  path: null,
  entity: null,
  stateQuery: '',
  compare: null,
};

const TEXT_FILTERS = ['type', 'entity', 'correlation', 'actor', 'text'] as const;
const NUMBER_FILTERS = ['fromTick', 'toTick', 'fromSeq', 'toSeq'] as const;

function positiveInt(text: string | null): number | null {
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

function parsePath(text: string | null): StatePath | null {
  if (text === null || text === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      Array.isArray(parsed) &&
      parsed.every((s) => typeof s === 'string' || (typeof s === 'number' && Number.isInteger(s)))
    ) {
      return parsed as (string | number)[];
    }
  } catch {
    // A hand-edited link with a broken path opens without it rather than failing.
  }
  return null;
}

/**
 * Reads a selection from a URL fragment (`#seq=42&type=Moved&tab=state`). Unknown or malformed
 * parts are dropped, so an edited or old link still opens.
 */
export function selectionFromHash(hash: string): Selection {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const filter: Record<string, string | number> = {};
  for (const name of TEXT_FILTERS) {
    const value = params.get(name);
    if (value !== null && value !== '') filter[name] = value;
  }
  for (const name of NUMBER_FILTERS) {
    const value = positiveInt(params.get(name));
    if (value !== null) filter[name] = value;
  }
  const tab = params.get('tab');
  return {
    seq: positiveInt(params.get('seq')),
    filter: filter,
    tab: TABS.includes(tab as DetailTab) ? (tab as DetailTab) : 'state',
    path: parsePath(params.get('path')),
    entity: params.get('of') || null,
    stateQuery: params.get('q') ?? '',
    compare: params.get('compare') || null,
  };
}

/** Writes a selection as a URL fragment, leaving out what is empty or default. */
export function selectionToHash(selection: Selection): string {
  const params = new URLSearchParams();
  if (selection.seq !== null) params.set('seq', String(selection.seq));
  for (const name of TEXT_FILTERS) {
    const value = selection.filter[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  for (const name of NUMBER_FILTERS) {
    const value = selection.filter[name];
    if (value !== undefined) params.set(name, String(value));
  }
  if (selection.tab !== 'state') params.set('tab', selection.tab);
  if (selection.path !== null) params.set('path', JSON.stringify(selection.path));
  if (selection.entity !== null) params.set('of', selection.entity);
  if (selection.stateQuery !== '') params.set('q', selection.stateQuery);
  if (selection.compare !== null) params.set('compare', selection.compare);
  const text = params.toString();
  return text === '' ? '' : `#${text}`;
}

/** Whether a filter narrows the events at all. */
export function isFiltered(filter: EventFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined && v !== '');
}
