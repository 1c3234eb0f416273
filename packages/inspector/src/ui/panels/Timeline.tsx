import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useSyncExternalStore, type KeyboardEvent, type ReactNode } from 'react';
import type { WireEvent } from '../../protocol/index.ts';
import type { EventPages } from '../data/event-pages.ts';
import { colourOfType, isBuiltinType, shortId, timeOfDay } from './format.ts';

const ROW_HEIGHT = 22;

/**
 * The timeline: every event (or every match of the filters) as one row, virtualised and fetched
 * a page at a time, so a million events scroll like a hundred. ↑/↓ move the selection,
 * PageUp/PageDown move by a screen.
 */
export function Timeline(props: {
  readonly pages: EventPages;
  readonly selectedSeq: number | null;
  readonly onSelect: (seq: number) => void;
}): ReactNode {
  const { pages, selectedSeq, onSelect } = props;
  useSyncExternalStore(pages.subscribe, () => pages.snapshot);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: pages.count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (pages.count > 0) pages.ensure(first, last);
  }, [pages, first, last, pages.count]);

  const selectedIndex = selectedSeq === null ? null : pages.indexOfSeq(selectedSeq);
  // A jump (a link, the scrubber, the end) centres the row; a step only brings it into view,
  // so the list does not lurch while the selection walks down it.
  const previousIndex = useRef<number | null>(null);
  useEffect(() => {
    if (selectedIndex === null) return;
    const from = previousIndex.current;
    const jump = from === null || Math.abs(selectedIndex - from) > 1;
    virtualizer.scrollToIndex(selectedIndex, { align: jump ? 'center' : 'auto' });
    previousIndex.current = selectedIndex;
  }, [selectedIndex, virtualizer]);

  const moveBy = (rows: number): void => {
    const from = selectedIndex ?? (rows > 0 ? -1 : pages.count);
    const target = Math.max(0, Math.min(pages.count - 1, from + rows));
    const event = pages.row(target);
    if (event !== undefined) onSelect(event.seq);
    else if (!pages.filtered) onSelect(target + 1);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const screen = Math.max(
      1,
      Math.floor((scroller.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1,
    );
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: screen,
      PageUp: -screen,
    };
    const rows = moves[event.key];
    if (rows === undefined) return;
    event.preventDefault();
    moveBy(rows);
  };

  return (
    <div className="timeline">
      <div className="timeline-head" role="presentation">
        <span className="c-seq">seq</span>
        <span className="c-tick">tick</span>
        <span className="c-time">time (UTC)</span>
        <span className="c-type">type</span>
        <span className="c-entity">entity</span>
        <span className="c-actor">actor</span>
      </div>
      <div
        ref={scroller}
        className="timeline-rows"
        role="listbox"
        aria-label="Events"
        aria-activedescendant={selectedSeq === null ? undefined : `event-${selectedSeq}`}
        tabIndex={0}
        onKeyDown={onKeyDown}
        data-testid="timeline"
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const event = pages.row(item.index);
            return (
              <div
                key={item.key}
                className="timeline-row-slot"
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                {event === undefined ? (
                  <div className="timeline-row loading" aria-hidden="true">
                    <span className="c-seq">{pages.filtered ? '' : item.index + 1}</span>
                    <span className="muted">{pages.filtered ? 'searching…' : ''}</span>
                  </div>
                ) : (
                  <TimelineRow
                    event={event}
                    selected={event.seq === selectedSeq}
                    onSelect={onSelect}
                  />
                )}
              </div>
            );
          })}
        </div>
        {pages.count === 0 && (
          <p className="empty">
            {pages.filtered ? 'No event matches the filters.' : 'The log has no events yet.'}
          </p>
        )}
      </div>
      {pages.error !== null && (
        <p className="timeline-error" role="alert">
          {pages.error.message}
        </p>
      )}
    </div>
  );
}

function TimelineRow(props: {
  readonly event: WireEvent;
  readonly selected: boolean;
  readonly onSelect: (seq: number) => void;
}): ReactNode {
  const { event, selected } = props;
  const input = event.causation === null;
  const classes = ['timeline-row'];
  if (selected) classes.push('selected');
  if (isBuiltinType(event.type)) classes.push('builtin');
  return (
    <div
      id={`event-${event.seq}`}
      role="option"
      aria-selected={selected}
      className={classes.join(' ')}
      data-seq={event.seq}
      onClick={() => props.onSelect(event.seq)}
    >
      <span className="c-seq mono">{event.seq}</span>
      <span className="c-tick mono">{event.tick}</span>
      <span className="c-time mono">{timeOfDay(event.at)}</span>
      <span className="c-type">
        <i className="type-dot" style={{ background: colourOfType(event.type) }} />
        <span className="type-name">{event.type}</span>
        {input && <span className="badge input">input</span>}
      </span>
      <span className="c-entity mono" title={event.entity}>
        {shortId(event.entity)}
      </span>
      <span className="c-actor" title={event.actor}>
        {event.actor}
      </span>
    </div>
  );
}
