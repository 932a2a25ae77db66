import type { SimMetrics } from './metrics.js';
import { DAY_MS, SIM_EPOCH_MS } from './scenario.js';
import type { SimResponse, World } from './world.js';

/** A request the driver starts. */
export interface SimStart {
  backend: string;
  deep: boolean;
  /** The task's module, or CONSULTATION. */
  module: string;
  taskKey: string | null;
  prompt: string;
}

/**
 * The baseline's cron loop (fano runs the real tick loop instead: fano-run.ts). No timers, no
 * sleeping: time jumps from event to event.
 *
 * Tick model (what `fano tick` does under a 1-minute timer, src/tick/run-tick.ts):
 *  - A tick starts on a whole minute when no tick holds the lock; cron firings while a tick runs
 *    find the lock busy (exit 75) and do nothing.
 *  - Inside a tick the driver starts requests on free backends (one in flight per backend for
 *    fano, one in total for the baseline's global lock) while the tick has budget: fewer than
 *    `maxRequests` started and less than `maxSeconds` elapsed. Requests on different backends
 *    overlap in virtual time, and a backend is refilled as soon as its answer is in.
 *  - Detached (the default, `DETACHED_TICK_MODEL`): at its deadline the tick stops waiting for
 *    requests already submitted; they stay in flight (their backend stays busy) and the next tick
 *    harvests their answers first, before it discovers or picks. The older model
 *    (`WAITING_TICK_MODEL`) waits for every answer, so a deep request minutes long holds the lock.
 *  - Modules discover work at the start of a tick, after each answer while the tick has budget
 *    (the work an answer made due starts in the same tick), and every `rediscoverSeconds` inside
 *    a long one, so a comment written while a tick runs is seen within about a minute.
 */

export interface SimDriver {
  /** Requests in flight at once across all backends (1 = one global lock). */
  readonly maxInFlight: number;
  /** A tick took the lock (the real tick loads the state and builds its scheduler here). */
  beginTick?(now: Date): void;
  discover(now: Date): Promise<void>;
  /** The next request to start now, given the backends busy with a request; null if none. */
  next(now: Date, busy: ReadonlySet<string>): SimStart | null;
  finish(start: SimStart, res: SimResponse, now: Date): Promise<void>;
  /** Whether the driver itself believes `backend` is rate limited at `now` (sanity metric). */
  believesLimited(backend: string, now: Date): boolean;
  /** The run is over: report the waits of tasks still runnable. */
  finalize(now: Date): void;
}

export interface TickLimits {
  maxRequests: number;
  maxSeconds: number;
  intervalSeconds: number;
}

/** Tick designs the simulator can measure; the default is what src/tick/run-tick.ts does. */
export interface TickModel {
  /** Discover again inside a tick once this many seconds passed (0: only at the tick's start). */
  rediscoverSeconds: number;
  /**
   * Requests outlive their tick: a tick stops at its budget without waiting for answers, and an
   * answer that arrives between ticks is harvested at the next tick's start (the submitted mark
   * and harvest path exist for crash recovery). false: a tick waits for every answer.
   */
  detach: boolean;
  /** Discover right after each answer while the tick has budget (work an answer made due starts in the same tick). */
  discoverAfterAnswer: boolean;
}

/** The real tick: refill free backends until the budget, rediscover each minute, detach at the deadline. */
export const DETACHED_TICK_MODEL: TickModel = { rediscoverSeconds: 60, detach: true, discoverAfterAnswer: true };
/** The first tick design: discover once, wait for every answer (kept to measure the difference). */
export const WAITING_TICK_MODEL: TickModel = { rediscoverSeconds: 0, detach: false, discoverAfterAnswer: false };
/** What src/tick/run-tick.ts does: keep this equal to its behaviour. */
export const RUN_TICK_MODEL: TickModel = DETACHED_TICK_MODEL;

interface InFlight {
  start: SimStart;
  res: SimResponse;
  doneAt: number;
}

