import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { EventFilter } from '../../protocol/index.ts';
import { isFiltered } from '../selection/url-selection.ts';

type Draft = Record<
  'type' | 'entity' | 'actor' | 'correlation' | 'text' | 'fromTick' | 'toTick',
  string
>;

function draftOf(filter: EventFilter): Draft {
  return {
    type: filter.type ?? '',
    entity: filter.entity ?? '',
    actor: filter.actor ?? '',
    correlation: filter.correlation ?? '',
    text: filter.text ?? '',
    fromTick: filter.fromTick === undefined ? '' : String(filter.fromTick),
    toTick: filter.toTick === undefined ? '' : String(filter.toTick),
  };
}

/** The filter a draft describes: empty fields are left out, tick bounds must be whole numbers. */
export function filterOf(draft: Draft): EventFilter {
  const out: Record<string, string | number> = {};
  for (const key of ['type', 'entity', 'actor', 'correlation', 'text'] as const) {
    const value = draft[key].trim();
    if (value !== '') out[key] = value;
  }
  for (const key of ['fromTick', 'toTick'] as const) {
    const value = draft[key].trim();
    if (/^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/**
 * Filters and search over events: type, entity, actor, correlation, tick range and text inside
 * payloads. Enter applies; the filters go to the URL with the selection.
 */
export function Filters(props: {
  readonly filter: EventFilter;
  readonly types: readonly string[];
  readonly onChange: (filter: EventFilter) => void;
}): ReactNode {
  const [draft, setDraft] = useState(() => draftOf(props.filter));
  const filterKey = JSON.stringify(props.filter);
  useEffect(() => setDraft(draftOf(JSON.parse(filterKey) as EventFilter)), [filterKey]);
  const set = (key: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    props.onChange(filterOf(draft));
  };
  return (
    <form className="filters" onSubmit={apply} role="search" aria-label="Filter events">
      <input
        id="filter-text"
        className="text-input search"
        placeholder="Search payloads, types, actors  ( / )"
        value={draft.text}
        onChange={(e) => set('text')(e.target.value)}
        spellCheck={false}
      />
      <select
        className="text-input"
        aria-label="Event type"
        value={draft.type}
        onChange={(e) => {
          const type = e.target.value;
          setDraft((d) => ({ ...d, type }));
          props.onChange(filterOf({ ...draft, type }));
        }}
      >
        <option value="">all types</option>
        {props.types.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <Field id="filter-entity" label="entity" value={draft.entity} onChange={set('entity')} wide />
      <Field id="filter-actor" label="actor" value={draft.actor} onChange={set('actor')} />
      <Field
        id="filter-correlation"
        label="correlation"
        value={draft.correlation}
        onChange={set('correlation')}
      />
      <Field
        id="filter-from-tick"
        label="from tick"
        value={draft.fromTick}
        onChange={set('fromTick')}
        narrow
      />
      <Field
        id="filter-to-tick"
        label="to tick"
        value={draft.toTick}
        onChange={set('toTick')}
        narrow
      />
      <button type="submit" className="button primary">
        Apply
      </button>
      {isFiltered(props.filter) && (
        <button type="button" className="button" onClick={() => props.onChange({})}>
          Clear
        </button>
      )}
    </form>
  );
}

function Field(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly wide?: boolean;
  readonly narrow?: boolean;
}): ReactNode {
  const size = props.wide === true ? ' wide' : props.narrow === true ? ' narrow' : '';
  return (
    <input
      id={props.id}
      aria-label={props.label}
      placeholder={props.label}
      className={`text-input mono${size}`}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      spellCheck={false}
    />
  );
}
