import type { FanoConfig } from '../config/schema.js';
import { quotaOptions } from '../config/core-options.js';
import { heldBackend } from '../core/allocator.js';
import type { FanoEvent } from '../core/events.js';
import { isRunnable } from '../core/lifecycle.js';
import { quotaView, type QuotaOptions, type QuotaView } from '../core/quota.js';
import { mulberry32 } from '../core/rng.js';
import { DAY_MS } from '../core/time.js';
import { emptyBackendState, type BackendState, type JsonObject, type Task } from '../core/types.js';
import type { Backend } from '../gateway/backend.js';
import type { Logger } from '../log.js';
import { enabledModules, mockResponders } from '../modules/index.js';
import type { Module } from '../modules/module.js';
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js';
import { VirtualClock } from '../tick/clock.js';
import { runPendingFetches } from '../tick/fetch-sources.js';
import { writeProposedSeeds } from '../tick/researcher-glue.js';
import { runSlice, type SliceCounts } from '../tick/slice.js';
import { consultantResponder, type ConsultantOptions } from './consultant.js';
import { CONSULTATION, SimMetrics } from './metrics.js';
import { SimPerson } from './person.js';
import { SIM_EPOCH_MS } from './scenario.js';
import { SimBackend } from './sim-backend.js';
import { initSimHome } from './sim-home.js';
import { simFetcher } from './sim-web.js';
import type { World } from './world.js';

/**
 * fano on the simulator: the REAL tick loop (src/tick/slice.ts runSlice: recovery, discovery,
 * picking, rediscovery, detach and harvest, deadlines) with the REAL enabled modules and their
 * seeded mock answers, on an in-memory store and a virtual clock, against the simulated world's
 * backends (sim-backend.ts) and person (person.ts). Only the world and the clock are simulated.
 * A timer starts a tick every `tick.intervalSeconds` when none is running, as cron does.
 */

export interface FanoRun {
  metrics: SimMetrics;
  person: SimPerson;
  store: MemoryStore;
}

/** Events the simulator counts, as the tick logs them (the logger is its window on the loop). */
function simLogger(on: (event: string, fields: Record<string, unknown>) => void): Logger {
  const rec = (event: string, fields?: object) => on(event, (fields ?? {}) as Record<string, unknown>);
  return { info: rec, warn: rec, error: rec, debug: () => {}, close: () => {}, file: null };
}

const moduleOf = (key: string) => key.slice(0, key.indexOf(':'));

export async function runFano(o: {
  home: string;
  config: FanoConfig;
  world: World;
  days: number;
  seed: number;
  consultant?: Partial<ConsultantOptions> | undefined;
}): Promise<FanoRun> {
  const { home, config, world } = o;
  const endMs = SIM_EPOCH_MS + o.days * DAY_MS;
  const clock = new VirtualClock(SIM_EPOCH_MS);
  const store = createMemoryStore({ home, now: () => clock.now(), keepRecords: false });
  const metrics = new SimMetrics(world.names);
  const person = new SimPerson(home, world.schedule);
  initSimHome(home, person.firstSeeds());
  const fence = () => store.fence();

  // The person's and fano's events are observed as the store logs them.
  const append = store.append.bind(store);
  store.append = (events: FanoEvent[], at: Date) => {
    observeTasks(events, store, metrics, active);
    const r = append(events, at);
    person.observe(events, at.getTime());
    return r;
  };

  // The simulated consultant answers the consultation (the mock backend's own answer to it comes later in the list).
  const responders = [consultantResponder(config, o.consultant), ...mockResponders];
  const simBackends = new Map<string, SimBackend>();
  for (const name of Object.keys(config.backends)) simBackends.set(name, new SimBackend(name, world, clock, responders, o.seed, metrics));
  const backends = simBackends as Map<string, Backend>;
  metrics.inFlightTotal = () => [...simBackends.values()].reduce((n, b) => n + b.inFlightAt(clock.nowMs()), 0);
  const modules = enabledModules(config) as Array<{ module: Module; options: JsonObject }>;
  const quotas = new Map(Object.keys(config.backends).map((n) => [n, quotaOptions(config, config.backends[n]!)]));
  const stalls = new StallTracker(metrics, quotas, simBackends, (name) => store.state.backends[name] ?? emptyBackendState());
  /** Tasks not yet completed or failed (the stall check looks at no others). */
  const active = new Set<string>();
  const stall = () => stalls.track(store.state.tasks, active, clock.now());

  const log = simLogger((event, f) => {
    const key = typeof f.taskId === 'string' ? f.taskId : null;
    if (event === 'task.picked' && key !== null) {
      const t = store.state.tasks[key];
      if (t && !t.conversation?.submitted) metrics.onWait(key, t.deep, Math.max(0, clock.nowMs() - Date.parse(t.readyAt)));
      stalls.end(key, clock.nowMs());
    } else if (event === 'task.started' && key !== null && f.harvest !== true) {
      const b = String(f.llm);
      metrics.onRequest(moduleOf(key));
      const until = store.state.backends[b]?.rateLimitedUntil ?? null;
      if (until !== null && Date.parse(until) > clock.nowMs()) metrics.sendsWhileBelievedLimited++;
    } else if (event === 'task.preempted') metrics.preemptions++;
    if (event === 'task.completed' || event === 'task.yielded' || event === 'task.started') stall();
  });

  const rng = mulberry32(o.seed ^ 0xfa40);
  const r = config.modules.researcher;
  const fetchOpts = {
    perHour: r.fetch.perHour,
    timeoutMs: r.fetch.timeoutSeconds * 1000,
    maxBytes: r.fetch.maxBytes,
    maxRedirects: r.fetch.maxRedirects,
    allowPrivateAddresses: true,
    retryFailedAfterMs: r.fetch.retryFailedAfterHours * 3_600_000,
  };
  const intervalMs = Math.max(1, config.tick.intervalSeconds) * 1000;

  // The person writes at the scenario's times, also while a tick runs (rediscovery sees it).
  let running = true;
  void (async () => {
    for (;;) {
      const at = person.nextAt();
      if (!Number.isFinite(at) || at >= endMs) return;
      await clock.sleep(at - clock.nowMs());
      if (!running) return;
      person.act(clock.nowMs(), fence, false);
    }
  })();

  let tickNo = 0;
  while (clock.nowMs() < endMs) {
    const tickStart = clock.nowMs();
    person.act(tickStart, fence, true);
    stall();
    const counts: SliceCounts = { steps: 0, requests: 0, discovered: 0, recovered: 0 };
    tickNo += 1;
    metrics.ticks++;
    await runSlice(
      {
        home,
        tickId: `sim-${tickNo}`,
        config,
        store,
        log,
        backends,
        modules,
        clock,
        rng,
        hooks: {
          beforeDiscovery: async () => {
            if (r.enabled) await runPendingFetches(home, store.state, fetchOpts, () => clock.now(), log, fence, simFetcher);
          },
          afterSlice: () => writeProposedSeeds(home, store, () => clock.now(), log),
        },
      },
      counts,
    );
    await store.archive(new Date(clock.nowMs() - config.state.archiveAfterDays * DAY_MS));
    if (counts.steps > 0) metrics.startsPerTick.push(counts.steps);
    // The next timer firing that finds no tick running.
    const next = Math.max(tickStart + intervalMs, Math.ceil(clock.nowMs() / intervalMs) * intervalMs);
    metrics.ticksSkippedLockBusy += Math.max(0, Math.round((next - tickStart) / intervalMs) - 1);
    await clock.sleep(next - clock.nowMs());
  }
  running = false;
  for (const b of simBackends.values()) b.drain();
  stalls.finish(clock.nowMs());
  const end = new Date(Math.max(clock.nowMs(), endMs));
  for (const t of Object.values(store.state.tasks)) {
    if (isRunnable(t, end) && moduleOf(t.key) !== CONSULTATION) metrics.onWait(t.key, t.deep, Math.max(0, end.getTime() - Date.parse(t.readyAt)));
  }
  person.checkComments(end.getTime());
  return { metrics, person, store };
}

