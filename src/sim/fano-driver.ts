import type { FanoConfig } from '../config/schema.js';
import { heldBackend } from '../core/allocator.js';
import { isRunnable, type RetryOptions } from '../core/lifecycle.js';
import { quotaView, type QuotaOptions } from '../core/quota.js';
import { backlogForPriority } from '../core/priority.js';
import { decideClaim, decidePrepareFailure, decideStep } from '../core/step-outcome.js';
import { createScheduler, type BackendSlot, type Scheduler } from '../core/scheduler.js';
import { emptyBackendState, type BackendState, type Task } from '../core/types.js';
import { effectiveWeights, quotaOptions, retryOptions, schedulerOptions } from '../config/core-options.js';
import { simBacklogs } from './consultant.js';
import type { SimDriver } from './engine.js';
import { CONSULTATION, type SimMetrics, type SimStart } from './metrics.js';
import type { ModuleHost } from './module-host.js';
import type { SimResponse } from './world.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './scenario.js';

/** Finished tasks stay in the sim's state at least this long (see `archive`). */
const ARCHIVE_MIN_MS = DAY_MS + HOUR_MS;

/**
 * fano on the simulator: the REAL core (scheduler, allocator, quotas, lifecycle), with each step
 * claimed and decided by the same pure functions the tick uses (core/step-outcome.ts decideClaim
 * and decideStep); only the world and the clock are simulated.
 */
export class FanoDriver implements SimDriver {
  readonly maxInFlight = Number.POSITIVE_INFINITY;
  private scheduler: Scheduler;
  /** Non-terminal tasks: what the tick hands to createScheduler. */
  private readonly active = new Map<string, Task>();
  private readonly quota = new Map<string, QuotaOptions>();
  private readonly retry: RetryOptions;
  private readonly names: string[];
  /** When each in-flight request was recorded (a rollback removes exactly that entry). */
  private readonly claimedAt = new Map<string, Date>();
  /** This tick's module weights, as shares of the modules' total (the consultation excluded). */
  private shares: Record<string, number> = {};
  /** Σ of `shares` over the module requests sent: what the weights asked of the request split. */
  private readonly shareSums = new Map<string, number>();
  private moduleRequests = 0;
  private nextArchiveMs = 0;
  /**
   * Backends parked for a person that this tick may probe once, as the tick does (src/tick/slice.ts
   * TickLoop.slots): a login wall is seen before typing, so a probe costs nothing.
   */
  private probing = new Set<string>();
  /** Since when each runnable task has waited for an unavailable backend while another was idle. */
  private readonly stallSince = new Map<string, number>();

  constructor(
    private readonly host: ModuleHost,
    private readonly metrics: SimMetrics,
    private readonly config: FanoConfig,
    private readonly rng: () => number,
  ) {
    this.names = Object.keys(config.backends);
    for (const name of this.names) {
      this.quota.set(name, quotaOptions(config, config.backends[name]!));
      host.state.backends[name] = emptyBackendState();
    }
    this.retry = retryOptions(config);
    this.scheduler = this.build();
    metrics.stalledWhileOtherFreeMaxMs = 0;
  }

  /**
   * Like the tick: a fresh scheduler per tick from the non-terminal tasks, the persisted stride
   * passes, the weights in force (a consultation's once one was applied: src/tick/run-tick.ts) and
   * this tick's backlog figures (priorities' static part is fixed for a tick).
   */
  private build(): Scheduler {
    const w = this.host.state.meta.weights;
    const weights = effectiveWeights(this.config, this.host.modules.map((m) => m.name), w?.source === 'consultation' ? w.values : null);
    const names = Object.keys(weights).filter((m) => m !== CONSULTATION);
    const sum = names.reduce((a, m) => a + weights[m]!, 0) || 1;
    this.shares = Object.fromEntries(names.map((m) => [m, weights[m]! / sum]));
    const opts = { ...schedulerOptions(this.config, weights), system: { backlog: backlogForPriority(simBacklogs(this.host.modules)) } };
    // Detached requests are still running here (the tick recovers its own first): the scheduler
    // loads them as holding their backends.
    return createScheduler(this.active.values(), this.host.state.meta.passes, opts);
  }

  /**
   * The module weights the scheduler followed, averaged over the module requests (with fixed
   * weights: the configured ones). Module shares of requests are measured against these.
   */
  followedWeights(): Record<string, number> {
    if (this.moduleRequests === 0) return { ...this.shares };
    return Object.fromEntries([...this.shareSums].map(([m, v]) => [m, v / this.moduleRequests]));
  }

