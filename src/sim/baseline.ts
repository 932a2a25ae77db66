import { BASE_PRIORITIES } from '../core/priority.js';
import type { Task } from '../core/types.js';
import { mockAnswer, type MockResponder } from '../gateway/mock-backend.js';
import { moduleBacklogs, type BacklogOptions } from '../modules/backlogs.js';
import type { SimDriver, SimStart } from './engine.js';
import { CONSULTATION, type SimMetrics } from './metrics.js';
import type { ModuleHost } from './module-host.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SIM_EPOCH_MS } from './scenario.js';
import type { SimResponse } from './world.js';

/**
 * The original design's scheduler and allocator as literally written (docs/architecture.md, Where
 * fano comes from), for the side-by-side benchmark:
 *  - ONE global gateway lock: one request in flight across all backends;
 *  - `can_use`: usage >= hourly_limit * 0.9 refuses (10 % buffer), usage counted per calendar hour;
 *  - on a rate limit: `hourly_limit = int(hourly_usage * 0.8)`, overwriting the limit (it never
 *    grows back), and the backend waits `retry_after + 60 s`;
 *  - the scheduler only skips COMPLETED tasks: it takes the highest-priority non-completed task
 *    (running, paused and failed ones too, ignoring any backoff), and if that task cannot get an
 *    LLM nothing runs (head-of-line blocking);
 *  - the executor runs a task's steps back to back until it completes (no yield between steps);
 *    any error marks it FAILED, and since failed tasks are not skipped it is simply picked again;
 *  - the allocator: llm_preference or wait; a conversation's LLM if available (no quota check);
 *    else the first available LLM that passes can_use;
 *  - the design's priorities (base, backlog, aging, seed, comment, deep deferral: the factors of
 *    core/priority.ts), the consultation hourly.
 * Charitable readings where the design is broken as code (said in the report): hourly usage resets
 * each calendar hour (the design never resets it); deep limits are looked up per backend (its
 * `f"{llm}_deep"` key never matches its table, which would forbid deep mode); tasks are deduped by
 * key (otherwise its queue floods). Without these the baseline would stall outright.
 */

/** The design's table of base priorities is fano's too: one copy, in the core. */
const SEED_BASE_PRIORITIES = BASE_PRIORITIES;

export interface BaselineBackend {
  name: string;
  hourlyLimit: number;
  deepDailyLimit: number;
}

export interface BaselineOptions {
  backends: BaselineBackend[];
  /** retry_after when the site named no reset time. */
  defaultRetryAfterMs: number;
  consultationIntervalMs: number;
  /** The mock answers (the same responders and seed as fano's backends). */
  responders: readonly MockResponder[];
  seed: number;
  backlog: BacklogOptions;
}

const RECOVERY_BUFFER_MS = MINUTE_MS;

export class BaselineDriver implements SimDriver {
  readonly maxInFlight = 1;
  private readonly open = new Map<string, Task>();
  private readonly hourlyLimits = new Map<string, number>();
  private readonly hourlyUsage = new Map<string, number>();
  private readonly deepUsage = new Map<string, number>();
  private readonly limitedUntil = new Map<string, number>();
  private usageHour = -1;
  private deepDay = -1;
  private current: string | null = null;
  /** The first consultation comes one interval after the start. */
  private lastConsultMs: number | null = null;

  constructor(
    private readonly host: ModuleHost,
    private readonly metrics: SimMetrics,
    private readonly opts: BaselineOptions,
  ) {
    for (const b of opts.backends) this.hourlyLimits.set(b.name, b.hourlyLimit);
  }

  async discover(now: Date): Promise<void> {
    for (const t of await this.host.discover(now)) this.open.set(t.key, t);
  }

  private roll(now: number): void {
    const hour = Math.floor((now - SIM_EPOCH_MS) / HOUR_MS);
    if (hour !== this.usageHour) {
      this.usageHour = hour;
      this.hourlyUsage.clear();
    }
    const day = Math.floor((now - SIM_EPOCH_MS) / DAY_MS);
    if (day !== this.deepDay) {
      this.deepDay = day;
      this.deepUsage.clear();
    }
  }

  private canUse(b: BaselineBackend, deep: boolean): boolean {
    if ((this.hourlyUsage.get(b.name) ?? 0) >= this.hourlyLimits.get(b.name)! * 0.9) return false;
    if (deep && (this.deepUsage.get(b.name) ?? 0) >= b.deepDailyLimit) return false;
    return true;
  }

  believesLimited(backend: string, now: Date): boolean {
    const until = this.limitedUntil.get(backend);
    return until !== undefined && now.getTime() < until;
  }

  private backlogAt = -1;
  private backlog = 0;

  /** Blessed insights not yet documented, as the status metrics read them (once per minute: it reads the document). */
  private blessedPending(now: number): number {
    if (now - this.backlogAt >= 60_000) {
      this.backlogAt = now;
      this.backlog = moduleBacklogs(this.host.home, this.host.state, this.opts.backlog).blessedInsightsPending;
    }
    return this.backlog;
  }

  private priority(task: Task, now: number): number {
    let score = SEED_BASE_PRIORITIES[task.type] ?? 50;
    if (task.module === 'documenter') {
      const backlog = this.blessedPending(now);
      if (backlog > 20) score += 30;
      else if (backlog > 10) score += 15;
    }
    score += Math.min(((now - Date.parse(task.updatedAt)) / HOUR_MS) * 2, 20);
    if (task.type === 'exploration') score += Number(task.context.seed_priority ?? 0) * 10;
    if (task.type === 'address_comment') score += 25;
    if (task.deep && !this.opts.backends.some((b) => this.canUse(b, true))) score -= 100;
    return score;
  }

