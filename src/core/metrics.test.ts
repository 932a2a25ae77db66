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
    // Two explorations done within 24 h (10 and 30 min from creation, of which 4 and 2 running), one
    // done 29 h ago (not in 24 h), one within 24 h from before run times were kept (no runMs).
    add({ type: 'exploration', state: 'completed', finishedAt: at(29 * HOUR_MS + 10 * MIN_MS).toISOString(), runMs: 4 * MIN_MS }, at(29 * HOUR_MS));
    add({ type: 'exploration', state: 'completed', finishedAt: at(29 * HOUR_MS + 30 * MIN_MS).toISOString(), runMs: 2 * MIN_MS }, at(29 * HOUR_MS));
    add({ type: 'exploration', state: 'completed', finishedAt: at(HOUR_MS).toISOString(), runMs: 50 * MIN_MS }, at(0));
    add({ type: 'review', state: 'completed', finishedAt: at(29 * HOUR_MS).toISOString() }, at(28 * HOUR_MS));
    add({ module: 'researcher', type: 'extract_content', state: 'failed', finishedAt: at(28 * HOUR_MS).toISOString() });
    const oldest = add({ module: 'researcher', type: 'evaluate_source', state: 'pending', readyAt: at(27 * HOUR_MS).toISOString() });
    add({ type: 'review', state: 'pending', readyAt: at(29 * HOUR_MS).toISOString() });
    add({ type: 'synthesis', state: 'running', readyAt: at(HOUR_MS).toISOString() });
    // Preemptions count over every task, whatever its state: two in 24 h (one on a task that has
    // failed since), one 29 h ago (not in 24 h).
    const pre = (h: number, by = 'explorer:synthesis:x') => ({ at: at(h * HOUR_MS).toISOString(), by });
    add({ type: 'exploration', state: 'paused', readyAt: at(29 * HOUR_MS).toISOString(), preemptions: [pre(1), pre(29.5)] });
    add({ type: 'critique', state: 'failed', finishedAt: at(8 * HOUR_MS).toISOString(), preemptions: [pre(7)] });
    // Requests per hour: 3 + 1 in the last 24 h, 5 in an hour 28 h ago (not in 24 h). Deep uses: a's
    // are of today's quota day (which starts at 06:00 UTC), b's of yesterday's (rolled over).
    const hour = (h: number) =>
      at(h * HOUR_MS)
        .toISOString()
        .slice(0, 13);
    s.backends.a = buildBackend({
      totalRequests: 12,
      recent: [at(29.5 * HOUR_MS).toISOString(), at(28 * HOUR_MS).toISOString()],
      requestsByHour: { [hour(29.5)]: 3, [hour(7)]: 1, [hour(2)]: 5 },
      deepDay: '2025-01-02',
      deepUsed: 2,
      rateLimitHits: [at(29 * HOUR_MS).toISOString(), at(2 * HOUR_MS).toISOString()],
    });
    s.backends.b = buildBackend({ deepDay: '2025-01-01', deepUsed: 7 });
    s.modules.documenter = {
      patches: {
        p1: { status: 'applied', sectionId: 's-a', resolvedAt: at(29 * HOUR_MS).toISOString() },
        p2: { status: 'applied', sectionId: 's-a', resolvedAt: at(28 * HOUR_MS).toISOString() },
        p3: { status: 'applied', sectionId: 's-b', resolvedAt: at(2 * HOUR_MS).toISOString() },
        p4: { status: 'pending', sectionId: 's-c', resolvedAt: null },
        p5: { status: 'conflict', sectionId: 's-d', resolvedAt: at(29 * HOUR_MS).toISOString() },
      },
    };
    s.modules.explorer = { insights: { i1: { createdAt: at(29 * HOUR_MS).toISOString() }, i2: { createdAt: at(HOUR_MS).toISOString() } } };
    s.modules.researcher = {
      sources: { s1: { evaluation: { at: at(29 * HOUR_MS).toISOString() } }, s2: { evaluation: null } },
      findings: {
        f1: { verified: true, createdAt: at(29 * HOUR_MS).toISOString() },
        f2: { verified: false, createdAt: at(HOUR_MS).toISOString() },
        f3: { verified: true, createdAt: at(10 * HOUR_MS).toISOString() },
      },
      proposedSeeds: { r1: { createdAt: at(29 * HOUR_MS).toISOString() } },
    };

    const m = computeMetrics(s, now, { blessedInsightsPending: 4, commentsPending: 1, seedsUnexplored: 2, sectionsDocumented: 3 }, { dayResetHour: 6 });
    expect(m.tasksCompleted24h).toEqual({ 'explorer:exploration': 2, 'explorer:review': 1 });
    expect(m.tasksFailed24h).toEqual({ 'explorer:critique': 1, 'researcher:extract_content': 1 });
    expect(m.avgTaskDurationMin, 'run time only, over the tasks done in 24 h').toEqual({ 'explorer:exploration': 3 });
    expect(m.avgQueueWaitMin).toEqual({ 'explorer:exploration': 17 });
    expect(m.insightsGenerated24h).toBe(1);
    expect(m.insightsTotal).toBe(2);
    expect(m.sectionsDocumented).toBe(3);
    expect(m.sectionsDocumented24h, 's-a (twice); not s-b (29 h ago), not a pending or conflicting patch').toBe(1);
    expect(m.researchItems).toEqual({ sources: 2, findingsVerified: 2, findingsUnverified: 1, seedsProposed: 1 });
    expect(m.researchItems24h).toEqual({ sourcesEvaluated: 1, findings: 2, seedsProposed: 1, total: 4 });
    expect(m.backends.a).toEqual({ llmRequestsTotal: 12, llmRequestsLastHour: 1, llmRequests24h: 4, deepUsesToday: 2, rateLimitHits24h: 1 });
    expect(m.backends.b?.deepUsesToday, "yesterday's deep uses do not count today").toBe(0);
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
