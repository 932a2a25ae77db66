import { describe, expect, test } from 'vitest';
import {
  HOUR_MS,
  MINUTE_MS,
  SCENARIOS,
  SIM_EPOCH_MS,
  defaultScenario,
  namedScenario,
  poissonTimes,
  type SimBackendSpec,
  type SimScenario,
} from './scenario.js';
import { World, buildSchedule, outageMs, type WorldSchedule } from './world.js';
import { mulberry32 } from '../core/rng.js';

function quietSpec(over: Partial<SimBackendSpec> = {}): SimBackendSpec {
  return {
    name: 'site',
    hiddenHourlyCap: 3,
    hiddenDeepDailyCap: 1,
    configuredHourly: 5,
    configuredDeepDaily: 1,
    latencyS: { min: 20, max: 90 },
    deepLatencyS: { min: 180, max: 600 },
    siteErrorRate: 0,
    siteErrorsCount: true,
    timeoutRate: 0,
    notSentRate: 0,
    resetHintRate: 1,
    outagesPerDay: 0,
    outageMinutes: { min: 60, max: 60 },
    ...over,
  };
}

function world(spec: SimBackendSpec, schedule?: Partial<WorldSchedule>): World {
  const scenario: SimScenario = { ...defaultScenario(), backends: [spec] };
  return new World(scenario, { outages: {}, comments: [], urgentSeeds: [], ...schedule }, 1);
}

describe('fake site', () => {
  test('enforces the hidden cap over a sliding hour of accepted requests', () => {
    const w = world(quietSpec());
    const t0 = SIM_EPOCH_MS;
    for (let i = 0; i < 3; i++) expect(w.request('site', false, t0 + i * MINUTE_MS).outcome).toBe('ok');
    const limited = w.request('site', false, t0 + 10 * MINUTE_MS);
    expect(limited.outcome).toBe('rateLimited');
    // "in N minutes": the first accepted request leaves the hour at t0 + 60 min.
    expect(limited.resetAtMs).toBe(t0 + HOUR_MS);
    // Refused requests do not count: one slot is free once the first leaves the window.
    expect(w.request('site', false, t0 + HOUR_MS + 1).outcome).toBe('ok');
    expect(w.request('site', false, t0 + HOUR_MS + 2).outcome).toBe('rateLimited');
  });

  test('a rate limit without a hint carries no reset time', () => {
    const w = world(quietSpec({ resetHintRate: 0 }));
    for (let i = 0; i < 3; i++) w.request('site', false, SIM_EPOCH_MS + i);
    expect(w.request('site', false, SIM_EPOCH_MS + 10)).toMatchObject({ outcome: 'rateLimited', resetAtMs: null });
  });

  test('enforces the hidden deep cap per day, and deep answers take minutes', () => {
    const w = world(quietSpec({ hiddenHourlyCap: 100 }));
    const first = w.request('site', true, SIM_EPOCH_MS);
    expect(first.outcome).toBe('ok');
    expect(first.latencyMs).toBeGreaterThanOrEqual(180_000);
    expect(w.request('site', true, SIM_EPOCH_MS + HOUR_MS).outcome).toBe('rateLimited');
    expect(w.request('site', false, SIM_EPOCH_MS + HOUR_MS).outcome).toBe('ok');
    expect(w.request('site', true, SIM_EPOCH_MS + 24 * HOUR_MS).outcome).toBe('ok');
  });

  test('answers site errors during an outage and outage time leaves the hidden capacity', () => {
    const outage = { fromMs: SIM_EPOCH_MS + HOUR_MS, toMs: SIM_EPOCH_MS + 2 * HOUR_MS };
    const w = world(quietSpec({ hiddenHourlyCap: 100 }), { outages: { site: [outage] } });
    expect(w.request('site', false, SIM_EPOCH_MS + HOUR_MS + 5).outcome).toBe('siteError');
    expect(w.request('site', false, SIM_EPOCH_MS + 2 * HOUR_MS).outcome).toBe('ok');
    expect(w.hiddenCapacity('site', SIM_EPOCH_MS, SIM_EPOCH_MS + 3 * HOUR_MS)).toBe(200);
    expect(outageMs([outage], SIM_EPOCH_MS, SIM_EPOCH_MS + 90 * MINUTE_MS)).toBe(30 * MINUTE_MS);
  });

  test('normal latencies stay within their range', () => {
    const w = world(quietSpec({ hiddenHourlyCap: 10_000 }));
    for (let i = 0; i < 200; i++) {
      const r = w.request('site', false, SIM_EPOCH_MS + i);
      expect(r.latencyMs).toBeGreaterThanOrEqual(20_000);
      expect(r.latencyMs).toBeLessThanOrEqual(90_000);
    }
  });
});

