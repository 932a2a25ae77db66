import { Box, Text, useInput } from 'ink';
import { useMemo, useRef, useState } from 'react';
import { Details, Help } from './Details.js';
import { topEvents } from './events.js';
import { Header } from './Header.js';
import { layout } from './layout.js';
import { backendLines, filterRows, runningLines, sortWorkFirst, taskRows, type TopSnapshot } from './model.js';
import { EventPane, TaskPane } from './Panes.js';
import { clampSelection, initialViewState, reduceKey, type ViewState } from './view-state.js';

export interface DashboardProps {
  snapshot: TopSnapshot;
  readOnly?: boolean;
  /** Sets the durable pause flag to `paused`; resolves to a message to show (success or why not). */
  onTogglePause?: (paused: boolean) => Promise<string>;
  onQuit?: () => void;
  /**
   * The terminal's size. Given, the frame is exactly rows - 1 lines (header, panes, footer) and
   * never taller; absent (`--once`, scripts), every task row is printed.
   */
  size?: { rows: number };
  /** False for `--once`: no keyboard (stdin may not be a terminal). */
  interactive?: boolean;
  initialView?: Partial<ViewState>;
  /** A problem outside the dashboard's control (state unreadable), shown above the footer. */
  notice?: string | null;
}

/** Events `--once` prints (a full-screen frame shows as many as fit). */
const ONCE_EVENTS = 10;

export function Dashboard(props: DashboardProps) {
  const { snapshot, readOnly = false, interactive = true, size } = props;
  const [ui, setUi] = useState<ViewState>(() => ({ ...initialViewState(), ...props.initialView }));

  const rows = useMemo(
    () => sortWorkFirst(filterRows(taskRows(snapshot), { text: ui.text, state: ui.stateFilter }), ui.sort),
    [snapshot, ui.text, ui.stateFilter, ui.sort],
  );
  const events = useMemo(() => topEvents(snapshot, snapshot.status.problems), [snapshot]);
  const running = useMemo(() => new Map(runningLines(snapshot).map((r) => [r.key, r])), [snapshot]);
  const backends = backendLines(snapshot);
  const keys = rows.map((r) => r.key);
  const view = clampSelection(ui, keys);
  const message = view.message ?? props.notice ?? null;
  const footer = message ? 2 : 1;
  const fit = size
    ? layout({ rows: size.rows, backends: backends.length, footer, tasks: rows.length, events: events.length })
    : {
        height: undefined,
        backendLines: backends.length,
        backendsHidden: 0,
        taskRows: Math.max(1, rows.length),
        eventRows: Math.min(ONCE_EVENTS, Math.max(1, events.length)),
        body: undefined,
      };

  // Keys read the latest render's state, not the closure of the render that subscribed: a key
  // typed between a frame and the effect that re-subscribes would otherwise act on stale state.
  const latest = useRef({ view, keys, events: events.length, page: fit.taskRows });
  latest.current = { view, keys, events: events.length, page: fit.taskRows };
  useInput(
    (input, key) => {
      const cur = latest.current;
      const { state, effect } = reduceKey(cur.view, input, key, cur.keys, readOnly, { events: cur.events, page: Math.max(1, cur.page - 1) });
      latest.current = { ...cur, view: clampSelection(state, cur.keys) };
      setUi(state);
      if (effect === 'quit') props.onQuit?.();
      if (effect === 'togglePause' && props.onTogglePause) {
        const target = !snapshot.state.meta.paused;
        setUi({ ...state, message: target ? 'pausing…' : 'resuming…' });
        props.onTogglePause(target).then(
          (msg) => setUi((u) => ({ ...u, message: msg })),
          (err: unknown) => setUi((u) => ({ ...u, message: `could not change pause: ${(err as Error)?.message ?? String(err)}` })),
        );
      }
    },
    { isActive: interactive },
  );

  const selectedTask = view.selected ? snapshot.state.tasks[view.selected] : undefined;
  return (
    // A fixed height with overflow hidden: even a miscounted line can never make the frame taller.
    <Box flexDirection="column" height={fit.height} overflow="hidden">
      <Header
        snapshot={snapshot}
        backends={backends.slice(0, fit.backendLines)}
        backendsHidden={fit.backendsHidden}
        problems={snapshot.status.problems.length}
      />
      <Box flexDirection="column" height={fit.body} overflow="hidden">
        {view.view === 'help' ? (
          <Help readOnly={readOnly} />
        ) : view.view === 'details' && selectedTask ? (
          <Details task={selectedTask} priority={snapshot.priorities?.[selectedTask.key]} now={snapshot.now} />
        ) : (
          <>
            <TaskPane rows={rows} running={running} selected={view.selected} height={fit.taskRows} focused={view.focus === 'tasks'} />
            <EventPane events={events} offset={view.eventOffset} height={fit.eventRows} focused={view.focus === 'events'} />
          </>
        )}
      </Box>
      {message ? (
        <Text color={view.message ? 'yellow' : 'red'} wrap="truncate">
          {message}
        </Text>
      ) : null}
      <Footer ui={view} shown={rows.length} total={Object.keys(snapshot.state.tasks).length} readOnly={readOnly} />
    </Box>
  );
}

function Footer({ ui, shown, total, readOnly }: { ui: ViewState; shown: number; total: number; readOnly: boolean }) {
  const filter = `${ui.stateFilter ?? 'all'}${ui.text || ui.editing ? ` /${ui.text}${ui.editing ? '_' : ''}` : ''}`;
  return (
    <Text dimColor wrap="truncate">
      {shown}/{total} tasks · sort {ui.sort} · filter {filter} · ? help q quit {readOnly ? '' : 'p pause '}tab events s sort f state / filter enter details
    </Text>
  );
}
