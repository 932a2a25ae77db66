import { CONSULTATION_MODULE } from '../core/consultation.js';
import type { SimObserver } from './sim-backend.js';
import type { Arrival, SimResponse, World } from './world.js';
import { DAY_MS, MINUTE_MS, SIM_EPOCH_MS } from './scenario.js';

/** The consultation is charged to this pseudo-module (it belongs to no module's share). */
export const CONSULTATION = CONSULTATION_MODULE;

/** What the person asked for and when fano finished with it (the latency metrics). */
export interface HumanBoard {
  comments: readonly Arrival[];
  commentDoneAt: ReadonlyMap<string, number>;
  urgentSeeds: readonly Arrival[];
  urgentSeedDoneAt: ReadonlyMap<string, number>;
}

interface BackendCounters {
  sent: number;
  ok: number;
  deepOk: number;
  rateLimited: number;
  rateLimitedAfterDay1: number;
  failed: number;
}

/** Everything both algorithms are measured by, collected while the engine runs. */
export class SimMetrics implements SimObserver {
  readonly perBackend = new Map<string, BackendCounters>();
  readonly moduleRequests = new Map<string, number>();
  tasksCompleted = 0;
  tasksFailed = 0;
  /** Tasks completed by `module:type` (the verification and argument tasks among them). */
  readonly completedByType = new Map<string, number>();
  longestWaitMs = 0;
  longestWaitTask: string | null = null;
  longestDeepWaitMs = 0;
  ticks = 0;
  ticksSkippedLockBusy = 0;
  /** Sanity: requests sent while the algorithm itself believed the backend rate-limited. */
  sendsWhileBelievedLimited = 0;
  maxInFlightPerBackend = 0;
  maxInFlightTotal = 0;
  preemptions = 0;
  /** Requests started by each tick that started any (stepsPerTickP50). */
  readonly startsPerTick: number[] = [];
  /**
   * The longest a runnable task waited for an unavailable backend (rate-limited, needs a person,
   * out of quota, down) while another backend that could serve it was idle; null when the
   * algorithm does not track it (the baseline).
   */
  stalledWhileOtherFreeMaxMs: number | null = null;
  /** When each backend answered "rate limited" (for diagnosis; the report counts them). */
  readonly hitTimes = new Map<string, number[]>();

  constructor(backends: readonly string[]) {
    for (const b of backends) this.perBackend.set(b, { sent: 0, ok: 0, deepOk: 0, rateLimited: 0, rateLimitedAfterDay1: 0, failed: 0 });
  }

  onSend(backend: string): void {
    this.perBackend.get(backend)!.sent++;
  }

  /** A request of `module`'s task went out (the module shares). */
  /** A task done; one with a round in its context (a review's round: 3 and 4 are the argument round) is counted per round. */
  onCompleted(module: string, type: string, context: Readonly<Record<string, unknown>>): void {
    this.tasksCompleted++;
    const k = `${module}:${type}${typeof context.round === 'number' ? `.round${context.round}` : ''}`;
    this.completedByType.set(k, (this.completedByType.get(k) ?? 0) + 1);
  }

  onRequest(module: string): void {
    this.moduleRequests.set(module, (this.moduleRequests.get(module) ?? 0) + 1);
  }

  /** Requests in flight on all backends now (set by the run that owns the backends). */
  inFlightTotal: (() => number) | null = null;

  onInFlight(_backend: string, n: number): void {
    this.maxInFlightPerBackend = Math.max(this.maxInFlightPerBackend, n);
    this.maxInFlightTotal = Math.max(this.maxInFlightTotal, this.inFlightTotal?.() ?? n);
  }

  onAnswer(backend: string, deep: boolean, res: SimResponse, atMs: number): void {
    const c = this.perBackend.get(backend)!;
    if (res.outcome === 'ok') {
      c.ok++;
      if (deep) c.deepOk++;
    } else if (res.outcome === 'rateLimited') {
      c.rateLimited++;
      const hits = this.hitTimes.get(backend) ?? [];
      hits.push(atMs);
      this.hitTimes.set(backend, hits);
      if (atMs >= SIM_EPOCH_MS + DAY_MS) c.rateLimitedAfterDay1++;
    } else {
      c.failed++;
    }
  }

