import { applyEvents } from '../../core/reducer.js';
import { describe, expect, test } from 'vitest';
import type { FanoState, Task } from '../../core/types.js';
import type { TaskSpec } from '../module.js';
import { dedupeCandidates, parseDedupe } from './dedupe.js';
import { explorerModule as m } from './explorer-module.js';
import { claimKeyOf, explorerMockAnswer } from './mock-responder.js';
import { insightViews } from './queries.js';
import { ctx, insight, put, running, SEEDS, stateWith, tempHome, thread } from './test-builders.js';
import { similarity } from './text.js';
import { DEFAULT_OPTIONS, type InsightDoc } from './types.js';

/** Paraphrase duplicates: after the word-overlap check, a model compares a new insight with its nearest existing ones. */

function step(state: FanoState, home: string, task: Task, answer: string) {
  const out = m.onAnswer(task, answer, ctx(state, home));
  // Through the reducer, as the store applies them (it also counts the changes derived views are memoised on).
  applyEvents(
    state,
    out.events.filter((e) => e.type === 'module.put'),
  );
  return out;
}

const insights = (s: FanoState) => Object.values(s.modules.explorer?.insights ?? {}) as unknown as InsightDoc[];

/** A synthesis by the mock on a thread whose seed asks for a paraphrase, applied to `state`. */
function synthesizeWithParaphrase(state: FanoState, home: string): void {
  const seeded = thread({ seedText: 'Why does the Fano plane have seven points (paraphrase)?' }, 4);
  Object.assign(state, stateWith(put('threads', 'q1', seeded)));
  const [s] = m.discover(ctx(state, home)) as TaskSpec[];
  expect(s!.type).toBe('synthesis');
  const claimed = running(s!, 'mock-a');
  const req = m.prepare(claimed, ctx(state, home));
  // What prepare records is merged into the task's data at the claim, as the tick does.
  const task = { ...claimed, data: { ...claimed.data, ...req.data } };
  const prompt = req.prompt;
  // The mock now and then ignores the format on a first answer: take a seed whose answer parses.
  const answer = [1, 2, 3, 4, 5, 6].map((seed) => explorerMockAnswer(seed, prompt)!).find((a) => a.startsWith('```json'))!;
  const out = step(state, home, task, answer);
  expect(out.done, JSON.stringify(out.data.error)).toBe(true);
}

describe('paraphrase duplicates', () => {
  test('a paraphrase the word overlap misses is checked by a model and found a duplicate, which ends its review', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    synthesizeWithParaphrase(state, home);
    // The mock's twin restates one of its claims, last in the batch.
    const all = insights(state);
    const twin = all[all.length - 1]!;
    const orig = all.find((i) => i.id !== twin.id && claimKeyOf(i.text) === claimKeyOf(twin.text))!;
    expect(claimKeyOf(twin.text)).not.toBeNull();
    expect(orig).toBeDefined();
    expect(insights(state).every((i) => i.duplicateOf === null)).toBe(true);
    expect(similarity(orig.text, twin.text)).toBeLessThan(DEFAULT_OPTIONS.dedupeThreshold);

    const specs = m.discover(ctx(state, home)) as TaskSpec[];
    const checks = specs.filter((x) => x.type === 'dedupe_check');
    expect(checks.map((c) => c.context.insightId)).toContain(twin.id);

    const check = running(
      checks.find((c) => c.context.insightId === twin.id)!,
      'mock-b',
    );
    const req = m.prepare(check, ctx(state, home));
    expect(req.prompt).toContain(`NEW INSIGHT: [${twin.id}]`);
    expect(req.prompt).toContain(`- [${orig.id}] ${orig.text}`);
    expect(req.prompt).toMatch(/Compare the mathematics, not\nthe wording/);
    const answer = explorerMockAnswer(1, req.prompt)!;
    expect(JSON.parse(answer)).toMatchObject({ duplicateOf: orig.id });
    const out = step(state, home, { ...check, data: { ...check.data, ...req.data } }, answer);
    expect(out.done).toBe(true);

    const view = insightViews(state).find((v) => v.id === twin.id)!;
    expect(view).toMatchObject({ status: 'duplicate', duplicateOf: orig.id, duplicateBy: 'model' });
    expect(state.modules.explorer!.dedupeChecks![`${twin.id}~r0`]).toMatchObject({ duplicateOf: orig.id, candidates: expect.arrayContaining([orig.id]) });
    const after = m.discover(ctx(state, home)) as TaskSpec[];
    expect(after.filter((x) => x.context.insightId === twin.id)).toEqual([]);
  });

  test('a new claim is found distinct and goes on to review', () => {
    const home = tempHome(SEEDS);
    const a = insight({ id: 'i-a', text: 'The symmetries of the plane act transitively on points, on lines and on flags.' });
    const b = insight({
      id: 'i-b',
      text: 'A naive induction on the plane fails because removing one element breaks the regularity.',
      createdAt: '2026-01-01T01:00:00.000Z',
    });
    const state = stateWith(put('threads', 'q1', thread({ status: 'synthesized' }, 4)), put('insights', a.id, a), put('insights', b.id, b));
    expect(dedupeCandidates(state, a)).toEqual([]);
    expect(dedupeCandidates(state, b).map((c) => c.id)).toEqual(['i-a']);
    const [check] = (m.discover(ctx(state, home)) as TaskSpec[]).filter((x) => x.type === 'dedupe_check');
    const task = running(check!, 'mock-c');
    const req = m.prepare(task, ctx(state, home));
    const answer = explorerMockAnswer(1, req.prompt)!;
    expect(JSON.parse(answer)).toMatchObject({ duplicateOf: null });
    step(state, home, { ...task, data: { ...task.data, ...req.data } }, answer);
    expect(insightViews(state).find((v) => v.id === 'i-b')!.duplicateOf).toBeNull();
    expect((m.discover(ctx(state, home)) as TaskSpec[]).filter((x) => x.type === 'review' && x.context.insightId === 'i-b').length).toBeGreaterThan(0);
  });

  test('an answer naming an insight it was not shown is unreadable (the repair prompt follows)', () => {
    expect(parseDedupe('{"duplicateOf": "i-zzz", "reasoning": "same"}', ['i-a'])).toEqual({
      ok: false,
      error: expect.stringMatching(/^duplicateOf: "i-zzz" is not one of the existing insights shown/),
    });
    expect(parseDedupe('{"duplicateOf": null, "reasoning": "new"}', ['i-a'])).toEqual({ ok: true, value: { duplicateOf: null, reasoning: 'new' } });
  });
});
