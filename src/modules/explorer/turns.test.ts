import { applyEvents } from '../../core/reducer.js';
import { describe, expect, test } from 'vitest';
import type { FanoState, Task } from '../../core/types.js';
import type { TaskSpec } from '../module.js';
import { latexProblem } from '../shared/latex.js';
import { explorerModule as m } from './explorer-module.js';
import { explorerMockAnswer } from './mock-responder.js';
import { ctx, options, put, running, stateWith, tempHome, thread } from './test-builders.js';
import type { ThreadDoc } from './types.js';

/** Explore and critique turns: what they ask for, how long they may be, and the LaTeX check with its repair. */

const SEEDS = `seeds:
  - id: ax
    type: axiom
    text: Lines have three points.
  - id: q1
    type: question
    priority: high
    text: Why does the plane have seven points?
    notes: |
      I suspect the answer is the count of nonzero vectors of $\\mathbb{F}_2^3$.
`;

const threadOf = (s: FanoState) => s.modules.explorer?.threads?.q1 as unknown as ThreadDoc;

function step(state: FanoState, home: string, task: Task, answer: string) {
  const out = m.onAnswer(task, answer, ctx(state, home));
  // Through the reducer, as the store applies them (it also counts the changes derived views are memoised on).
  applyEvents(
    state,
    out.events.filter((e) => e.type === 'module.put'),
  );
  return out;
}

describe('explore and critique turns', () => {
  test('an explore turn asks for computations and small cases, in LaTeX, with the seed notes and no word cap', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    const prompt = m.prepare(running(s!, 'mock-a'), ctx(state, home)).prompt;
    expect(prompt).toMatch(/Work out the smallest cases explicitly/);
    expect(prompt).toContain(
      'SEED NOTES (from the researcher who wrote the seed):\nI suspect the answer is the count of nonzero vectors of $\\mathbb{F}_2^3$.',
    );
    expect(prompt).toMatch(/NOTATION: write all mathematics in LaTeX: inline between single dollars/);
    expect(prompt).not.toMatch(/\b\d+ words\b/);
    // The length comes from the context budget: the exchanges kept verbatim fit whole.
    const o = options();
    expect(prompt).toContain(`up to about ${Math.floor(o.contextBudgetChars / o.keepRecentExchanges)} characters`);
  });

  test('a critique turn asks for forced or ad hoc assumptions and whether the result is discovered or invented', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 1, ['mock-a'])));
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    expect(s!.type).toBe('critique');
    const prompt = m.prepare(running(s!, 'mock-b'), ctx(state, home)).prompt;
    expect(prompt).toMatch(/forced or ad hoc/);
    expect(prompt).toMatch(/discovered or invented/);
    expect(prompt).toContain('SEED NOTES');
  });

  test('an answer with an unbalanced $ gets the repair prompt; the repaired answer is kept with the error noted', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    const task = running(s!, 'mock-a');
    const broken = 'The order is $|G| = 168 and nothing closes it.\n\nKEY POINTS: order';
    const first = step(state, home, task, broken);
    expect(first.done).toBe(false);
    expect(first.data).toMatchObject({
      phase: 'repair',
      raw: broken,
      error: expect.stringMatching(/^the LaTeX does not balance: line 1: an inline formula opened with \$ is not closed/),
    });
    expect(threadOf(state)).toBeUndefined();

    const again = { ...task, data: first.data };
    const repair = m.prepare(again, ctx(state, home)).prompt;
    expect(repair).toMatch(/^REPAIR: yes$/m);
    expect(repair).toContain('the LaTeX does not balance');
    expect(repair).toContain(broken);
    expect(repair).toContain('FORMAT: fano.exchange.v1');

    const done = step(state, home, again, 'The order is $|G| = 168$.\n\nKEY POINTS: order');
    expect(done.done).toBe(true);
    expect(threadOf(state).exchanges[0]).toMatchObject({
      text: 'The order is $|G| = 168$.\n\nKEY POINTS: order',
      repaired: { error: expect.stringMatching(/does not balance/) },
    });
  });

  test('still unbalanced after the repair prompt: the step fails and both answers are kept', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    const task = running(s!, 'mock-a');
    const first = step(state, home, task, 'a $ b');
    const out = step(state, home, { ...task, data: first.data }, 'still $ open');
    expect(out.fail).toMatch(/not in the expected format after a repair prompt: the LaTeX does not balance/);
    const kept = Object.values(state.modules.explorer!.rawAnswers!)[0] as { answers: string[] };
    expect(kept.answers).toEqual(['a $ b', 'still $ open']);
  });

  test('the mock leaves a formula open for a seed that asks for it, and closes it when asked to repair', () => {
    const home = tempHome(SEEDS.replace('Why does the plane have seven points?', 'Why does the plane have seven points (unbalanced)?'));
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    const task = running(s!, 'mock-a');
    const answer = explorerMockAnswer(7, m.prepare(task, ctx(state, home)).prompt)!;
    expect(latexProblem(answer)).not.toBeNull();
    const first = step(state, home, task, answer);
    const repaired = explorerMockAnswer(7, m.prepare({ ...task, data: first.data }, ctx(state, home)).prompt)!;
    expect(latexProblem(repaired)).toBeNull();
    expect(repaired).toContain('$7 \\cdot 3 = 21$');
    // Its ordinary answers are balanced LaTeX.
    for (let seed = 0; seed < 20; seed++) {
      const p = m.prepare(running(s!, 'mock-a'), ctx(stateWith(), tempHome(SEEDS))).prompt.replace('EXCHANGE: 0', `EXCHANGE: ${seed}`);
      const a = explorerMockAnswer(seed, p)!;
      if (!a.includes('$7 \\cdot 3 = 21 is')) expect(latexProblem(a), a).toBeNull();
    }
  });
});