  /** A runnable task waited `waitMs` before it was picked (or until the end of the run). */
  onWait(key: string, deep: boolean, waitMs: number): void {
    if (deep) {
      this.longestDeepWaitMs = Math.max(this.longestDeepWaitMs, waitMs);
    } else if (waitMs > this.longestWaitMs) {
      this.longestWaitMs = waitMs;
      this.longestWaitTask = key;
    }
  }
}

export interface SimBackendReport {
  hiddenHourlyCap: number;
  configuredHourly: number;
  capacityUsed: number;
  hiddenCapacity: number;
  ok: number;
  sent: number;
  deepUses: number;
  rateLimitHits: number;
  rateLimitHitsPerDayAfterDay1: number;
  /** When the hits came, in minutes since the start. */
  rateLimitHitAtMin: number[];
}

/** One algorithm's results. The first seven keys are what scripts read from `fano simulate --json`: keep them. */
export interface SimAlgoReport {
  capacityUsed: number;
  rateLimitHitsPerBackendDayAfterDay1: number;
  commentLatencyP95Min: number;
  longestWaitMin: number;
  tasksPerDay: number;
  consultationShare: number;
  moduleShare: Record<string, number>;
  /** The weights the shares should follow (normalized; averaged over the requests when a consultation changed them). */
  moduleWeights: Record<string, number>;
  commentLatencyP50Min: number;
  urgentSeedExploreMedianMin: number;
  urgentSeedExploreMaxMin: number;
  longestDeepWaitMin: number;
  longestWaitTask: string | null;
  deepUses: number;
  requests: number;
  okAnswers: number;
  hiddenCapacity: number;
  tasksCompleted: number;
  /** Tasks completed by `module:type` (`.roundN` for a task of one round, e.g. `explorer:review.round3`); the keys in order. */
  tasksCompletedByType: Record<string, number>;
  tasksFailed: number;
  commentsArrived: number;
  commentsAddressed: number;
  urgentSeedsArrived: number;
  urgentSeedsExplored: number;
  ticks: number;
  ticksSkippedLockBusy: number;
  preemptions: number;
  sanity: { sendsWhileBelievedLimited: number; maxInFlightPerBackend: number; maxInFlightTotal: number };
  backends: Record<string, SimBackendReport>;
  /** See SimMetrics.stalledWhileOtherFreeMaxMs (minutes; null: not tracked). */
  stalledWhileOtherFreeMaxMin: number | null;
  /** Insights blessed per simulated day (the Explorer's review panels). */
  blessedPerDay: number;
  /** Median requests started per tick, over the ticks that started any. */
  stepsPerTickP50: number;
}

/** Nearest-rank percentile of a sorted list (0 for an empty one). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Latencies of human events. An event still open at the end counts with its wait so far (a
 * censored value is a lower bound, so the percentile is never flattered by leaving work undone).
 */
function latenciesMin(arrivals: ReadonlyArray<{ id: string; atMs: number }>, done: ReadonlyMap<string, number>, endMs: number): number[] {
  return arrivals.map((a) => ((done.get(a.id) ?? endMs) - a.atMs) / MINUTE_MS).sort((x, y) => x - y);
}

