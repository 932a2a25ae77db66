import { Box, Text, useInput } from 'ink';
import { useMemo, useState, type ReactElement } from 'react';
import type { Task } from '../core/types.js';
import {
  backendLines,
  bar,
  clock,
  errorCounts,
  filterRows,
  formatDuration,
  nextTickAt,
  recentCompletions,
  relativeTo,
  runningLines,
  sortRows,
  sparkline,
  taskRows,
  throughputPerHour,
  type BackendLine,
  type TaskRow,
  type TopSnapshot,
} from './model.js';
import { clampSelection, initialViewState, reduceKey, type ViewState } from './view-state.js';

export interface DashboardProps {
  snapshot: TopSnapshot;
  readOnly?: boolean;
  /** Sets the durable pause flag to `paused`; resolves to a message to show (success or why not). */
  onTogglePause?: (paused: boolean) => Promise<string>;
  onQuit?: () => void;
  /** Task rows shown at once (the list scrolls around the selection). */
  listRows?: number;
  /** False for `--once`: no keyboard (stdin may not be a terminal). */
  interactive?: boolean;
  initialView?: Partial<ViewState>;
  /** A problem outside the dashboard's control (state unreadable), shown above the footer. */
  notice?: string | null;
}

const STATUS_COLOR: Record<string, string> = {
  working: 'green',
  idle: 'cyan',
  exhausted: 'yellow',
  'rate-limited': 'yellow',
  'needs-human': 'red',
  disabled: 'gray',
};
const STATE_COLOR: Record<string, string> = { running: 'green', pending: 'white', paused: 'cyan', failed: 'red', completed: 'gray' };
const BAR_WIDTH = 12;

export function Dashboard(props: DashboardProps) {
  const { snapshot, readOnly = false, listRows = 15, interactive = true } = props;
  const [ui, setUi] = useState<ViewState>(() => ({ ...initialViewState(), ...props.initialView }));

  const rows = useMemo(() => sortRows(filterRows(taskRows(snapshot), { text: ui.text, state: ui.stateFilter }), ui.sort), [snapshot, ui.text, ui.stateFilter, ui.sort]);
  const keys = rows.map((r) => r.key);
  const view = clampSelection(ui, keys);

  useInput(
    (input, key) => {
      const { state, effect } = reduceKey(view, input, key, keys, readOnly);
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
    <Box flexDirection="column">
      <Header snapshot={snapshot} />
      {view.view === 'help' ? (
        <Help readOnly={readOnly} />
      ) : view.view === 'details' && selectedTask ? (
        <Details task={selectedTask} now={snapshot.now} />
      ) : (
        <>
          <Running snapshot={snapshot} />
          <TaskList rows={rows} selected={view.selected} listRows={listRows} />
          <Recent snapshot={snapshot} />
        </>
      )}
      {props.notice ? <Text color="red" wrap="truncate">{props.notice}</Text> : null}
      <Footer ui={view} shown={rows.length} total={Object.keys(snapshot.state.tasks).length} readOnly={readOnly} />
    </Box>
  );
}

function Header({ snapshot }: { snapshot: TopSnapshot }) {
  const { status, now } = snapshot;
  const last = status.lastTick;
  const next = nextTickAt(last, snapshot.intervalSeconds);
  const errs = errorCounts(snapshot);
  const spark = throughputPerHour(snapshot.state, now);
  const done24 = spark.reduce((a, b) => a + b, 0);
  const errParts = [errs.failed && `${errs.failed} failed`, errs.retrying && `${errs.retrying} retrying`, errs.needsHuman && `${errs.needsHuman} need a person`, errs.lastTickError && 'last tick failed'].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>fano top</Text> {status.home} {status.paused ? <Text color="yellow" bold>[PAUSED: ticks do no LLM work]</Text> : null}
        <Text dimColor>  {clock(now)} UTC</Text>
      </Text>
      {status.backends.length === 0 ? <Text dimColor>no backends configured</Text> : null}
      {backendLines(status, snapshot.state).map((l) => (
        <BackendRow key={l.name} line={l} now={now} />
      ))}
      <Text wrap="truncate">
        last tick {last ? `${clock(last.startedAt)} ${last.outcome} (${last.steps} step${last.steps === 1 ? '' : 's'}, ${last.requests} req)` : 'never (run `fano tick`)'}
        {'  '}next tick {next ? `${clock(next)} (${relativeTo(next, now)})` : '-'}
      </Text>
      <Text wrap="truncate">
        errors <Text color={errs.total > 0 ? 'red' : 'green'}>{errs.total}</Text>
        {errParts.length > 0 ? ` (${errParts.join(', ')})` : ''}
      </Text>
      {last?.error ? <Text color="red" wrap="truncate">  last tick error: {last.error}</Text> : null}
      <Text wrap="truncate">
        done/h 24h <Text color="green">{sparkline(spark)}</Text> {done24} completed in 24 h, now {spark[spark.length - 1] ?? 0}/h
      </Text>
    </Box>
  );
}

