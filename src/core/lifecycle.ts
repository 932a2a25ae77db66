import { fullJitterDelayMs } from './backoff.js';
import { taskKey } from './task-key.js';
import type { Json, JsonObject, Outcome, Preemption, Task, TaskState } from './types.js';
import { DAY_MS, MINUTE_MS } from './time.js';

/**
 * Task lifecycle transitions, pure: every function returns a new Task and never mutates its input.
 * Time and randomness are arguments.
 *
 *   pending ──claim──▶ running ──completeStep(done)──▶ completed
 *                       │  ▲ ╲──completeStep(!done)──▶ paused   (yield after EVERY LLM step)
 *                       │  │ ╲─failStep(transient)───▶ paused   (notBefore = retryAt ?? short delay)
 *                       │  │  ╲failStep(counted)─────▶ paused   (attempts+1, full-jitter backoff)
 *                       │  │   ╲────────────────────▶ failed   (attempts > maxRetries)
 *                       │  └──────claim──────────── paused
 *                       └─interruptTask (recovery)─▶ paused    (keeps conversation.submitted)
 *
 * There is no READY state: "ready" is `isRunnable`, a function of the state and
 * `notBefore`, not something stored that could go stale. Preemption is not a transition either:
 * a task yields to `paused` after every LLM step and the scheduler's next pick decides who runs;
 * the displaced task only gains a record of it (recordPreemption), its state stays `paused`.
 */

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /** Delay before a transient failure is retried when the caller gave no retryAt. */
  transientDelayMs?: number;
}

export interface NewTaskSpec {
  module: string;
  type: string;
  /** Stable: hashed into the key. Two specs with the same context are the same work. */
  context: JsonObject;
  data?: JsonObject;
  priority?: number;
  deep?: boolean;
  llmPreference?: string | null;
  /** Backends the work must not move to (Task.llmAvoid). */
  llmAvoid?: string[];
}

/**
 * Default wait after a transient failure with no reset time: one tick (cron runs every minute), so
 * a flapping site is not hammered within a tick, yet the task is back in the next one.
 */
export const TRANSIENT_RETRY_DELAY_MS = MINUTE_MS;

/** Kinds that mean "the site or the process had a problem", not "this task is broken". */
const TRANSIENT_KINDS: ReadonlySet<string> = new Set([
  'rateLimited',
  'siteError',
  'timeout',
  'loginRequired',
  'challenge',
  'interrupted',
  'notSent',
  'overloaded',
  'accountBlocked',
]);

/**
 * Transient failures never count towards maxRetries: a rate limit or an outage says nothing about
 * the task. `empty` and `truncated` DO count: they can be caused by the prompt itself (too long,
 * refused, a runaway answer), so repeating it forever would waste the scarce quota; counting them
 * bounds that waste at maxRetries while a one-off glitch is still retried. `module` (the module
 * threw or rejected the answer) counts too.
 */
export function isTransient(kind: string): boolean {
  return TRANSIENT_KINDS.has(kind);
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly key: string,
    readonly from: TaskState,
    readonly action: string,
  ) {
    super(`task ${key}: cannot ${action} from state '${from}'`);
    this.name = 'InvalidTransitionError';
  }
}

function expect(task: Task, allowed: readonly TaskState[], action: string): void {
  if (!allowed.includes(task.state)) throw new InvalidTransitionError(task.key, task.state, action);
}

export function createTask(spec: NewTaskSpec, now: Date): Task {
  const at = now.toISOString();
  return {
    key: taskKey(spec.module, spec.type, spec.context),
    module: spec.module,
    type: spec.type,
    state: 'pending',
    context: spec.context,
    data: spec.data ?? {},
    priority: spec.priority ?? 0,
    deep: spec.deep ?? false,
    llmPreference: spec.llmPreference ?? null,
    ...(spec.llmAvoid && spec.llmAvoid.length > 0 ? { llmAvoid: [...spec.llmAvoid] } : {}),
    attempts: 0,
    llmRequests: 0,
    createdAt: at,
    updatedAt: at,
    readyAt: at,
    notBefore: null,
    lastError: null,
    conversation: null,
    result: null,
    finishedAt: null,
  };
}

/**
 * pending|paused → running on `backend`. Same backend: the conversation (url, turn, a pending
 * `submitted` mark to reattach to) is kept. Another backend: the conversation restarts there
 * (turn 0, no url), which is what `onBackendBusy: fresh` means.
 */
export function claimTask(task: Task, backend: string, now: Date): Task {
  expect(task, ['pending', 'paused'], 'claim');
  const conv = task.conversation;
  return {
    ...task,
    state: 'running',
    updatedAt: now.toISOString(),
    notBefore: null,
    conversation: conv && conv.backend === backend ? conv : { backend, url: null, turn: 0, submitted: null },
  };
}

/**
 * A task keeps its preemption records for this long: the window of the only reader, the
 * preemptions24h metric (core/metrics.ts). Older ones are dropped when the next one is recorded.
 */
export const PREEMPTION_KEEP_MS = DAY_MS;
/**
 * ...and at most this many, so the list stays bounded even when the clock jumps or a task is
 * displaced for weeks. A conversation is displaced at most once per step it ran (the scheduler
 * names a task only while it is the last one on its backend), so 64 in 24 h is far beyond what
 * hourly quotas allow; past it the metric would undercount, never grow the checkpoint.
 */
export const PREEMPTION_KEEP_MAX = 64;