/** Tasks completed and failed for good, counted from the events that make them so. */
function observeTasks(events: readonly FanoEvent[], store: MemoryStore, metrics: SimMetrics, active: Set<string>): void {
  for (const ev of events) {
    if (ev.type === 'task.drop') for (const k of ev.keys) active.delete(k);
    if (ev.type !== 'task.put') continue;
    if (ev.task.state === 'completed' || ev.task.state === 'failed') active.delete(ev.task.key);
    else active.add(ev.task.key);
    if (ev.task.module === CONSULTATION) continue;
    const was = store.state.tasks[ev.task.key]?.state;
    if (ev.task.state === was) continue;
    if (ev.task.state === 'completed') metrics.onCompleted(ev.task.module, ev.task.type, ev.task.context);
    else if (ev.task.state === 'failed') metrics.tasksFailed++;
  }
}

/**
 * stalledWhileOtherFreeMaxMin: a runnable task whose preferred backend (its llmPreference or its
 * held conversation's) cannot serve it while another backend that could is idle is stalled from
 * the first time that is seen until it is picked or the condition ends.
 */
class StallTracker {
  private readonly since = new Map<string, number>();

  constructor(
    private readonly metrics: SimMetrics,
    private readonly quotas: ReadonlyMap<string, QuotaOptions>,
    private readonly backends: ReadonlyMap<string, SimBackend>,
    private readonly stateOf: (name: string) => BackendState,
  ) {
    metrics.stalledWhileOtherFreeMaxMs = 0;
  }

  track(tasks: Readonly<Record<string, Task>>, active: ReadonlySet<string>, now: Date): void {
    const t = now.getTime();
    const views = new Map<string, QuotaView>();
    for (const [name, quota] of this.quotas) views.set(name, quotaView(this.stateOf(name), now, quota));
    const idle = [...views].filter(([name, v]) => v.status === 'available' && !this.backends.get(name)!.busy());
    if (idle.length === 0 || [...views.values()].every((v) => v.status === 'available')) {
      for (const key of [...this.since.keys()]) this.end(key, t);
      return;
    }
    for (const key of active) {
      const task = tasks[key];
      if (task === undefined) continue;
      const pref = task.llmPreference ?? heldBackend(task);
      const v = pref === null ? undefined : views.get(pref);
      const stalled =
        pref !== null &&
        (v === undefined || v.status !== 'available') &&
        isRunnable(task, now) &&
        idle.some(([name, iv]) => name !== pref && !(task.llmAvoid ?? []).includes(name) && (!task.deep || iv.deepRemaining > 0));
      if (stalled) {
        if (!this.since.has(task.key)) this.since.set(task.key, t);
      } else this.end(task.key, t);
    }
  }

  end(key: string, t: number): void {
    const s = this.since.get(key);
    if (s === undefined) return;
    this.since.delete(key);
    this.metrics.stalledWhileOtherFreeMaxMs = Math.max(this.metrics.stalledWhileOtherFreeMaxMs ?? 0, t - s);
  }

  finish(t: number): void {
    for (const key of [...this.since.keys()]) this.end(key, t);
  }
}
