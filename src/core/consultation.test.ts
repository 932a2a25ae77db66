import { describe, expect, it } from 'vitest';
import { consultationDue, consultationSummary, normalizeWeights, parseWeights, type ConsultationOptions } from './consultation.js';
import { buildBackend, buildTask, HOUR_MS, MIN_MS, T0, at } from './test-builders.js';
import { emptyState, type FanoState } from './types.js';

const MODULES = ['explorer', 'researcher'];
const CURRENT = { explorer: 60, researcher: 40 };
const OPTS: ConsultationOptions = { enabled: true, intervalMs: HOUR_MS, onSignificantChange: true, significantChangeThreshold: 3, maxShare: 0.05 };

describe('parseWeights', () => {
  it('applies a good answer, normalized to 100', () => {
    const r = parseWeights('```json\n{"weights": {"explorer": 30, "researcher": 10}, "reasoning": "Research is behind."}\n```', MODULES, CURRENT);
    expect(r).toEqual({ ok: true, values: { explorer: 75, researcher: 25 }, reasoning: 'Research is behind.' });
  });
  it('clamps out-of-range values and floors every module at 5 %', () => {
    const r = parseWeights('{"weights": {"explorer": 1000, "researcher": -5}, "reasoning": "x"}', MODULES, CURRENT);
    expect(r.ok && r.values.researcher).toBeCloseTo(5, 0);
    expect(r.ok && r.values.explorer! + r.values.researcher!).toBeCloseTo(100, 1);
  });
  it('keeps the current weight of a module left out', () => {
    const r = parseWeights('{"weights": {"explorer": 40}, "reasoning": "x"}', MODULES, CURRENT);
    expect(r).toMatchObject({ ok: true, values: { explorer: 50, researcher: 50 } });
  });
  it.each([
    ['no JSON', 'I think explorer should get more.'],
    ['broken JSON', '{"weights": {"explorer": 3,}'],
    ['unknown module', '{"weights": {"sleeping": 3}, "reasoning": "x"}'],
    ['non-number', '{"weights": {"explorer": "lots"}, "reasoning": "x"}'],
    ['no reasoning', '{"weights": {"explorer": 3}}'],
    ['all zero', '{"weights": {"explorer": 0, "researcher": 0}, "reasoning": "x"}'],
  ])('rejects a malformed answer: %s', (_name, answer) => {
    expect(parseWeights(answer, MODULES, CURRENT).ok).toBe(false);
  });
  it('normalizeWeights rounds to 0.1', () => {
    expect(normalizeWeights({ a: 1, b: 1, c: 1 })).toEqual({ a: 33.3, b: 33.3, c: 33.3 });
  });
});

function stateWith(requests: number, consultations: number, lastAt: string | null): FanoState {
  const s = emptyState();
  s.backends.mock = buildBackend({ totalRequests: requests });
  s.modules.consultation = { stats: { main: { count: consultations, lastAt } } };
  const t = buildTask({}, T0);
  s.tasks[t.key] = t;
  return s;
}

