import { readFileSync } from 'node:fs';
import katex from 'katex';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FanoState } from '../../src/core/types.js';
import { parseDocument } from '../../src/modules/documenter/document.js';
import { mathSpans } from '../../src/modules/shared/latex.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * Research a mathematician would trust, end to end on the mock (real `fano tick` processes of the
 * built CLI): an exchange whose LaTeX does not balance gets the repair prompt, a paraphrased
 * duplicate is caught by the model check, and the document's theorems and proofs render with KaTeX.
 */

const CONFIG = `backends:
  mock-a: {type: mock, latencyMs: 5, seed: 1}
  mock-b: {type: mock, latencyMs: 5, seed: 2}
  mock-c: {type: mock, latencyMs: 5, seed: 3}
tick:
  maxRequests: 8
  lockStaleSeconds: 2
retries:
  baseDelaySeconds: 0
  transientDelaySeconds: 0
scheduler:
  consultation: {enabled: false}
modules:
  researcher: {enabled: false}
  explorer:
    exchangesBeforeSynthesis: 2
`;
// The mock leaves a formula open in the first exchange of a seed that says "unbalanced", and
// restates a claim in other words in the synthesis of a seed that says "paraphrase".
const SEEDS = `seeds:
  - id: count
    type: question
    priority: high
    text: How many flags does the Fano plane have (the first answer leaves a formula unbalanced)?
    notes: Count incidences two ways.
  - id: twice
    type: conjecture
    text: The automorphisms of the Fano plane act transitively on flags (the synthesis repeats a claim as a paraphrase).
`;

const load = async (home: string): Promise<FanoState> => (await readState(home)).state;

async function tickUntil(home: string, done: (s: FanoState) => boolean, max = 40): Promise<FanoState> {
  for (let i = 0; i < max; i++) {
    let r = await runFano(['tick'], { home });
    for (let wait = 0; r.code === 75 && wait < 20; wait++) {
      await sleep(250);
      r = await runFano(['tick'], { home });
    }
    expect(r.code, r.stderr).toBe(0);
    const s = await load(home);
    if (done(s)) return s;
  }
  throw new Error(`not done after ${max} ticks`);
}

type Thread = { id: string; exchanges: Array<{ index: number; text: string; repaired?: { error: string } }> };
type Insight = { id: string; text: string; duplicateOf: string | null; duplicateBy?: string; threadId: string };
const threads = (s: FanoState) => Object.values(s.modules.explorer?.threads ?? {}) as unknown as Thread[];
const insights = (s: FanoState) => Object.values(s.modules.explorer?.insights ?? {}) as unknown as Insight[];

describe('mathematics on the mock, end to end', () => {
  it('an unbalanced $ gets the repair prompt, and a paraphrased duplicate is caught by the model check', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-writing-');
    const s = await tickUntil(home, (st) => insights(st).some((i) => i.duplicateBy === 'model'));

    // The first exchange of "count" was answered with an open formula, then repaired.
    const count = threads(s).find((t) => t.id === 'count')!;
    const first = count.exchanges.find((e) => e.index === 0)!;
    expect(first.repaired?.error).toMatch(/^the LaTeX does not balance: line \d+: an inline formula opened with \$ is not closed/);
    expect(first.text).toContain('$7 \\cdot 3 = 21$');
    const repairTask = Object.values(s.tasks).find((t) => t.type === 'exploration' && t.context.threadId === 'count' && t.context.exchange === 0)!;
    expect(repairTask.llmRequests).toBe(2);
    // The thread's readable file shows the repaired text.
    expect(readFileSync(join(home, 'state/explorer/threads/count.md'), 'utf8')).toContain('$7 \\cdot 3 = 21$ is the key number');

    // The paraphrase: not caught by word overlap, caught by the model; whatever its panel says, it is a duplicate.
    const dup = insights(s).find((i) => i.duplicateBy === 'model')!;
    const original = insights(s).find((i) => i.id === dup.duplicateOf)!;
    expect(original.threadId).toBe(dup.threadId);
    expect(dup.text).not.toBe(original.text);
    const check = Object.values(s.tasks).find((t) => t.type === 'dedupe_check' && t.context.insightId === dup.id)!;
    expect(check.state).toBe('completed');
    const listed = JSON.parse((await runFano(['insight', 'list', '--json'], { home })).stdout) as Array<{
      id: string;
      status: string;
      duplicateOf: string | null;
    }>;
    expect(listed.find((i) => i.id === dup.id)).toMatchObject({ status: 'duplicate', duplicateOf: original.id });
  }, 240_000);

  it('the document gets a theorem with its proof in LaTeX, and every formula of it renders with KaTeX', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-writing-');
    const doc = () => {
      try {
        return readFileSync(join(home, 'state/documenter/document.md'), 'utf8');
      } catch {
        return '';
      }
    };
    // Insights with a proof (proved or computed); the person blesses them (the panel may not).
    type Kinded = Insight & { kind?: string };
    const proved = (st: FanoState) => (insights(st) as Kinded[]).filter((i) => i.duplicateOf === null && (i.kind === 'proved' || i.kind === 'computed'));
    const withProof = await tickUntil(home, (st) => proved(st).length > 0);
    for (const i of proved(withProof)) expect((await runFano(['insight', 'bless', i.id], { home })).code).toBe(0);
    // A proved or computed result, stated, then its proof (the mock writes what the insight's kind says).
    await tickUntil(home, () => /\*\*(Theorem|Proposition)\*\* \[i-[0-9a-f]+\]\*\*\.\*\* [^\n]*\n\n\*\*Proof[.*]/.test(doc()), 60);
    const text = doc();
    const theorem = parseDocument(text).sections.find((sec) => /\*\*(Theorem|Proposition)\*\*/.test(sec.body))!;
    expect(theorem.body).toMatch(/\$\\square\$/);
    const { spans, problem } = mathSpans(text);
    expect(problem).toBeNull();
    expect(spans.length).toBeGreaterThan(2);
    for (const span of spans) {
      expect(() => katex.renderToString(span.tex, { throwOnError: true, displayMode: span.display }), `line ${span.line}: ${span.tex}`).not.toThrow();
    }
    // The theorem's own formulas are among them.
    expect(mathSpans(theorem.body).spans.length).toBeGreaterThan(0);
  }, 300_000);
});
