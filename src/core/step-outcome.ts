import type { FanoEvent } from './events.js';
import { claimTask, completeStep, failStep, recordPreemption, type RetryOptions } from './lifecycle.js';
import { recordOutcome, recordRequest, rollbackRequest, type QuotaOptions } from './quota.js';
import type { BackendState, Json, JsonObject, Outcome, Task } from './types.js';

/**
 * What one step's result does to the task, its backend and the quota: the ONE decision both the
 * tick (src/tick/step.ts) and the simulator (src/sim) make, so the simulator's figures vouch for
 * real ticks. Pure: the module's answer is read by the caller and passed in as a verdict, and the
 * module's failure handler is the caller's to run when `failed` is set.
 */

export interface ClaimFacts {
  /** The picked task (pending or paused). */
  task: Task;
  backend: string;
  backendState: BackendState;
  quota: QuotaOptions;
  /**
   * What the module asked for (deep mode, data to keep with the claim, the conversation on this
   * backend it continues).
   */
  request: { deep: boolean; data?: JsonObject; conversationUrl?: string };
  /** The scheduler allows deep mode for this pick. */
  pickDeep: boolean;
  /** The step re-reads an answer submitted earlier on this backend (counted then). */
  harvest: boolean;
  /** The conversation the pick displaces, as the state holds it. */
  displaced?: Task;
  now: Date;
}

export interface ClaimDecision {
  /** The task running on the backend (another backend than its thread's: a fresh conversation). */
  task: Task;
  deep: boolean;
  backendState: BackendState;
  /** The displaced conversation with its preemption recorded, or null. */
  displaced: Task | null;
}

/** What claiming a pick does: the task runs, the request is counted, a displaced conversation records it. */
export function decideClaim(f: ClaimFacts): ClaimDecision {
  const deep = f.request.deep && f.pickDeep;
  const base = f.request.data ? { ...f.task, data: { ...f.task.data, ...f.request.data } } : f.task;
  const claimed = claimTask(base, f.backend, f.now);
  // A module continuing a conversation this backend holds (an exploration's chat) names it: the
  // task's conversation is that one, so the gateway reopens it and a crash harvests there.
  const conv = claimed.conversation;
  const url = f.request.conversationUrl;
  const task = url !== undefined && conv !== null && conv.submitted === null && !f.harvest ? { ...claimed, conversation: { ...conv, url } } : claimed;
  const prev = f.displaced;
  const displaced = prev && (prev.state === 'paused' || prev.state === 'pending') ? recordPreemption(prev, task.key, f.now) : null;
  const backendState = f.harvest ? f.backendState : recordRequest(f.backendState, deep, f.now, f.quota, task.module);
  return { task, deep, backendState, displaced };
}

/** A module that cannot build the prompt: the step fails before anything is claimed or sent. */
export function decidePrepareFailure(task: Task, message: string, now: Date, rng: () => number, retry: RetryOptions): { task: Task; failed: string | null } {
  const failed = failStep(task, { kind: 'module', message: `prepare failed: ${message}`, bundle: null }, now, rng, retry);
  return { task: failed, failed: failed.state === 'failed' ? message : null };
}

/** What the backend said, as far as the decision is concerned. */
export interface StepResponse {
  outcome: Outcome;
  /** For rateLimited: when the site says the limit ends; for overloaded: when to try again. */
  resetAt: Date | null;
  /** False when the prompt never reached the site. */
  sent: boolean;
  /** The site said the limit is for deep mode only. */
  deepOnly?: boolean;
  /** The conversation's url after the request. */
  url: string | null;
  detail: string | null;
  bundle: string | null;
}

/** What the module made of an ok answer. */
export type ModuleVerdict =
  | { kind: 'accepted'; done: boolean; data: JsonObject; result?: Json; events: FanoEvent[] }
  /** The module rejected the answer (`data`: what it keeps of it; a module that threw keeps nothing). */
  | { kind: 'rejected'; message: string; data?: JsonObject; events: FanoEvent[] };

