import { describe, expect, it } from 'vitest';
import {
  agingBoost,
  BASE_PRIORITIES,
  backlogPressure,
  computePriority,
  DEEP_DEFERRAL,
  DEFAULT_BASE_PRIORITY,
  explainPriority,
  staticPriority,
  type PriorityOptions,
} from './priority.js';
import { at, buildTask, HOUR_MS, T0 } from './test-builders.js';

const OPTS: PriorityOptions = {
  starvation: { maxWaitHours: 4, boostPerHour: 5, maxBoost: 20 },
  commentBoost: 25,
  taskTypes: {},
};

describe('computePriority factors', () => {
  it('base priority from the design table, unknown types get the default', () => {
    expect(computePriority(buildTask({ type: 'synthesis' }), {}, T0, OPTS)).toBe(60);
    expect(computePriority(buildTask({ type: 'generate_questions' }), {}, T0, OPTS)).toBe(35);
    expect(computePriority(buildTask({ type: 'echo' }), {}, T0, OPTS)).toBe(DEFAULT_BASE_PRIORITY);
    expect(Object.keys(BASE_PRIORITIES)).toHaveLength(15);
  });
  it("a step of a comment's answer (the Documenter's check of it) gets the comment boost", () => {
    const check = buildTask({ module: 'documenter', type: 'check_section', context: { answersComment: true } });
    expect(explainPriority(check, {}, T0, OPTS).comment).toBe(OPTS.commentBoost);
    expect(explainPriority(buildTask({ module: 'documenter', type: 'check_section' }), {}, T0, OPTS).comment).toBe(0);
  });
  it('config overrides the base priority per type', () => {
    const opts = { ...OPTS, taskTypes: { synthesis: { basePriority: 10 } } };
    expect(computePriority(buildTask({ type: 'synthesis' }), {}, T0, opts)).toBe(10);
  });
  it('backlog pressure by task type, falling back to the module', () => {
    expect([backlogPressure(10), backlogPressure(11), backlogPressure(20), backlogPressure(21)]).toEqual([0, 15, 15, 30]);
    const t = buildTask({ module: 'documenter', type: 'incorporate_insight' });
    expect(explainPriority(t, { backlog: { documenter: 25 } }, T0, OPTS).backlog).toBe(30);
    expect(explainPriority(t, { backlog: { documenter: 25, incorporate_insight: 12 } }, T0, OPTS).backlog).toBe(15);
    expect(explainPriority(t, { backlog: { explorer: 99 } }, T0, OPTS).backlog).toBe(0);
  });
  it('starvation aging grows with the wait since readyAt and is capped', () => {
    const t = buildTask({ type: 'exploration' });
    expect(computePriority(t, {}, at(HOUR_MS), OPTS)).toBe(55);
    expect(computePriority(t, {}, at(HOUR_MS / 2), OPTS)).toBe(52.5);
    expect(computePriority(t, {}, at(10 * HOUR_MS), OPTS)).toBe(70);
    // readyAt, not createdAt: a task that just yielded starts waiting again.
    const yielded = { ...t, readyAt: at(9 * HOUR_MS).toISOString() };
    expect(computePriority(yielded, {}, at(10 * HOUR_MS), OPTS)).toBe(55);
    expect(agingBoost(Date.parse(yielded.readyAt), T0.getTime(), OPTS.starvation)).toBe(0); // clock behind readyAt
  });
  it('a completed or failed task keeps the priority it had when it finished (aging stops there)', () => {
    const done = buildTask({ type: 'exploration', state: 'completed', finishedAt: at(2 * HOUR_MS).toISOString() });
    expect(computePriority(done, {}, at(2 * HOUR_MS), OPTS)).toBe(60);
    expect(computePriority(done, {}, at(30 * HOUR_MS), OPTS)).toBe(60);
    const failed = buildTask({ type: 'exploration', state: 'failed', finishedAt: null, updatedAt: at(HOUR_MS).toISOString() });
    expect(computePriority(failed, {}, at(9 * HOUR_MS), OPTS)).toBe(55); // no finishedAt: its last update
    const pending = buildTask({ type: 'exploration', state: 'pending' });
    expect(computePriority(pending, {}, at(2 * HOUR_MS), OPTS)).toBe(60);
    expect(computePriority(pending, {}, at(3 * HOUR_MS), OPTS)).toBe(65); // still waiting: still aging
  });
  it('seed priority: the task priority plus 10 × context.seedPriority', () => {
    const t = buildTask({ type: 'exploration', priority: 3, context: { seed: 'x', seedPriority: 2 } });
    expect(explainPriority(t, {}, T0, OPTS).seed).toBe(23);
    const s = buildTask({ type: 'exploration', context: { seed_priority: 1 } });
    expect(explainPriority(s, {}, T0, OPTS).seed).toBe(10);
    const bad = buildTask({ type: 'exploration', context: { seedPriority: 'high' } });
    expect(explainPriority(bad, {}, T0, OPTS).seed).toBe(0);
  });
  it('comments get the comment boost', () => {
    const t = buildTask({ module: 'documenter', type: 'address_comment' });
    expect(computePriority(t, {}, T0, OPTS)).toBe(95);
    expect(computePriority(t, {}, T0, { ...OPTS, commentBoost: 0 })).toBe(70);
  });
  it('deep tasks are deferred when no usable backend has deep quota', () => {
    const t = buildTask({ type: 'synthesis', deep: true });
    expect(computePriority(t, { deepRemaining: { a: 0, b: 1 } }, T0, OPTS)).toBe(60);
    expect(computePriority(t, { deepRemaining: { a: 0, b: 0 } }, T0, OPTS)).toBe(60 + DEEP_DEFERRAL);
    const pref = { ...t, llmPreference: 'a' };
    expect(computePriority(pref, { deepRemaining: { a: 0, b: 5 } }, T0, OPTS)).toBe(60 + DEEP_DEFERRAL);
    expect(computePriority({ ...t, deep: false }, { deepRemaining: { a: 0 } }, T0, OPTS)).toBe(60);
    expect(computePriority(t, {}, T0, OPTS)).toBe(60); // unknown: the allocator decides
  });
  it('the breakdown adds up and the static part excludes time', () => {
    const t = buildTask({ module: 'documenter', type: 'address_comment', priority: 1, deep: true });
    const b = explainPriority(t, { backlog: { documenter: 11 }, deepRemaining: { a: 0 } }, at(2 * HOUR_MS), OPTS);
    expect(b).toEqual({ base: 70, backlog: 15, aging: 10, seed: 1, comment: 25, deepDeferral: -100, total: 21 });
    expect(staticPriority(t, { backlog: { documenter: 11 } }, OPTS)).toBe(111);
  });
});
