import { describe, expect, it } from 'vitest';
import { computeMetrics, formatMetrics } from './metrics.js';
import { buildBackend, buildTask, HOUR_MS, MIN_MS, at } from './test-builders.js';
import { emptyState } from './types.js';

describe('computeMetrics', () => {
  it('derives the 7.1 metrics from a state built with known events', () => {
    const s = emptyState();
    const now = at(30 * HOUR_MS);
    const add = (over: Parameters<typeof buildTask>[0], created = at(0)) => {
      const t = buildTask(over, created);
      s.tasks[t.key] = t;
      return t;
    };
    // Two explorations done within 24 h (10 and 30 min from creation), one done 29 h ago (not in 24 h).
    add({ type: 'exploration', state: 'completed', finishedAt: at(29 * HOUR_MS + 10 * MIN_MS).toISOString() }, at(29 * HOUR_MS));
    add({ type: 'exploration', state: 'completed', finishedAt: at(29 * HOUR_MS + 30 * MIN_MS).toISOString() }, at(29 * HOUR_MS));
    add({ type: 'exploration', state: 'completed', finishedAt: at(HOUR_MS).toISOString() }, at(0));
    add({ module: 'researcher', type: 'extract_content', state: 'failed', finishedAt: at(28 * HOUR_MS).toISOString() });
    const oldest = add({ module: 'researcher', type: 'evaluate_source', state: 'pending', readyAt: at(27 * HOUR_MS).toISOString() });
    add({ type: 'review', state: 'pending', readyAt: at(29 * HOUR_MS).toISOString() });
    add({ type: 'synthesis', state: 'running', readyAt: at(HOUR_MS).toISOString() });
    // Preemptions count over every task, whatever its state: two in 24 h (one on a task that has
    // failed since), one 29 h ago (not in 24 h).
    const pre = (h: number, by = 'explorer:synthesis:x') => ({ at: at(h * HOUR_MS).toISOString(), by });
    add({ type: 'exploration', state: 'paused', readyAt: at(29 * HOUR_MS).toISOString(), preemptions: [pre(1), pre(29.5)] });
    add({ type: 'critique', state: 'failed', finishedAt: at(8 * HOUR_MS).toISOString(), preemptions: [pre(7)] });
    s.backends.a = buildBackend({ totalRequests: 12, recent: [at(29.5 * HOUR_MS).toISOString(), at(28 * HOUR_MS).toISOString()], deepUsed: 2, rateLimitHits: [at(29 * HOUR_MS).toISOString(), at(2 * HOUR_MS).toISOString()] });
    s.modules.explorer = { insights: { i1: { createdAt: at(29 * HOUR_MS).toISOString() }, i2: { createdAt: at(HOUR_MS).toISOString() } } };
    s.modules.researcher = {
      sources: { s1: {}, s2: {} },
      findings: { f1: { verified: true }, f2: { verified: false }, f3: { verified: true } },
      proposedSeeds: { r1: {} },
    };

    const m = computeMetrics(s, now, { blessedInsightsPending: 4, commentsPending: 1, seedsUnexplored: 2, sectionsDocumented: 3 });
    expect(m.tasksCompleted24h).toEqual({ 'explorer:exploration': 2 });
    expect(m.tasksFailed24h).toEqual({ 'explorer:critique': 1, 'researcher:extract_content': 1 });
    expect(m.avgTaskDurationMin).toEqual({ 'explorer:exploration': Math.round(((10 + 30 + 60) / 3) * 10) / 10 });
    expect(m.insightsGenerated24h).toBe(1);
    expect(m.insightsTotal).toBe(2);
    expect(m.sectionsDocumented).toBe(3);
    expect(m.researchItems).toEqual({ sources: 2, findingsVerified: 2, findingsUnverified: 1, seedsProposed: 1 });
    expect(m.backends.a).toEqual({ llmRequestsTotal: 12, llmRequestsLastHour: 1, deepUsesToday: 2, rateLimitHits24h: 1 });
    expect(m.queueDepth).toEqual({ explorer: 3, researcher: 1 });
    expect(m.preemptions24h).toBe(2);
    expect(m.oldestPendingTask).toEqual({ key: oldest.key, since: oldest.readyAt, waitingMin: 180 });
    expect(m.backlogs).toEqual({ blessedInsightsPending: 4, commentsPending: 1, seedsUnexplored: 2 });
    expect(formatMetrics(m).join('\n')).toMatch(/explorer:exploration 2/);
    expect(formatMetrics(m).join('\n')).toMatch(/2 preemption\(s\) 24h/);
  });
  it('is empty but well-formed for an empty state', () => {
    const m = computeMetrics(emptyState(), at(0), { blessedInsightsPending: 0, commentsPending: 0, seedsUnexplored: 0, sectionsDocumented: 0 });
    expect(m.oldestPendingTask).toBeNull();
    expect(m.tasksCompleted24h).toEqual({});
    expect(m.preemptions24h).toBe(0);
  });
});
