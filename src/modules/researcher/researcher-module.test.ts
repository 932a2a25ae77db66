import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { applyEvents } from '../../core/reducer.js';
import { emptyState, type FanoState, type Task } from '../../core/types.js';
import { NOW, running } from '../shared/test-builders.js';
import type { ModuleContext, TaskSpec } from '../module.js';
import { REPAIR_RAW_MAX_CHARS } from '../shared/strict-answer.js';
import { researchFormatBlock } from './formats.js';
import { researcherMockAnswer } from './mock-responder.js';
import { researcherModule as m, type FindingDoc, type ProposedSeedDoc, type SourceDoc } from './researcher-module.js';
import { CACHE_DIR, sourceIdFor, SOURCES_PATH, TEXTS_DIR, textHashOf } from './sources-file.js';

const URL = 'https://example.org/fano';
const REAL = 'The Fano plane has seven points and seven lines with three points on every line.';
const TEXT = `${REAL} Its automorphism group is the simple group of order 168 acting on flags.`;

/** A home with one fetched source (cache entry + content-addressed text), as the tick leaves it. */
function homeWith(text = TEXT): string {
  const textHash = textHashOf(text);
  const entry = {
    sourceId: sourceIdFor(URL),
    url: URL,
    addedBy: 'person',
    fetchedAt: NOW.toISOString(),
    ok: true,
    error: null,
    finalUrl: URL,
    contentType: 'text/html',
    textHash,
    chars: text.length,
  };
  return tempHome(
    {
      'state/explorer/seeds.yaml': 'seeds:\n  - id: s1\n    text: Why seven points?\n',
      [SOURCES_PATH]: `sources:\n  - ${URL}\n`,
      [join(TEXTS_DIR, `${textHash}.txt`)]: text,
      [join(CACHE_DIR, `${sourceIdFor(URL)}.json`)]: JSON.stringify(entry),
    },
    'fano-researcher-',
  );
}

const ctx = (state: FanoState, home: string): ModuleContext => ({ state, home, now: NOW, options: {} });
const research = (s: FanoState) => s.modules.researcher ?? {};

function discovered(state: FanoState, home: string, type: string): Task {
  const spec = (m.discover(ctx(state, home)) as TaskSpec[]).find((s) => s.type === type);
  if (!spec) throw new Error(`no ${type} task discovered`);
  return running(spec, 'mock');
}

/** One step as the tick runs it: the answer applied, its events folded, the task's data carried on. */
function step(state: FanoState, home: string, task: Task, answer: string) {
  const out = m.onAnswer(task, answer, ctx(state, home));
  applyEvents(state, out.events);
  return { out, next: { ...task, data: out.data } };
}

const evaluation = JSON.stringify({ trust: 0.9, relevance: 0.9, reasoning: 'Careful and referenced.' });

