import { describe, expect, test } from 'vitest';
import { runSimulation, type SimReport } from './simulate.js';
import { smallScenario } from './test-scenarios.js';

// fano runs the real tick loop and modules, the baseline the original design on the same modules,
// on a small world (test-scenarios.ts).
const fano1 = await runSimulation({ days: 1, seed: 1, algorithm: 'fano', scenario: smallScenario() });
const base1 = await runSimulation({ days: 1, seed: 1, algorithm: 'baseline', scenario: smallScenario() });

describe('runSimulation', () => {
  test('is deterministic: the same seed gives the same report, byte for byte', { timeout: 600_000 }, async () => {
    const again = await runSimulation({ days: 1, seed: 1, algorithm: 'fano', scenario: smallScenario() });
    expect(JSON.stringify(again)).toBe(JSON.stringify(fano1));
  });

  test('rejects nonsense', async () => {
    await expect(runSimulation({ days: 0, seed: 1, algorithm: 'fano' })).rejects.toThrow(RangeError);
    await expect(runSimulation({ days: 1.5, seed: 1, algorithm: 'fano' })).rejects.toThrow(RangeError);
  });
});

describe('fano on the simulator: the real modules through the real tick loop', () => {
  test('never sends while it believes a backend rate-limited, never two in flight on a backend', () => {
    expect(fano1.sanity.sendsWhileBelievedLimited).toBe(0);
    expect(fano1.sanity.maxInFlightPerBackend).toBe(1);
    // Per-backend locks: requests on different backends overlap.
    expect(fano1.sanity.maxInFlightTotal).toBe(3);
  });

  test('the modules do their real work: threads blessed into insights, comments resolved in the document, sources read', () => {
    for (const b of Object.values(fano1.backends)) expect(b.ok).toBeGreaterThan(0);
    expect(Object.keys(fano1.moduleShare).sort()).toEqual(['documenter', 'explorer', 'researcher']);
    expect(fano1.blessedPerDay).toBeGreaterThan(0);
    expect(fano1.commentsArrived).toBeGreaterThan(0);
    expect(fano1.commentsAddressed).toBeGreaterThan(0);
    expect(fano1.urgentSeedsExplored).toBeGreaterThan(0);
    expect(fano1.tasksCompleted).toBeGreaterThan(0);
    expect(fano1.deepUses).toBeGreaterThan(0);
    expect(fano1.capacityUsed).toBeGreaterThan(0.5);
    expect(fano1.capacityUsed).toBeLessThanOrEqual(1);
    expect(fano1.stepsPerTickP50).toBeGreaterThan(0);
  });

  test('the figures list the tasks done by type, the verification and each review round among them', () => {
    const byType = fano1.tasksCompletedByType;
    expect(Object.values(byType).reduce((a, b) => a + b, 0)).toBe(fano1.tasksCompleted);
    expect(byType['explorer:verify_claim']).toBeGreaterThan(0);
    expect(byType['explorer:review.round1']).toBeGreaterThan(0);
    expect(Object.keys(byType)).toEqual(Object.keys(byType).sort());
  });

  test('the keys scripts read are all there', () => {
    const keys: Array<keyof SimReport> = [
      'scenario',
      'capacityUsed',
      'rateLimitHitsPerBackendDayAfterDay1',
      'commentLatencyP95Min',
      'longestWaitMin',
      'tasksPerDay',
      'consultationShare',
      'moduleShare',
      'stalledWhileOtherFreeMaxMin',
      'blessedPerDay',
      'urgentSeedExploreMaxMin',
      'stepsPerTickP50',
    ];
    for (const k of keys) expect(fano1[k], k).toBeDefined();
    expect(fano1.scenario).toBe('small');
  });
});

describe('baseline on the simulator', () => {
  test('runs one request at a time (the global lock) on the same modules, and does less than fano', () => {
    expect(base1.sanity.maxInFlightTotal).toBe(1);
    expect(base1.tasksCompleted).toBeGreaterThan(0);
    expect(base1.tasksPerDay).toBeLessThan(fano1.tasksPerDay);
    expect(base1.okAnswers).toBeLessThan(fano1.okAnswers);
  });
});