describe('schedule', () => {
  test('is a function of the seed', () => {
    const a = buildSchedule(defaultScenario(), 7, 3);
    expect(buildSchedule(defaultScenario(), 7, 3)).toEqual(a);
    expect(buildSchedule(defaultScenario(), 8, 3)).not.toEqual(a);
    expect(a.comments.length).toBeGreaterThan(10);
    expect(a.comments.every((c, i) => i === 0 || c.atMs >= a.comments[i - 1]!.atMs)).toBe(true);
  });

  test('poisson arrivals come at about the asked rate', () => {
    const times = poissonTimes(mulberry32(3), 100, 0, 30 * 24 * HOUR_MS);
    expect(times.length).toBeGreaterThan(2700);
    expect(times.length).toBeLessThan(3300);
  });
});

describe('named scenarios', () => {
  test('a login wall answers loginRequired (not sent) inside its window only, and takes the capacity', () => {
    const wall = { fromMs: SIM_EPOCH_MS + HOUR_MS, toMs: SIM_EPOCH_MS + 2 * HOUR_MS };
    const w = world(quietSpec({ loginWalls: [wall] }));
    expect(w.request('site', false, SIM_EPOCH_MS + 90 * MINUTE_MS)).toMatchObject({ outcome: 'loginRequired', sent: false });
    expect(w.request('site', false, SIM_EPOCH_MS + 3 * HOUR_MS).outcome).toBe('ok');
    expect(w.hiddenCapacity('site', SIM_EPOCH_MS, SIM_EPOCH_MS + 4 * HOUR_MS)).toBeCloseTo(3 * 3);
  });
  test('a storm halves the hidden cap while it lasts', () => {
    const w = world(quietSpec({ hiddenHourlyCap: 4, capFactors: [{ fromMs: SIM_EPOCH_MS, toMs: SIM_EPOCH_MS + HOUR_MS, factor: 0.5 }] }));
    const outcomes = [0, 1, 2].map((i) => w.request('site', false, SIM_EPOCH_MS + i * MINUTE_MS).outcome);
    expect(outcomes).toEqual(['ok', 'ok', 'rateLimited']);
    expect(w.hiddenCapacity('site', SIM_EPOCH_MS, SIM_EPOCH_MS + 2 * HOUR_MS)).toBeCloseTo(2 + 4);
  });
  test('bursts and floods join the schedule: 30 comments in ten minutes, 50 seeds of which five urgent', () => {
    const burst = buildSchedule(namedScenario('comment-burst'), 1, 3);
    const inBurst = burst.comments.filter((c) => c.id.startsWith('cb'));
    expect(inBurst).toHaveLength(30);
    expect(Math.max(...inBurst.map((c) => c.atMs)) - Math.min(...inBurst.map((c) => c.atMs))).toBeLessThan(10 * MINUTE_MS);
    const flood = buildSchedule(namedScenario('seed-flood'), 1, 3);
    expect(flood.urgentSeeds.filter((s) => s.id.startsWith('uf'))).toHaveLength(5);
    expect(flood.floodSeeds).toHaveLength(45);
    expect(SCENARIOS.map((n) => namedScenario(n).name)).toEqual([...SCENARIOS]);
  });
});
