/**
 * The durable data model. Everything here is plain JSON (ISO-8601 UTC strings for times,
 * string literals for enums) so a checkpoint round-trips exactly, with no `default=str` bugs.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const TASK_STATES = ['pending', 'running', 'paused', 'completed', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];
/** States in which a task holds its key: submitting the same key again is a no-op. */
export const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(['pending', 'running', 'paused']);
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['completed', 'failed']);

export const OUTCOMES = [
  'ok',
  'rateLimited',
  'loginRequired',
  'challenge',
  'siteError',
  'empty',
  'truncated',
  'timeout',
  /** No evidence the prompt reached the site (the composer still holds it): safe to retry. */
  'notSent',
  /** The site says it is busy ("a lot of people are using …", "only one message at a time"): retry later. */
  'overloaded',
  /** The site locked the account ("suspicious activity detected"): a person must act. */
  'accountBlocked',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * A multi-turn conversation a task holds with one backend. `submitted` is the
 * submit-at-most-once mark: it is logged before we wait for an answer, so a tick that finds it
 * after a crash harvests the answer at `url` instead of sending the prompt again.
 */
export interface Conversation {
  backend: string;
  url: string | null;
  turn: number;
  submitted: { requestId: string; at: string; deep: boolean; promptHash: string } | null;
}

export interface TaskError {
  kind: string; // an Outcome, or 'module' for a module's own failure, or 'interrupted'
  message: string;
  at: string;
  bundle: string | null;
}

export interface Task {
  /** Stable identity `module:type:hash(context)`; the same unit of work always has the same key. */
  key: string;
  module: string;
  type: string;
  state: TaskState;
  /** What the work is about; hashed into the key, never changes. */
  context: JsonObject;
  /** The module's progress between steps (turns so far, partial results). */
  data: JsonObject;
  /** Extra priority the module asks for (seed priority, comment boost inputs), added to the base. */
  priority: number;
  deep: boolean;
  llmPreference: string | null;
  /**
   * Backends this work must not run on while another is configured (a review's author, the
   * vendor a critique answers): the allocator never moves it there. Optional (absent = none) so
   * older checkpoints load unchanged.
   */
  llmAvoid?: string[];
  /** Failed attempts that count towards maxRetries (transient outcomes never count). */
  attempts: number;
  llmRequests: number;
  createdAt: string;
  updatedAt: string;
  /** When the task last became runnable (pending/paused); the starting point of its wait. */
  readyAt: string;
  /** Backoff: not runnable before this time. */
  notBefore: string | null;
  lastError: TaskError | null;
  conversation: Conversation | null;
  result: Json;
  finishedAt: string | null;
  /**
   * When this task's paused conversation was displaced from its backend by another task (design
   * 7.1 preemptions_24h), oldest first; written in the same record as the preempting task's claim
   * (lifecycle.ts recordPreemption, which also bounds it). Optional (absent = never preempted) so
   * older checkpoints load unchanged.
   */
  preemptions?: Preemption[];
  /**
   * Milliseconds this task's steps ran (claim to answer, summed over its steps): its duration
   * without the time it waited in the queue. Optional (absent in checkpoints written before it).
   */
  runMs?: number;
}

/** One displacement of a paused conversation: when, and by which task (its key). */
export interface Preemption {
  at: string;
  by: string;
}

/** Per-backend durable status and quota bookkeeping (all learned state lives in the checkpoint). */
export interface BackendState {
  /** Start times of requests counted in the sliding hour (pruned to the last hour). */
  recent: string[];
  /** Deep-mode uses in the current quota day, and that day's key (YYYY-MM-DD of the reset hour). */
  deepDay: string | null;
  deepUsed: number;
  /** Learned hourly estimate; never above the configured limit, which is never overwritten. */
  effectiveHourly: number | null;
  rateLimitedUntil: string | null;
  /** Times of rate-limit answers in the last 24 h. */
  rateLimitHits: string[];
  /** Since when the backend answered without a rate limit (for additive increase). */
  cleanSince: string | null;
  needsHuman: { reason: string; since: string; bundle: string | null } | null;
  totalRequests: number;
  /**
   * Successful requests in the sliding hour when the site last refused one (core/quota.ts): a
   * ceiling the additive increase does not cross before `capHoldUntil`. `capHoldMs` is the length
   * of the current hold (it doubles each time a probe confirms the same cap). Optional so older
   * checkpoints load unchanged.
   */
  learnedCap?: number | null;
  capHoldUntil?: string | null;
  capHoldMs?: number | null;
  /** Deep uses per module in `deepDay` (for per-module deep reserves); optional, like learnedCap. */
  deepByModule?: Record<string, number> | null;
  /**
   * Requests per module since this counter was added (totalRequests split by module; rolled back
   * with it). The consultation's share cap reads its own entry. Optional, like learnedCap.
   */
  requestsByModule?: Record<string, number> | null;
  /**
   * The site did not load for `unreachableStreak` requests in a row (core/quota.ts): an outage is
   * the backend's, not the task's, so the allocator skips it until `unreachableUntil`. Optional
   * (absent = reachable) so older checkpoints load unchanged.
   */
  unreachableUntil?: string | null;
  unreachableStreak?: number | null;
  /**
   * Requests started per UTC hour (`YYYY-MM-DDTHH` -> count), the last 25 hours: the 24 h request
   * count of the metrics, to the hour, without keeping every request's time. Optional, like learnedCap.
   */
  requestsByHour?: Record<string, number> | null;
  /**
   * The site refused deep mode until this time ("your limit for chats with Deep Think until Jan 10,
   * 2:56 PM"), which may be days after the current quota day ends. Optional, like learnedCap.
   */
  deepBlockedUntil?: string | null;
}

/**
 * What status shows as "last tick". Kept in runs/last-tick.json, not in the checkpoint: an idle
 * tick every minute must not rewrite (and git-diff) the state.
 */
export interface TickInfo {
  id: string;
  startedAt: string;
  endedAt: string | null;
  /** 'running' until it ends (a tick found 'running' and no lock holder was killed), then 'ok' | 'idle' | 'paused' | 'error'. */
  outcome: string;
  steps: number;
  requests: number;
  error: string | null;
}

export interface WeightsInfo {
  values: Record<string, number>;
  source: 'config' | 'consultation';
  reasoning: string | null;
  at: string | null;
}

export interface Meta {
  /** Durable pause flag (fano top `p`): ticks do no LLM work while it is set. */
  paused: boolean;
  weights: WeightsInfo | null;
  /** Per-module virtual pass for proportional share (stride scheduling). */
  passes: Record<string, number>;
  /**
   * The problems (core/problems.ts problemKey) a tick has already printed, so each is printed
   * once (cron mails it once), and again only after it was fixed and came back. Absent: none.
   */
  problemsNoted?: string[];
}

/** Module domain data: module -> collection -> id -> document. */
export type ModuleData = Record<string, Record<string, Record<string, Json>>>;

export interface FanoState {
  schema: 1;
  tasks: Record<string, Task>;
  backends: Record<string, BackendState>;
  modules: ModuleData;
  meta: Meta;
}

export function emptyState(): FanoState {
  return {
    schema: 1,
    tasks: {},
    backends: {},
    modules: {},
    meta: { paused: false, weights: null, passes: {} },
  };
}

export function emptyBackendState(): BackendState {
  return {
    recent: [],
    deepDay: null,
    deepUsed: 0,
    effectiveHourly: null,
    rateLimitedUntil: null,
    rateLimitHits: [],
    cleanSince: null,
    needsHuman: null,
    totalRequests: 0,
  };
}
