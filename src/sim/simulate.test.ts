import { describe, expect, test } from 'vitest';
import { WAITING_TICK_MODEL } from './engine.js';
import { runSimulation, simConfig, type SimReport } from './simulate.js';
import { defaultScenario } from './scenario.js';

// One simulated day of each algorithm is shared by the sanity checks (about a second each).
const fano1 = runSimulation({ days: 1, seed: 1, algorithm: 'fano' });
const base1 = runSimulation({ days: 1, seed: 1, algorithm: 'baseline' });

describe('runSimulation', () => {
  test('is deterministic: the same seed gives the same report, byte for byte', () => {
    const again = runSimulation({ days: 1, seed: 1, algorithm: 'fano' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(fano1));
  });

  test('different seeds give different worlds and results', () => {
    const other = runSimulation({ days: 1, seed: 2, algorithm: 'fano' });
    expect(other.commentsArrived === fano1.commentsArrived && other.requests === fano1.requests).toBe(false);
  });

  test('rejects nonsense', () => {
    expect(() => runSimulation({ days: 0, seed: 1, algorithm: 'fano' })).toThrow(RangeError);
    expect(() => runSimulation({ days: 1.5, seed: 1, algorithm: 'fano' })).toThrow(RangeError);
  });
});

describe('fano on the simulator (sanity)', () => {
  test('never sends while it believes a backend rate-limited, never two in flight on a backend', () => {
    expect(fano1.sanity.sendsWhileBelievedLimited).toBe(0);
    expect(fano1.sanity.maxInFlightPerBackend).toBe(1);
    // Per-backend locks: requests on different backends overlap.
    expect(fano1.sanity.maxInFlightTotal).toBe(3);
  });

  test('keeps every backend working and serves the human', () => {
    for (const b of Object.values(fano1.backends)) expect(b.ok).toBeGreaterThan(0);
    expect(fano1.capacityUsed).toBeGreaterThan(0.5);
    expect(fano1.capacityUsed).toBeLessThanOrEqual(1);
    expect(fano1.commentsAddressed).toBeGreaterThan(0);
    expect(fano1.tasksCompleted).toBeGreaterThan(0);
    expect(fano1.deepUses).toBeGreaterThan(0);
  });

  test('module shares follow the weights (stride scheduling), consultation stays within its share', () => {
    for (const [m, w] of Object.entries(fano1.moduleWeights)) expect(Math.abs((fano1.moduleShare[m] ?? 0) - w)).toBeLessThan(0.05);
    const maxShare = simConfig(defaultScenario()).scheduler.consultation.maxShare;
    expect(fano1.consultationShare).toBeGreaterThan(0);
    expect(fano1.consultationShare).toBeLessThanOrEqual(maxShare);
  });

  test('the keys scripts read are all there', () => {
    const keys: Array<keyof SimReport> = ['capacityUsed', 'rateLimitHitsPerBackendDayAfterDay1', 'commentLatencyP95Min', 'longestWaitMin', 'tasksPerDay', 'consultationShare', 'moduleShare'];
    for (const k of keys) expect(fano1[k], k).toBeDefined();
  });
});

describe('baseline on the simulator', () => {
  test('runs one request at a time (the global lock) and does less than fano', () => {
    expect(base1.sanity.maxInFlightTotal).toBe(1);
    expect(base1.tasksPerDay).toBeLessThan(fano1.tasksPerDay);
    expect(base1.okAnswers).toBeLessThan(fano1.okAnswers);
  });
});

describe('tick models', () => {
  test('detached ticks (the default) harvest every answer, keep the per-backend rule and send more than waiting ones', () => {
    const r = fano1; // the default tick model is the detached one (engine.test.ts)
    const waiting = runSimulation({ days: 1, seed: 1, algorithm: 'fano', tickModel: WAITING_TICK_MODEL });
    expect(r.sanity.maxInFlightPerBackend).toBe(1);
    expect(r.sanity.sendsWhileBelievedLimited).toBe(0);
    expect(r.requests).toBeGreaterThan(waiting.requests);
    expect(r.capacityUsed).toBeGreaterThan(waiting.capacityUsed);
  });
});
