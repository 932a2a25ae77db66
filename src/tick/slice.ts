import type { FanoConfig } from '../config/schema.js';
import { effectiveWeights, quotaOptions, retryOptions, schedulerOptions } from '../config/core-options.js';
import type { FanoEvent } from '../core/events.js';
import { interruptTask } from '../core/lifecycle.js';
import { backlogForPriority } from '../core/priority.js';
import { createScheduler, type BackendSlot, type Pick, type Scheduler } from '../core/scheduler.js';
import { emptyBackendState, type JsonObject, type Task } from '../core/types.js';
import type { Backend } from '../gateway/backend.js';
import type { Logger } from '../log.js';
import { backlogOptions, moduleBacklogs } from '../modules/backlogs.js';
import type { Module } from '../modules/module.js';
import { applyPendingPatches, hasPendingPatches } from '../store/document-file.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import { discoverTasks } from './discover.js';
import { ApplyLock, beginStep, DETACH, finishStep, type StepControl, type StepDeps } from './step.js';

/** What one tick's slice of work runs on: all of it injected, so tests run it in memory on virtual time. */
export interface SliceInput {
  home: string;
  tickId: string;
  config: FanoConfig;
  store: Store;
  log: Logger;
  backends: Map<string, Backend>;
  /** The enabled modules with their options. */
  modules: ReadonlyArray<{ module: Module; options: JsonObject }>;
  clock: Clock;
  /** Jitter of retry times. */
  rng: () => number;
  /** Exactly one task step (at most one LLM request). */
  once?: boolean;
  /** Progress lines for an interactive terminal. */
  progress?: (line: string) => void;
  /**
   * Ctrl-C / SIGTERM: from here on the slice behaves as past its deadline (no new request; submitted
   * ones detach for the next tick to harvest; unsubmitted ones end within their watchdogs), then the
   * tick closes normally.
   */
  stop?: AbortSignal;
  /** Files with an open problem (core/problems.ts): no document patch is applied to them. */
  problemFiles?: ReadonlySet<string>;
  /** The tick's work outside state/ (the Researcher's fetches and seeds file): before discovery, after the slice. */
  hooks?: { beforeDiscovery?: () => Promise<void>; afterSlice?: () => Promise<void> };
}

/** What the slice did, for the tick's summary. */
export interface SliceCounts {
  steps: number;
  requests: number;
  discovered: number;
  recovered: number;
}

/**
 * A bounded slice of LLM work: recover what a dead tick left running → finish its document
 * patches → discover → serve every backend until the request budget or the deadline is spent →
 * discover what the answers made due.
 */
export async function runSlice(input: SliceInput, counts: SliceCounts): Promise<void> {
  const loop = new TickLoop(input, counts);
  await loop.recoverInterrupted();
  // Document patches a dead tick logged but did not apply (or did not record) are finished first.
  if (hasPendingPatches(input.store.state))
    await applyPendingPatches(input.store, () => input.clock.now(), input.log, { ...(input.problemFiles ? { skipFiles: input.problemFiles } : {}) });
  await input.hooks?.beforeDiscovery?.();
  await loop.discover();
  if (input.store.state.meta.paused) {
    input.log.info('tick.paused', {});
    return;
  }
  loop.startScheduler();
  await loop.serve();
  // Work this tick's answers made due (the next exchange, the reviews of a new insight) is queued
  // now: the next tick starts on it at once, and the idle hint can never vouch for a state whose
  // follow-up work is still undiscovered.
  await loop.discover();
  await input.hooks?.afterSlice?.();
}

/** The slice's named steps and the state they share (one instance per tick). */
export class TickLoop {
  private scheduler: Scheduler | null = null;
  private deps: StepDeps | null = null;
  private readonly modules: Map<string, { module: Module; options: JsonObject }>;
  /** One request in flight per backend (a chat site serves one prompt at a time), all backends at once. */
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Each step's abort handle, and whether its submitted mark is durable (then it may detach). */
  private readonly controls = new Map<string, StepControl>();
  /**
   * Needs-human parking (login wall, captcha) is for the backend, not the task: every tick lets
   * ONE request through to a parked backend as its re-probe. A browser checks for the wall before
   * typing (sent: false, quota rolled back), so a probe costs nothing while the person has not
   * yet run `fano login`; once they have, it succeeds and un-parks the backend by itself.
   */
  private readonly probing: Set<string>;
  private readonly maxRequests: number;
  private readonly deadline: number;
  /** A long tick looks for new work this often (a human comment must not wait for the next tick). */
  private readonly rediscoverMs: number;
  private nextDiscovery: number;
  /** A step finished since the last discovery: the work its answer made due is looked for at once. */
  private answered = false;