function BackendRow({ line, now }: { line: BackendLine; now: Date }) {
  const b = line.b;
  const learned = b.effectiveHourly !== b.hourlyLimit ? ` learned ${b.effectiveHourly}` : '';
  const color = STATUS_COLOR[line.display] ?? 'white';
  const until = b.rateLimitedUntil ? `until ${clock(b.rateLimitedUntil)} (${relativeTo(new Date(b.rateLimitedUntil), now)})` : null;
  const detail = line.display === 'rate-limited' ? until : line.detail;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {b.name.padEnd(10)} <Text color={color}>{line.display.padEnd(12)}</Text> hour {bar(b.requestsThisHour, b.effectiveHourly, BAR_WIDTH)}{' '}
        {`${b.requestsThisHour}/${b.hourlyLimit}${learned}`.padEnd(16)} deep {bar(b.deepUsedToday, b.deepDailyLimit, 6)} {b.deepUsedToday}/{b.deepDailyLimit}
      </Text>
      {detail ? (
        <Text color={color} wrap="truncate">
          {'           '}
          {detail}
        </Text>
      ) : null}
    </Box>
  );
}

function Running({ snapshot }: { snapshot: TopSnapshot }) {
  const running = runningLines(snapshot);
  if (running.length === 0) return <Text dimColor>running: nothing</Text>;
  return (
    <Box flexDirection="column">
      {running.map((r) => (
        <Text key={r.key} wrap="truncate">
          <Text color="green">running</Text> {r.key} on {r.backend ?? '?'}: {r.phase}, {formatDuration(r.elapsedMs)}
        </Text>
      ))}
    </Box>
  );
}

/** Rows grouped by module (rows arrive sorted by module first), windowed around the selection. */
function TaskList({ rows, selected, listRows }: { rows: TaskRow[]; selected: string | null; listRows: number }) {
  const idx = Math.max(0, rows.findIndex((r) => r.key === selected));
  const start = Math.max(0, Math.min(idx - Math.floor(listRows / 2), rows.length - listRows));
  const shown = rows.slice(start, start + listRows);
  const lines: ReactElement[] = [];
  let module: string | null = start > 0 ? (rows[start - 1]?.module ?? null) : null;
  for (const r of shown) {
    if (r.module !== module) {
      module = r.module;
      lines.push(
        <Text key={`m:${r.module}`} bold wrap="truncate">
          {r.module} ({rows.filter((x) => x.module === r.module).length})
        </Text>,
      );
    }
    const sel = r.key === selected;
    lines.push(
      <Text key={r.key} inverse={sel} wrap="truncate">
        {sel ? '›' : ' '} <Text color={STATE_COLOR[r.state] ?? 'white'}>{r.state.padEnd(9)}</Text> {String(r.priority).padStart(5)} {formatDuration(r.ageMs).padStart(7)}  {r.key}
        {r.errorKind ? <Text color="red"> [{r.errorKind}]</Text> : null}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>  state     prio     age  task</Text>
      {rows.length === 0 ? <Text dimColor>  no tasks match</Text> : lines}
      {rows.length > shown.length ? <Text dimColor>  … {rows.length - shown.length} more (↑↓ to scroll)</Text> : null}
    </Box>
  );
}

function Recent({ snapshot }: { snapshot: TopSnapshot }) {
  const done = recentCompletions(snapshot.state, 5);
  if (done.length === 0) return null;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>recent completions</Text>
      {done.map((t) => (
        <Text key={t.key} wrap="truncate">
          {'  '}
          {clock(t.finishedAt ?? '')} {t.key} ({t.llmRequests} req)
        </Text>
      ))}
    </Box>
  );
}

