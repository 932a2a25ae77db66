import { describe, expect, it } from 'vitest';
import { applyEvents } from '../../core/reducer.js';
import { buildBackend, buildTask, HOUR_MS, at } from '../../core/test-builders.js';
import { emptyState, type JsonObject } from '../../core/types.js';
import { consultationModule } from './consultation-module.js';

const OPTIONS: JsonObject = {
  consultation: { enabled: true, intervalMinutes: 60, onSignificantChange: true, significantChangeThreshold: 10, maxShare: 0.05 },
  modules: ['explorer', 'researcher'],
  weights: { explorer: 40, researcher: 20 },
  backends: { mock: { hourlyLimit: 40 } },
};

function setup() {
  const state = emptyState();
  state.backends.mock = buildBackend({ totalRequests: 100 });
  const t = buildTask({}, at(0));
  state.tasks[t.key] = t;
  const ctx = { state, home: '/nonexistent', now: at(2 * HOUR_MS), options: OPTIONS };
  const [spec] = consultationModule.discover(ctx) as Array<{ type: string; context: JsonObject }>;
  return { state, ctx, task: buildTask({ module: 'consultation', type: 'consultation', context: spec!.context }) };
}

describe('consultation module', () => {
  it('queues a consultation when due and asks with a strict format', () => {
    const { ctx, task } = setup();
    const prompt = consultationModule.prepare(task, ctx).prompt;
    expect(prompt).toMatch(/FORMAT: fano\.consultation\.v1/);
    expect(prompt).toMatch(/explorer: weight 40/);
  });
  it('applies a good answer as meta.weights from consultation', () => {
    const { state, ctx, task } = setup();
    const out = consultationModule.onAnswer(task, '{"weights": {"explorer": 20, "researcher": 60}, "reasoning": "Research backlog."}', ctx);
    applyEvents(state, out.events);
    expect(state.meta.weights).toEqual({
      values: { explorer: 25, researcher: 75 },
      source: 'consultation',
      reasoning: 'Research backlog.',
      at: ctx.now.toISOString(),
    });
    expect(out.result).toMatchObject({ applied: true });
    // Just consulted: not due again at once.
    expect(consultationModule.discover({ ...ctx, state })).toEqual([]);
  });
  it('keeps the current weights on a malformed answer, records it and still counts it', () => {
    const { state, ctx, task } = setup();
    const out = consultationModule.onAnswer(task, 'Give explorer more, I think.', ctx);
    applyEvents(state, out.events);
    expect(state.meta.weights).toBeNull();
    expect(out.result).toMatchObject({ applied: false });
    expect(state.modules.consultation!.stats!.main).toMatchObject({ count: 1 });
    expect(Object.values(state.modules.consultation!.consultations!)[0]).toMatchObject({ applied: false });
  });
  it('a consultation that failed for good does not block the next one (its number moves on)', () => {
    const { state, ctx, task } = setup();
    applyEvents(state, consultationModule.handleFailure(task, 'timeout', ctx));
    expect(state.modules.consultation!.stats!.main).toMatchObject({ count: 0, failed: 1 });
    const later = { ...ctx, state, now: at(4 * HOUR_MS) };
    const [next] = consultationModule.discover(later) as Array<{ context: JsonObject }>;
    expect(next?.context).toEqual({ n: 2 });
    expect(next?.context).not.toEqual(task.context);
  });
});
