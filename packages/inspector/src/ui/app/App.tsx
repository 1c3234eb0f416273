import {
  lazy,
  Suspense,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { InspectorClient } from '../../client/index.ts';
import type { EventFilter, Summary } from '../../protocol/index.ts';
import { AgentProvider, cachedCall, dataOf, useMethod } from '../data/agent.tsx';
import { EventPages } from '../data/event-pages.ts';
import { DivergenceView } from '../panels/DivergenceView.tsx';
import { EntityView } from '../panels/EntityView.tsx';
import { ExportDialog } from '../panels/ExportDialog.tsx';
import { Filters } from '../panels/Filters.tsx';
import { count } from '../panels/format.ts';
import { PathHistory } from '../panels/PathHistory.tsx';
import { PlaybackControls } from '../panels/PlaybackControls.tsx';
import { ShortcutsHelp } from '../panels/ShortcutsHelp.tsx';
import { StatePanel } from '../panels/StatePanel.tsx';
import { TickRuler } from '../panels/TickRuler.tsx';
import { Timeline } from '../panels/Timeline.tsx';
import type { DetailTab } from '../selection/url-selection.ts';
import { useSelection } from '../selection/use-selection.ts';
import { useKeyboard } from './use-keyboard.ts';

const TAB_LABELS: readonly (readonly [DetailTab, string])[] = [
  ['state', 'State'],
  ['event', 'Event'],
  ['entity', 'Entity'],
  ['history', 'Path history'],
  ['divergence', 'Divergence'],
  ['activities', 'Activities'],
];

const PLAY_INTERVAL_MS = 120;

// The graph layout (dagre) and the chart (uPlot) load when their panel first opens, so the
// first paint of the timeline parses only what it draws.
const EventPanel = lazy(async () => ({
  default: (await import('../panels/EventPanel.tsx')).EventPanel,
}));
const ActivitiesChart = lazy(async () => ({
  default: (await import('../panels/ActivitiesChart.tsx')).ActivitiesChart,
}));

/** The inspector, attached: timeline on the left, the selected moment's details on the right. */
export function App(props: { readonly client: InspectorClient }): ReactNode {
  return (
    <AgentProvider client={props.client}>
      <Inspector client={props.client} />
    </AgentProvider>
  );
}

function Inspector({ client }: { readonly client: InspectorClient }): ReactNode {
  const [selection, update] = useSelection();
  const [revision, setRevision] = useState(0);
  const summaryRequest = useMethod('summary', {}, { fresh: true, refresh: revision });
  const summary = dataOf(summaryRequest);
  const [following, setFollowing] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [help, setHelp] = useState(false);
  const [exporting, setExporting] = useState(false);
  const lastSeq = summary?.lastCommit?.lastSeq ?? 0;
  const filterKey = JSON.stringify(selection.filter);

  const pages = useMemo(
    () =>
      summary === undefined
        ? null
        : new EventPages(
            ({ filter, cursor, limit }) => client.call('events', { filter, cursor, limit }),
            JSON.parse(filterKey) as EventFilter,
            summary.lastCommit?.lastSeq ?? 0,
          ),
    // A new page set per filter (and once the summary first arrives); growth of the log is
    // pushed into the existing set below.
    [client, filterKey, summary === undefined],
  );
  useEffect(() => {
    if (pages !== null && summary !== undefined) pages.grow(summary.lastCommit?.lastSeq ?? 0);
  }, [pages, summary]);

  const selectSeq = useCallback(
    (seq: number | null) => update((s) => (s.seq === seq ? s : { ...s, seq })),
    [update],
  );
  const clampSeq = useCallback((seq: number) => Math.max(1, Math.min(lastSeq, seq)), [lastSeq]);

  // Follow live: new commits arrive as `tail` pushes; the summary is refreshed and, while
  // following, the selection moves to the newest event.
  const followingRef = useRef(following);
  followingRef.current = following;
  useEffect(
    () =>
      client.on('tail', (tail) => {
        setRevision((r) => r + 1);
        if (followingRef.current && tail.lastSeq > 0) {
          update((s) => ({ ...s, seq: tail.lastSeq }));
        }
      }),
    [client, update],
  );
  useEffect(() => {
    void client.call(following ? 'follow' : 'unfollow', {}).catch(() => setFollowing(false));
    if (following && lastSeq > 0) selectSeq(lastSeq);
    // Selecting the end only when following is switched on, not on every new commit.
  }, [client, following]);

  useEffect(() => {
    if (!playing) return;
    const timer = window.setInterval(() => {
      update((s) => {
        const next = (s.seq ?? 0) + 1;
        if (next > lastSeq) {
          setPlaying(false);
          return s;
        }
        return { ...s, seq: next };
      });
    }, PLAY_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [playing, lastSeq, update]);

  const step = useCallback(
    (delta: number) => {
      setPlaying(false);
      setFollowing(false);
      update((s) => ({ ...s, seq: clampSeq((s.seq ?? (delta > 0 ? 0 : lastSeq + 1)) + delta) }));
    },
    [update, clampSeq, lastSeq],
  );
  const scrubToTick = useCallback(
    (tick: number) => {
      setFollowing(false);
      cachedCall(client, 'commits', { afterTick: tick - 1, limit: 1 }).then(
        (page) => {
          const commit = page.commits[0];
          if (commit !== undefined && commit.lastSeq > 0) selectSeq(commit.lastSeq);
        },
        () => undefined,
      );
    },
    [client, selectSeq],
  );
  const setTab = useCallback((tab: DetailTab) => update((s) => ({ ...s, tab })), [update]);

  useKeyboard({
    stepBack: () => step(-1),
    stepForward: () => step(1),
    first: () => step(-Infinity),
    last: () => step(Infinity),
    togglePlay: () => setPlaying((p) => !p),
    toggleFollow: () => setFollowing((f) => !f),
    showTab: setTab,
    toggleHelp: () => setHelp((h) => !h),
    tab: selection.tab,
  });

  const selectedEvent = useMethod('event', selection.seq === null ? null : { seq: selection.seq });
  const selectedTick = dataOf(selectedEvent)?.event.tick ?? null;

  if (summary === undefined || pages === null) {
    return (
      <main className="splash">
        <p className="muted">
          {summaryRequest.status === 'failed'
            ? `The agent did not answer: ${summaryRequest.error.message}`
            : 'Reading the log…'}
        </p>
      </main>
    );
  }

  return (
    <div className="inspector">
      <Header
        summary={summary}
        onExport={() => setExporting(true)}
        onHelp={() => setHelp((h) => !h)}
      />
      <Filters
        filter={selection.filter}
        types={summary.types.map((t) => t.name)}
        onChange={(filter) => update((s) => ({ ...s, filter }))}
      />
      <section className="timeline-pane" aria-label="Timeline">
        <div className="transport">
          <PlaybackControls
            playing={playing}
            following={following}
            live={summary.mode === 'live'}
            onFirst={() => step(-Infinity)}
            onBack={() => step(-1)}
            onPlay={() => setPlaying((p) => !p)}
            onForward={() => step(1)}
            onLast={() => step(Infinity)}
            onFollow={() => setFollowing((f) => !f)}
          />
          <TickRuler ticks={summary.ticks} tick={selectedTick} onScrub={scrubToTick} />
        </div>
        <Timeline pages={pages} selectedSeq={selection.seq} onSelect={selectSeq} />
      </section>
      <section className="detail-pane" aria-label="Details">
        <nav className="tabs" role="tablist" aria-label="Detail panels">
          {TAB_LABELS.map(([tab, label], i) => (
            <button
              key={tab}
              type="button"
              role="tab"
              id={`tab-${tab}`}
              aria-selected={selection.tab === tab}
              aria-controls="detail-panel"
              className={selection.tab === tab ? 'tab active' : 'tab'}
              title={`${label} (${i + 1})`}
              onClick={() => setTab(tab)}
            >
              {label}
            </button>
          ))}
        </nav>
        <div
          className="detail"
          id="detail-panel"
          role="tabpanel"
          aria-labelledby={`tab-${selection.tab}`}
        >
          <Suspense fallback={<p className="empty">Loading the panel…</p>}>
            <DetailPanel summary={summary} />
          </Suspense>
        </div>
      </section>
      <StatusBar summary={summary} seq={selection.seq} tick={selectedTick} following={following} />
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
      {exporting && (
        <ExportDialog tick={selectedTick ?? summary.ticks} onClose={() => setExporting(false)} />
      )}
    </div>
  );
}

function DetailPanel({ summary }: { readonly summary: Summary }): ReactNode {
  const [selection] = useSelection();
  switch (selection.tab) {
    case 'state':
      return <StatePanel seq={selection.seq} available={summary.states} />;
    case 'event':
      return <EventPanel seq={selection.seq} />;
    case 'entity':
      return <EntityView seq={selection.seq} />;
    case 'history':
      return <PathHistory path={selection.path} seq={selection.seq} />;
    case 'divergence':
      return <DivergenceView canVerify={summary.verify} compareWith={summary.compareWith} />;
    case 'activities':
      return <ActivitiesChart live={summary.mode === 'live'} tick={null} />;
  }
}

function Header(props: {
  readonly summary: Summary;
  readonly onExport: () => void;
  readonly onHelp: () => void;
}): ReactNode {
  const { summary } = props;
  return (
    <header className="header">
      <span className="brand">Causeway</span>
      <span className={`mode-badge ${summary.mode}`}>{summary.mode}</span>
      <span className="store mono" title={summary.store}>
        {summary.store}
      </span>
      <span className="header-facts">
        <span>
          <b>{count(summary.events)}</b> events
        </span>
        <span>
          <b>{count(summary.ticks)}</b> ticks
        </span>
        <span>
          <b>{count(summary.inputs)}</b> inputs
        </span>
        {summary.entities !== null && (
          <span>
            <b>{count(summary.entities)}</b> entities
          </span>
        )}
        {summary.seed !== null && <span className="muted">seed {summary.seed}</span>}
      </span>
      <span className="header-actions">
        <button type="button" className="button" onClick={props.onExport}>
          Export test…
        </button>
        <button
          type="button"
          className="button icon"
          onClick={props.onHelp}
          title="Keyboard shortcuts (?)"
          aria-label="Keyboard shortcuts"
        >
          ?
        </button>
      </span>
    </header>
  );
}

function StatusBar(props: {
  readonly summary: Summary;
  readonly seq: number | null;
  readonly tick: number | null;
  readonly following: boolean;
}): ReactNode {
  const { summary } = props;
  const lastSeq = summary.lastCommit?.lastSeq ?? 0;
  const indexing = summary.indexedSeq < lastSeq;
  return (
    <footer className="status-bar">
      <span>
        seq <b className="mono">{props.seq ?? '—'}</b> / {count(lastSeq)}
      </span>
      <span>
        tick <b className="mono">{props.tick ?? '—'}</b> / {count(summary.ticks)}
      </span>
      {summary.lastCommit !== null && (
        <span className="mono muted" title="State hash after the last tick">
          #{summary.lastCommit.hash}
        </span>
      )}
      {indexing && (
        <span className="muted">
          indexing {Math.floor((summary.indexedSeq / Math.max(1, lastSeq)) * 100)}%
        </span>
      )}
      {props.following && <span className="live-dot">following live</span>}
      <span className="status-right muted">protocol v{summary.protocol}</span>
    </footer>
  );
}
