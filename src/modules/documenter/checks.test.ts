import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { completeStep, createTask, failStep } from '../../core/lifecycle.js';
import { taskKey } from '../../core/task-key.js';
import type { FanoEvent } from '../../core/events.js';
import type { Task } from '../../core/types.js';
import { applyPendingPatches } from '../../store/document-file.js';
import { openStore, type Store } from '../../store/store.js';
import { cleanupHomes, tmpHome } from '../../store/test-fs.js';
import { insight } from '../explorer/test-builders.js';
import type { ModuleContext, StepOutcome, TaskSpec } from '../module.js';
import { parseDocument } from './document.js';
import { documenterModule as mod } from './documenter-module.js';
import { documenterMockAnswer } from './mock-responder.js';
import { renderProvenance } from './provenance.js';
import { DEFAULT_OPTIONS, DOCUMENT_PATH, type DocumenterOptions, type PatchDoc, type ProposalDoc } from './types.js';

/**
 * The check of new text before it goes into the document (checks.ts), driven like a tick does on
 * a temp home with a real store: the writer on backend "mock-a", the check wherever discovery lets it.
 */

const T = new Date('2026-03-01T12:00:00.000Z');
const blessed = (id: string, text: string, tags: string[]) =>
  insight({ id, text, tags, decision: { status: 'blessed', note: null, at: T.toISOString(), revision: 0, by: 'human' } });

afterEach(() => cleanupHomes());
/** No retry: a step that fails fails the task for good (handleFailure runs). */
const RETRY = { maxRetries: 0, baseDelayMs: 0, multiplier: 1, maxDelayMs: 0 };

class Harness {
  store!: Store;
  opts: DocumenterOptions = { ...DEFAULT_OPTIONS };
  constructor(readonly home: string) {}
  static async open(doc?: string): Promise<Harness> {
    const h = new Harness(tmpHome());
    if (doc !== undefined) {
      fs.mkdirSync(path.join(h.home, 'state/documenter'), { recursive: true });
      fs.writeFileSync(path.join(h.home, DOCUMENT_PATH), doc);
    }
    h.store = await openStore(h.home);
    return h;
  }
  ctx(): ModuleContext {
    return { state: this.store.state, home: this.home, now: T, options: this.opts as never };
  }
  read(): string {
    try {
      return fs.readFileSync(path.join(this.home, DOCUMENT_PATH), 'utf8');
    } catch {
      return '';
    }
  }
  async bless(...ins: ReturnType<typeof blessed>[]): Promise<void> {
    await this.store.append(
      ins.map((i): FanoEvent => ({ type: 'module.put', module: 'explorer', collection: 'insights', id: i.id, doc: i as never })),
      T,
    );
  }
  discover(type?: string): TaskSpec[] {
    return (mod.discover(this.ctx()) as TaskSpec[]).filter(
      (s) => !(taskKey(s.module, s.type, s.context) in this.store.state.tasks) && (!type || s.type === type),
    );
  }
  async claim(spec: TaskSpec, backend: string): Promise<{ task: Task; prompt: string }> {
    const t = createTask(spec, T);
    const req = mod.prepare(t, this.ctx());
    const task: Task = { ...t, state: 'running', data: { ...t.data, ...req.data }, conversation: { backend, url: `${backend}://c`, turn: 0, submitted: null } };
    await this.store.append([{ type: 'task.put', task }], T);
    return { task, prompt: req.prompt };
  }
  /** The answer logged as a tick does (a failed step too), then pending patches applied. */
  async answer(task: Task, text: string): Promise<StepOutcome> {
    const out = mod.onAnswer(task, text, this.ctx());
    const next = out.fail
      ? failStep({ ...task, data: out.data }, { kind: 'module', message: out.fail, bundle: null }, T, () => 0.5, RETRY)
      : completeStep(task, { done: out.done, data: out.data, result: out.result, url: null }, T);
    const failed = next.state === 'failed' ? mod.handleFailure(next, out.fail ?? '', this.ctx()) : [];
    await this.store.append([{ type: 'task.put', task: next }, ...out.events, ...failed], T);
    await applyPendingPatches(this.store, () => T);
    return out;
  }
  proposals(): ProposalDoc[] {
    return Object.values(this.store.state.modules.documenter?.proposals ?? {}) as unknown as ProposalDoc[];
  }
  patches(): PatchDoc[] {
    return Object.values(this.store.state.modules.documenter?.patches ?? {}) as unknown as PatchDoc[];
  }
  /** The writer's step for the one blessed insight, on mock-a. */
  async write(text: string): Promise<void> {
    const { task } = await this.claim(this.discover('incorporate_insight')[0]!, 'mock-a');
    await this.answer(task, JSON.stringify({ placement: 'new', title: 'Geometry', text, summary: 'new section' }));
  }
}

