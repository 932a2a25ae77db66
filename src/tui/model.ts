import type { StatusBackend, StatusReport } from '../status/status-report.js';
import type { FanoState, Task, TaskState, TickInfo } from '../core/types.js';
import type { PriorityBreakdown } from '../core/priority.js';
import { HOUR_MS } from '../core/time.js';
import type { Metrics } from '../core/metrics.js';

/**
 * The pure model behind `fano top`: everything the dashboard shows, computed from a snapshot
 * (state + status facts + time). No React here, so it is tested without rendering and `fano tasks`
 * reuses the rows.
 */
export interface TopSnapshot {
  status: StatusReport;
  state: FanoState;
  /** tick.intervalSeconds: when the timer should run the next tick. */
  intervalSeconds: number;
  /**
   * Effective priority per task key and its parts (computed by the caller from the scheduler
   * options); a finished task's is the one it had when it finished.
   */
  priorities?: Record<string, PriorityBreakdown>;
  now: Date;
}

/** Orders within a state group (the dashboard always shows running and pending work first). */
export const SORT_KEYS = ['priority', 'age', 'key'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface TaskRow {
  key: string;
  module: string;
  type: string;
  state: TaskState;
  priority: number;
  ageMs: number;
  attempts: number;
  llmRequests: number;
  errorKind: string | null;
}

export interface BackendLine {
  name: string;
  /** working | idle | exhausted | rate-limited | needs-human | disabled */
  display: string;
  detail: string | null;
  b: StatusBackend;
}

export interface RunningLine {
  key: string;
  backend: string | null;
  phase: string;
  elapsedMs: number;
}

export const SPARK_HOURS = 24;
const SPARK_CHARS = '▁▂▃▄▅▆▇█';

/** The backend a task is (or was last) talking to. */
function taskBackend(t: Task): string | null {
  return t.conversation?.backend ?? t.llmPreference;
}

/**
 * What the running task is doing. `submitted` is logged before the answer is awaited, so it
 * distinguishes "prompt sent, waiting" from "opening the conversation / preparing the prompt".
 */
export function taskPhase(t: Task): string {
  const turn = t.conversation?.turn ?? 0;
  if (t.conversation?.submitted) return `waiting for answer (turn ${turn + 1}${t.conversation.submitted.deep ? ', deep' : ''})`;
  const phase = t.data['phase'];
  if (typeof phase === 'string') return phase;
  return turn > 0 ? `preparing turn ${turn + 1}` : 'starting';
}

/**
 * One line per backend: what it is doing and, when it cannot work, why and until when, in the
 * words a person acts on (rate-limited until HH:MM, needs a person: run fano login …).
 */
export function backendLines(snap: TopSnapshot): BackendLine[] {
  const { status, state, now } = snap;
  const working = new Set(
    Object.values(state.tasks)
      .filter((t) => t.state === 'running')
      .map(taskBackend),
  );
  const until = (iso: string) => `until ${hhmm(iso)} (${relativeTo(new Date(iso), now)})`;
  return status.backends.map((b): BackendLine => {
    const line = (display: string, detail: string | null): BackendLine => ({ name: b.name, display, detail, b });
    if (b.status === 'disabled') return line('disabled', 'enabled: false in fano.config.yaml');
    if (b.needsHuman) return line('needs-human', `needs a person (${b.needsHuman.reason}): run \`fano login ${b.name}\``);
    if (b.status === 'rateLimited') return line('rate-limited', b.rateLimitedUntil ? `rate-limited ${until(b.rateLimitedUntil)}` : 'rate-limited');
    if (working.has(b.name)) return line('working', null);
    if (b.status === 'unreachable') return line('unreachable', 'the site did not load; retrying with backoff');
    if (b.status === 'exhausted') return line('exhausted', b.usedUpUntil ? `quota used up ${until(b.usedUpUntil)}` : 'hourly quota used up');
    return line('idle', null);
  });
}

export function taskRows(snap: TopSnapshot): TaskRow[] {
  const now = snap.now.getTime();
  return Object.values(snap.state.tasks).map((t) => ({
    key: t.key,
    module: t.module,
    type: t.type,
    state: t.state,
    priority: Math.round(snap.priorities?.[t.key]?.total ?? t.priority),
    ageMs: Math.max(0, now - Date.parse(t.createdAt)),
    attempts: t.attempts,
    llmRequests: t.llmRequests,
    errorKind: t.lastError?.kind ?? null,
  }));
}

const STATE_ORDER: Record<TaskState, number> = { running: 0, pending: 1, paused: 2, failed: 3, completed: 4 };

function compareBy(by: SortKey): (a: TaskRow, b: TaskRow) => number {
  return (a, b) => {
    switch (by) {
      case 'priority':
        return b.priority - a.priority;
      case 'age':
        return b.ageMs - a.ageMs;
      case 'key':
        return 0;
    }
  };
}

/** Sorted within module groups (modules alphabetical): `fano tasks`' list "grouped by module". */
export function sortRows(rows: readonly TaskRow[], by: SortKey): TaskRow[] {
  const cmp = compareBy(by);
  // Ties broken by key so the order is stable between refreshes.
  return [...rows].sort((a, b) => a.module.localeCompare(b.module) || cmp(a, b) || a.key.localeCompare(b.key));
}

/**
 * The dashboard's order: the work that matters first (running, pending, paused, then failed and
 * completed), `by` within each state, ties by key so refreshes never shuffle rows.
 */
export function sortWorkFirst(rows: readonly TaskRow[], by: SortKey): TaskRow[] {
  const cmp = compareBy(by);
  return [...rows].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || cmp(a, b) || a.key.localeCompare(b.key));
}

