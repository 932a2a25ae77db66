import { applyEvents } from '../../core/reducer.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createTask } from '../../core/lifecycle.js';
import type { FanoState, Task } from '../../core/types.js';
import type { TaskSpec } from '../module.js';
import { explorerModule as m } from './explorer-module.js';
import { explorerMockAnswer } from './mock-responder.js';
import { insightViews } from './queries.js';
import { ctx, insight, options, put, review, running, SEEDS, stateWith, tempHome, thread, verification } from './test-builders.js';
import { commentIdFor } from './text.js';
import type { ThreadDoc } from './types.js';

const byType = (specs: TaskSpec[], type: string) => specs.filter((s) => s.type === type);
const threadOf = (s: FanoState) => s.modules.explorer?.threads?.q1 as unknown as ThreadDoc;

/** Runs one step of `task` with `answer` the way the tick would and applies its events. */
function step(state: FanoState, home: string, task: Task, answer: string, opts = options()) {
  const out = m.onAnswer(task, answer, ctx(state, home, opts));
  // Through the reducer, as the store applies them (it also counts the changes derived views are memoised on).
  applyEvents(
    state,
    out.events.filter((e) => e.type === 'module.put'),
  );
  return out;
}

describe('explorer discover', () => {
  test('a malformed seeds file is a problem naming the line and the fix; discovery starts no thread meanwhile', () => {
    const home = tempHome('seeds:\n  - id: a\n    text: ok\n  - id: b\n    type: lemma\n    text: bad type\n');
    expect(m.discover(ctx(stateWith(), home))).toEqual([]);
    expect(m.problems!(ctx(stateWith(), home))).toEqual([
      { file: 'state/explorer/seeds.yaml', line: 4, message: 'seed "b" has type "lemma"', fix: 'use type axiom, conjecture or question' },
    ]);
    const broken = tempHome('seeds:\n  - id: a\n   text: [unclosed\n');
    expect(m.discover(ctx(stateWith(), broken))).toEqual([]);
    expect(m.problems!(ctx(stateWith(), broken))[0]).toMatchObject({
      file: 'state/explorer/seeds.yaml',
      line: expect.any(Number),
      message: expect.stringMatching(/YAML syntax/),
    });
  });

  test('one thread per non-axiom seed, never a second task while one is active; proposed seeds wait', () => {
    const home = tempHome(`${SEEDS}  - id: p1\n    type: question\n    status: proposed\n    text: Not yet.\n`);
    const state = stateWith();
    const specs = m.discover(ctx(state, home)) as TaskSpec[];
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ type: 'exploration', context: { threadId: 'q1', exchange: 0, attempt: 0, seedPriority: 8 } });
    expect(specs[0]!.data!.axioms).toEqual(['Lines have three points.']);
    const t = createTask(specs[0]!, new Date());
    state.tasks[t.key] = t;
    expect(m.discover(ctx(state, home))).toEqual([]);
  });

  test('after N exchanges the thread asks for a synthesis, deep while deep quota is left', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 4)));
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    expect(s).toMatchObject({ type: 'synthesis', deep: true, context: { threadId: 'q1', attempt: 0 } });
    const critique = m.discover(ctx(stateWith(put('threads', 'q1', thread({}, 3, ['mock-b']))), home)) as TaskSpec[];
    expect(critique[0]).toMatchObject({ type: 'critique', context: { exchange: 3 } });
    expect(critique[0]!.llmPreference).not.toBe('mock-b');
  });

  test('reviews: one task per missing (round, slot) on the panel backend; none for finished ones', () => {
    const home = tempHome(SEEDS);
    const ins = insight();
    const state = stateWith(put('threads', 'q1', thread({ status: 'synthesized' }, 4)), put('insights', ins.id, ins), review(ins, 1, 0, 'bless'));
    const reviews = byType(m.discover(ctx(state, home)) as TaskSpec[], 'review');
    expect(reviews.map((r) => [r.context.slot, r.llmPreference])).toEqual([
      [1, 'mock-c'],
      [2, 'mock-a'],
    ]);
  });
});

