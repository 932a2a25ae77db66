import type { Json, Task } from './types.js';
import { HOUR_MS } from './time.js';

/**
 * Task priority, pure, its factors explicit and testable (docs/architecture.md, Scheduling and
 * quotas). Higher runs first WITHIN a module; modules share requests by weight in the scheduler (stride scheduling), so a
 * priority never lets one module crowd out another.
 *
 * The priority splits into a static part (base, backlog, seed, comment: fixed while a scheduler
 * lives) and a dynamic part (starvation aging, deep deferral). The scheduler orders its queues on
 * the static part and the time-invariant form of aging, so it never re-evaluates every task per
 * pick (lazy evaluation).
 */

/**
 * Base priority per task type (human feedback highest). Overridable per type by config
 * `scheduler.taskTypes.<type>.basePriority`.
 */
export const BASE_PRIORITIES: Readonly<Record<string, number>> = {
  // Explorer
  exploration: 50,
  synthesis: 60,
  review: 55,
  critique: 45,
  dedupe_check: 58,
  // Documenter
  address_comment: 70,
  incorporate_insight: 55,
  review_section: 40,
  draft_section: 50,
  // A checked change holds its section until it goes in: its check and rewrite come soon after it.
  check_section: 60,
  rewrite_section: 60,
  // Researcher
  evaluate_source: 45,
  extract_content: 40,
  generate_questions: 35,
  synthesize_findings: 50,
};
/** For task types the table does not know (e.g. the echo module's). */
export const DEFAULT_BASE_PRIORITY = 50;
/** A deep task whose deep quota is gone is pushed far down. */
export const DEEP_DEFERRAL = -100;
/** The seed factor: context.seedPriority (1-10) is multiplied by this. */
export const SEED_PRIORITY_FACTOR = 10;
export const COMMENT_TASK_TYPE = 'address_comment';

export interface StarvationOptions {
  /** A task waiting longer than this is served before any non-overdue task of its module (FIFO). */
  maxWaitHours: number;
  boostPerHour: number;
  maxBoost: number;
}

export interface PriorityOptions {
  starvation: StarvationOptions;
  commentBoost: number;
  taskTypes: Record<string, { basePriority?: number | undefined }>;
}

/** The small system summary the caller builds (counts, not the whole state). */
export interface PrioritySystem {
  /**
   * Queued work per task type or per module (e.g. blessed insights not yet documented under
   * `documenter` or `incorporate_insight`). The task type's entry wins over its module's.
   */
  backlog?: Record<string, number>;
  /** Deep-mode requests left today per backend (quotaView().deepRemaining). */
  deepRemaining?: Record<string, number>;
}

export interface PriorityBreakdown {
  base: number;
  backlog: number;
  aging: number;
  seed: number;
  comment: number;
  deepDeferral: number;
  total: number;
}

export function basePriority(type: string, opts: Pick<PriorityOptions, 'taskTypes'>): number {
  return opts.taskTypes[type]?.basePriority ?? BASE_PRIORITIES[type] ?? DEFAULT_BASE_PRIORITY;
}

/**
 * The queued work a tick's priorities see as backlog pressure (docs/architecture.md, Scheduling
 * and quotas), from the module backlogs the status shows: blessed insights not yet documented
 * press on the Documenter. The tick and the simulator both build it here.
 */
export function backlogForPriority(b: { blessedInsightsPending: number }): Record<string, number> {
  return { documenter: b.blessedInsightsPending };
}

/** Backlog pressure: > 20 queued: +30, > 10: +15. */
export function backlogPressure(queued: number): number {
  if (queued > 20) return 30;
  if (queued > 10) return 15;
  return 0;
}

function numberIn(ctx: Record<string, Json>, ...names: string[]): number {
  for (const n of names) {
    const v = ctx[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

/**
 * Starvation aging: boostPerHour per hour waited since readyAt, capped at maxBoost. Continuous
 * (not per whole hour) so it orders tasks by age; 0 while readyAt is in the future.
 */
export function agingBoost(readyAtMs: number, nowMs: number, s: StarvationOptions): number {
  const waitedH = Math.max(0, nowMs - readyAtMs) / HOUR_MS;
  return Math.min(s.maxBoost, waitedH * s.boostPerHour);
}

/** base + backlog + seed + comment: everything that does not change with time. */
export function staticPriority(task: Task, system: PrioritySystem, opts: PriorityOptions): number {
  const b = explainStatic(task, system, opts);
  return b.base + b.backlog + b.seed + b.comment;
}

function explainStatic(task: Task, system: PrioritySystem, opts: PriorityOptions) {
  const queued = system.backlog?.[task.type] ?? system.backlog?.[task.module] ?? 0;
  return {
    base: basePriority(task.type, opts),
    backlog: backlogPressure(queued),
    // The module's own extra priority, plus the seed's priority (SEED_PRIORITY_FACTOR).
    seed: task.priority + SEED_PRIORITY_FACTOR * numberIn(task.context, 'seedPriority', 'seed_priority'),
    // A step of the answer to a comment (e.g. the Documenter's check of it) is boosted as the answer is.
    comment: task.type === COMMENT_TASK_TYPE || task.context.answersComment === true ? opts.commentBoost : 0,
  };
}

/**
 * True when the task needs deep mode and no backend it may use has deep quota left today.
 * Unknown (no deepRemaining given) means "not exhausted": the allocator has the final word.
 */
export function deepExhausted(task: Task, system: PrioritySystem): boolean {
  if (!task.deep || !system.deepRemaining) return false;
  const names = task.llmPreference !== null ? [task.llmPreference] : Object.keys(system.deepRemaining);
  return names.every((n) => (system.deepRemaining?.[n] ?? 0) <= 0);
}

/**
 * The instant a task's priority is taken at: `now` while it can still run; for a completed or
 * failed task the moment it finished (its wait ended there, so aging stops and the priority shown
 * for it never drifts). A clock behind the finish still uses `now`.
 */
export function priorityInstant(task: Task, now: Date): number {
  const nowMs = now.getTime();
  if (task.state !== 'completed' && task.state !== 'failed') return nowMs;
  const finished = Date.parse(task.finishedAt ?? task.updatedAt);
  return Number.isNaN(finished) ? nowMs : Math.min(nowMs, finished);
}

export function explainPriority(task: Task, system: PrioritySystem, now: Date, opts: PriorityOptions): PriorityBreakdown {
  const s = explainStatic(task, system, opts);
  const aging = agingBoost(Date.parse(task.readyAt), priorityInstant(task, now), opts.starvation);
  const deepDeferral = deepExhausted(task, system) ? DEEP_DEFERRAL : 0;
  return { ...s, aging, deepDeferral, total: s.base + s.backlog + s.seed + s.comment + aging + deepDeferral };
}

export function computePriority(task: Task, system: PrioritySystem, now: Date, opts: PriorityOptions): number {
  return explainPriority(task, system, now, opts).total;
}