export interface StepFacts {
  /** The task as claimed (running). */
  task: Task;
  backend: BackendState;
  quota: QuotaOptions;
  retry: RetryOptions;
  /** The request was sent in deep mode. */
  deep: boolean;
  /** The step only re-read an answer submitted earlier (it was counted then). */
  harvest: boolean;
  /** When the request was counted against the quota (a rollback removes exactly that entry). */
  claimedAt: Date;
  now: Date;
  rng: () => number;
  response: StepResponse;
  /** Required when the outcome is ok. */
  verdict?: ModuleVerdict;
}

export interface StepDecision {
  task: Task;
  backend: BackendState;
  /** The task's and the module's events; the caller adds its failure handler's and the backend's. */
  events: FanoEvent[];
  /** Set when the task failed for good: the module's failure handler gets this message. */
  failed: string | null;
  /** The backend was limited or parked before and answered now. */
  recovered: boolean;
  /** A non-ok answer: the message the task records. */
  error: string | null;
}

export function decideStep(f: StepFacts): StepDecision {
  const { response: res, now } = f;
  const wasLimited = f.backend.rateLimitedUntil !== null || f.backend.needsHuman !== null;
  let backend = f.backend;
  let task: Task;
  let error: string | null = null;
  const moduleEvents: FanoEvent[] = [];

  if (res.outcome === 'ok') {
    const v = f.verdict;
    if (!v) throw new Error('decideStep: an ok answer needs the module verdict');
    moduleEvents.push(...v.events);
    if (v.kind === 'accepted') {
      task = completeStep(f.task, { done: v.done, data: v.data, result: v.result, url: res.url }, now);
    } else {
      error = v.message;
      const failed = failStep(f.task, { kind: 'module', message: `answer not usable: ${v.message}`, bundle: null }, now, f.rng, f.retry);
      task = v.data === undefined ? failed : { ...failed, data: v.data };
    }
    backend = recordOutcome(backend, 'ok', null, now, f.quota, null, { deep: f.deep, sent: true });
  } else {
    // A request that never reached the site is given back to the quota, except a rate limit: the
    // site refused it because the quota is spent, and the learned cap counts it (quota.ts).
    if (!res.sent && !f.harvest && res.outcome !== 'rateLimited') backend = rollbackRequest(backend, f.deep, f.claimedAt, f.quota, f.task.module);
    backend = recordOutcome(backend, res.outcome, res.resetAt, now, f.quota, res.bundle, { deep: f.deep, sent: res.sent, deepOnly: res.deepOnly === true });
    // A rate limit rests the backend, not the task: the task is runnable at once, and the
    // allocator sends it to another backend, or lets it wait for this one while it comes back
    // soon (core/allocator.ts). An overloaded site names when to try again.
    const retryAt = res.outcome === 'rateLimited' ? now : res.outcome === 'overloaded' ? res.resetAt : null;
    error = res.detail ?? res.outcome;
    task = failStep(f.task, { kind: res.outcome, message: error, bundle: res.bundle, retryAt }, now, f.rng, f.retry);
  }
  // The step ran from its claim to now: summed over steps, the task's duration without queue waiting.
  task = { ...task, runMs: (f.task.runMs ?? 0) + Math.max(0, now.getTime() - f.claimedAt.getTime()) };
  const failed = task.state === 'failed' ? error : null;
  return {
    task,
    backend,
    events: [{ type: 'task.put', task }, ...moduleEvents],
    failed,
    recovered: res.outcome === 'ok' && wasLimited,
    error,
  };
}

/** A module's answer handler's result (modules/module.ts StepOutcome, structurally). */
export interface AnswerOutcome {
  done: boolean;
  data: JsonObject;
  result?: Json;
  events: FanoEvent[];
  fail?: string;
}

/** Runs a module's answer handler and turns its result into a verdict; a handler that throws rejects the answer. */
export function readAnswer(onAnswer: () => AnswerOutcome): ModuleVerdict {
  try {
    const out = onAnswer();
    if (out.fail !== undefined) return { kind: 'rejected', message: out.fail, data: out.data, events: out.events };
    return { kind: 'accepted', done: out.done, data: out.data, result: out.result, events: out.events };
  } catch (err) {
    return { kind: 'rejected', message: (err as Error).message, events: [] };
  }
}