  constructor(
    private readonly input: SliceInput,
    private readonly counts: SliceCounts,
  ) {
    const { config, clock, store } = input;
    this.modules = new Map(input.modules.map((m) => [m.module.name, m]));
    this.probing = new Set([...input.backends.keys()].filter((n) => store.state.backends[n]?.needsHuman));
    this.maxRequests = input.once ? 1 : config.tick.maxRequests;
    const t = clock.now().getTime();
    this.deadline = t + config.tick.maxSeconds * 1000;
    this.rediscoverMs = config.tick.rediscoverSeconds * 1000;
    this.nextDiscovery = t + this.rediscoverMs;
  }

  private now(): Date {
    return this.input.clock.now();
  }

  /**
   * Recovery before anything else, so no task runs against unrecovered state: tasks a dead tick
   * left running become paused through a logged event, so a second crash cannot bring them back
   * as running. Those with a submitted mark were detached (or their tick died after submitting):
   * the scheduler sends them back to their backend to harvest the answer, never to ask again.
   */
  async recoverInterrupted(): Promise<void> {
    const { store, log } = this.input;
    const interrupted = Object.values(store.state.tasks).filter((t: Task) => t.state === 'running');
    if (interrupted.length === 0) return;
    const at = this.now();
    await store.append(
      interrupted.map((t): FanoEvent => ({ type: 'task.put', task: interruptTask(t, at) })),
      at,
    );
    this.counts.recovered = interrupted.length;
    log.info('task.recovered', { tasks: interrupted.map((t) => t.key), harvest: interrupted.filter((t) => t.conversation?.submitted).map((t) => t.key) });
  }

  /** Asks the modules for work and logs the new tasks; the scheduler, once it exists, learns them too. */
  async discover(): Promise<void> {
    const { store, home, log } = this.input;
    const found = await discoverTasks(store.state, [...this.modules.values()], home, this.now(), log);
    if (found.length === 0) return;
    await store.append(found, this.now());
    for (const ev of found) if (ev.type === 'task.put') this.scheduler?.update(ev.task);
    this.counts.discovered += found.length;
  }

  /** The scheduler of this tick: the tasks of enabled modules, the weights in force, the persisted passes. */
  startScheduler(): void {
    const { config, store } = this.input;
    const w = store.state.meta.weights;
    const weights = effectiveWeights(config, [...this.modules.keys()], w?.source === 'consultation' ? w.values : null);
    // Tasks of a module that is not enabled stay as they are until it is enabled again.
    const schedulable = Object.values(store.state.tasks).filter((t: Task) => this.modules.has(t.module));
    // Backlog pressure: queued work raises its module's priority for this tick (priority.ts).
    const backlog = backlogForPriority(moduleBacklogs(this.input.home, store.state, backlogOptions(config)));
    const sched = createScheduler(schedulable, store.state.meta.passes, { ...schedulerOptions(config, weights), system: { backlog } });
    this.scheduler = sched;
    this.deps = {
      home: this.input.home,
      tickId: this.input.tickId,
      store,
      log: this.input.log,
      scheduler: sched,
      modules: this.modules,
      backends: this.input.backends,
      quota: (name) => quotaOptions(config, config.backends[name]!),
      retry: retryOptions(config),
      config,
      now: () => this.now(),
      rng: this.input.rng,
      applyLock: new ApplyLock(),
      ...(this.input.problemFiles ? { problemFiles: this.input.problemFiles } : {}),
    };
  }

  /** Serves every backend until the budget or the deadline is spent and nothing is in flight. */
  async serve(): Promise<void> {
    const sched = this.scheduler!;
    for (;;) {
      const pastDeadline = this.now().getTime() >= this.deadline || this.input.stop?.aborted === true;
      const hasBudget = this.counts.steps < this.maxRequests && !pastDeadline;
      // The tick uses its budget: work an answer made due (the next exchange, the reviews of a
      // new insight) starts in this tick when a backend is free, not in the next one.
      const due = this.answered && hasBudget;
      if (!pastDeadline && !this.input.once && (due || this.now().getTime() >= this.nextDiscovery)) {
        this.answered = false;
        if (this.now().getTime() >= this.nextDiscovery) this.nextDiscovery = this.now().getTime() + this.rediscoverMs;
        await this.discover();
      }
      if (hasBudget) {
        const pick = sched.pick(this.now(), this.slots());
        if (pick) {
          await this.start(pick);
          continue;
        }
      }
      if (pastDeadline) this.detachSubmitted();
      if (this.inflight.size === 0) {
        const blocked = sched.blocked();
        if (this.counts.steps < this.maxRequests && blocked.length > 0) this.input.log.info('scheduler.blocked', { reasons: blocked });
        return;
      }
      await this.waitForProgress(pastDeadline);
    }
  }