function Details({ task: t, now }: { task: Task; now: Date }) {
  const field = (name: string, value: string) => (
    <Text key={name} wrap="truncate">
      <Text dimColor>{name.padEnd(13)}</Text>
      {value}
    </Text>
  );
  const json = (v: unknown) => {
    const s = JSON.stringify(v);
    return s.length > 200 ? s.slice(0, 199) + '…' : s;
  };
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold wrap="truncate">task {t.key}</Text>
      {field('module', `${t.module} / ${t.type}`)}
      {field('state', `${t.state}${t.deep ? ' (deep)' : ''}, priority +${t.priority}, ${t.attempts} failed attempt(s), ${t.llmRequests} request(s)`)}
      {field('created', `${t.createdAt} (${formatDuration(now.getTime() - Date.parse(t.createdAt))} ago)`)}
      {field('updated', t.updatedAt)}
      {t.notBefore ? field('not before', t.notBefore) : null}
      {t.finishedAt ? field('finished', t.finishedAt) : null}
      {field('backend', t.conversation ? `${t.conversation.backend} turn ${t.conversation.turn} ${t.conversation.url ?? ''}` : (t.llmPreference ?? 'any'))}
      {field('context', json(t.context))}
      {field('data', json(t.data))}
      {t.lastError ? (
        <>
          {field('last error', `${t.lastError.kind} at ${t.lastError.at}: ${t.lastError.message}`)}
          {field('bundle', t.lastError.bundle ?? 'none (no failure bundle was written)')}
        </>
      ) : (
        field('last error', 'none')
      )}
      <Text dimColor>enter/esc: back to the list</Text>
    </Box>
  );
}

function Help({ readOnly }: { readOnly: boolean }) {
  const keys: Array<[string, string]> = [
    ['↑ ↓ / j k', 'move the selection (PgUp/PgDn: a page)'],
    ['enter', "show the selected task's details and its last failure bundle"],
    ['s', 'cycle sort: priority, age, state, key (within each module)'],
    ['f', 'cycle the state filter: all, pending, running, paused, completed, failed'],
    ['/', 'type a filter (key, module, type or state); enter keeps it, esc clears it'],
    ['esc', 'clear all filters'],
    ['p', readOnly ? 'pause/resume (disabled: --read-only)' : 'pause/resume scheduling (durable: the next tick honours it)'],
    ['?', 'this help (any key returns)'],
    ['q', 'quit'],
  ];
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>keys</Text>
      {keys.map(([k, d]) => (
        <Text key={k} wrap="truncate">
          {'  '}
          {k.padEnd(11)} {d}
        </Text>
      ))}
      <Text dimColor>the screen refreshes when state/ or runs/ change; it never takes the tick lock</Text>
    </Box>
  );
}

function Footer({ ui, shown, total, readOnly }: { ui: ViewState; shown: number; total: number; readOnly: boolean }) {
  const filter = `${ui.stateFilter ?? 'all'}${ui.text || ui.editing ? ` /${ui.text}${ui.editing ? '_' : ''}` : ''}`;
  return (
    <Box flexDirection="column" marginTop={1}>
      {ui.message ? <Text color="yellow" wrap="truncate">{ui.message}</Text> : null}
      <Text dimColor wrap="truncate">
        {shown}/{total} tasks · sort {ui.sort} · filter {filter} · ? help q quit {readOnly ? '' : 'p pause '}s sort f state / filter enter details
      </Text>
    </Box>
  );
}
