import { describe, expect, it } from 'vitest';
import { bar, filterRows, formatDuration, metricsLine, nextTickAt, relativeTo, sortRows, sparkline, taskPhase, taskRows, throughputPerHour } from './model.js';
import { NOW, ago, snapshotOf, stateWith, task } from './test-builders.js';
import { HOUR_MS } from '../core/time.js';
import { computeMetrics } from '../core/metrics.js';
import { emptyState } from '../core/types.js';

describe('dashboard model', () => {
  it('throughput counts completed tasks per hour over 24 h, oldest first, ignoring older and unfinished ones', () => {
    const s = stateWith([
      task({ context: { n: 1 }, state: 'completed', finishedAt: ago(10 * 60_000) }),
      task({ context: { n: 2 }, state: 'completed', finishedAt: ago(50 * 60_000) }),
      task({ context: { n: 3 }, state: 'completed', finishedAt: ago(23.5 * HOUR_MS) }),
      task({ context: { n: 4 }, state: 'completed', finishedAt: ago(25 * HOUR_MS) }),
      task({ context: { n: 5 }, state: 'failed', finishedAt: ago(60_000) }),
    ]);
    const b = throughputPerHour(s, NOW);
    expect(b).toHaveLength(24);
    expect(b[23]).toBe(2);
    expect(b[0]).toBe(1);
    expect(b.reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('sparkline scales to the maximum and never leaves a blank', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });

  it('bar fills in proportion and caps at the width', () => {
    expect(bar(5, 10, 10)).toBe('█████░░░░░');
    expect(bar(30, 10, 4)).toBe('████');
    expect(bar(1, 0, 3)).toBe('░░░');
  });

  it('sorts within module groups and filters by state, module and text', () => {
    const snap = snapshotOf(
      stateWith([
        task({ module: 'b', type: 'x', context: { n: 1 }, priority: 5 }, HOUR_MS),
        task({ module: 'a', type: 'x', context: { n: 2 }, priority: 1 }, 2 * HOUR_MS),
        task({ module: 'a', type: 'x', context: { n: 3 }, priority: 9, state: 'failed' }, 3 * HOUR_MS),
      ]),
    );
    const rows = taskRows(snap);
    const mods = (r: typeof rows) => r.map((x) => `${x.module}:${x.state}`);
    const byPrio = sortRows(rows, 'priority');
    expect(byPrio.map((r) => r.module)).toEqual(['a', 'a', 'b']);
    expect(byPrio[0]!.priority).toBeGreaterThan(byPrio[1]!.priority);
    expect(mods(sortRows(rows, 'age'))).toEqual(['a:failed', 'a:pending', 'b:pending']);
    expect(filterRows(rows, { state: 'failed' })).toHaveLength(1);
    expect(filterRows(rows, { module: 'b' })).toHaveLength(1);
    expect(filterRows(rows, { text: 'FAIL' })).toHaveLength(1);
    expect(filterRows(rows, { text: 'nothing' })).toHaveLength(0);
  });

  it('phase says whether the prompt was sent', () => {
    const base = task({ context: { n: 'p' }, state: 'running' });
    expect(taskPhase(base)).toBe('starting');
    expect(taskPhase({ ...base, conversation: { backend: 'x', url: null, turn: 2, submitted: null } })).toBe('preparing turn 3');
    expect(
      taskPhase({ ...base, conversation: { backend: 'x', url: null, turn: 0, submitted: { requestId: 'r', at: ago(0), deep: true, promptHash: 'h' } } }),
    ).toBe('waiting for answer (turn 1, deep)');
  });

  it('next tick and relative times', () => {
    expect(nextTickAt(null, 60)).toBeNull();
    const t = { id: 'x', startedAt: ago(90_000), endedAt: null, outcome: 'ok', steps: 0, requests: 0, error: null };
    const next = nextTickAt(t, 60)!;
    expect(next.toISOString()).toBe(ago(30_000));
    expect(relativeTo(next, NOW)).toBe('overdue 30s');
    expect(relativeTo(new Date(NOW.getTime() + 65_000), NOW)).toBe('in 1m05s');
    expect(formatDuration(26 * HOUR_MS)).toBe('1d02h');
  });
});

describe('metricsLine', () => {
  it('shows the 24 h figures and the run and queue times, weighted by the tasks done', () => {
    const m = computeMetrics(emptyState(), new Date('2026-01-01T00:00:00Z'), {
      blessedInsightsPending: 0,
      commentsPending: 0,
      seedsUnexplored: 0,
      sectionsDocumented: 0,
    });
    const withTimes = {
      ...m,
      tasksCompleted24h: { 'a:x': 3, 'b:y': 1 },
      avgTaskDurationMin: { 'a:x': 2, 'b:y': 6 },
      avgQueueWaitMin: { 'a:x': 10, 'b:y': 2 },
      sectionsDocumented24h: 2,
      researchItems24h: { sourcesEvaluated: 1, findings: 3, seedsProposed: 0, total: 4 },
      backends: { gpt: { llmRequestsTotal: 9, llmRequestsLastHour: 1, llmRequests24h: 7, deepUsesToday: 1, rateLimitHits24h: 0 } },
    };
    expect(metricsLine(withTimes)).toBe(
      '24 h: 2 section(s) documented · 4 research item(s) · requests gpt 7 · deep today gpt 1 · mean run 3.0 min, queue wait 8.0 min',
    );
    expect(metricsLine({})).toBe('24 h: no figures yet');
  });
});
