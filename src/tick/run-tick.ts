import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/load.js';
import type { FanoConfig } from '../config/schema.js';
import type { FanoEvent } from '../core/events.js';
import { interruptTask } from '../core/lifecycle.js';
import { mulberry32 } from '../core/rng.js';
import { createScheduler, type BackendSlot, type Scheduler } from '../core/scheduler.js';
import { emptyBackendState, type FanoState, type JsonObject, type Task, type TickInfo } from '../core/types.js';
import { createBackends, type Backend } from '../gateway/index.js';
import { createFileLogger, type Logger } from '../log.js';
import { enabledModules, mockResponders, moduleProjections } from '../modules/index.js';
import { applyPendingPatches, hasPendingPatches } from '../store/document-file.js';
import { writeProjections } from '../store/projections.js';
import type { Module } from '../modules/module.js';
import { openStore, type Store } from '../store/store.js';
import { discoverTasks } from './discover.js';
import { effectiveWeights, quotaOptions, retryOptions, schedulerOptions } from '../config/core-options.js';
import { clearIdleHint, nextWakeAt, writeIdleHint } from './idle-hint.js';
import { newTickId, tickLogPath, writeLastTick } from './runs.js';
import { fetchPendingSources, writeProposedSeeds } from './researcher-glue.js';
import { ApplyLock, beginStep, DETACH, finishStep, type StepControl, type StepDeps } from './step.js';
import { DAY_MS } from '../core/time.js';

export interface TickOptions {
  home: string;
  /** Exactly one task step (at most one LLM request). */
  once?: boolean;
  now?: () => Date;
  /** Progress lines for an interactive terminal; absent under cron. */
  progress?: (line: string) => void;
}

export interface TickSummary extends TickInfo {
  logFile: string;
  discovered: number;
  recovered: number;
}

/**
 * One crash-only tick: config → lock → load (checkpoint + redo log) → recover interrupted tasks →
 * discover → run a bounded slice of LLM work → checkpoint → unlock. Every state change is appended
 * to the redo log (fsynced) before it is acted on, so a SIGKILL at any instant loses nothing.
 */
export async function runTick(opts: TickOptions): Promise<TickSummary> {
  const now = opts.now ?? (() => new Date());
  // Config first: an invalid config exits 78 before state/ is touched.
  const { config } = await loadConfig(opts.home);
  const startedAt = now();
  const tickId = newTickId(startedAt);
  const store = await openStore(opts.home, { lockStaleMs: config.tick.lockStaleSeconds * 1000, now });
  const log = createFileLogger(tickLogPath(opts.home, tickId), config.logging.level, { tickId });
  const info: TickSummary = {
    id: tickId,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    outcome: 'running',
    steps: 0,
    requests: 0,
    error: null,
    logFile: log.file ?? '',
    discovered: 0,
    recovered: 0,
  };
  writeLastTick(opts.home, strip(info));
  const backends = createBackends(config, { home: opts.home, log, mockResponders });
  try {
    const r = store.report;
    log.info('tick.started', { checkpointSeq: r.checkpointSeq, replayed: r.replayed, pid: process.pid });
    if (r.tornTail) log.warn('store.torn_tail_repaired', { ...r.tornTail });
    if (r.orphansRemoved.length > 0) log.warn('store.orphans_removed', { files: r.orphansRemoved });

    await slice(opts, config, store, log, backends, tickId, now, info);

    const archived = await store.archive(new Date(now().getTime() - config.state.archiveAfterDays * DAY_MS));
    if (archived > 0) log.info('state.archived', { tasks: archived });
    // A clean tick leaves an empty log; an idle one writes nothing at all (no diff, no cost).
    if (store.seq > store.checkpointSeq) {
      const t = Date.now();
      await store.checkpoint();
      log.info('state.checkpointed', { seq: store.seq, tasks: Object.keys(store.state.tasks).length, durationMs: Date.now() - t });
    }
    writeProjections(opts.home, store.state, moduleProjections(config), log); // readable files, rebuilt from the checkpointed state
    info.outcome = store.state.meta.paused ? 'paused' : info.steps > 0 ? 'ok' : 'idle';
    // Still holding the lock, after the checkpoint: the files the hint stamps are final.
    leaveIdleHint(opts.home, config, store.state, now(), log);
  } catch (err) {
    clearIdleHint(opts.home);
    info.outcome = 'error';
    info.error = (err as Error).message;
    log.error('tick.failed', { error: (err as Error).message, stack: (err as Error).stack });
    throw err;
  } finally {
    info.endedAt = now().toISOString();
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
    log.info('tick.ended', { outcome: info.outcome, steps: info.steps, requests: info.requests, durationMs: Date.parse(info.endedAt) - startedAt.getTime() });
    log.close();
    writeLastTick(opts.home, strip(info));
    await store.close();
  }
  return info;
}

