import { describe, expect, test } from 'vitest';
import { consultationPrompt, consultationSummary, parseWeights } from '../core/consultation.js';
import { emptyState } from '../core/types.js';
import { MALFORMED, consultantAnswer, readModuleLines } from './consultant.js';
import { runSimulation, simConfig } from './simulate.js';
import { defaultScenario } from './scenario.js';
import { smallScenario } from './test-scenarios.js';

const MODULES = ['explorer', 'documenter', 'researcher'];
const PRIOR = { explorer: 40, documenter: 40, researcher: 20 };

/** A real consultation prompt whose MODULES lines say these queue lengths. */
function promptWith(queued: Record<string, number>): string {
  const lines = consultationSummary(emptyState(), new Date('2026-01-05T12:00:00Z'), { modules: MODULES, current: PRIOR, backends: [], backlogs: {} });
  const summary = lines.replace(/^- (\w+): weight ([\d.]+), queued 0/gm, (_all, m: string, w: string) => `- ${m}: weight ${w}, queued ${queued[m] ?? 0}`);
  return consultationPrompt(summary, MODULES);
}

describe('the simulated consultant', () => {
  test('reads the real summary and answers in the strict format, shifting weight to the biggest queue', () => {
    const prompt = promptWith({ explorer: 4, documenter: 3, researcher: 12 });
    expect(readModuleLines(prompt).map((l) => l.queued)).toEqual([4, 3, 12]);
    const r = parseWeights(consultantAnswer(prompt, 'k', { malformedRate: 0, prior: PRIOR }), MODULES, PRIOR);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.values.researcher).toBeGreaterThan(25); // its prior share is 20 %
    expect(r.values.documenter).toBeLessThan(40);
    expect(r.reasoning).toMatch(/researcher/);
    // Even queues: the advice is the prior.
    const even = parseWeights(
      consultantAnswer(promptWith({ explorer: 5, documenter: 5, researcher: 5 }), 'k', { malformedRate: 0, prior: PRIOR }),
      MODULES,
      PRIOR,
    );
    expect(even).toMatchObject({ ok: true, values: PRIOR });
  });

  test('every kind of malformed answer is one the real parser rejects', () => {
    const lines = readModuleLines(promptWith({ researcher: 9 }));
    for (const bad of MALFORMED) expect(parseWeights(bad(lines), MODULES, PRIOR).ok).toBe(false);
    expect(parseWeights(consultantAnswer(promptWith({}), 'k', { malformedRate: 1, prior: PRIOR }), MODULES, PRIOR).ok).toBe(false);
  });
});

// Two simulated days of fano on the small world with the real consultation: the consultant always
// answers well / always malformed.
const good = await runSimulation({ days: 1, seed: 1, algorithm: 'fano', scenario: smallScenario(), consultant: { malformedRate: 0 } });
const bad = await runSimulation({ days: 1, seed: 1, algorithm: 'fano', scenario: smallScenario(), consultant: { malformedRate: 1 } });

describe('the real consultation on the simulator', () => {
  test('its share of requests is above 0 and within maxShare', () => {
    const maxShare = simConfig(defaultScenario()).scheduler.consultation.maxShare;
    for (const r of [good, bad]) {
      expect(r.consultationShare).toBeGreaterThan(0);
      expect(r.consultationShare).toBeLessThanOrEqual(maxShare);
      const c = r.consultation!;
      expect(c.applied + c.ignored).toBe(c.count);
      expect(c.count).toBeLessThanOrEqual(Math.round(r.consultationShare * r.requests));
    }
  });

  test('good answers change the weights the scheduler follows', () => {
    const c = good.consultation!;
    expect(c.count).toBeGreaterThan(0);
    expect(c.ignored).toBe(0);
    expect(c.applied).toBe(c.count);
    expect(c.lastWeights).not.toBeNull();
    expect(good.moduleWeights).not.toEqual({ documenter: 0.4, explorer: 0.4, researcher: 0.2 });
  });

  test('malformed answers leave the weights as configured, yet cost their requests', () => {
    const c = bad.consultation!;
    expect(c.count).toBeGreaterThan(0);
    expect(c.applied).toBe(0);
    expect(c.ignored).toBe(c.count);
    expect(c.lastWeights).toBeNull();
    expect(bad.moduleWeights).toEqual({ documenter: 0.4, explorer: 0.4, researcher: 0.2 });
  });
});
