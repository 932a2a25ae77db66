import { mulberry32 } from '../core/rng.js';
import type { Outcome } from '../core/types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SIM_EPOCH_MS, poissonTimes, triangular, unitHash, type SimBackendSpec, type SimScenario } from './scenario.js';

/**
 * The fake sites. They know the hidden caps and enforce them like a real subscription would: a
 * sliding hour of ACCEPTED requests, a daily deep-mode budget, outages, random failures. Nothing
 * here is visible to the scheduler except through the answers.
 */

export interface SimResponse {
  outcome: Outcome;
  latencyMs: number;
  /** For rateLimited: when the site said the limit resets, if it said so. */
  resetAtMs: number | null;
  /** False when the request failed before reaching the site. */
  sent: boolean;
}

export interface Outage {
  fromMs: number;
  toMs: number;
}

export interface Arrival {
  id: string;
  atMs: number;
  /** Seeds only: the human's priority (1..3). */
  priority?: number;
}

/** The schedule of outages and human events: the same for every algorithm run with one seed. */
export interface WorldSchedule {
  outages: Record<string, Outage[]>;
  comments: Arrival[];
  urgentSeeds: Arrival[];
  /** Seeds of no urgency the human adds at once (a seed flood); explored like the module's own. */
  floodSeeds?: Arrival[];
}

export function buildSchedule(scenario: SimScenario, seed: number, days: number): WorldSchedule {
  const end = SIM_EPOCH_MS + days * DAY_MS;
  const rng = mulberry32(seed ^ 0x5eed);
  const outages: Record<string, Outage[]> = {};
  for (const b of scenario.backends) {
    const brng = mulberry32((seed * 31 + Math.floor(unitHash(`outage:${b.name}`) * 1e9)) >>> 0);
    outages[b.name] = poissonTimes(brng, b.outagesPerDay, SIM_EPOCH_MS, end).map((fromMs) => ({
      fromMs,
      toMs: Math.min(end, fromMs + Math.round(triangular(brng, b.outageMinutes) * MINUTE_MS)),
    }));
  }
  const comments = poissonTimes(rng, scenario.commentsPerDay, SIM_EPOCH_MS, end).map((atMs, i) => ({ id: `c${i + 1}`, atMs }));
  const urgentSeeds = poissonTimes(rng, scenario.urgentSeedsPerDay, SIM_EPOCH_MS, end).map((atMs, i) => ({
    id: `u${i + 1}`,
    atMs,
    priority: 1 + Math.floor(rng() * 3),
  }));
  // Scenario events (bursts, floods) join the Poisson arrivals, in time order.
  const byTime = (a: Arrival, b: Arrival) => a.atMs - b.atMs || (a.id < b.id ? -1 : 1);
  for (const [k, burst] of (scenario.commentBursts ?? []).entries()) {
    for (let i = 0; i < burst.count; i++)
      comments.push({ id: `cb${k + 1}.${i + 1}`, atMs: burst.atMs + Math.floor((burst.spreadMs * i) / Math.max(1, burst.count)) });
  }
  const floodSeeds: Arrival[] = [];
  for (const [k, flood] of (scenario.seedFloods ?? []).entries()) {
    for (let i = 0; i < flood.count; i++) {
      if (i < flood.urgent) urgentSeeds.push({ id: `uf${k + 1}.${i + 1}`, atMs: flood.atMs, priority: 3 });
      else floodSeeds.push({ id: `f${k + 1}.${i + 1}`, atMs: flood.atMs });
    }
  }
  comments.sort(byTime);
  urgentSeeds.sort(byTime);
  return { outages, comments, urgentSeeds, floodSeeds: floodSeeds.filter((a) => a.atMs < end) };
}

function inWindow(ws: ReadonlyArray<{ fromMs: number; toMs: number }> | undefined, now: number): boolean {
  return ws !== undefined && ws.some((w) => w.fromMs <= now && now < w.toMs);
}

/** Minutes of outage of one backend inside [fromMs, toMs). */
export function outageMs(outages: readonly Outage[], fromMs: number, toMs: number): number {
  let sum = 0;
  for (const o of outages) sum += Math.max(0, Math.min(o.toMs, toMs) - Math.max(o.fromMs, fromMs));
  return sum;
}

class FakeSite {
  private readonly accepted: number[] = [];
  private head = 0;
  private deepDay = -1;
  private deepUsed = 0;
  private readonly rng: () => number;
  /** Requests in flight right now (the sanity check: never more than one per backend in fano). */
  inFlight = 0;

  constructor(
    readonly spec: SimBackendSpec,
    private readonly outages: readonly Outage[],
    private readonly scenario: SimScenario,
    seed: number,
  ) {
    this.rng = mulberry32((seed * 7919 + Math.floor(unitHash(`site:${spec.name}`) * 1e9)) >>> 0);
  }

  private down(now: number): boolean {
    return this.outages.some((o) => o.fromMs <= now && now < o.toMs);
  }

