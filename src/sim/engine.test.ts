import { describe, expect, test } from 'vitest';
import { DETACHED_TICK_MODEL, RUN_TICK_MODEL, WAITING_TICK_MODEL, runEngine, type SimDriver, type SimStart, type TickModel } from './engine.js';
import { SimMetrics, percentile } from './metrics.js';
import { DAY_MS, SIM_EPOCH_MS, defaultScenario, type SimBackendSpec } from './scenario.js';
import { World, type SimResponse } from './world.js';

const spec = (name: string): SimBackendSpec => ({
  name,
  hiddenHourlyCap: 10_000,
  hiddenDeepDailyCap: 0,
  configuredHourly: 10_000,
  configuredDeepDaily: 0,
  latencyS: { min: 30, max: 30 },
  deepLatencyS: { min: 600, max: 600 },
  siteErrorRate: 0,
  siteErrorsCount: true,
  timeoutRate: 0,
  notSentRate: 0,
  resetHintRate: 0,
  outagesPerDay: 0,
  outageMinutes: { min: 1, max: 1 },
});

/** Always has work for every free backend; records when requests start. */
class GreedyDriver implements SimDriver {
  starts: Array<{ at: number; backend: string }> = [];
  finished = 0;
  constructor(
    readonly maxInFlight: number,
    private readonly names: string[],
  ) {}
  async discover(_now: Date): Promise<void> {}
  next(now: Date, busy: ReadonlySet<string>): SimStart | null {
    const free = this.names.find((n) => !busy.has(n));
    if (!free) return null;
    this.starts.push({ at: now.getTime(), backend: free });
    return { backend: free, deep: false, module: 'm', taskKey: String(this.starts.length), prompt: '' };
  }
  async finish(_s: SimStart, _r: SimResponse): Promise<void> {
    this.finished++;
  }
  believesLimited(): boolean {
    return false;
  }
  finalize(): void {}
}

async function run(maxInFlight: number, limits = { maxRequests: 6, maxSeconds: 240, intervalSeconds: 60 }, model: TickModel = WAITING_TICK_MODEL) {
  const names = ['a', 'b', 'c'];
  const world = new World({ ...defaultScenario(), backends: names.map(spec) }, { outages: {}, comments: [], urgentSeeds: [] }, 1);
  const driver = new GreedyDriver(maxInFlight, names);
  const metrics = new SimMetrics(names);
  await runEngine(world, driver, metrics, 1, limits, model);
  return { driver, metrics };
}

describe('engine', () => {
  test('requests on different backends overlap; one in flight per backend', async () => {
    const { metrics } = await run(Number.POSITIVE_INFINITY);
    expect(metrics.maxInFlightTotal).toBe(3);
    expect(metrics.maxInFlightPerBackend).toBe(1);
  });

  test('a global lock keeps one request in flight in total', async () => {
    const { metrics } = await run(1);
    expect(metrics.maxInFlightTotal).toBe(1);
  });

  test('a tick starts at most maxRequests and none after maxSeconds; busy cron firings are skipped', async () => {
    const { driver, metrics } = await run(Number.POSITIVE_INFINITY, { maxRequests: 4, maxSeconds: 45, intervalSeconds: 60 });
    // 3 start at the tick's first instant, the 4th at +30 s when the first answer is in, none at
    // +60 s (past 45 s); the tick ends at +60 s, so the next starts on the next minute.
    const first = driver.starts.filter((s) => s.at < SIM_EPOCH_MS + 60_000);
    expect(first.map((s) => s.at - SIM_EPOCH_MS)).toEqual([0, 0, 0, 30_000]);
    expect(driver.starts.filter((s) => s.at >= SIM_EPOCH_MS + 60_000 && s.at < SIM_EPOCH_MS + 120_000).length).toBe(4);
    expect(driver.finished).toBe(driver.starts.length);
    expect(metrics.ticks).toBe(24 * 60);
    expect(metrics.ticksSkippedLockBusy).toBe(0);
    expect(driver.starts.every((s) => s.at < SIM_EPOCH_MS + DAY_MS)).toBe(true);
  });

  test('a long tick holds the lock: cron firings meanwhile are skipped', async () => {
    const { metrics } = await run(Number.POSITIVE_INFINITY, { maxRequests: 6, maxSeconds: 240, intervalSeconds: 60 });
    // 6 requests of 30 s on 3 backends: each tick ends at +60 s exactly, so no firing is lost.
    expect(metrics.ticks).toBe(24 * 60);
    const slow = await run(1, { maxRequests: 6, maxSeconds: 240, intervalSeconds: 60 });
    // Serial: 6 × 30 s = 180 s per tick, so two of every three firings find the lock busy.
    expect(slow.metrics.ticks).toBe(480);
    expect(slow.metrics.ticksSkippedLockBusy).toBe(960);
  });
});

/** Records when the engine asked it to discover work. */
class DiscoveringDriver extends GreedyDriver {
  discoveries: number[] = [];
  override async discover(now: Date): Promise<void> {
    this.discoveries.push(now.getTime() - SIM_EPOCH_MS);
  }
}

async function runSlow(model: TickModel) {
  const names = ['a', 'b', 'c'];
  const slow = (n: string): SimBackendSpec => ({ ...spec(n), latencyS: { min: 600, max: 600 } });
  const world = new World({ ...defaultScenario(), backends: names.map(slow) }, { outages: {}, comments: [], urgentSeeds: [] }, 1);
  const driver = new DiscoveringDriver(Number.POSITIVE_INFINITY, names);
  const metrics = new SimMetrics(names);
  await runEngine(world, driver, metrics, 1, { maxRequests: 30, maxSeconds: 240, intervalSeconds: 60 }, model);
  return { driver, metrics };
}

describe('tick models', () => {
  test('the default is the real tick design: detached, rediscovering every minute and after each answer', () => {
    expect(RUN_TICK_MODEL).toEqual(DETACHED_TICK_MODEL);
    expect(DETACHED_TICK_MODEL).toEqual({ detach: true, rediscoverSeconds: 60, discoverAfterAnswer: true });
  });

  test('detached: a 10-minute answer outlives its tick; ticks go on every 4 min and discover every minute', async () => {
    const { driver, metrics } = await runSlow(DETACHED_TICK_MODEL);
    const first = driver.starts.filter((s) => s.at < SIM_EPOCH_MS + 20 * 60_000).map((s) => (s.at - SIM_EPOCH_MS) / 60_000);
    // Three at 0, three more when the answers come in at 10 min (the backends stay busy meanwhile).
    expect(first).toEqual([0, 0, 0, 10, 10, 10]);
    expect(driver.discoveries.filter((d) => d < 10 * 60_000).map((d) => d / 60_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(metrics.sendsWhileBelievedLimited).toBe(0);
    expect(metrics.maxInFlightPerBackend).toBe(1);
    expect(driver.finished).toBe(driver.starts.length);
  });

  test('waiting: the tick holds the lock until every answer is in and discovers once', async () => {
    const { driver, metrics } = await runSlow(WAITING_TICK_MODEL);
    expect(driver.discoveries.filter((d) => d < 20 * 60_000).map((d) => d / 60_000)).toEqual([0, 10]);
    expect(metrics.ticks).toBe(24 * 6);
    expect(metrics.ticksSkippedLockBusy).toBe(24 * 60 - 24 * 6);
  });
});

describe('percentile', () => {
  test('nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile([], 95)).toBe(0);
    expect(percentile([7], 95)).toBe(7);
  });
});