  /** The backends as the scheduler sees them: a parked backend being re-probed counts as free. */
  private slots(): BackendSlot[] {
    const deps = this.deps!;
    return [...this.input.backends.keys()].map((name) => {
      const state = this.input.store.state.backends[name] ?? emptyBackendState();
      return { name, quota: deps.quota(name), state: this.probing.has(name) ? { ...state, needsHuman: null } : state, busy: this.inflight.has(name) };
    });
  }

  /** Claims the pick (synchronously, so the next pick sees it running) and sends it in the background. */
  private async start(pick: Pick): Promise<void> {
    const { log, store, config } = this.input;
    const deps = this.deps!;
    this.counts.steps += 1;
    const requestId = `r${String(this.counts.steps).padStart(3, '0')}`;
    log.info('task.picked', { taskId: pick.task.key, llm: pick.backend, priority: pick.priority, requestId, probe: this.probing.has(pick.backend) });
    this.probing.delete(pick.backend);
    // beginStep also records (and logs task.preempted for) the conversation the pick displaces.
    const begun = beginStep(deps, pick, requestId);
    if ('failedEvents' in begun) {
      await store.append(begun.failedEvents, this.now());
      return;
    }
    this.counts.requests += 1;
    const elapsedS = Math.round((this.now().getTime() - this.deadline) / 1000 + config.tick.maxSeconds);
    this.input.progress?.(
      `${String(elapsedS).padStart(4)}s  → ${pick.task.type} ${pick.task.key} on ${pick.backend}  (${this.maxRequests - this.counts.steps} requests left in this tick)`,
    );
    const control: StepControl = { abort: new AbortController(), submitted: false };
    this.controls.set(pick.backend, control);
    const p = finishStep(deps, begun, requestId, control).finally(() => {
      this.inflight.delete(pick.backend);
      this.controls.delete(pick.backend);
      this.answered = true;
    });
    p.catch(() => {}); // handled by the race in waitForProgress; this only keeps Node from calling it unhandled
    this.inflight.set(pick.backend, p);
  }

  /**
   * Out of time: requests whose submitted mark is durable are left to finish on the site; the
   * next tick recovers their tasks and harvests the answers (no resubmission). Requests not yet
   * submitted are waited for: their own watchdogs bound that.
   */
  private detachSubmitted(): void {
    for (const [backend, c] of this.controls) {
      if (c.submitted && !c.abort.signal.aborted) {
        this.input.log.info('tick.detaching', { llm: backend });
        c.abort.abort(DETACH);
      }
    }
  }

  /**
   * Whatever happens first: a step finishes (its backend is free), the deadline, or the next
   * discovery. A failing step (a lost lock, a full disk) aborts the tick, but only after the other
   * in-flight steps have settled, so none of them appends to a store that is being closed.
   */
  private async waitForProgress(pastDeadline: boolean): Promise<void> {
    // Past the deadline nothing is discovered any more: only a step's end wakes the loop (waking
    // for a discovery time already past would spin until the step ends).
    const wakeAt = pastDeadline ? Infinity : Math.min(this.deadline, this.input.once ? Infinity : this.nextDiscovery);
    const timer = new AbortController();
    const wake = Number.isFinite(wakeAt) ? this.input.clock.sleep(Math.max(0, wakeAt - this.now().getTime()), timer.signal) : new Promise<void>(() => {});
    const stop = this.input.stop;
    const stopped =
      stop && !pastDeadline ? new Promise<void>((res) => stop.addEventListener('abort', () => res(), { once: true, signal: timer.signal })) : null;
    try {
      await Promise.race([...this.inflight.values(), wake, ...(stopped ? [stopped] : [])]);
    } catch (err) {
      await Promise.allSettled(this.inflight.values());
      throw err;
    } finally {
      timer.abort();
    }
  }
}