  beginTick(now: Date): void {
    this.archive(now);
    this.scheduler = this.build();
    this.probing = new Set(this.names.filter((n) => this.state(n).needsHuman !== null));
  }

  /**
   * The stall metric: a runnable task whose preferred backend (its llmPreference or its held
   * conversation's) cannot serve it while another backend that could is idle is stalled from the
   * first time that is seen until it is picked or the condition ends.
   */
  private trackStalls(now: Date, slots: readonly BackendSlot[]): void {
    const t = now.getTime();
    const views = new Map(slots.map((sl) => [sl.name, quotaView(sl.state, now, sl.quota)]));
    const idle = slots.filter((sl) => !sl.busy && views.get(sl.name)!.status === 'available');
    // Speed only: with every backend available, or none idle, nothing can be stalled.
    if (idle.length === 0 || idle.length === slots.length || [...views.values()].every((v) => v.status === 'available')) {
      for (const key of [...this.stallSince.keys()]) this.endStall(key, t);
      return;
    }
    for (const task of this.active.values()) {
      const pref = task.llmPreference ?? heldBackend(task);
      const v = pref === null ? undefined : views.get(pref);
      const unavailable = pref !== null && (v === undefined || v.status !== 'available');
      const other =
        unavailable &&
        isRunnable(task, now) &&
        idle.some((sl) => sl.name !== pref && !(task.llmAvoid ?? []).includes(sl.name) && (!task.deep || views.get(sl.name)!.deepRemaining > 0));
      if (other) {
        if (!this.stallSince.has(task.key)) this.stallSince.set(task.key, t);
      } else this.endStall(task.key, t);
    }
  }

  private endStall(key: string, t: number): void {
    const since = this.stallSince.get(key);
    if (since === undefined) return;
    this.stallSince.delete(key);
    this.metrics.stalledWhileOtherFreeMaxMs = Math.max(this.metrics.stalledWhileOtherFreeMaxMs ?? 0, t - since);
  }

  /**
   * Finished tasks leave the state like the tick's archive, but after ARCHIVE_MIN_MS instead of
   * `state.archiveAfterDays`, and checked hourly: the state otherwise grows all run long and every
   * scan of it (the consultation's due rule and summary run each minute) makes the run quadratic.
   * Nothing reads finished tasks further back: the summary looks 24 h back, the due rule to the
   * last consultation (an older one means the interval is due, which is checked first).
   */
  private archive(now: Date): void {
    const t = now.getTime();
    if (t < this.nextArchiveMs) return;
    this.nextArchiveMs = t + HOUR_MS;
    const c = this.config.scheduler.consultation;
    const keepMs = Math.min(this.config.state.archiveAfterDays * DAY_MS, Math.max(ARCHIVE_MIN_MS, c.intervalMinutes * MINUTE_MS + HOUR_MS));
    this.host.archive(new Date(t - keepMs));
  }

  private track(task: Task): void {
    this.host.put(task);
    if (task.state === 'completed' || task.state === 'failed') this.active.delete(task.key);
    else this.active.set(task.key, task);
    this.scheduler.update(task);
  }

  notes(): string[] {
    if (!this.host.modules.some((m) => m.name === CONSULTATION)) return ['consultation: disabled in config'];
    return ['consultation: the real module (due rule, share cap, weights in force); a simulated consultant answers, tilting the configured weights towards the longest queues, now and then malformed (src/sim/consultant.ts)'];
  }

  private state(name: string): BackendState {
    return this.host.state.backends[name] ?? emptyBackendState();
  }

  private slots(busy: ReadonlySet<string>): BackendSlot[] {
    return this.names.map((name) => {
      const state = this.state(name);
      return { name, quota: this.quota.get(name)!, state: this.probing.has(name) ? { ...state, needsHuman: null } : state, busy: busy.has(name) };
    });
  }

  discover(now: Date): void {
    for (const t of this.host.discover(now)) this.track(t);
  }

  believesLimited(backend: string, now: Date): boolean {
    const until = this.state(backend).rateLimitedUntil;
    return until !== null && Date.parse(until) > now.getTime();
  }

  private record(backend: string, state: BackendState, now: Date, id: string, module: string): void {
    if (module !== CONSULTATION) {
      this.moduleRequests++;
      for (const [m, v] of Object.entries(this.shares)) this.shareSums.set(m, (this.shareSums.get(m) ?? 0) + v);
    }
    this.host.state.backends[backend] = state;
    this.claimedAt.set(id, now);
  }