export interface RowFilter {
  /** Case-insensitive substring of key, module, type or state. */
  text?: string;
  state?: TaskState | null;
  module?: string | null;
}

export function filterRows(rows: readonly TaskRow[], f: RowFilter): TaskRow[] {
  const q = (f.text ?? '').toLowerCase();
  return rows.filter(
    (r) =>
      (!f.state || r.state === f.state) &&
      (!f.module || r.module === f.module) &&
      (q === '' || [r.key, r.module, r.type, r.state].some((s) => s.toLowerCase().includes(q))),
  );
}

export function runningLines(snap: TopSnapshot): RunningLine[] {
  return Object.values(snap.state.tasks)
    .filter((t) => t.state === 'running')
    .map((t) => ({ key: t.key, backend: taskBackend(t), phase: taskPhase(t), elapsedMs: Math.max(0, snap.now.getTime() - Date.parse(t.updatedAt)) }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

export function recentCompletions(state: FanoState, limit: number): Task[] {
  return Object.values(state.tasks)
    .filter((t) => t.state === 'completed' && t.finishedAt)
    .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '') || a.key.localeCompare(b.key))
    .slice(0, limit);
}

/** Completed tasks per hour over the last `hours` hours, oldest first; the last bucket ends at `now`. */
export function throughputPerHour(state: FanoState, now: Date, hours = SPARK_HOURS): number[] {
  const buckets = new Array<number>(hours).fill(0);
  const end = now.getTime();
  for (const t of Object.values(state.tasks)) {
    if (t.state !== 'completed' || !t.finishedAt) continue;
    const ago = end - Date.parse(t.finishedAt);
    if (!(ago >= 0 && ago < hours * HOUR_MS)) continue;
    buckets[hours - 1 - Math.floor(ago / HOUR_MS)]! += 1;
  }
  return buckets;
}

/** One character per value, scaled to the maximum; zero is the lowest bar, never blank. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? SPARK_CHARS[0] : SPARK_CHARS[Math.min(7, Math.round((v / max) * 7))])).join('');
}

/** `[#####-----]`-style bar; `limit` 0 shows an empty bar. */
export function bar(used: number, limit: number, width: number): string {
  const filled = limit <= 0 ? 0 : Math.min(width, Math.round((Math.max(0, used) / limit) * width));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** When the timer should fire next, from the last tick's start and tick.intervalSeconds. */
export function nextTickAt(last: TickInfo | null, intervalSeconds: number): Date | null {
  if (!last) return null;
  const t = Date.parse(last.startedAt);
  return Number.isNaN(t) ? null : new Date(t + intervalSeconds * 1000);
}

/**
 * The design's 24 h figures in one header line: sections documented, research items, requests and
 * deep uses per backend, and the mean run time and queue wait of the tasks done (weighted by how
 * many of each type were done).
 */
export function metricsLine(m: Metrics | Record<string, never>): string {
  if (!('backends' in m)) return '24 h: no figures yet';
  const backends = Object.entries(m.backends);
  const req = backends.map(([n, b]) => `${n} ${b.llmRequests24h}`).join(', ') || 'none';
  const deep =
    backends
      .filter(([, b]) => b.deepUsesToday > 0)
      .map(([n, b]) => `${n} ${b.deepUsesToday}`)
      .join(', ') || '0';
  let n = 0;
  let run = 0;
  let wait = 0;
  for (const [k, v] of Object.entries(m.avgTaskDurationMin)) {
    const w = m.tasksCompleted24h[k] ?? 0;
    n += w;
    run += v * w;
    wait += (m.avgQueueWaitMin[k] ?? 0) * w;
  }
  const times = n > 0 ? ` · mean run ${(run / n).toFixed(1)} min, queue wait ${(wait / n).toFixed(1)} min` : '';
  return `24 h: ${m.sectionsDocumented24h} section(s) documented · ${m.researchItems24h.total} research item(s) · requests ${req} · deep today ${deep}${times}`;
}

export interface ErrorCounts {
  failed: number;
  /** Unfinished tasks whose last attempt failed (they are backing off). */
  retrying: number;
  needsHuman: number;
  lastTickError: boolean;
  total: number;
}

export function errorCounts(snap: TopSnapshot): ErrorCounts {
  const tasks = Object.values(snap.state.tasks);
  const failed = tasks.filter((t) => t.state === 'failed').length;
  const retrying = tasks.filter((t) => t.state !== 'failed' && t.state !== 'completed' && t.lastError !== null).length;
  const needsHuman = snap.status.backends.filter((b) => b.needsHuman).length;
  const lastTickError = snap.status.lastTick?.outcome === 'error';
  return { failed, retrying, needsHuman, lastTickError, total: failed + retrying + needsHuman + (lastTickError ? 1 : 0) };
}

/** `45s`, `12m`, `3h05m`, `2d04h`: compact, for columns. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** `18:42` in UTC: for "until" times a person plans around. */
export function hhmm(iso: string | Date): string {
  return clock(iso).slice(0, 5);
}

/** `18:42:07` in UTC (state times are UTC; a dashboard only needs the clock). */
export function clock(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isNaN(d.getTime()) ? '?' : d.toISOString().slice(11, 19);
}

/** "in 42s" / "due" / "overdue 3m05s": how the next tick relates to now. */
export function relativeTo(at: Date, now: Date): string {
  const d = at.getTime() - now.getTime();
  if (d >= 0) return `in ${formatDuration(d)}`;
  return -d < 5_000 ? 'due' : `overdue ${formatDuration(-d)}`;
}