/** Lets the next ticks skip loading the state while nothing can have changed (idle-hint.ts). */
function leaveIdleHint(home: string, config: FanoConfig, state: Readonly<FanoState>, at: Date, log: Logger): void {
  const inputs: string[] = [];
  let wake = nextWakeAt(state, at, config.state.archiveAfterDays * DAY_MS);
  for (const { module, options } of enabledModules(config)) {
    if (!module.discoveryInputs) wake = null;
    else inputs.push(...module.discoveryInputs({ home, options: options as JsonObject }));
    const timed = module.nextDiscoveryAt?.({ state, home, now: at, options: options as JsonObject }) ?? null;
    if (wake && timed && timed < wake) wake = timed;
  }
  if (wake) {
    writeIdleHint(home, inputs, wake);
    log.debug('tick.idle_hint', { wakeAt: wake.toISOString(), inputs });
  } else clearIdleHint(home);
}

function strip(s: TickSummary): TickInfo {
  const { id, startedAt, endedAt, outcome, steps, requests, error } = s;
  return { id, startedAt, endedAt, outcome, steps, requests, error };
}

async function slice(
  opts: TickOptions,
  config: FanoConfig,
  store: Store,
  log: Logger,
  backends: Map<string, Backend>,
  tickId: string,
  now: () => Date,
  info: TickSummary,
): Promise<void> {
  // Recovery before anything else, so no task runs against unrecovered state: tasks a dead tick
  // left running become paused through a logged event, so a second crash cannot bring them back
  // as running.
  const interrupted = Object.values(store.state.tasks).filter((t: Task) => t.state === 'running');
  if (interrupted.length > 0) {
    const at = now();
    await store.append(interrupted.map((t): FanoEvent => ({ type: 'task.put', task: interruptTask(t, at) })), at);
    info.recovered = interrupted.length;
    // Tasks with a submitted mark were detached by the last tick (or it died after submitting):
    // their answers are harvested, not asked for again.
    log.info('task.recovered', { tasks: interrupted.map((t) => t.key), harvest: interrupted.filter((t) => t.conversation?.submitted).map((t) => t.key) });
  }

  // Document patches a dead tick logged but did not apply (or did not record) are finished first.
  if (hasPendingPatches(store.state)) await applyPendingPatches(store, now, log);

  // Researcher fetches before discovery, so discovery sees the fresh cache (no network in modules).
  await fetchPendingSources(opts.home, config, store, now, log);
  const mods = enabledModules(config);
  const modules = new Map(mods.map((m) => [m.module.name, m as { module: Module; options: JsonObject }]));
  // Asks the modules for work and logs the new tasks; the scheduler, once it exists, learns them too.
  let scheduler: Scheduler | null = null;
  const discover = async (): Promise<void> => {
    const found = await discoverTasks(store.state, [...modules.values()], opts.home, now(), log);
    if (found.length === 0) return;
    await store.append(found, now());
    for (const ev of found) if (ev.type === 'task.put') scheduler?.update(ev.task);
    info.discovered += found.length;
  };
  await discover();

  if (store.state.meta.paused) {
    log.info('tick.paused', {});
    return;
  }

  const weights = effectiveWeights(config, [...modules.keys()], store.state.meta.weights?.source === 'consultation' ? store.state.meta.weights.values : null);
  // Tasks of a module that is not enabled stay as they are until it is enabled again.
  const schedulable = Object.values(store.state.tasks).filter((t: Task) => modules.has(t.module));
  const sched = createScheduler(schedulable, store.state.meta.passes, schedulerOptions(config, weights));
  scheduler = sched;
  const rngSeed = randomInt(0, 2 ** 31);
  const deps: StepDeps = {
    home: opts.home,
    tickId,
    store,
    log,
    scheduler: sched,
    modules,
    backends,
    quota: (name) => quotaOptions(config, config.backends[name]!),
    retry: retryOptions(config),
    config,
    now,
    rng: mulberry32(rngSeed),
    applyLock: new ApplyLock(),
  };

  const maxRequests = opts.once ? 1 : config.tick.maxRequests;
  const deadline = now().getTime() + config.tick.maxSeconds * 1000;
  // One request in flight per backend (a chat site serves one prompt at a time), all backends in
  // flight at once (throughput): the "lock" is simply this map, keyed by backend.
  const inflight = new Map<string, Promise<unknown>>();
  // Needs-human parking (login wall, captcha) is for the backend, not the task: every tick lets
  // ONE request through to a parked backend as its re-probe. A browser checks for the wall before
  // typing (sent: false, quota rolled back), so a probe costs nothing while the person has not
  // yet run `fano login`; once they have, it succeeds and un-parks the backend by itself.
  const probing = new Set([...backends.keys()].filter((n) => store.state.backends[n]?.needsHuman));
  const slots = (): BackendSlot[] =>
    [...backends.keys()].map((name) => {
      const state = store.state.backends[name] ?? emptyBackendState();
      return {
        name,
        quota: deps.quota(name),
        state: probing.has(name) ? { ...state, needsHuman: null } : state,
        busy: inflight.has(name),
      };
    });

  // Each step's abort handle, and whether its submitted mark is durable (then it may detach).
  const controls = new Map<string, StepControl>();
  // A long tick looks for new work this often (a human comment must not wait for the next tick).
  const rediscoverMs = config.tick.rediscoverSeconds * 1000;
  let nextDiscovery = now().getTime() + rediscoverMs;
  let pastDeadline = false;

  for (;;) {
    const nowMs = now().getTime();
    pastDeadline = nowMs >= deadline;
    // A long tick keeps serving every backend; new work (a human comment) arriving meanwhile must
    // not wait for the next tick, so discovery runs again every minute.
    if (!pastDeadline && !opts.once && nowMs >= nextDiscovery) {
      nextDiscovery = nowMs + rediscoverMs;
      await discover();
    }
    if (info.steps < maxRequests && !pastDeadline) {
      const pick = sched.pick(now(), slots());
      if (pick) {
        info.steps += 1;
        const requestId = `r${String(info.steps).padStart(3, '0')}`;
        log.info('task.picked', { taskId: pick.task.key, llm: pick.backend, priority: pick.priority, requestId, probe: probing.has(pick.backend) });
        probing.delete(pick.backend);
        // beginStep is synchronous up to the claim, so the next pick already sees this task running.
        // It also records (and logs task.preempted for) the conversation the pick displaces.
        const begun = beginStep(deps, pick, requestId);
        if ('failedEvents' in begun) {
          await store.append(begun.failedEvents, now());
          continue;
        }
        info.requests += 1;
        const elapsedS = Math.round((now().getTime() - deadline) / 1000 + config.tick.maxSeconds);
        opts.progress?.(`${String(elapsedS).padStart(4)}s  → ${pick.task.type} ${pick.task.key} on ${pick.backend}  (${maxRequests - info.steps} requests left in this tick)`);
        const control: StepControl = { abort: new AbortController(), submitted: false };
        controls.set(pick.backend, control);
        const p = finishStep(deps, begun, requestId, control).finally(() => {
          inflight.delete(pick.backend);
          controls.delete(pick.backend);
        });
        p.catch(() => {}); // handled by the race below; this only keeps Node from calling it unhandled
        inflight.set(pick.backend, p);
        continue;
      }
    }
    if (pastDeadline) {
      // Out of time: requests whose submitted mark is durable are left to finish on the site; the
      // next tick recovers their tasks and harvests the answers (no resubmission). Requests not yet
      // submitted are waited for: their own watchdogs bound that.
      for (const [backend, c] of controls) {
        if (c.submitted && !c.abort.signal.aborted) {
          log.info('tick.detaching', { llm: backend });
          c.abort.abort(DETACH);
        }
      }
    }
    if (inflight.size === 0) {
      const blocked = sched.blocked();
      if (info.steps < maxRequests && blocked.length > 0) log.info('scheduler.blocked', { reasons: blocked });
      break;
    }
    // Whatever happens first: a step finishes (its backend is free), the deadline, or the next
    // discovery. A failing step (a lost lock, a full disk) aborts the tick, but only after the other
    // in-flight steps have settled, so none of them appends to a store that is being closed.
    const wakeInMs = Math.max(0, Math.min(pastDeadline ? Infinity : deadline, opts.once ? Infinity : nextDiscovery) - now().getTime());
    const timer = new AbortController();
    const wake = Number.isFinite(wakeInMs) ? sleep(wakeInMs, undefined, { signal: timer.signal }).catch(() => {}) : new Promise<void>(() => {});
    try {
      await Promise.race([...inflight.values(), wake]);
    } catch (err) {
      await Promise.allSettled(inflight.values());
      throw err;
    } finally {
      timer.abort();
    }
  }
  // Work this tick's answers made due (the next exchange, the reviews of a new insight) is queued
  // now: the next tick starts on it at once, and the idle hint can never vouch for a state whose
  // follow-up work is still undiscovered.
  await discover();
  await writeProposedSeeds(opts.home, store, now, log);
}
