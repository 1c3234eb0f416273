import { useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { count } from './format.ts';

/** Tick numbers printed under the ruler, evenly spread. */
function labels(ticks: number): number[] {
  if (ticks <= 1) return ticks === 1 ? [1] : [];
  const n = Math.min(6, ticks);
  return Array.from({ length: n }, (_, i) => Math.round(1 + ((ticks - 1) * i) / (n - 1)));
}

/**
 * The tick ruler and scrubber: the whole log as one bar, the selected tick marked. Drag or click
 * to travel; as a slider it takes ←/→ (one tick) and PageUp/PageDown (a tenth) when focused.
 */
export function TickRuler(props: {
  readonly ticks: number;
  readonly tick: number | null;
  readonly onScrub: (tick: number) => void;
}): ReactNode {
  const { ticks, tick, onScrub } = props;
  const bar = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const tickAt = (clientX: number): number => {
    const rect = bar.current?.getBoundingClientRect();
    if (rect === undefined || rect.width === 0 || ticks === 0) return 1;
    const ratio = Math.max(0, Math.min(1, (clientX - rect.left) / rect.width));
    return Math.max(1, Math.min(ticks, Math.round(1 + ratio * (ticks - 1))));
  };
  const position = (t: number): string => (ticks <= 1 ? '0%' : `${((t - 1) / (ticks - 1)) * 100}%`);
  const onPointerDown = (event: PointerEvent<HTMLDivElement>): void => {
    event.currentTarget.setPointerCapture(event.pointerId);
    onScrub(tickAt(event.clientX));
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>): void => {
    const t = tickAt(event.clientX);
    setHover(t);
    if (event.currentTarget.hasPointerCapture(event.pointerId)) onScrub(t);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const big = Math.max(1, Math.round(ticks / 10));
    const moves: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      PageDown: -big,
      PageUp: big,
    };
    const delta = moves[event.key];
    if (delta === undefined || ticks === 0) return;
    event.preventDefault();
    event.stopPropagation();
    onScrub(Math.max(1, Math.min(ticks, (tick ?? 0) + delta)));
  };
  return (
    <div className="tick-ruler">
      <div
        ref={bar}
        className="tick-bar"
        role="slider"
        tabIndex={0}
        aria-label="Tick"
        aria-valuemin={ticks === 0 ? 0 : 1}
        aria-valuemax={ticks}
        aria-valuenow={tick ?? 0}
        aria-valuetext={tick === null ? 'no tick selected' : `tick ${tick} of ${ticks}`}
        data-testid="tick-ruler"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerLeave={() => setHover(null)}
        onKeyDown={onKeyDown}
      >
        <div className="tick-track" />
        {tick !== null && (
          <div className="tick-fill" style={{ width: position(tick) }} aria-hidden="true" />
        )}
        {tick !== null && (
          <div className="tick-thumb" style={{ left: position(tick) }} aria-hidden="true" />
        )}
        {hover !== null && (
          <div className="tick-hover" style={{ left: position(hover) }} aria-hidden="true">
            {hover}
          </div>
        )}
      </div>
      <div className="tick-labels" aria-hidden="true">
        {labels(ticks).map((t) => (
          <span key={t} style={{ left: position(t) }}>
            {count(t)}
          </span>
        ))}
      </div>
    </div>
  );
}
