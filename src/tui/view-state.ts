import { TASK_STATES, type TaskState } from '../core/types.js';
import { SORT_KEYS, type SortKey } from './model.js';

/**
 * The dashboard's UI state and its key handling, pure: (state, key, visible rows) → (state,
 * effect). The component only performs the effects (quit, toggle pause), so every key binding is
 * tested without a terminal.
 */
export interface ViewState {
  view: 'list' | 'help' | 'details';
  sort: SortKey;
  stateFilter: TaskState | null;
  text: string;
  /** True while typing a `/` filter: letters go to the filter, not to commands. */
  editing: boolean;
  /** Selected task by key (not index) so the selection survives refreshes that reorder rows. */
  selected: string | null;
  message: string | null;
  /** Which pane the arrows move: the task list or the events pane. */
  focus: 'tasks' | 'events';
  /** First event shown (0 = the newest). */
  eventOffset: number;
}

export type Effect = 'quit' | 'togglePause' | null;

/** The subset of Ink's Key the reducer needs (so tests build keys without Ink). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  home?: boolean;
  end?: boolean;
}

export const PAGE_ROWS = 10;

export function initialViewState(): ViewState {
  return { view: 'list', sort: 'priority', stateFilter: null, text: '', editing: false, selected: null, message: null, focus: 'tasks', eventOffset: 0 };
}

function cycle<T>(all: readonly T[], cur: T): T {
  return all[(all.indexOf(cur) + 1) % all.length]!;
}

/** Keeps the selection on a visible row: the same key if still shown, else the first row. */
export function clampSelection(s: ViewState, keys: readonly string[]): ViewState {
  if (s.selected !== null && keys.includes(s.selected)) return s;
  return { ...s, selected: keys[0] ?? null };
}

function move(s: ViewState, keys: readonly string[], delta: number): ViewState {
  if (keys.length === 0) return { ...s, selected: null };
  const i = s.selected === null ? -1 : keys.indexOf(s.selected);
  const next = Math.max(0, Math.min(keys.length - 1, (i < 0 ? 0 : i) + delta));
  return { ...s, selected: keys[next]! };
}

function scroll(s: ViewState, events: number, delta: number): ViewState {
  return { ...s, eventOffset: Math.max(0, Math.min(Math.max(0, events - 1), s.eventOffset + delta)) };
}

/**
 * One key press. `keys` are the visible rows' keys in display order; `readOnly` disables `p`;
 * `events` is how many events the pane has and `page` how many rows a page moves.
 * Ordering: filter editing first (so `q` can be typed into a filter), then the view's own keys.
 */
export function reduceKey(
  s0: ViewState,
  input: string,
  key: KeyInfo,
  keys: readonly string[],
  readOnly: boolean,
  opts: { events?: number; page?: number } = {},
): { state: ViewState; effect: Effect } {
  const page = Math.max(1, opts.page ?? PAGE_ROWS);
  const events = opts.events ?? 0;
  const s: ViewState = { ...s0, message: null };
  const done = (state: ViewState, effect: Effect = null) => ({ state, effect });
  if (key.ctrl && input === 'c') return done(s, 'quit');

  if (s.editing) {
    if (key.escape) return done({ ...s, editing: false, text: '' });
    if (key.return) return done({ ...s, editing: false });
    if (key.backspace || key.delete) return done({ ...s, text: s.text.slice(0, -1) });
    if (input && !key.ctrl) return done({ ...s, text: s.text + input });
    return done(s);
  }

  if (s.view === 'help') {
    if (input === 'q') return done(s, 'quit');
    return done({ ...s, view: 'list' });
  }
  if (s.view === 'details') {
    if (input === 'q') return done(s, 'quit');
    if (key.escape || key.return || key.backspace || key.delete || input === '?') return done({ ...s, view: input === '?' ? 'help' : 'list' });
    return done(s);
  }

  if (input === 'q') return done(s, 'quit');
  if (input === '?') return done({ ...s, view: 'help' });
  if (input === 'p') return readOnly ? done({ ...s, message: 'read-only: pausing is disabled (--read-only)' }) : done(s, 'togglePause');
  if (input === 's') return done({ ...s, sort: cycle(SORT_KEYS, s.sort) });
  if (input === 'f') return done({ ...s, stateFilter: cycle<TaskState | null>([null, ...TASK_STATES], s.stateFilter) });
  if (input === '/') return done({ ...s, editing: true });
  if (key.escape) return done({ ...s, text: '', stateFilter: null });
  if (key.tab) return done({ ...s, focus: s.focus === 'tasks' ? 'events' : 'tasks' });
  const delta =
    key.upArrow || input === 'k'
      ? -1
      : key.downArrow || input === 'j'
        ? 1
        : key.pageUp
          ? -page
          : key.pageDown
            ? page
            : key.home || input === 'g'
              ? -Infinity
              : key.end || input === 'G'
                ? Infinity
                : 0;
  if (delta !== 0) {
    if (s.focus === 'events') return done(scroll(s, events, Number.isFinite(delta) ? delta : delta < 0 ? -events : events));
    return done(move(s, keys, Number.isFinite(delta) ? delta : delta < 0 ? -keys.length : keys.length));
  }
  if (key.return) return s.selected !== null && keys.includes(s.selected) ? done({ ...s, view: 'details' }) : done(s);
  return done(s);
}
