import type { Task } from '../core/types.js';
import { formatProblem, type Problem } from '../core/problems.js';
import { backendLines, clock, hhmm, type TopSnapshot } from './model.js';

/**
 * The dashboard's event pane, pure: what a person watching fano wants to notice, newest first
 * (problems that need a fix, failures, why waiting work waits, recent completions). Built from
 * the snapshot alone, so it is tested without rendering.
 */
export type EventTone = 'error' | 'warn' | 'ok' | 'info';

export interface TopEvent {
  /** ISO time, or null for a standing condition (a problem, a block) shown before timed events. */
  at: string | null;
  tone: EventTone;
  text: string;
}

/** Completions and failures older than this leave the pane (the task list still has them). */
export const EVENT_HORIZON_MS = 24 * 3_600_000;
/** Bounds the pane however large the state grows. */
export const MAX_EVENTS = 200;

function errorText(t: Task): string {
  return t.lastError ? `${t.lastError.kind}: ${t.lastError.message}` : 'no error recorded';
}

/** Why waiting work cannot run now, one line per cause (not one per task: 50 tasks on a limited backend is one line). */
function blocked(snap: TopSnapshot): TopEvent[] {
  const out: TopEvent[] = [];
  const now = snap.now.getTime();
  const waiting = Object.values(snap.state.tasks).filter((t) => t.state === 'pending' || t.state === 'paused');
  if (waiting.length === 0) return out;
  if (snap.status.paused) out.push({ at: null, tone: 'warn', text: `${waiting.length} task(s) wait: scheduling is paused (p resumes)` });

  const lines = backendLines(snap);
  const unable = new Map(lines.filter((l) => l.display !== 'working' && l.display !== 'idle').map((l) => [l.name, l.detail ?? l.display]));
  if (lines.length > 0 && unable.size === lines.length) {
    out.push({ at: null, tone: 'warn', text: `${waiting.length} task(s) wait: no backend can take work now` });
  } else {
    const byBackend = new Map<string, number>();
    for (const t of waiting)
      if (t.llmPreference !== null && unable.has(t.llmPreference)) byBackend.set(t.llmPreference, (byBackend.get(t.llmPreference) ?? 0) + 1);
    for (const [name, n] of [...byBackend].sort(([a], [b]) => a.localeCompare(b))) {
      out.push({ at: null, tone: 'warn', text: `${n} task(s) wait for ${name}: ${unable.get(name)}` });
    }
  }
  // Deep work waits for the quota day when no backend it may use has a deep request left.
  const deepLeft = (name: string) => snap.status.backends.some((b) => b.name === name && b.status !== 'disabled' && b.deepUsedToday < b.deepDailyLimit);
  const deepWaiting = waiting.filter(
    (t) => t.deep && (t.llmPreference !== null ? !deepLeft(t.llmPreference) : !snap.status.backends.some((b) => deepLeft(b.name))),
  );
  if (deepWaiting.length > 0)
    out.push({ at: null, tone: 'warn', text: `${deepWaiting.length} deep task(s) wait: their backends have no deep requests left today` });
  for (const t of waiting) {
    if (t.notBefore === null || Date.parse(t.notBefore) <= now) continue;
    out.push({
      at: t.lastError?.at ?? t.updatedAt,
      tone: 'warn',
      text: `${t.key} retries at ${hhmm(t.notBefore)} after ${errorText(t)} (attempt ${t.attempts})`,
    });
  }
  return out;
}

/**
 * Problems a person must fix (from the status report, when it carries them), then standing
 * blocks, then timed events newest first.
 */
export function topEvents(snap: TopSnapshot, problems: readonly Problem[] = []): TopEvent[] {
  const standing: TopEvent[] = problems.map((p) => ({ at: null, tone: 'error', text: `problem ${formatProblem(p)}` }));
  const last = snap.status.lastTick;
  const timed: TopEvent[] = [];
  if (last?.outcome === 'error') timed.push({ at: last.startedAt, tone: 'error', text: `tick failed: ${last.error ?? 'no message'}` });
  const since = snap.now.getTime() - EVENT_HORIZON_MS;
  for (const t of Object.values(snap.state.tasks)) {
    const at = t.finishedAt ?? t.updatedAt;
    if (t.state === 'failed' && Date.parse(at) >= since) timed.push({ at, tone: 'error', text: `failed ${t.key}: ${errorText(t)}` });
    if (t.state === 'completed' && Date.parse(at) >= since) timed.push({ at, tone: 'ok', text: `done ${t.key} (${t.llmRequests} req)` });
  }
  for (const l of backendLines(snap)) {
    if (l.b.needsHuman) timed.push({ at: l.b.needsHuman.since, tone: 'error', text: `${l.name}: ${l.detail}` });
  }
  const blocks = blocked(snap);
  timed.push(...blocks.filter((e) => e.at !== null));
  timed.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '') || a.text.localeCompare(b.text));
  return [...standing, ...blocks.filter((e) => e.at === null), ...timed].slice(0, MAX_EVENTS);
}

/** `12:03:09 ` before timed events, aligned blanks before standing ones. */
export function eventTime(e: TopEvent): string {
  return e.at === null ? 'now     ' : clock(e.at);
}
