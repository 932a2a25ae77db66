import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time.js';

/**
 * The simulated world: three fake chat subscriptions whose real limits are HIDDEN from the
 * scheduler (it only sees the configured estimates), and the rates of human events. Every number
 * here is a knob of the scenario, not of fano; `runSimulation` takes overrides for tests.
 */

export interface RangeS {
  min: number;
  max: number;
}

export interface SimBackendSpec {
  name: string;
  /** Hidden: requests accepted per sliding hour; past it the site answers "rate limited". */
  hiddenHourlyCap: number;
  /** Hidden: deep-mode requests accepted per UTC day. */
  hiddenDeepDailyCap: number;
  /** What the user configured: the scheduler's starting estimates (config `hourlyLimit`). */
  configuredHourly: number;
  configuredDeepDaily: number;
  /** Answer latency of a normal request, seconds (triangular between min and max). */
  latencyS: RangeS;
  /** Deep / thinking mode: minutes long. */
  deepLatencyS: RangeS;
  /** Share of accepted requests that end in a transient site error ("Something went wrong"). */
  siteErrorRate: number;
  /**
   * Whether the site counts a request that ended in a site error against its hourly cap (the
   * prompt was submitted, then generation failed). Outages never count: the page never loads.
   */
  siteErrorsCount: boolean;
  /** Share of accepted requests that never finish (the gateway times out). */
  timeoutRate: number;
  /** Share of requests that fail before the prompt reaches the site (quota is rolled back). */
  notSentRate: number;
  /** Share of rate-limit answers that say when the limit resets ("in N minutes"). */
  resetHintRate: number;
  /** Outages: a backend down for about an hour now and then (Poisson, per day). */
  outagesPerDay: number;
  outageMinutes: RangeS;
  /** Windows in which the site shows a login wall (needs a person): absolute times. */
  loginWalls?: Window[];
  /** Windows in which the hidden caps are multiplied by `factor` (a rate-limit storm). */
  capFactors?: Array<Window & { factor: number }>;
}

export interface Window {
  fromMs: number;
  toMs: number;
}

export interface SimScenario {
  backends: SimBackendSpec[];
  /** Human comments on the document (address_comment), Poisson per day. */
  commentsPerDay: number;
  /** High-priority seeds queued by the human, Poisson per day. */
  urgentSeedsPerDay: number;
  /** The gateway's timeout for a normal / deep request, seconds. */
  timeoutS: number;
  deepTimeoutS: number;
  /** The scenario's name (`fano simulate --scenario`). */
  name?: string;
  /** Bursts of human comments: `count` comments spread evenly over `spreadMs` from `atMs`. */
  commentBursts?: Array<{ atMs: number; count: number; spreadMs: number }>;
  /** Seeds added at once: `count` seeds, the first `urgent` of them urgent. */
  seedFloods?: Array<{ atMs: number; count: number; urgent: number }>;
}

/** Monday 2026-01-05 00:00 UTC: day boundaries fall on whole days of the simulation. */
export const SIM_EPOCH_MS = Date.parse('2026-01-05T00:00:00.000Z');
export { DAY_MS, HOUR_MS, MINUTE_MS };

/**
 * Configured estimates deliberately differ from the hidden caps (50 vs 40, 70 vs 60, 50 vs 35), so
 * the quotas must learn. They are never BELOW the hidden caps: the configured limit is a ceiling
 * (quotas learn below it and never overwrite it), so a cap above it could never be used and the capacity
 * goal would measure the config instead of the scheduler.
 */
export function defaultScenario(): SimScenario {
  const common = {
    siteErrorRate: 0.02,
    siteErrorsCount: true,
    timeoutRate: 0.005,
    notSentRate: 0.005,
    resetHintRate: 0.5,
    outagesPerDay: 0.5,
    outageMinutes: { min: 40, max: 80 },
  };
  return {
    backends: [
      {
        name: 'chatgpt',
        hiddenHourlyCap: 40,
        hiddenDeepDailyCap: 25,
        configuredHourly: 50,
        configuredDeepDaily: 20,
        latencyS: { min: 20, max: 90 },
        deepLatencyS: { min: 180, max: 600 },
        ...common,
      },
      {
        name: 'gemini',
        hiddenHourlyCap: 60,
        hiddenDeepDailyCap: 6,
        configuredHourly: 70,
        configuredDeepDaily: 5,
        latencyS: { min: 20, max: 60 },
        deepLatencyS: { min: 300, max: 900 },
        ...common,
      },
      {
        name: 'claude',
        hiddenHourlyCap: 35,
        hiddenDeepDailyCap: 30,
        configuredHourly: 50,
        configuredDeepDaily: 25,
        latencyS: { min: 25, max: 90 },
        deepLatencyS: { min: 120, max: 480 },
        ...common,
      },
    ],
    commentsPerDay: 12,
    urgentSeedsPerDay: 4,
    timeoutS: 300,
    deepTimeoutS: 1800,
  };
}

/** A stable hash of a string to [0, 1): the workload's decisions depend on the task, not on luck. */
export function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** Triangular sample in [min, max] (mean in the middle): latencies cluster, tails are rare. */
export function triangular(rng: () => number, r: RangeS): number {
  return r.min + ((rng() + rng()) / 2) * (r.max - r.min);
}

/** Exponential inter-arrival times of a Poisson process with `perDay` events per day. */
export function poissonTimes(rng: () => number, perDay: number, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  if (perDay <= 0) return out;
  const meanMs = DAY_MS / perDay;
  let t = fromMs;
  for (;;) {
    t += -Math.log(1 - rng()) * meanMs;
    if (t >= toMs) return out;
    out.push(Math.floor(t));
  }
}

export const SCENARIOS = ['steady', 'logout', 'ratelimit-storm', 'comment-burst', 'seed-flood'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Day `d` (0 = the first) at `h` o'clock UTC of the simulation. */
const dayAt = (d: number, h: number): number => SIM_EPOCH_MS + d * DAY_MS + h * HOUR_MS;

/**
 * The named worlds of `fano simulate --scenario`, all on the default backends and rates:
 *  - steady: the default world;
 *  - logout: one backend (gemini) needs a person from day 2 08:00 to 14:00;
 *  - ratelimit-storm: every hidden cap halves for day 2;
 *  - comment-burst: 30 comments in ten minutes on day 2 at 10:00;
 *  - seed-flood: 50 seeds at once on day 2 at 09:00, five of them urgent.
 */
export function namedScenario(name: ScenarioName): SimScenario {
  const s = { ...defaultScenario(), name };
  switch (name) {
    case 'steady':
      return s;
    case 'logout':
      return { ...s, backends: s.backends.map((b) => (b.name === 'gemini' ? { ...b, loginWalls: [{ fromMs: dayAt(1, 8), toMs: dayAt(1, 14) }] } : b)) };
    case 'ratelimit-storm':
      return { ...s, backends: s.backends.map((b) => ({ ...b, capFactors: [{ fromMs: dayAt(1, 0), toMs: dayAt(2, 0), factor: 0.5 }] })) };
    case 'comment-burst':
      return { ...s, commentBursts: [{ atMs: dayAt(1, 10), count: 30, spreadMs: 10 * MINUTE_MS }] };
    case 'seed-flood':
      return { ...s, seedFloods: [{ atMs: dayAt(1, 9), count: 50, urgent: 5 }] };
  }
}
