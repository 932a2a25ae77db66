/**
 * How `fano top` splits the terminal, pure. The frame is always one line shorter than the
 * terminal: Ink writes a newline after the frame, and a frame as tall as the terminal would
 * scroll it (growing the scrollback) or make Ink clear the whole screen before every redraw.
 */
export const MIN_ROWS = 12;

export interface LayoutInput {
  rows: number;
  backends: number;
  /** Lines the footer needs (1, or 2 with a message or notice). */
  footer: number;
  /** Task rows and events there are to show (a pane with less to show leaves its space to the other). */
  tasks: number;
  events: number;
}

export interface Layout {
  /** Frame height: rows - 1. */
  height: number;
  /** Backend lines shown in the header (the rest are summarised on one line). */
  backendLines: number;
  backendsHidden: number;
  /** Task rows shown (below the column heading). */
  taskRows: number;
  /** Event lines shown (below the pane heading). */
  eventRows: number;
  /** Lines of the region between header and footer (details and help views use it whole). */
  body: number;
}

/** Title, tick line, throughput line and 24 h figures around the backend lines. */
const HEADER_FIXED = 4;
/** Column heading of the task list and heading of the event pane. */
const PANE_HEADINGS = 2;
/** Share of the panes' lines the task list gets when both have more than fits. */
const TASK_SHARE = 0.6;

export function layout(inp: LayoutInput): Layout {
  const height = Math.max(MIN_ROWS, inp.rows) - 1;
  // Backends get at most a third of the screen; the rest are one summary line.
  const maxBackends = Math.max(1, Math.floor(height / 3));
  const backendLines = inp.backends <= maxBackends ? inp.backends : maxBackends - 1;
  const backendsHidden = inp.backends - backendLines;
  const header = HEADER_FIXED + backendLines + (backendsHidden > 0 ? 1 : 0);
  const body = Math.max(0, height - header - inp.footer);
  const panes = Math.max(0, body - PANE_HEADINGS);
  // Each pane at least 2 lines while there is room; the task list takes its share, the events the
  // rest; a pane that needs less gives its lines to the other.
  let taskRows = Math.max(Math.min(2, panes), Math.round(panes * TASK_SHARE));
  let eventRows = panes - taskRows;
  if (inp.tasks < taskRows) {
    eventRows += taskRows - Math.max(1, inp.tasks);
    taskRows = Math.max(1, inp.tasks);
  } else if (inp.events < eventRows) {
    taskRows += eventRows - Math.max(1, inp.events);
    eventRows = Math.max(1, inp.events);
  }
  return { height, backendLines, backendsHidden, taskRows: Math.min(taskRows, panes), eventRows: Math.max(0, Math.min(eventRows, panes - taskRows)), body };
}
