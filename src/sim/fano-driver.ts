import type { FanoConfig } from '../config/schema.js';
import { claimTask, completeStep, createTask, failStep, isRunnable, type RetryOptions } from '../core/lifecycle.js';
import { quotaView, recordOutcome, recordRequest, rollbackRequest, type QuotaOptions } from '../core/quota.js';
import { allocate } from '../core/allocator.js';
import { createScheduler, type BackendSlot, type Scheduler } from '../core/scheduler.js';
import { emptyBackendState, type BackendState, type Task } from '../core/types.js';
import { quotaOptions, retryOptions, schedulerOptions } from '../tick/options.js';
import type { SimDriver } from './engine.js';
import { CONSULTATION, type SimMetrics, type SimStart } from './metrics.js';
import type { ModuleHost } from './module-host.js';
import type { SimResponse } from './world.js';

/**
 * fano on the simulator: the REAL core (scheduler, allocator, quotas, lifecycle) called the way
 * the tick calls it (src/tick/step.ts beginStep/finishStep, mirrored here without the store and
 * the logger, which are I/O). Keep the two in step when either changes.
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
  /** The first consultation comes one interval after the start. */
  private lastConsultMs: number | null = null;
  private consultations = 0;
  private requests = 0;

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
  }

  /**
   * Like the tick: a fresh scheduler per tick from the non-terminal tasks, the persisted stride
   * passes and this tick's backlog figures (priorities' static part is fixed for a tick).
   */
  private build(): Scheduler {
    const backlog: Record<string, number> = {};
    for (const m of this.host.modules) Object.assign(backlog, m.backlog());
    const opts = { ...schedulerOptions(this.config, this.config.scheduler.weights), system: { backlog: { documenter: backlog.blessedPending ?? 0 } } };
    return createScheduler(this.active.values(), this.host.state.meta.passes, opts);
  }

  beginTick(): void {
    this.scheduler = this.build();
  }

  private track(task: Task): void {
    this.host.put(task);
    if (task.state === 'completed' || task.state === 'failed') this.active.delete(task.key);
    else this.active.set(task.key, task);
    this.scheduler.update(task);
  }

  notes(): string[] {
    return ['consultation: placeholder (one request at most every intervalMinutes, within maxShare; weights unchanged)'];
  }

  private state(name: string): BackendState {
    return this.host.state.backends[name] ?? emptyBackendState();
  }

  private slots(busy: ReadonlySet<string>): BackendSlot[] {
    return this.names.map((name) => ({ name, quota: this.quota.get(name)!, state: this.state(name), busy: busy.has(name) }));
  }

  discover(now: Date): void {
    for (const t of this.host.discover(now)) this.track(t);
  }

  believesLimited(backend: string, now: Date): boolean {
    const until = this.state(backend).rateLimitedUntil;
    return until !== null && Date.parse(until) > now.getTime();
  }

  /**
   * The hourly priority consultation, as a placeholder: it spends one request (allocated by the
   * real allocator like any task) at most every intervalMinutes and within maxShare, and changes
   * nothing. It is here so its cost shows in capacity and consultationShare.
   */
  private consultation(now: Date, slots: BackendSlot[]): SimStart | null {
    const c = this.config.scheduler.consultation;
    if (!c.enabled) return null;
    const t = now.getTime();
    this.lastConsultMs ??= t;
    if (t - this.lastConsultMs < c.intervalMinutes * 60_000) return null;
    if ((this.consultations + 1) / (this.requests + 1) > c.maxShare && this.requests > 0) return null;
    const probe = createTask({ module: CONSULTATION, type: CONSULTATION, context: {} }, now);
    const a = allocate(probe, slots, now, schedulerOptions(this.config, this.config.scheduler.weights));
    if (a.backend === null) return null;
    this.lastConsultMs = t;
    this.consultations++;
    this.record(a.backend, false, now, CONSULTATION, CONSULTATION);
    return { backend: a.backend, deep: false, module: CONSULTATION, taskKey: null };
  }

  private record(backend: string, deep: boolean, now: Date, id: string, module: string): void {
    this.requests++;
    this.host.state.backends[backend] = recordRequest(this.state(backend), deep, now, this.quota.get(backend)!, module);
    this.claimedAt.set(id, now);
  }

  next(now: Date, busy: ReadonlySet<string>): SimStart | null {
    const slots = this.slots(busy);
    const consult = this.consultation(now, slots);
    if (consult) return consult;
    // Speed only, never a decision: when no free backend is usable for ANY task (busy, limited,
    // needs a human, no hourly quota: the allocator's task-independent refusals), pick would
    // scan every class to return null. Harvests (which ignore quota) never occur in the sim.
    if (!slots.some((sl) => !sl.busy && quotaView(sl.state, now, sl.quota).status === 'available')) return null;
    const pick = this.scheduler.pick(now, slots);
    if (!pick) return null;
    const picked = pick.task;
    if (!isRunnable(picked, now)) throw new Error(`simulator: scheduler picked a task that is not runnable: ${picked.key} (${picked.state})`);
    if (busy.has(pick.backend)) throw new Error(`simulator: scheduler picked busy backend ${pick.backend}`);
    this.metrics.onWait(picked.key, picked.deep, Math.max(0, now.getTime() - Date.parse(picked.readyAt)));
    if (pick.preempted) this.metrics.preemptions++;
    const request = this.host.module(picked.module).prepare(picked, this.host.ctx(now));
    const deep = request.deep && pick.deep;
    // A fresh allocation on another backend drops the old thread (design 2.5 "start fresh").
    const base = picked.conversation && picked.conversation.backend !== pick.backend ? { ...picked, conversation: null } : picked;
    const task = claimTask(base, pick.backend, now);
    this.track(task);
    this.scheduler.charge(task.module);
    this.host.state.meta.passes = this.scheduler.passes();
    this.record(pick.backend, deep, now, task.key, task.module);
    return { backend: pick.backend, deep, module: task.module, taskKey: task.key };
  }

  finish(s: SimStart, res: SimResponse, now: Date): void {
    const q = this.quota.get(s.backend)!;
    const id = s.taskKey ?? CONSULTATION;
    const claimedAt = this.claimedAt.get(id) ?? now;
    this.claimedAt.delete(id);
    let b = this.state(s.backend);
    if (res.outcome === 'ok') {
      b = recordOutcome(b, 'ok', null, now, q);
    } else {
      if (!res.sent) b = rollbackRequest(b, s.deep, claimedAt, q, s.module);
      // deep: a refusal may be the daily deep cap; sent: a page that did not load marks the site
      // unreachable (the tick must pass the same facts: src/tick/step.ts).
      b = recordOutcome(b, res.outcome, res.resetAtMs !== null ? new Date(res.resetAtMs) : null, now, q, null, { deep: s.deep, sent: res.sent });
    }
    this.host.state.backends[s.backend] = b;
    if (s.taskKey === null) return;
    let task = this.host.state.tasks[s.taskKey]!;
    if (res.outcome === 'ok') {
      const out = this.host.answer(task, now);
      task = completeStep(task, { done: out.done, data: out.data, result: out.result, url: null }, now);
      if (task.state === 'completed') this.metrics.tasksCompleted++;
    } else {
      const retryAt = res.outcome === 'rateLimited' ? (res.resetAtMs !== null ? new Date(res.resetAtMs) : b.rateLimitedUntil ? new Date(b.rateLimitedUntil) : null) : null;
      task = failStep(task, { kind: res.outcome, message: res.outcome, bundle: null, retryAt }, now, this.rng, this.retry);
      if (task.state === 'failed') {
        this.metrics.tasksFailed++;
        this.host.failed(task, res.outcome, now);
      }
    }
    this.track(task);
  }

  finalize(now: Date): void {
    for (const task of this.active.values()) {
      if (isRunnable(task, now)) this.metrics.onWait(task.key, task.deep, Math.max(0, now.getTime() - Date.parse(task.readyAt)));
    }
  }
}