describe('consultationDue', () => {
  it('the share cap counts every consultation request sent, failed attempts too', () => {
    // 100 requests, 3 answers but 5 consultation requests sent: a 6th would be 6/101 > 5 %.
    const s = stateWith(100, 3, at(0).toISOString());
    s.backends.mock = buildBackend({ totalRequests: 100, requestsByModule: { consultation: 5, explorer: 95 } });
    expect(consultationDue(s, at(2 * HOUR_MS), OPTS)).toEqual({ due: false, reason: 'share' });
    s.backends.mock = buildBackend({ totalRequests: 100, requestsByModule: { consultation: 3, explorer: 97 } });
    expect(consultationDue(s, at(2 * HOUR_MS), OPTS)).toEqual({ due: true, reason: 'interval' });
    // A home from before the per-module counter: its answers are the floor.
    s.backends.mock = buildBackend({ totalRequests: 100 });
    s.modules.consultation = { stats: { main: { count: 5, lastAt: at(0).toISOString() } } };
    expect(consultationDue(s, at(2 * HOUR_MS), OPTS).reason).toBe('share');
  });
  it('waits an interval from the start of the work, then is due', () => {
    const s = stateWith(100, 0, null);
    expect(consultationDue(s, at(59 * MIN_MS), OPTS).due).toBe(false);
    expect(consultationDue(s, at(HOUR_MS), OPTS)).toEqual({ due: true, reason: 'interval' });
  });
  it('is due earlier after a significant number of completions', () => {
    const s = stateWith(100, 1, at(0).toISOString());
    for (let i = 0; i < 3; i++) {
      const t = buildTask({ state: 'completed', finishedAt: at(10 * MIN_MS).toISOString() });
      s.tasks[t.key] = t;
    }
    expect(consultationDue(s, at(20 * MIN_MS), OPTS)).toEqual({ due: true, reason: 'change' });
    expect(consultationDue(s, at(20 * MIN_MS), { ...OPTS, onSignificantChange: false }).due).toBe(false);
  });
  it('never lets consultations exceed maxShare of the requests', () => {
    expect(consultationDue(stateWith(18, 0, null), at(5 * HOUR_MS), OPTS)).toEqual({ due: false, reason: 'share' });
    expect(consultationDue(stateWith(19, 0, null), at(5 * HOUR_MS), OPTS).due).toBe(true);
    expect(consultationDue(stateWith(39, 2, at(0).toISOString()), at(5 * HOUR_MS), OPTS).reason).toBe('share');
  });
  it('keeps the share at or under 5 % over a simulated week of steady work', () => {
    const s = stateWith(0, 0, null);
    let consultations = 0;
    let total = 0;
    // 30 requests an hour for 7 days, one check a minute.
    for (let m = 0; m < 7 * 24 * 60; m++) {
      const now = at(m * MIN_MS);
      if (m % 2 === 0) total += 1;
      s.backends.mock!.totalRequests = total;
      if (consultationDue(s, now, OPTS).due) {
        consultations += 1;
        total += 1;
        s.backends.mock!.totalRequests = total;
        s.modules.consultation!.stats!.main = { count: consultations, lastAt: now.toISOString() };
      }
    }
    expect(consultations).toBeGreaterThan(7 * 24 * 0.9);
    expect(consultations / total).toBeLessThanOrEqual(0.05);
  });
  it('does nothing when disabled', () => {
    expect(consultationDue(stateWith(1000, 0, null), at(10 * HOUR_MS), { ...OPTS, enabled: false }).due).toBe(false);
  });
  it('counts completions by time, whatever ISO form a hand-edited state uses', () => {
    const s = stateWith(100, 1, at(10 * MIN_MS).toISOString());
    // The same instants written with an offset: compared as times, not as strings.
    const times = ['2025-01-01T01:10:00.000+01:00', '2025-01-01T00:10:00.001Z', '2025-01-01T00:09:59.999Z', '2025-01-01T00:20:00Z'];
    for (const finishedAt of times) {
      const t = buildTask({ state: 'completed', finishedAt, context: { finishedAt } });
      s.tasks[t.key] = t;
    }
    // After lastAt (00:10): the .001 one and 00:20 (the offset form is 00:10 exactly, not after).
    expect(consultationDue(s, at(30 * MIN_MS), { ...OPTS, significantChangeThreshold: 2 })).toEqual({ due: true, reason: 'change' });
    expect(consultationDue(s, at(30 * MIN_MS), { ...OPTS, significantChangeThreshold: 3 }).due).toBe(false);
  });
});

describe('consultationSummary', () => {
  it('counts queued work and the last 24 hours per module, the boundary included', () => {
    const s = emptyState();
    const now = at(48 * HOUR_MS);
    const dayAgo = at(24 * HOUR_MS).toISOString();
    const put = (o: Parameters<typeof buildTask>[0]) => {
      const t = buildTask({ ...o, context: { n: Object.keys(s.tasks).length } });
      s.tasks[t.key] = t;
    };
    put({ module: 'explorer', state: 'pending' });
    put({ module: 'explorer', state: 'paused' });
    put({ module: 'explorer', state: 'completed', finishedAt: dayAgo });
    put({ module: 'explorer', state: 'completed', finishedAt: at(24 * HOUR_MS - 1).toISOString() });
    put({ module: 'explorer', state: 'failed', finishedAt: '2025-01-02T01:00:00+01:00' });
    put({ module: 'other', state: 'pending' });
    const text = consultationSummary(s, now, { modules: MODULES, current: CURRENT, backends: [], backlogs: {} });
    expect(text).toContain('- explorer: weight 60, queued 2, completed 24h 1, failed 24h 1');
    expect(text).toContain('- researcher: weight 40, queued 0, completed 24h 0, failed 24h 0');
  });
});
