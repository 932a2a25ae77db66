import { describe, expect, test } from 'vitest';
import { formatComparison, runSimulateCommand } from '../cli/simulate.js';
import { UsageError } from '../errors.js';
import { compareAlgorithms, type SimComparison } from './simulate.js';
import { smallScenario } from './test-scenarios.js';

// The small world keeps the two runs short; the command's own checks and output are what is tested.
const small = (days: number, seed: number) => compareAlgorithms(days, seed, undefined, undefined, smallScenario());

describe('fano simulate', () => {
  test('--json prints the documented object; the table shows both algorithms side by side', { timeout: 900_000 }, async () => {
    const lines: string[] = [];
    const code = await runSimulateCommand({ days: 1, seed: 5, json: true, out: (s) => lines.push(s), compare: small });
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]!) as SimComparison;
    expect(r.days).toBe(1);
    expect(r.seed).toBe(5);
    expect(Number.isInteger(r.wallMs)).toBe(true);
    expect(r.fano.scenario).toBe('small');
    for (const k of ['stalledWhileOtherFreeMaxMin', 'blessedPerDay', 'urgentSeedExploreMaxMin', 'stepsPerTickP50']) expect(r.fano, k).toHaveProperty(k);
    expect(typeof r.tasksPerDayRatio).toBe('number');
    expect(Object.keys(r.fano.moduleShare).sort()).toEqual(['documenter', 'explorer', 'researcher']);
    for (const algo of [r.fano, r.baseline]) {
      for (const k of ['capacityUsed', 'rateLimitHitsPerBackendDayAfterDay1', 'commentLatencyP95Min', 'longestWaitMin', 'tasksPerDay', 'consultationShare']) {
        expect(typeof (algo as unknown as Record<string, unknown>)[k], k).toBe('number');
      }
      for (const m of Object.keys(algo.moduleShare)) expect(['documenter', 'explorer', 'researcher']).toContain(m);
      expect(algo.capacityUsed).toBeGreaterThanOrEqual(0);
      expect(algo.capacityUsed).toBeLessThanOrEqual(1);
    }

    const table = formatComparison(r);
    expect(table).toMatch(/^fano simulate: 1 simulated day\(s\), seed 5/);
    const header = table.split('\n').find((l) => /\bfano\b.*\bbaseline\b.*\bgoal\b/.test(l));
    expect(header).toBeDefined();
    const cap = table.split('\n').find((l) => l.startsWith('capacity used'))!;
    expect(cap).toContain(`${(r.fano.capacityUsed * 100).toFixed(1)} %`);
    expect(cap).toContain(`${(r.baseline.capacityUsed * 100).toFixed(1)} %`);
    expect(table).toContain('share of requests: researcher');
  });

  test('bad arguments are usage errors (exit 64)', async () => {
    const out = () => {};
    await expect(runSimulateCommand({ days: 0, seed: 1, json: false, out })).rejects.toBeInstanceOf(UsageError);
    await expect(runSimulateCommand({ days: 2.5, seed: 1, json: false, out })).rejects.toThrow(/--days/);
    await expect(runSimulateCommand({ days: 1, seed: Number.NaN, json: false, out })).rejects.toThrow(/--seed/);
  });
});