export function buildReport(m: SimMetrics, world: World, board: HumanBoard, blessed: number, days: number, weights: Record<string, number>): SimAlgoReport {
  const endMs = SIM_EPOCH_MS + days * DAY_MS;
  const backends: Record<string, SimBackendReport> = {};
  let ok = 0;
  let sent = 0;
  let cap = 0;
  let deep = 0;
  let hitsAfter = 0;
  let hitsAll = 0;
  for (const [name, c] of m.perBackend) {
    const spec = world.scenario.backends.find((b) => b.name === name)!;
    const hidden = world.hiddenCapacity(name, SIM_EPOCH_MS, endMs);
    ok += c.ok;
    sent += c.sent;
    cap += hidden;
    deep += c.deepOk;
    hitsAfter += c.rateLimitedAfterDay1;
    hitsAll += c.rateLimited;
    backends[name] = {
      hiddenHourlyCap: spec.hiddenHourlyCap,
      configuredHourly: spec.configuredHourly,
      capacityUsed: round(hidden > 0 ? c.ok / hidden : 0),
      hiddenCapacity: round(hidden, 1),
      ok: c.ok,
      sent: c.sent,
      deepUses: c.deepOk,
      rateLimitHits: c.rateLimited,
      rateLimitHitsPerDayAfterDay1: round(days > 1 ? c.rateLimitedAfterDay1 / (days - 1) : c.rateLimited / days),
      rateLimitHitAtMin: (m.hitTimes.get(name) ?? []).map((t) => Math.round((t - SIM_EPOCH_MS) / MINUTE_MS)),
    };
  }
  const nb = Math.max(1, m.perBackend.size);
  const moduleTotal = [...m.moduleRequests.entries()].filter(([k]) => k !== CONSULTATION).reduce((a, [, v]) => a + v, 0);
  const moduleShare: Record<string, number> = {};
  for (const [k, v] of [...m.moduleRequests.entries()].sort()) if (k !== CONSULTATION) moduleShare[k] = round(moduleTotal > 0 ? v / moduleTotal : 0);
  const wsum = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
  const moduleWeights: Record<string, number> = {};
  for (const k of Object.keys(weights).sort()) moduleWeights[k] = round(weights[k]! / wsum);
  const comments = latenciesMin(
    board.comments.filter((c) => c.atMs < endMs),
    board.commentDoneAt,
    endMs,
  );
  const seeds = latenciesMin(
    board.urgentSeeds.filter((c) => c.atMs < endMs),
    board.urgentSeedDoneAt,
    endMs,
  );
  return {
    capacityUsed: round(cap > 0 ? ok / cap : 0),
    rateLimitHitsPerBackendDayAfterDay1: round(days > 1 ? hitsAfter / nb / (days - 1) : hitsAll / nb / days),
    commentLatencyP95Min: round(percentile(comments, 95), 1),
    longestWaitMin: round(m.longestWaitMs / MINUTE_MS, 1),
    tasksPerDay: round(m.tasksCompleted / days, 1),
    consultationShare: round(sent > 0 ? (m.moduleRequests.get(CONSULTATION) ?? 0) / sent : 0),
    moduleShare,
    moduleWeights,
    commentLatencyP50Min: round(percentile(comments, 50), 1),
    urgentSeedExploreMedianMin: round(percentile(seeds, 50), 1),
    urgentSeedExploreMaxMin: round(seeds.length ? seeds[seeds.length - 1]! : 0, 1),
    longestDeepWaitMin: round(m.longestDeepWaitMs / MINUTE_MS, 1),
    longestWaitTask: m.longestWaitTask,
    deepUses: deep,
    requests: sent,
    okAnswers: ok,
    hiddenCapacity: round(cap, 1),
    tasksCompleted: m.tasksCompleted,
    tasksCompletedByType: Object.fromEntries([...m.completedByType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    tasksFailed: m.tasksFailed,
    commentsArrived: comments.length,
    commentsAddressed: [...board.commentDoneAt.values()].filter((t) => t <= endMs).length,
    urgentSeedsArrived: seeds.length,
    urgentSeedsExplored: [...board.urgentSeedDoneAt.values()].filter((t) => t <= endMs).length,
    ticks: m.ticks,
    ticksSkippedLockBusy: m.ticksSkippedLockBusy,
    preemptions: m.preemptions,
    sanity: { sendsWhileBelievedLimited: m.sendsWhileBelievedLimited, maxInFlightPerBackend: m.maxInFlightPerBackend, maxInFlightTotal: m.maxInFlightTotal },
    backends,
    stalledWhileOtherFreeMaxMin: m.stalledWhileOtherFreeMaxMs === null ? null : round(m.stalledWhileOtherFreeMaxMs / MINUTE_MS, 1),
    blessedPerDay: round(blessed / days, 1),
    stepsPerTickP50: percentile(
      [...m.startsPerTick].sort((a, b) => a - b),
      50,
    ),
  };
}
