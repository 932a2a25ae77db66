import { Text } from 'ink';
import type { ReactElement } from 'react';
import { eventTime, type EventTone, type TopEvent } from './events.js';
import { formatDuration, type RunningLine, type TaskRow } from './model.js';

/**
 * The two scrolling panes of `fano top`: the task list (work first) and the events. Each draws
 * exactly the lines it is given, its scroll position in its heading, so the frame never grows.
 */
const STATE_COLOR: Record<string, string> = { running: 'green', pending: 'white', paused: 'cyan', failed: 'red', completed: 'gray' };
const TONE_COLOR: Record<EventTone, string> = { error: 'red', warn: 'yellow', ok: 'green', info: 'white' };

/** `a-b of n`, or `n` when all fit. */
function range(start: number, shown: number, total: number): string {
  return shown >= total ? `${total}` : `${start + 1}-${start + shown} of ${total}`;
}

/** The window of `rows` lines around the selection (the selection is kept in view). */
export function windowAround(total: number, index: number, rows: number): number {
  return Math.max(0, Math.min(Math.max(0, index) - Math.floor(rows / 2), total - rows));
}

export function TaskPane(props: { rows: TaskRow[]; running: Map<string, RunningLine>; selected: string | null; height: number; focused: boolean }) {
  const { rows, selected, height } = props;
  const start = windowAround(
    rows.length,
    rows.findIndex((r) => r.key === selected),
    height,
  );
  const shown = rows.slice(start, start + height);
  const lines: ReactElement[] = shown.map((r) => {
    const sel = r.key === selected;
    const run = props.running.get(r.key);
    return (
      <Text key={r.key} inverse={sel && props.focused} bold={sel} wrap="truncate">
        {sel ? '›' : ' '} <Text color={STATE_COLOR[r.state] ?? 'white'}>{r.state.padEnd(9)}</Text> {String(r.priority).padStart(4)}{' '}
        {formatDuration(r.ageMs).padStart(7)} {r.key}
        {run ? (
          <Text color="green">
            {' '}
            {formatDuration(run.elapsedMs)} on {run.backend ?? '?'}: {run.phase}
          </Text>
        ) : null}
        {r.errorKind ? <Text color="red"> [{r.errorKind}]</Text> : null}
      </Text>
    );
  });
  return (
    <>
      <Text dimColor={!props.focused} wrap="truncate">
        {'  state     prio     age  task'}
        <Text dimColor> ({range(start, shown.length, rows.length)})</Text>
      </Text>
      {rows.length === 0 ? <Text dimColor> no tasks match</Text> : lines}
    </>
  );
}

export function EventPane({ events, offset, height, focused }: { events: TopEvent[]; offset: number; height: number; focused: boolean }) {
  const start = Math.max(0, Math.min(offset, events.length - height));
  const shown = events.slice(start, start + height);
  return (
    <>
      <Text dimColor={!focused} wrap="truncate">
        {'events'}
        <Text dimColor>
          {' '}
          ({events.length === 0 ? 'none yet' : range(start, shown.length, events.length)}, newest first{focused ? '' : '; tab to scroll'})
        </Text>
      </Text>
      {shown.map((e, i) => (
        <Text key={`${start + i}:${e.text}`} wrap="truncate">
          <Text dimColor>{eventTime(e)}</Text> <Text color={TONE_COLOR[e.tone]}>{e.text}</Text>
        </Text>
      ))}
    </>
  );
}