  private allocate(task: Task, available: BaselineBackend[]): BaselineBackend | null {
    if (task.llmPreference) {
      const p = available.find((b) => b.name === task.llmPreference);
      return p && this.canUse(p, task.deep) ? p : null;
    }
    if (task.conversation) {
      const same = available.find((b) => b.name === task.conversation!.backend);
      if (same) return same;
    }
    return available.find((b) => this.canUse(b, task.deep)) ?? null;
  }

  next(now: Date, busy: ReadonlySet<string>): SimStart | null {
    if (busy.size > 0) return null; // the global lock
    const t = now.getTime();
    this.roll(t);
    const available = this.opts.backends.filter((b) => (this.limitedUntil.get(b.name) ?? -Infinity) <= t);
    if (available.length === 0) return null;
    this.lastConsultMs ??= t;
    if (t - this.lastConsultMs >= this.opts.consultationIntervalMs) {
      const b = available.find((x) => this.canUse(x, false));
      if (b) {
        this.lastConsultMs = t;
        this.use(b.name, false);
        return { backend: b.name, deep: false, module: CONSULTATION, taskKey: null, prompt: '' };
      }
    }
    let task = this.current ? (this.open.get(this.current) ?? null) : null;
    if (!task) {
      let best = -Infinity;
      for (const cand of this.open.values()) {
        const p = this.priority(cand, t);
        if (p > best) {
          best = p;
          task = cand;
        }
      }
    }
    if (!task) return null;
    const llm = this.allocate(task, available);
    if (!llm) return null; // head-of-line blocking: the loop sleeps
    let request;
    try {
      request = this.host.module(task.module).prepare(task, this.host.ctx(now, task.module));
    } catch {
      return null; // the loop sleeps until the next tick
    }
    const deep = request.deep;
    this.use(llm.name, deep);
    if (task.state !== 'running') this.metrics.onWait(task.key, task.deep, Math.max(0, t - Date.parse(task.readyAt)));
    const at = now.toISOString();
    const claimed: Task = {
      ...task,
      state: 'running',
      updatedAt: at,
      conversation: { backend: llm.name, url: null, turn: task.conversation?.turn ?? 0, submitted: null },
    };
    this.open.set(task.key, claimed);
    this.current = task.key;
    return { backend: llm.name, deep, module: task.module, taskKey: task.key, prompt: request.prompt };
  }

  private use(name: string, deep: boolean): void {
    this.hourlyUsage.set(name, (this.hourlyUsage.get(name) ?? 0) + 1);
    if (deep) this.deepUsage.set(name, (this.deepUsage.get(name) ?? 0) + 1);
  }

  async finish(s: SimStart, res: SimResponse, now: Date): Promise<void> {
    const t = now.getTime();
    this.roll(t);
    if (res.outcome === 'rateLimited') {
      const retryAfter = res.resetAtMs !== null ? res.resetAtMs - t : this.opts.defaultRetryAfterMs;
      this.limitedUntil.set(s.backend, t + retryAfter + RECOVERY_BUFFER_MS);
      this.hourlyLimits.set(s.backend, Math.floor((this.hourlyUsage.get(s.backend) ?? 0) * 0.8));
    }
    if (s.taskKey === null) return;
    const task = this.open.get(s.taskKey);
    if (!task) return;
    const at = now.toISOString();
    if (res.outcome === 'ok') {
      const out = this.host.answer(task, mockAnswer(this.opts.seed, s.prompt, this.opts.responders), now);
      const turn = (task.conversation?.turn ?? 0) + 1;
      const next: Task = {
        ...task,
        data: out.data,
        llmRequests: task.llmRequests + 1,
        updatedAt: at,
        readyAt: at,
        conversation: task.conversation && { ...task.conversation, turn },
      };
      if (out.fail !== undefined) {
        // A module that rejects the answer is an error like any other: FAILED, and picked again.
        this.metrics.tasksFailed++;
        this.open.set(task.key, { ...next, state: 'failed' });
        this.current = null;
        await this.host.put({ ...next, state: 'paused' }, now, out.events);
      } else if (out.done) {
        this.open.delete(task.key);
        const done: Task = { ...next, state: 'completed', finishedAt: at, result: out.result ?? null };
        if (task.module !== CONSULTATION) this.metrics.onCompleted(task.module, task.type, task.context);
        this.current = null;
        await this.host.put(done, now, out.events);
      } else {
        this.open.set(task.key, next); // still running: run_task continues with the next step
        await this.host.put(next, now, out.events);
      }
      return;
    }
    // rate limit → paused; anything else → FAILED, which the scheduler will happily pick again.
    // The modules see it paused (a failed task would be theirs to replace).
    const state = res.outcome === 'rateLimited' ? 'paused' : 'failed';
    if (state === 'failed') this.metrics.tasksFailed++;
    const next: Task = { ...task, state, updatedAt: at, readyAt: at };
    this.open.set(task.key, next);
    this.current = null;
    await this.host.put({ ...next, state: 'paused' }, now);
  }

  finalize(now: Date): void {
    const t = now.getTime();
    for (const task of this.open.values()) {
      if (task.state !== 'running') this.metrics.onWait(task.key, task.deep, Math.max(0, t - Date.parse(task.readyAt)));
    }
  }
}