  /** Accepted requests in the sliding hour ending at `now` (the head index prunes in O(1)). */
  private usedInHour(now: number): number {
    while (this.head < this.accepted.length && this.accepted[this.head]! <= now - HOUR_MS) this.head++;
    return this.accepted.length - this.head;
  }

  /** The hidden hourly cap in force at `now` (a storm lowers it). */
  capAt(now: number): number {
    const f = this.spec.capFactors?.find((w) => w.fromMs <= now && now < w.toMs)?.factor ?? 1;
    return Math.max(1, Math.floor(this.spec.hiddenHourlyCap * f));
  }

  request(deep: boolean, now: number): SimResponse {
    const r = this.rng;
    const quick = (outcome: Outcome, lo: number, hi: number, sent = true): SimResponse => ({
      outcome,
      latencyMs: Math.round((lo + r() * (hi - lo)) * 1000),
      resetAtMs: null,
      sent,
    });
    if (r() < this.spec.notSentRate) return quick('siteError', 1, 5, false);
    // A login wall is seen on the loaded page before anything is typed.
    if (inWindow(this.spec.loginWalls, now)) return quick('loginRequired', 3, 8, false);
    // A site that is down does not load: the prompt never reaches it (the gateway says so).
    if (this.down(now)) return quick('siteError', 5, 20, false);
    const day = Math.floor((now - SIM_EPOCH_MS) / DAY_MS);
    if (day !== this.deepDay) {
      this.deepDay = day;
      this.deepUsed = 0;
    }
    const used = this.usedInHour(now);
    if (used >= this.capAt(now)) {
      // The limit lifts when the oldest accepted request leaves the hour; a site that names the
      // time says "in N minutes", rounded up to whole minutes.
      const liftAt = this.accepted[this.head]! + HOUR_MS;
      const hint = r() < this.spec.resetHintRate;
      const res = quick('rateLimited', 3, 8);
      return { ...res, resetAtMs: hint ? now + Math.ceil((liftAt - now) / MINUTE_MS) * MINUTE_MS : null };
    }
    if (deep && this.deepUsed >= this.spec.hiddenDeepDailyCap) {
      const hint = r() < this.spec.resetHintRate;
      const res = quick('rateLimited', 3, 8);
      return { ...res, resetAtMs: hint ? SIM_EPOCH_MS + (day + 1) * DAY_MS : null };
    }
    const roll = r();
    if (roll < this.spec.siteErrorRate) {
      if (this.spec.siteErrorsCount) this.accepted.push(now);
      return quick('siteError', 5, 30);
    }
    this.accepted.push(now);
    if (deep) this.deepUsed++;
    if (roll < this.spec.siteErrorRate + this.spec.timeoutRate) {
      return { outcome: 'timeout', latencyMs: (deep ? this.scenario.deepTimeoutS : this.scenario.timeoutS) * 1000, resetAtMs: null, sent: true };
    }
    const latencyS = triangular(r, deep ? this.spec.deepLatencyS : this.spec.latencyS);
    return { outcome: 'ok', latencyMs: Math.round(latencyS * 1000), resetAtMs: null, sent: true };
  }
}

/** One run's sites. A new World per algorithm run: both runs face the same schedule. */
export class World {
  private readonly sites = new Map<string, FakeSite>();

  constructor(
    readonly scenario: SimScenario,
    readonly schedule: WorldSchedule,
    seed: number,
  ) {
    for (const b of scenario.backends) this.sites.set(b.name, new FakeSite(b, schedule.outages[b.name] ?? [], scenario, seed));
  }

  get names(): string[] {
    return [...this.sites.keys()];
  }

  request(backend: string, deep: boolean, now: number): SimResponse {
    const site = this.sites.get(backend);
    if (!site) throw new Error(`simulator: unknown backend ${backend}`);
    return site.request(deep, now);
  }

  /** Track concurrency per site for the sanity metrics; returns the new in-flight count. */
  enter(backend: string): number {
    const site = this.sites.get(backend)!;
    return ++site.inFlight;
  }

  leave(backend: string): void {
    this.sites.get(backend)!.inFlight--;
  }

  /** Hidden capacity: cap × hours, minus outage time (the denominator of "capacity used"). */
  hiddenCapacity(backend: string, fromMs: number, toMs: number): number {
    const site = this.sites.get(backend)!;
    // Outages and login walls take the whole cap; a storm takes (1 - factor) of it.
    const walls = (site.spec.loginWalls ?? []).map((w) => ({ fromMs: w.fromMs, toMs: w.toMs }));
    const upMs = toMs - fromMs - outageMs(this.schedule.outages[backend] ?? [], fromMs, toMs) - outageMs(walls, fromMs, toMs);
    let lost = 0;
    for (const w of site.spec.capFactors ?? []) lost += (1 - w.factor) * outageMs([w], fromMs, toMs);
    return (site.spec.hiddenHourlyCap * Math.max(0, upMs - lost)) / HOUR_MS;
  }
}