describe('researcher strict answers: one repair prompt', () => {
  test('parse failure → a repair prompt with the raw answer, the error and the format; the repaired answer is applied', () => {
    const home = homeWith();
    const state = emptyState();
    step(state, home, discovered(state, home, 'evaluate_source'), evaluation);
    const task = discovered(state, home, 'extract_content');

    const { out: first, next } = step(state, home, task, 'The source says the plane has seven points.');
    expect(first).toMatchObject({ done: false, events: [] });
    expect(first.fail).toBeUndefined();
    expect(first.data).toMatchObject({ phase: 'repair', raw: 'The source says the plane has seven points.', error: 'no JSON object found in the answer' });
    const prompt = m.prepare(next, ctx(state, home)).prompt;
    expect(prompt).toContain('REPAIR: yes');
    expect(prompt).toContain('The source says the plane has seven points.');
    expect(prompt).toContain('The problem: no JSON object found in the answer');
    expect(prompt).toContain(researchFormatBlock('extract'));

    // The repaired answer goes through the same checks: the invented quote stays unverified.
    const answer = JSON.stringify({
      findings: [
        { claim: 'The plane has seven points.', quote: REAL },
        { claim: 'It was classified in 1893.', quote: 'This structure was classified completely in the year 1893.' },
      ],
    });
    const { out: ok } = step(state, home, next, answer);
    expect(ok).toMatchObject({ done: true, result: { findings: 2, verified: 1, unverified: 1 } });
    expect(ok.data).toMatchObject({ phase: 'ask', raw: null, error: null });
    const findings = Object.values(research(state).findings!) as unknown as FindingDoc[];
    expect(findings.map((f) => f.verified).sort()).toEqual([false, true]);

    // ... and an unverified finding never becomes a seed, repaired answer or not.
    const syn = discovered(state, home, 'synthesize_findings');
    const { next: synRepair } = step(state, home, syn, '{"seeds": "later"}');
    const cites = (id: string) => ({ text: `Is it true that ${id} holds in general?`, type: 'question', priority: 5, findings: [id] });
    const { out: seeded } = step(state, home, synRepair, JSON.stringify({ seeds: findings.map((f) => cites(f.id)) }));
    expect(seeded.result).toMatchObject({ seeds: 1, rejected: 1 });
    const [seed] = Object.values(research(state).proposedSeeds!) as unknown as ProposedSeedDoc[];
    expect(seed!.findingIds).toEqual([findings.find((f) => f.verified)!.id]);
  });

  test('still malformed after the repair → the step fails and both raw answers are kept', () => {
    const home = homeWith();
    const state = emptyState();
    const task = discovered(state, home, 'evaluate_source');
    const { next } = step(state, home, task, 'Trustworthy, I would say.');
    const { out } = step(state, home, next, '{"trust": "high"}');
    expect(out.done).toBe(false);
    expect(out.fail).toMatch(/^not in the expected format after a repair prompt: /);
    expect(out.data).toMatchObject({ phase: 'ask', raw: null, error: null }); // a retry starts afresh
    const kept = Object.values(research(state).rawAnswers!) as unknown as Array<{ task: string; answers: string[] }>;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ task: task.key, answers: ['Trustworthy, I would say.', '{"trust": "high"}'] });
    expect(research(state).sources).toBeUndefined();
    // The retry asks the original question again, source text included.
    expect(m.prepare({ ...task, data: out.data, attempts: 1 }, ctx(state, home)).prompt).toContain('SOURCE TEXT BEGIN');
  });

  test('a runaway raw answer is capped in the task data and clipped in the repair prompt', () => {
    const home = homeWith();
    const state = emptyState();
    const { out, next } = step(state, home, discovered(state, home, 'evaluate_source'), 'x'.repeat(100_000));
    expect((out.data.raw as string).length).toBeLessThanOrEqual(20_000);
    const prompt = m.prepare(next, ctx(state, home)).prompt;
    expect(prompt.length).toBeLessThan(REPAIR_RAW_MAX_CHARS + 2_000);
  });
});

describe('the mock and the repair prompt', () => {
  test('a MOCK-MALFORMED source gets a broken first answer and a repaired one that keeps its verified quotes', () => {
    const home = homeWith(`${TEXT} MOCK-MALFORMED.`);
    const state = emptyState();
    for (const type of ['evaluate_source', 'extract_content']) {
      const task = discovered(state, home, type);
      const { out: first, next } = step(state, home, task, researcherMockAnswer(1, m.prepare(task, ctx(state, home)).prompt)!);
      expect(first.data.phase, type).toBe('repair');
      const { out } = step(state, home, next, researcherMockAnswer(1, m.prepare(next, ctx(state, home)).prompt)!);
      expect(out.done, type).toBe(true);
    }
    const [src] = Object.values(research(state).sources!) as unknown as SourceDoc[];
    expect(src!.evaluation).toMatchObject({ trusted: true });
    const findings = Object.values(research(state).findings!) as unknown as FindingDoc[];
    expect(findings.filter((f) => f.verified).length).toBeGreaterThanOrEqual(1);
    expect(findings.filter((f) => !f.verified)).toHaveLength(1);
  });

  test('without the marker the mock answers in format at once; a repair of a foreign answer is answered in format too', () => {
    const home = homeWith();
    const state = emptyState();
    const task = discovered(state, home, 'evaluate_source');
    expect(step(state, home, task, researcherMockAnswer(1, m.prepare(task, ctx(state, home)).prompt)!).out.done).toBe(true);
    const other = discovered(state, home, 'extract_content');
    const { next } = step(state, home, other, 'no idea');
    expect(step(state, home, next, researcherMockAnswer(1, m.prepare(next, ctx(state, home)).prompt)!).out.done).toBe(true);
  });
});
