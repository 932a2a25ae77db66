import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createTask } from '../../core/lifecycle.js';
import type { FanoState, Task } from '../../core/types.js';
import type { TaskSpec } from '../module.js';
import { explorerModule as m } from './explorer-module.js';
import { explorerMockAnswer } from './mock-responder.js';
import { insightViews } from './queries.js';
import { ctx, insight, options, put, review, running, SEEDS, stateWith, tempHome, thread } from './test-builders.js';
import { commentIdFor } from './text.js';
import type { InsightDoc, ThreadDoc } from './types.js';

const byType = (specs: TaskSpec[], type: string) => specs.filter((s) => s.type === type);
const threadOf = (s: FanoState) => s.modules.explorer?.threads?.q1 as unknown as ThreadDoc;

/** Runs one step of `task` with `answer` the way the tick would and applies its events. */
function step(state: FanoState, home: string, task: Task, answer: string) {
  const out = m.onAnswer(task, answer, ctx(state, home));
  for (const e of out.events) {
    if (e.type === 'module.put') ((state.modules[e.module] ??= {})[e.collection] ??= {})[e.id] = e.doc;
  }
  return out;
}

describe('explorer discover', () => {
  test('a malformed seeds file is a problem naming the line and the fix; discovery starts no thread meanwhile', () => {
    const home = tempHome('seeds:\n  - id: a\n    text: ok\n  - id: b\n    type: lemma\n    text: bad type\n');
    expect(m.discover(ctx(stateWith(), home))).toEqual([]);
    expect(m.problems!(ctx(stateWith(), home))).toEqual([{ file: 'state/explorer/seeds.yaml', line: 4, message: 'seed "b" has type "lemma"', fix: 'use type axiom, conjecture or question' }]);
    const broken = tempHome('seeds:\n  - id: a\n   text: [unclosed\n');
    expect(m.discover(ctx(stateWith(), broken))).toEqual([]);
    expect(m.problems!(ctx(stateWith(), broken))[0]).toMatchObject({ file: 'state/explorer/seeds.yaml', line: expect.any(Number), message: expect.stringMatching(/YAML syntax/) });
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
    const one = { statement: 'Seven points follow from three per line.', kind: 'proved', argument: 'Count flags: $v r = b k$ and $(v-1) = r(k-1)$.', claims: ['$v = 7$'], dependsOn: ['ax'], tags: ['Geometry'], confidence: 0.8, exchanges: [0, 2] };
    const unknown = step(state, home, task, JSON.stringify({ insights: [{ ...one, dependsOn: ['nope'] }] }));
    expect(unknown.fail).toMatch(/dependsOn: unknown id\(s\) nope/);
    task = { ...task, data: { ...task.data, ...step(state, home, task, 'nope').data } };
    const ok = step(state, home, task, `\`\`\`json\n${JSON.stringify({ insights: [one] })}\n\`\`\``);
    expect(ok.done).toBe(true);
    const [ins] = insightViews(state);
    expect(ins).toMatchObject({ text: one.statement, kind: 'proved', argument: one.argument, claims: ['$v = 7$'], dependsOn: ['ax'], tags: ['geometry'], exchanges: [0, 2], status: 'in_review', provenance: { backend: 'mock-a', mode: 'deep' } });
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

  test('round 2: a reviewer sees the others\' stances, and a change of mind is recorded', () => {
    const home = tempHome(SEEDS);
    const ins = insight();
    const state = stateWith(put('threads', 'q1', thread({ status: 'synthesized' }, 4)), put('insights', ins.id, ins), review(ins, 1, 0, 'bless'), review(ins, 1, 1, 'reject'), review(ins, 1, 2, 'bless'));
    const specs = byType(m.discover(ctx(state, home)) as TaskSpec[], 'review');
    expect(specs.map((s) => s.context.round)).toEqual([2, 2, 2]);
    expect(specs.every((s) => s.deep)).toBe(true);
    const t = running(specs[1]!, 'mock-c');
    const prompt = m.prepare(t, ctx(state, home)).prompt;
    expect(prompt).toContain('ROUND: 2');
    expect(prompt).toContain('YOUR ROUND 1 RATING: reject');
    expect(prompt).toMatch(/reviewer 1 \(mock-b\): bless/);
    expect(prompt).not.toMatch(/reviewer 2 \(/);
    step(state, home, t, '{"rating":"bless","confidence":0.9,"reasoning":"convinced"}');
    expect(insightViews(state)[0]!.rounds[1]!.reviews[0]).toMatchObject({ slot: 1, rating: 'bless', changedFrom: 'reject' });
  });

  test('a comment typed into the insight file becomes a task; asking for a change revises and re-reviews', () => {
    const home = tempHome(SEEDS);
    const ins = insight();
    const state = stateWith(put('threads', 'q1', thread({ status: 'synthesized' }, 4)), put('insights', ins.id, ins), review(ins, 1, 0, 'bless'), review(ins, 1, 1, 'bless'), review(ins, 1, 2, 'bless'));
    mkdirSync(join(home, 'state/explorer/insights'), { recursive: true });
    writeFileSync(join(home, 'state/explorer/insights/i-1.md'), 'text\n<!-- COMMENT: please rephrase with "exactly" -->\n');
    const [c] = m.discover(ctx(state, home)) as TaskSpec[];
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
    expect(byType(next, 'review').map((s) => [s.context.revision, s.context.round])).toEqual([[1, 1], [1, 1], [1, 1]]);
  });

  test('a unit that fails for good is retried once with a new key, then the thread is marked failed', () => {
    const home = tempHome(SEEDS);
    const state = stateWith();
    const [s] = m.discover(ctx(state, home)) as TaskSpec[];
    for (const e of m.handleFailure(createTask(s!, new Date()), 'empty', ctx(state, home))) if (e.type === 'module.put') ((state.modules.explorer ??= {})[e.collection] ??= {})[e.id] = e.doc;
    const [again] = m.discover(ctx(state, home)) as TaskSpec[];
    expect(again!.context.attempt).toBe(1);
    for (const e of m.handleFailure(createTask(again!, new Date()), 'empty', ctx(state, home))) if (e.type === 'module.put') ((state.modules.explorer ??= {})[e.collection] ??= {})[e.id] = e.doc;
    expect(threadOf(state)).toMatchObject({ status: 'failed' });
    expect(m.discover(ctx(state, home))).toEqual([]);
  });
});

describe('the mock answers every Explorer prompt in its format', () => {
  test('exchange, synthesis, review and comment prompts all parse', () => {
    const home = tempHome(SEEDS);
    const state = stateWith(put('threads', 'q1', thread({}, 4)));
    const [syn] = m.discover(ctx(state, home)) as TaskSpec[];
    let seen = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const t0 = running(syn!, 'mock-a');
      const st = structuredClone(state);
      const asked = m.prepare(t0, ctx(st, home));
      const t = { ...t0, data: { ...t0.data, ...asked.data } };
      const first = step(st, home, t, explorerMockAnswer(seed, asked.prompt)!);
      const out = first.done ? first : step(st, home, { ...t, data: first.data }, explorerMockAnswer(seed, m.prepare({ ...t, data: first.data }, ctx(st, home)).prompt)!);
      expect(out.done, `seed ${seed}`).toBe(true);
      if (!first.done) seen += 1;
      const ins = Object.values(st.modules.explorer!.insights!)[0] as unknown as InsightDoc;
      const [r] = byType(m.discover(ctx(st, home)) as TaskSpec[], 'review');
      const rt = running(r!, 'mock-b');
      expect(step(st, home, rt, explorerMockAnswer(seed, m.prepare(rt, ctx(st, home)).prompt)!).done).toBe(true);
      expect(ins.text.length).toBeGreaterThan(10);
    }
    expect(seen).toBeGreaterThan(0); // the mock sometimes needs the repair prompt
    expect(explorerMockAnswer(1, 'Explore this seed.')).toBeNull();
  });
});