const approve = JSON.stringify({ verdict: 'approve', issues: [], summary: 'correct and clear' });
const revise = JSON.stringify({
  verdict: 'revise',
  issues: [{ kind: 'exposition', where: 'the theorem', problem: 'The symbol $n$ is used before it is defined.', fix: 'Define $n$ first.' }],
  summary: 'one fix',
});

describe('the check of new text', () => {
  test('new text waits for a check on another backend; approved, it goes in with the verdict recorded', async () => {
    const h = await Harness.open();
    await h.bless(blessed('i-1', 'Seven points.', ['geometry']));
    await h.write('**Theorem** [i-1]**.** The plane has $7$ points.\n\n**Proof.** Count. $\\square$');
    // Nothing went in yet: the section and the title that comes with it wait in one proposal.
    expect(h.read()).toBe('');
    expect(h.patches()).toEqual([]);
    expect(h.proposals()).toEqual([expect.objectContaining({ status: 'checking', writer: 'mock-a', sectionId: 's-geometry', round: 0 })]);
    expect(h.proposals()[0]!.patches.map((p) => p.doc.sectionId)).toEqual(['s-geometry', '_top']);
    // The unit is busy: the insight is not offered again meanwhile.
    expect(h.discover('incorporate_insight')).toEqual([]);

    const [check, ...more] = h.discover();
    expect(more).toEqual([]);
    expect(check).toMatchObject({ type: 'check_section', llmAvoid: ['mock-a'], context: { sectionId: 's-geometry', round: 0 } });
    const { task, prompt } = await h.claim(check!, 'mock-b');
    expect(prompt).toMatch(/You are a referee checking a change/);
    expect(prompt).toMatch(/Define every term and symbol before its first use/);
    expect(prompt).toContain('THE SECTION IS NEW.');
    expect(prompt).toMatch(/=== SECTION s-geometry \| ## Geometry \| insights: i-1 ===\n\*\*Theorem\*\* \[i-1\]/);
    expect(prompt).toContain('FORMAT: fano.doc.check.v1');
    const out = await h.answer(task, approve);
    expect(out.result).toMatchObject({ verdict: 'approve', decision: 'applied' });

    expect(parseDocument(h.read()).sections.map((s) => s.meta.id)).toEqual(['s-geometry']);
    expect(h.read()).toContain('The plane has $7$ points.');
    expect(h.patches().map((p) => [p.sectionId, p.status, p.check?.verdict, p.check?.by])).toEqual([
      ['s-geometry', 'applied', 'approve', 'mock-b/normal'],
      ['_top', 'applied', 'approve', 'mock-b/normal'],
    ]);
    expect(h.proposals()[0]).toMatchObject({ status: 'applied', decision: 'approved by the check on mock-b/normal' });
    expect(renderProvenance(h.store.state)).toMatch(/\| applied \| approved by mock-b\/normal \| new section \|/);
    expect(h.discover()).toEqual([]);
  });

  test('a "revise" sends the text back to its writer with the issues; the rewrite is checked again', async () => {
    const h = await Harness.open();
    await h.bless(blessed('i-1', 'Seven points.', ['geometry']));
    await h.write('The plane has $n = 7$ points. [i-1]');
    const c1 = await h.claim(h.discover('check_section')[0]!, 'mock-b');
    expect((await h.answer(c1.task, revise)).result).toMatchObject({ verdict: 'revise', decision: 'rewrite' });
    expect(h.read()).toBe('');
    expect(h.proposals()[0]).toMatchObject({ status: 'rewriting', checks: [expect.objectContaining({ verdict: 'revise', backend: 'mock-b' })] });

    const [rw, ...more] = h.discover();
    expect(more).toEqual([]);
    expect(rw).toMatchObject({ type: 'rewrite_section', llmPreference: 'mock-a', context: { round: 0 } });
    const r = await h.claim(rw!, 'mock-a');
    expect(r.prompt).toContain("THE REFEREE'S ISSUES:\n1. [exposition] the theorem: The symbol $n$ is used before it is defined. Fix: Define $n$ first.");
    expect(r.prompt).toContain('=== SECTION s-geometry | ## Geometry | insights: i-1 ===\nThe plane has $n = 7$ points. [i-1]');
    await h.answer(r.task, documenterMockAnswer(1, r.prompt)!);

    const c2spec = h.discover('check_section')[0]!;
    expect(c2spec).toMatchObject({ context: { round: 1 }, llmAvoid: ['mock-a'] });
    const c2 = await h.claim(c2spec, 'mock-c');
    expect(c2.prompt).toContain('CHECK ROUND: 1');
    expect(c2.prompt).toContain('*Revised after the check:*');
    await h.answer(c2.task, approve);
    expect(h.read()).toContain('The plane has $n = 7$ points. [i-1]\n\n*Revised after the check:* every symbol is now defined');
    expect(h.patches()[0]!.check).toMatchObject({ verdict: 'approve', by: 'mock-c/normal', rewrites: 1 });
    expect(h.patches()[0]!.summary).toMatch(/^new section; rewritten after the check: defined the symbols/);
    expect(renderProvenance(h.store.state)).toContain('| approved by mock-c/normal after 1 rewrite(s) |');
  });

  test('after the bound the text goes in marked needs_work, with why and the open issues recorded', async () => {
    const h = await Harness.open();
    await h.bless(blessed('i-1', 'Seven points.', ['geometry']));
    await h.write('A hopeless text. [i-1]');
    // The mock sends "hopeless" text back every time.
    for (let round = 0; round < 2; round++) {
      const c = await h.claim(h.discover('check_section')[0]!, 'mock-b');
      await h.answer(c.task, documenterMockAnswer(1, c.prompt)!);
      if (round === 0) {
        const r = await h.claim(h.discover('rewrite_section')[0]!, 'mock-a');
        await h.answer(r.task, documenterMockAnswer(1, r.prompt)!);
      }
    }
    expect(h.discover()).toEqual([]); // no endless loop
    const doc = parseDocument(h.read());
    expect(doc.sections[0]!.meta).toMatchObject({ id: 's-geometry', status: 'needs_work' });
    expect(h.patches()[0]!.check).toMatchObject({
      verdict: 'revise',
      rewrites: 1,
      issues: [expect.objectContaining({ kind: 'exposition' }), expect.objectContaining({ kind: 'correctness' })],
    });
    expect(h.proposals()[0]!.decision).toMatch(
      /still asked for a revision after 1 rewrite\(s\) \(the bound is 1\); applied marked needs_work with its 2 open issue\(s\)/,
    );
    const prov = renderProvenance(h.store.state);
    expect(prov).toContain('| still revise on mock-b/normal after 1 rewrite(s): applied as needs_work |');
    expect(prov).toMatch(/Open issues of the change at [^\n]+\n\n- exposition: section s-geometry: A symbol is used before it is defined/);
  });

  test('an unreadable check gets the repair prompt, never a default verdict; failing twice drops the proposal and the unit is redone', async () => {
    const h = await Harness.open();
    await h.bless(blessed('i-1', 'Seven points.', ['geometry']));
    await h.write('Seven points. [i-1]');
    const c = await h.claim(h.discover('check_section')[0]!, 'mock-b');
    const first = await h.answer(c.task, 'Looks good to me!');
    expect(first.done).toBe(false);
    expect(first.data).toMatchObject({ phase: 'repair' });
    const again = h.store.state.tasks[c.task.key]!;
    const repair = mod.prepare(again, h.ctx());
    expect(repair.prompt).toContain('REPAIR: yes');
    // "revise" without an issue is not a verdict either.
    const second = await h.answer({ ...again, state: 'running' }, JSON.stringify({ verdict: 'revise', issues: [], summary: 'no' }));
    expect(second.fail).toMatch(/verdict "revise" needs at least one issue/);
    expect(h.read()).toBe('');
    expect(h.proposals()[0]).toMatchObject({ status: 'dropped', decision: expect.stringMatching(/^the check failed for good/) });
    expect(h.discover()).toEqual([expect.objectContaining({ type: 'incorporate_insight', context: expect.objectContaining({ rebase: 1 }) })]);
  });

  test('a change of markers only (an insight the document already states) is not checked', async () => {
    const person = '# Notes\n\n<!-- SECTION id: s-lines status: stable insights: [] -->\n## Lines\n\nEach line has three points.\n';
    const h = await Harness.open(person);
    await h.bless(blessed('i-8', 'Each line has three points.', ['geometry']));
    const { task, prompt } = await h.claim(h.discover()[0]!, 'mock-a');
    await h.answer(task, documenterMockAnswer(1, prompt)!);
    expect(h.proposals()).toEqual([]);
    expect(h.read()).toBe(person.replace('insights: [] -->', 'insights: [i-8] -->'));
  });
});

test("the check of a comment's answer keeps the comment's urgency", async () => {
  const h = await Harness.open('<!-- SECTION id: s-a status: stable insights: [] -->\n## A\n\nAlpha. <!-- COMMENT: say more -->\n');
  const { task, prompt } = await h.claim(h.discover('address_comment')[0]!, 'mock-a');
  await h.answer(task, documenterMockAnswer(1, prompt)!);
  expect(h.discover('check_section')).toEqual([expect.objectContaining({ priority: 10, context: expect.objectContaining({ answersComment: true }) })]);
});

describe('prompt overrides', () => {
  test('a home overrides a Documenter prompt with state/documenter/prompts/<name>.md; a broken override is a problem and gives way to the default', async () => {
    const h = await Harness.open();
    await h.bless(blessed('i-1', 'Seven points.', ['geometry']));
    const dir = path.join(h.home, 'state/documenter/prompts');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'incorporate.md'), 'Write like Euclid.\n{{standards}}\n\n{{insight}}\n\n{{document}}\n');
    fs.writeFileSync(path.join(dir, 'standards.md'), 'STANDARD: every proof ends with Q.E.D.\n');
    const { task, prompt } = await h.claim(h.discover()[0]!, 'mock-a');
    expect(prompt.startsWith('Write like Euclid.\nSTANDARD: every proof ends with Q.E.D.\n\nINSIGHT ID: i-1')).toBe(true);
    // Code still appends the notation rule and the format: the answer stays parseable.
    expect(prompt).toMatch(/NOTATION: write all mathematics in LaTeX[\s\S]*FORMAT: fano\.doc\.incorporate\.v1/);
    expect(mod.problems!(h.ctx())).toEqual([]);

    fs.writeFileSync(path.join(dir, 'check.md'), 'Check {{newtext}}.\n');
    fs.writeFileSync(path.join(dir, 'chek.md'), 'x');
    expect(mod.problems!(h.ctx())).toEqual([
      expect.objectContaining({ file: 'state/documenter/prompts/check.md', line: 1, message: 'unknown placeholder {{newtext}}' }),
      expect.objectContaining({ file: 'state/documenter/prompts/chek.md', message: '"chek.md" is not a prompt fano uses (did you mean check.md?)' }),
    ]);
    // A broken override stops nothing: the work goes on with the default prompt.
    await h.answer(task, documenterMockAnswer(1, prompt)!);
    const c = await h.claim(h.discover('check_section')[0]!, 'mock-b');
    expect(c.prompt).toMatch(/^You are a referee checking a change/);
  });
});
