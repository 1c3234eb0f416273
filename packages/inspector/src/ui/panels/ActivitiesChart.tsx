import { useEffect, useMemo, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TickActivities } from '../../protocol/index.ts';
import { dataOf, useMethod } from '../data/agent.tsx';
import { useSelection } from '../selection/use-selection.ts';
import { count, millis } from './format.ts';

/** One listener's runs over the charted ticks. */
export interface ListenerTotals {
  readonly listener: string;
  readonly runs: number;
  readonly failed: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

/** Sums the runs of each listener, slowest in total first. */
export function listenerTotals(ticks: readonly TickActivities[]): ListenerTotals[] {
  const by = new Map<string, { runs: number; failed: number; totalMs: number; maxMs: number }>();
  for (const tick of ticks) {
    for (const run of tick.runs) {
      const t = by.get(run.listener) ?? { runs: 0, failed: 0, totalMs: 0, maxMs: 0 };
      t.runs++;
      if (run.outcome === 'failed') t.failed++;
      t.totalMs += run.durationMs;
      t.maxMs = Math.max(t.maxMs, run.durationMs);
      by.set(run.listener, t);
    }
  }
  return [...by]
    .map(([listener, t]) => ({ listener, ...t }))
    .sort((x, y) => y.totalMs - x.totalMs || x.listener.localeCompare(y.listener));
}

/**
 * Activities: the wall time listeners spent in each tick, as a bar chart (uPlot draws tens of
 * thousands of bars on one canvas), and each listener's runs, total and slowest run. Clicking a
 * bar travels to that tick. Wall times come from the meta log, never from the domain log.
 */
export function ActivitiesChart(props: {
  readonly live: boolean;
  readonly tick: number | null;
}): ReactNode {
  const [, update] = useSelection();
  const request = useMethod('activities', props.live ? {} : null, { fresh: true });
  const ticks = dataOf(request)?.ticks;
  const totals = useMemo(() => listenerTotals(ticks ?? []), [ticks]);
  if (!props.live) {
    return (
      <p className="empty">
        Activities are recorded by a running system: attach to the app to see its listeners&apos;
        timings.
      </p>
    );
  }
  if (request.status === 'failed') {
    return (
      <p className="error" role="alert">
        {request.error.message}
      </p>
    );
  }
  if (ticks === undefined) return <p className="empty">Loading activities…</p>;
  return (
    <div className="activities">
      <TickChart
        ticks={ticks}
        onTick={(tick) =>
          update((s) => ({ ...s, filter: { ...s.filter, fromTick: tick, toTick: tick } }))
        }
      />
      <table className="grid" aria-label="Listeners">
        <thead>
          <tr>
            <th>listener</th>
            <th className="num">runs</th>
            <th className="num">failed</th>
            <th className="num">total</th>
            <th className="num">mean</th>
            <th className="num">slowest</th>
          </tr>
        </thead>
        <tbody>
          {totals.map((t) => (
            <tr key={t.listener}>
              <td className="mono">{t.listener}</td>
              <td className="num mono">{count(t.runs)}</td>
              <td className={t.failed > 0 ? 'num mono removed' : 'num mono muted'}>{t.failed}</td>
              <td className="num mono">{millis(t.totalMs)}</td>
              <td className="num mono">{millis(t.totalMs / Math.max(1, t.runs))}</td>
              <td className="num mono">{millis(t.maxMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {totals.length === 0 && <p className="empty">No listener has run yet.</p>}
    </div>
  );
}

function TickChart(props: {
  readonly ticks: readonly TickActivities[];
  readonly onTick: (tick: number) => void;
}): ReactNode {
  const holder = useRef<HTMLDivElement>(null);
  const onTick = useRef(props.onTick);
  onTick.current = props.onTick;
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const bars = uPlot.paths.bars;
    const xs = props.ticks.map((t) => t.tick);
    const ys = props.ticks.map((t) => t.totalMs);
    const axis = {
      stroke: '#8b93a7',
      grid: { stroke: '#252a35', width: 1 },
      ticks: { stroke: '#2d3340', width: 1 },
    };
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: 180,
        cursor: { drag: { x: true, y: false } },
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [
          { ...axis, label: 'tick', labelSize: 14, size: 32 },
          { ...axis, label: 'ms', labelSize: 14, size: 48 },
        ],
        series: [
          {},
          {
            label: 'listener time',
            stroke: '#6cb6ff',
            fill: 'rgba(108, 182, 255, 0.35)',
            width: 1,
            ...(bars === undefined ? {} : { paths: bars({ size: [0.8, 24] }) }),
            points: { show: false },
          },
        ],
        hooks: {
          ready: [
            (u) => {
              u.over.addEventListener('click', () => {
                const index = u.cursor.idx;
                const tick = index === null || index === undefined ? undefined : xs[index];
                if (tick !== undefined) onTick.current(tick);
              });
            },
          ],
        },
      },
      [xs, ys],
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, element.clientWidth), height: 180 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.ticks]);
  return (
    <div
      ref={holder}
      className="tick-chart"
      role="img"
      aria-label="Listener time per tick"
      data-testid="activities-chart"
    />
  );
}
