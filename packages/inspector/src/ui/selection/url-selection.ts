import {
  MAX_ENTITY_PARAM,
  MAX_PATH_KEYS,
  MAX_TEXT_PARAM,
  type EventFilter,
  type StatePath,
} from '../../protocol/index.ts';

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

/** A whole number of at least `min` (what the agent takes), or null. */
function wholeNumber(text: string | null, min: number): number | null {
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  const value = Number(text);
  return value >= min ? value : null;
}

/** A text the agent takes (at most `max` characters), or null for an empty or longer one. */
function boundedText(text: string | null, max: number): string | null {
  return text === null || text === '' || text.length > max ? null : text;
}

function parsePath(text: string | null): StatePath | null {
  if (text === null || text === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      Array.isArray(parsed) &&
      parsed.length <= MAX_PATH_KEYS &&
      parsed.every(
        (s) =>
          (typeof s === 'string' && s.length <= MAX_TEXT_PARAM) ||
          (typeof s === 'number' && Number.isSafeInteger(s) && s >= 0),
      )
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
 * parts are dropped, so an edited or old link still opens: among them values the agent would
 * refuse (a tick or seq filter of 0, a text or path past the protocol's limits).
 */
export function selectionFromHash(hash: string): Selection {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const filter: Record<string, string | number> = {};
  for (const name of TEXT_FILTERS) {
    const value = boundedText(params.get(name), MAX_TEXT_PARAM);
    if (value !== null) filter[name] = value;
  }
  // Ticks and seqs of a filter count from 1; the selected seq may be 0 (the initial state).
  for (const name of NUMBER_FILTERS) {
    const value = wholeNumber(params.get(name), 1);
    if (value !== null) filter[name] = value;
  }
  const tab = params.get('tab');
  return {
    seq: wholeNumber(params.get('seq'), 0),
    filter: filter,
    tab: TABS.includes(tab as DetailTab) ? (tab as DetailTab) : 'state',
    path: parsePath(params.get('path')),
    entity: boundedText(params.get('of'), MAX_ENTITY_PARAM),
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