export async function runEngine(
  world: World,
  driver: SimDriver,
  metrics: SimMetrics,
  days: number,
  limits: TickLimits,
  model: TickModel = RUN_TICK_MODEL,
  /** Called before each discovery (the simulated person writes what is due). */
  beforeDiscover: (nowMs: number) => void = () => {},
): Promise<void> {
  const endMs = SIM_EPOCH_MS + days * DAY_MS;
  const intervalMs = Math.max(1, limits.intervalSeconds) * 1000;
  const budgetMs = limits.maxSeconds * 1000;
  const rediscoverMs = model.rediscoverSeconds * 1000;
  const inFlight: InFlight[] = [];
  const busy = new Set<string>();
  let t = SIM_EPOCH_MS;

  const earliest = (): number => {
    let idx = 0; // ties: the earlier start, for determinism
    for (let i = 1; i < inFlight.length; i++) if (inFlight[i]!.doneAt < inFlight[idx]!.doneAt) idx = i;
    return idx;
  };
  const answer = async (idx: number, at: number): Promise<void> => {
    const f = inFlight.splice(idx, 1)[0]!;
    world.leave(f.start.backend);
    busy.delete(f.start.backend);
    metrics.onAnswer(f.start.backend, f.start.deep, f.res, at);
    await driver.finish(f.start, f.res, new Date(at));
  };

  while (t < endMs) {
    const tickStart = t;
    let started = 0;
    let discoveredAt = t;
    metrics.ticks++;
    // Detached answers that came in while no tick ran are harvested first, in arrival order.
    while (inFlight.length > 0 && inFlight[earliest()]!.doneAt <= t) await answer(earliest(), t);
    beforeDiscover(t);
    await driver.discover(new Date(t));
    driver.beginTick?.(new Date(t));
    let answered = false;
    for (;;) {
      const hasBudget = () => started < limits.maxRequests && t - tickStart < budgetMs && t < endMs;
      const periodic = rediscoverMs > 0 && t - discoveredAt >= rediscoverMs;
      if ((periodic || (model.discoverAfterAnswer && answered)) && hasBudget()) {
        beforeDiscover(t);
        await driver.discover(new Date(t));
        if (periodic) discoveredAt = t;
        answered = false;
      }
      // Start requests while the tick has budget. The virtual time does not move inside this
      // loop: picks in one round all happen "now", like the real tick's synchronous claims.
      while (hasBudget() && inFlight.length < driver.maxInFlight) {
        const now = new Date(t);
        const s = driver.next(now, busy);
        if (!s) break;
        if (busy.has(s.backend)) throw new Error(`simulator: driver started a second request on busy backend ${s.backend}`);
        if (driver.believesLimited(s.backend, now)) metrics.sendsWhileBelievedLimited++;
        const res = world.request(s.backend, s.deep, t);
        metrics.onSend(s.backend);
        metrics.onRequest(s.module);
        metrics.maxInFlightPerBackend = Math.max(metrics.maxInFlightPerBackend, world.enter(s.backend));
        busy.add(s.backend);
        inFlight.push({ start: s, res, doneAt: t + Math.max(1, res.latencyMs) });
        metrics.maxInFlightTotal = Math.max(metrics.maxInFlightTotal, inFlight.length);
        started++;
      }
      if (inFlight.length === 0) break;
      const idx = earliest();
      // A detached tick only waits for answers while it still has budget to use them.
      if (model.detach && !hasBudget()) break;
      // Like the real tick's race: wake at the next answer, the deadline (detached), or the next
      // discovery, whichever comes first. A wake without an answer still discovers and picks (a
      // slot of the sliding hour may have come free meanwhile).
      let wake = inFlight[idx]!.doneAt;
      if (model.detach) wake = Math.min(wake, tickStart + budgetMs, endMs);
      if (rediscoverMs > 0 && hasBudget()) wake = Math.min(wake, discoveredAt + rediscoverMs);
      if (wake < inFlight[idx]!.doneAt) {
        t = Math.max(t, wake);
        continue;
      }
      t = inFlight[idx]!.doneAt;
      await answer(idx, t);
      answered = true;
    }
    if (started > 0) metrics.startsPerTick.push(started);
    // The next cron firing that finds the lock free.
    const next = Math.max(tickStart + intervalMs, Math.ceil(t / intervalMs) * intervalMs);
    metrics.ticksSkippedLockBusy += Math.max(0, Math.round((next - tickStart) / intervalMs) - 1);
    t = next;
  }
  // Answers still out when the run ends are read (they were paid for), then the run is over.
  while (inFlight.length > 0) {
    const idx = earliest();
    t = Math.max(t, inFlight[idx]!.doneAt);
    await answer(idx, t);
  }
  driver.finalize(new Date(Math.max(t, endMs)));
}