/**
 * The paused conversation of `task` lost its backend to the task `by` (Pick.preempted). Logged in
 * the SAME record as the claim of `by`, so the metric sees a preemption iff the claim happened.
 * It changes neither updatedAt nor readyAt: it is not a step of this task (its wait goes on, and
 * updatedAt stays the time of its last step, which the scheduler compares with the record).
 * Calling it again with the same `by` and `now` returns the task unchanged.
 */
export function recordPreemption(task: Task, by: string, now: Date): Task {
  expect(task, ['pending', 'paused'], 'record a preemption');
  const at = now.toISOString();
  const prev = task.preemptions ?? [];
  const last = prev[prev.length - 1];
  if (last && last.at === at && last.by === by) return task;
  const from = now.getTime() - PREEMPTION_KEEP_MS;
  const kept: Preemption[] = prev.filter((p) => Date.parse(p.at) > from);
  kept.push({ at, by });
  return { ...task, preemptions: kept.slice(-PREEMPTION_KEEP_MAX) };
}

/**
 * True when the task was displaced after its last step (it is paused and has not run since):
 * its record is at or after updatedAt, which only steps move (recordPreemption leaves it).
 */
export function displacedSinceLastStep(task: Task): boolean {
  const last = task.preemptions?.[task.preemptions.length - 1];
  return last !== undefined && Date.parse(last.at) >= Date.parse(task.updatedAt);
}

/** The submit-at-most-once mark, logged BEFORE waiting for the answer (see Conversation). */
export function markSubmitted(task: Task, sub: { requestId: string; url: string | null; deep: boolean; promptHash: string }, now: Date): Task {
  expect(task, ['running'], 'mark submitted');
  const at = now.toISOString();
  const conv = task.conversation ?? { backend: '', url: null, turn: 0, submitted: null };
  return {
    ...task,
    updatedAt: at,
    conversation: {
      ...conv,
      url: sub.url ?? conv.url,
      submitted: { requestId: sub.requestId, at, deep: sub.deep, promptHash: sub.promptHash },
    },
  };
}

/**
 * An ok answer was applied. Always leaves `running`: done → completed, else → paused with
 * readyAt = now (the task yields after every LLM request so the scheduler can preempt it).
 * `attempts` resets: maxRetries bounds failures of one step, not of a long multi-step task.
 * Accepts `paused` too: after a crash a paused task with `submitted` may harvest its answer.
 */
export function completeStep(task: Task, step: { done: boolean; data: JsonObject; result?: Json; url: string | null }, now: Date): Task {
  expect(task, ['running', 'paused'], 'complete a step');
  const at = now.toISOString();
  const conv = task.conversation;
  const base: Task = {
    ...task,
    data: step.data,
    attempts: 0,
    llmRequests: task.llmRequests + 1,
    updatedAt: at,
    notBefore: null,
    conversation: conv ? { ...conv, url: step.url ?? conv.url, turn: conv.turn + 1, submitted: null } : null,
  };
  if (step.done) {
    return { ...base, state: 'completed', result: step.result ?? null, finishedAt: at };
  }
  return { ...base, state: 'paused', readyAt: at };
}

/**
 * A step failed. `submitted` is cleared: the caller has given up on that answer (to reattach
 * after a crash instead, use interruptTask). The conversation itself is kept so a retry can go
 * back to the same backend and thread.
 *
 * readyAt = notBefore: the task's wait (starvation aging, longest-wait metric) starts when it
 * becomes runnable again, not while it sits out its own backoff.
 */
export function failStep(
  task: Task,
  err: { kind: Outcome | 'module' | 'interrupted'; message: string; bundle: string | null; retryAt?: Date | null },
  now: Date,
  rng: () => number,
  opts: RetryOptions,
): Task {
  // pending too: a module that cannot build the first prompt fails the step before any claim.
  expect(task, ['running', 'paused', 'pending'], 'fail a step');
  const at = now.toISOString();
  const lastError = { kind: err.kind, message: err.message, at, bundle: err.bundle };
  const conversation = task.conversation ? { ...task.conversation, submitted: null } : null;
  const base = { ...task, updatedAt: at, lastError, conversation };

  if (isTransient(err.kind)) {
    const retryMs = err.retryAt ? Math.max(now.getTime(), err.retryAt.getTime()) : now.getTime() + (opts.transientDelayMs ?? TRANSIENT_RETRY_DELAY_MS);
    const notBefore = new Date(retryMs).toISOString();
    return { ...base, state: 'paused', notBefore, readyAt: notBefore };
  }

  const attempts = task.attempts + 1;
  if (attempts > opts.maxRetries) {
    return { ...base, attempts, state: 'failed', notBefore: null, finishedAt: at };
  }
  const delayMs = fullJitterDelayMs(attempts, rng, opts);
  const notBefore = new Date(now.getTime() + delayMs).toISOString();
  return { ...base, attempts, state: 'paused', notBefore, readyAt: notBefore };
}

/**
 * Recovery: a task found `running` at start-up belonged to a dead tick. It goes
 * back to `paused`, keeping `conversation.submitted` so a browser task reattaches to the answer
 * at its url instead of sending the prompt twice. The caller logs the result so the repair is
 * durable. Idempotent: any other state is returned unchanged (same object).
 */
export function interruptTask(task: Task, now: Date): Task {
  if (task.state !== 'running') return task;
  const at = now.toISOString();
  return { ...task, state: 'paused', updatedAt: at, readyAt: at };
}

/** pending|paused and not backing off. A running task is never runnable: no double scheduling. */
export function isRunnable(task: Task, now: Date): boolean {
  if (task.state !== 'pending' && task.state !== 'paused') return false;
  return task.notBefore === null || Date.parse(task.notBefore) <= now.getTime();
}