describe('explorer steps', () => {
  test('an exchange answer creates the thread and records role, backend and key points', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    const task = running(s!, 'mock-b');
    const prompt = m.prepare(task, ctx(state, home)).prompt;
    expect(prompt).toContain('FORMAT: fano.exchange.v1');
    expect(prompt).toContain('Lines have three points.');
    step(state, home, task, 'It is forced.\nKEY POINTS: seven is forced');
    expect(threadOf(state).exchanges[0]).toMatchObject({ index: 0, role: 'explore', backend: 'mock-b', keyPoints: 'seven is forced' });
  });

  test('synthesis: parse failure → one repair prompt → failure with both raw answers kept', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 4)));
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    let task = running(s!, 'mock-a');
    const first = step(state, home, task, 'Some prose, no JSON.');
    expect(first).toMatchObject({ done: false, events: [] });
    expect(first.fail).toBeUndefined();
    task = { ...task, data: first.data };
    const repair = m.prepare(task, ctx(state, home)).prompt;
    expect(repair).toContain('REPAIR: yes');
    expect(repair).toContain('Some prose, no JSON.');
    expect(repair).toContain('FORMAT: fano.synthesis.v2');
    const second = step(state, home, task, '{"insights": "still wrong"}');
    expect(second.fail).toMatch(/not in the expected format/);
    expect(second.data.phase).toBe('ask'); // a retry starts afresh
    const raw = Object.values(state.modules.explorer!.rawAnswers!)[0] as { answers: string[] };
    expect(raw.answers).toEqual(['Some prose, no JSON.', '{"insights": "still wrong"}']);
    expect(threadOf(state).status).toBe('exploring');
  });

  test('synthesis that parses after the repair creates insights with provenance and a panel', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 4)));
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    let task = running(s!, 'mock-a');
    task = { ...task, data: step(state, home, task, 'nope').data };
    // The prompt names the axioms by id; the task keeps the seed ids it showed, for dependsOn.
    const asked = m.prepare({ ...task, data: { ...task.data, phase: 'ask' } }, ctx(state, home));
    expect(asked.prompt).toContain('- [ax] Lines have three points.');
    task = { ...task, data: { ...task.data, ...asked.data } };
    const one = {
      statement: 'Seven points follow from three per line.',
      kind: 'proved',
      argument: 'Count flags: $v r = b k$ and $(v-1) = r(k-1)$.',
      claims: ['$v = 7$'],
      dependsOn: ['ax'],
      tags: ['Geometry'],
      confidence: 0.8,
      exchanges: [0, 2],
    };
    const unknown = step(state, home, task, JSON.stringify({ insights: [{ ...one, dependsOn: ['nope'] }] }));
    expect(unknown.fail).toMatch(/dependsOn: unknown id\(s\) nope/);
    task = { ...task, data: { ...task.data, ...step(state, home, task, 'nope').data } };
    const ok = step(state, home, task, `\`\`\`json\n${JSON.stringify({ insights: [one] })}\n\`\`\``);
    expect(ok.done).toBe(true);
    const [ins] = insightViews(state);
    expect(ins).toMatchObject({
      text: one.statement,
      kind: 'proved',
      argument: one.argument,
      claims: ['$v = 7$'],
      dependsOn: ['ax'],
      tags: ['geometry'],
      exchanges: [0, 2],
      status: 'in_review',
      provenance: { backend: 'mock-a', mode: 'deep' },
    });
    expect(ins!.panel).not.toContain('mock-a');
    expect(new Set(ins!.panel).size).toBe(2);
    expect(threadOf(state)).toMatchObject({ status: 'synthesized', insightIds: [ins!.id] });
  });

  test('dedupe: a near-duplicate is recorded with a link and not reviewed', () => {
    const home = tempHome(SEEDS);
    const old = insight({ id: 'i-old', text: 'The symmetries of the Fano plane act transitively on its points.' });
    const state = stateWith(put('threads', 'q1', thread({}, 4)), put('insights', old.id, old));
    const [s] = byType(m.discover(ctx(state, home)) as TaskSpec[], 'synthesis');
    const answer = JSON.stringify({
      insights: [
        { statement: 'The symmetries of the Fano plane act transitively on its points!', exchanges: [1] },
        { statement: 'A quite different claim about octonion multiplication.', exchanges: [1] },
        { statement: 'A quite different claim about octonion multiplication!', exchanges: [2] },
      ].map((i) => ({ ...i, kind: 'conjectured', argument: 'Seen in small cases.', claims: [i.statement], dependsOn: [], tags: [], confidence: 0.5 })),
    });
    expect(step(state, home, running(s!, 'mock-b'), answer).result).toMatchObject({ insights: 2, duplicates: 1 });
    const views = insightViews(state).filter((v) => v.id !== 'i-old');
    const dup = views.find((v) => v.duplicateOf !== null)!;
    expect(dup).toMatchObject({ duplicateOf: 'i-old', similarity: 1, status: 'duplicate', panel: [] });
    expect(views.filter((v) => v.duplicateOf === null)).toHaveLength(1);
  });

  test('after round 1, each claim goes to a prove-or-refute task, deep, never on the author; a confident refutation rejects with its counterexample', () => {
    const home = tempHome(SEEDS);
    const ins = insight({ claims: ['$v = b$', '$v = 7$'], kind: 'computed', argument: 'Count flags.' });
    const state = stateWith(
      put('threads', 'q1', thread({ status: 'synthesized' }, 4)),
      put('insights', ins.id, ins),
      review(ins, 1, 0, 'bless'),
      review(ins, 1, 1, 'reject'),
      review(ins, 1, 2, 'bless'),
    );
    const specs = byType(m.discover(ctx(state, home)) as TaskSpec[], 'verify_claim');
    expect(specs.map((s) => s.context.claim)).toEqual([0, 1]);
    expect(byType(m.discover(ctx(state, home)) as TaskSpec[], 'review')).toEqual([]);
    for (const s of specs) {
      expect(s).toMatchObject({ deep: true, llmAvoid: ['mock-a'] });
      expect(s.llmPreference).not.toBe('mock-a');
    }
    const t = running(specs[1]!, 'mock-b');
    const prompt = m.prepare(t, ctx(state, home)).prompt;
    expect(prompt).toContain('CLAIM: $v = 7$');
    expect(prompt).toContain('do not reject it without a specific counterexample');
    expect(prompt).toContain('SEED QUESTION (id q1)');
    // a refutation needs its counterexample (repair prompt), then it is recorded and decides
    const bad = step(state, home, t, '{"verdict":"refuted","confidence":0.9,"argument":"false","counterexample":null}');
    expect(bad.data.error).toMatch(/counterexample/);
    step(
      state,
      home,
      { ...t, data: bad.data },
      '{"verdict":"refuted","confidence":0.9,"argument":"It fails.","counterexample":"The plane of order 3 has 13 points."}',
    );
    const [v] = insightViews(state);
    expect(v).toMatchObject({ status: 'in_review', toVerify: [0] });
    const t0 = running(specs[0]!, 'mock-c');
    step(state, home, t0, '{"verdict":"proved","confidence":0.8,"argument":"Counting flags gives $vr = bk$.","counterexample":null}');
    const [after] = insightViews(state);
    expect(after).toMatchObject({ status: 'rejected', decidedBy: 'verification' });
    expect(after!.verification[1]!.verification).toMatchObject({
      verdict: 'refuted',
      counterexample: 'The plane of order 3 has 13 points.',
      backend: 'mock-b',
    });
  });

  test("round 2: a reviewer reads the others' full reviews, the verification and the principles; a change of mind is recorded", () => {
    const home = tempHome(SEEDS);
    const ins = insight();
    const long = `a long argument ${'x'.repeat(900)} END`;
    const state = stateWith(
      put('threads', 'q1', thread({ status: 'synthesized' }, 4)),
      put('insights', ins.id, ins),
      review(ins, 1, 0, 'bless', { reasoning: long }),
      review(ins, 1, 1, 'reject'),
      review(ins, 1, 2, 'bless'),
      verification(ins, 0, 'proved'),
    );
    const specs = byType(m.discover(ctx(state, home)) as TaskSpec[], 'review');
    expect(specs.map((s) => s.context.round)).toEqual([2, 2, 2]);
    expect(specs.every((s) => s.deep)).toBe(true);
    const t = running(specs[1]!, 'mock-c');
    const prompt = m.prepare(t, ctx(state, home)).prompt;
    expect(prompt).toContain('ROUND: 2');
    expect(prompt).toContain('the goal is truth, not consensus');
    expect(prompt).toMatch(/YOUR REVIEW SO FAR:\n### reviewer 2 \(mock-c\), round 1: reject/);
    expect(prompt).toContain('### reviewer 1 (mock-b), round 1: bless');
    expect(prompt).toContain(' END'); // in full: no cut
    expect(prompt).toContain('- claim 1: proved (confidence 0.9; mock-c, deep)');
    expect(prompt).toContain('AXIOMS (taken as given; not to be questioned):\n- [ax] Lines have three points.');
    expect(prompt).toMatch(/SOURCE EXCHANGES[^\n]*\n\n\[#0 explore on mock-a\]/);
    // An unreadable answer is a failure with a repair prompt, never a default rating.
    const unreadable = step(state, home, t, 'I would bless it.');
    expect(unreadable).toMatchObject({ done: false, events: [] });
    expect(m.prepare({ ...t, data: unreadable.data }, ctx(state, home)).prompt).toContain('REPAIR: yes');
    const claims = [{ claim: ins.text, verdict: 'verified', argument: 'checked' }];
    const rubric = {
      claims,
      structuralDepth: { verdict: 'structural', argument: 'why' },
      naturalness: { verdict: 'natural', argument: 'yes' },
      rating: 'bless',
      confidence: 0.9,
      reasoning: 'convinced by the proof',
    };
    expect(step(state, home, { ...t, data: unreadable.data }, JSON.stringify({ ...rubric, claims: [{ ...claims[0], verdict: 'unclear' }] })).fail).toMatch(
      /"bless" needs every claim verified/,
    );
    step(state, home, t, JSON.stringify(rubric));
    expect(insightViews(state)[0]!.rounds[1]!.reviews[0]).toMatchObject({
      slot: 1,
      rating: 'bless',
      changedFrom: 'reject',
      claims,
      structuralDepth: { verdict: 'structural' },
    });
  });

  test('a comment typed into the insight file becomes a task; asking for a change revises and re-reviews', () => {
    const home = tempHome(SEEDS);
    const ins = insight();
    const state = stateWith(
      put('threads', 'q1', thread({ status: 'synthesized' }, 4)),
      put('insights', ins.id, ins),
      review(ins, 1, 0, 'bless'),
      review(ins, 1, 1, 'bless'),
      review(ins, 1, 2, 'bless'),
    );
    mkdirSync(join(home, 'state/explorer/insights'), { recursive: true });
    writeFileSync(join(home, 'state/explorer/insights/i-1.md'), 'text\n<!-- COMMENT: please rephrase with "exactly" -->\n');
    const [c] = byType(m.discover(ctx(state, home)) as TaskSpec[], 'address_comment');
    expect(c).toMatchObject({ type: 'address_comment', context: { commentId: commentIdFor('i-1', 'please rephrase with "exactly"'), insightId: 'i-1' } });
    const t = running(c!, 'mock-a');
    expect(m.prepare(t, ctx(state, home)).prompt).toContain('COMMENT: please rephrase');
    step(state, home, t, '{"answer":"done","revise":true,"revisedText":"The plane has exactly seven points."}');
    const [v] = insightViews(state);
    expect(v).toMatchObject({ revision: 1, text: 'The plane has exactly seven points.', status: 'in_review' });
    expect(v!.history[0]).toMatchObject({ revision: 0, text: ins.text });
    expect(v!.comments[0]).toMatchObject({ status: 'answered', revised: true });
    // the recorded comment is not offered again; the new revision gets a fresh panel round
    const next = m.discover(ctx(state, home)) as TaskSpec[];
    expect(byType(next, 'address_comment')).toEqual([]);
    expect(byType(next, 'review').map((s) => [s.context.revision, s.context.round])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
  });

  test('a unit that fails for good is retried once with a new key, then the thread is marked failed', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    applyEvents(
      state,
      m.handleFailure(createTask(s!, new Date()), 'empty', ctx(state, home)).filter((e) => e.type === 'module.put'),
    );
    const [again] = m.discover(ctx(state, home)) as TaskSpec[];
    expect(again!.context.attempt).toBe(1);
    applyEvents(
      state,
      m.handleFailure(createTask(again!, new Date()), 'empty', ctx(state, home)).filter((e) => e.type === 'module.put'),
    );
    expect(threadOf(state)).toMatchObject({ status: 'failed' });
    expect(m.discover(ctx(state, home))).toEqual([]);
  });
});

describe('the mock answers every Explorer prompt in its format', () => {
  /** One step of `t` answered by the mock, with the repair prompt when the first answer does not parse. */
  // Four backends: panels of three besides the author, so a 2–1 split can happen.
  const four = options({}, ['mock-a', 'mock-b', 'mock-c', 'mock-d']);
  function mockStep(st: FanoState, home: string, t: Task, seed: number): { done: boolean; repaired: boolean } {
    const asked = m.prepare(t, ctx(st, home, four));
    const task = { ...t, data: { ...t.data, ...asked.data } };
    const first = step(st, home, task, explorerMockAnswer(seed, asked.prompt)!, four);
    if (first.done) return { done: true, repaired: false };
    const again = { ...task, data: first.data };
    return { done: step(st, home, again, explorerMockAnswer(seed, m.prepare(again, ctx(st, home, four)).prompt)!, four).done, repaired: true };
  }

  test('synthesis, reviews in every round, verification and comments all parse, and runs reach every outcome', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 4)));
    const [syn] = m.discover(ctx(state, home)) as TaskSpec[];
    let repaired = 0;
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const st = structuredClone(state);
      const out = mockStep(st, home, running(syn!, 'mock-a'), seed);
      expect(out.done, `seed ${seed}`).toBe(true);
      if (out.repaired) repaired += 1;
      // Run the panel of every insight to its decision, the mock answering every prompt.
      for (let i = 0; i < 40; i++) {
        const todo = (m.discover(ctx(st, home, four)) as TaskSpec[]).filter((x) => x.type === 'review' || x.type === 'verify_claim');
        if (todo.length === 0) break;
        for (const x of todo) {
          const r = mockStep(st, home, running(x, String(x.llmPreference)), seed);
          expect(r.done, `seed ${seed} ${x.type} ${JSON.stringify(x.context)}`).toBe(true);
          if (r.repaired) repaired += 1;
        }
      }
      for (const v of insightViews(st)) {
        if (v.duplicateOf !== null) continue;
        expect(v.status, `seed ${seed} ${v.id}`).not.toBe('in_review');
        outcomes.add(`${v.status} by ${v.decidedBy}`);
        if (v.rounds.some((r) => r.round === 4 && r.reviews.length > 0)) outcomes.add('argument round');
        expect(v.kind).toMatch(/^(proved|computed|conjectured)$/);
        expect(v.argument!.length).toBeGreaterThan(10);
      }
    }
    expect(repaired).toBeGreaterThan(0); // the mock sometimes needs the repair prompt
    for (const o of ['blessed by panel', 'rejected by panel', 'rejected by verification', 'argument round']) expect([...outcomes], o).toContain(o);
    expect(explorerMockAnswer(1, 'Explore this seed.')).toBeNull();
  });
});