  next(now: Date, busy: ReadonlySet<string>): SimStart | null {
    const slots = this.slots(busy);
    this.trackStalls(now, slots);
    // Speed only, never a decision: when no free backend is usable for ANY task (busy, limited,
    // needs a human, no hourly quota: the allocator's task-independent refusals), pick would
    // scan every class to return null. Harvests (which ignore quota) never occur in the sim.
    if (!slots.some((sl) => !sl.busy && quotaView(sl.state, now, sl.quota).status === 'available')) return null;
    const pick = this.scheduler.pick(now, slots);
    if (!pick) return null;
    const picked = pick.task;
    this.probing.delete(pick.backend);
    this.endStall(picked.key, now.getTime());
    if (!isRunnable(picked, now)) throw new Error(`simulator: scheduler picked a task that is not runnable: ${picked.key} (${picked.state})`);
    if (busy.has(pick.backend)) throw new Error(`simulator: scheduler picked busy backend ${pick.backend}`);
    this.metrics.onWait(picked.key, picked.deep, Math.max(0, now.getTime() - Date.parse(picked.readyAt)));
    let request;
    try {
      request = this.host.module(picked.module).prepare(picked, this.host.ctx(now, picked.module));
    } catch (err) {
      const d = decidePrepareFailure(picked, (err as Error).message, now, this.rng, this.retry);
      this.host.put(d.task);
      if (d.failed !== null) {
        if (d.task.module !== CONSULTATION) this.metrics.tasksFailed++;
        this.host.failed(d.task, d.failed, now);
      }
      this.track(d.task);
      return this.next(now, busy);
    }
    // The tick's own claim (core/step-outcome.ts): the task runs (a fresh thread on another
    // backend), the request is counted, the displaced conversation records its preemption.
    const c = decideClaim({
      task: picked,
      backend: pick.backend,
      backendState: this.state(pick.backend),
      quota: this.quota.get(pick.backend)!,
      request,
      pickDeep: pick.deep,
      harvest: false,
      displaced: pick.preempted === undefined ? undefined : this.active.get(pick.preempted),
      now,
    });
    const { task, deep } = c;
    this.track(task);
    if (c.displaced) {
      this.track(c.displaced);
      this.metrics.preemptions++;
    }
    this.scheduler.charge(task.module);
    this.host.state.meta.passes = this.scheduler.passes();
    this.record(pick.backend, c.backendState, now, task.key, task.module);
    return { backend: pick.backend, deep, module: task.module, taskKey: task.key };
  }

  finish(s: SimStart, res: SimResponse, now: Date): void {
    const key = s.taskKey;
    // Every fano request is a task's step, the consultation's too (only the baseline has none).
    if (key === null) throw new Error('simulator: a fano request without a task');
    const claimedAt = this.claimedAt.get(key) ?? now;
    this.claimedAt.delete(key);
    const running = this.host.state.tasks[key]!;
    // The tick's own decision (core/step-outcome.ts), on the facts a simulated site gives.
    const d = decideStep({
      task: running,
      backend: this.state(s.backend),
      quota: this.quota.get(s.backend)!,
      retry: this.retry,
      deep: s.deep,
      harvest: false,
      claimedAt,
      now,
      rng: this.rng,
      response: { outcome: res.outcome, resetAt: res.resetAtMs !== null ? new Date(res.resetAtMs) : null, sent: res.sent, url: null, detail: null, bundle: null },
      verdict: res.outcome === 'ok' ? this.host.verdict(running, now) : undefined,
    });
    this.host.state.backends[s.backend] = d.backend;
    this.host.apply(d.events);
    const task = d.task;
    // Tasks/day counts the modules' work; a consultation is overhead (its cost shows in the share).
    if (task.state === 'completed' && task.module !== CONSULTATION) this.metrics.tasksCompleted++;
    if (d.failed !== null) {
      if (task.module !== CONSULTATION) this.metrics.tasksFailed++;
      this.host.failed(task, d.failed, now);
    }
    this.track(task);
  }

  finalize(now: Date): void {
    for (const key of [...this.stallSince.keys()]) this.endStall(key, now.getTime());
    for (const task of this.active.values()) {
      if (isRunnable(task, now)) this.metrics.onWait(task.key, task.deep, Math.max(0, now.getTime() - Date.parse(task.readyAt)));
    }
  }
}
