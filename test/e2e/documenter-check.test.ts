import { readdirSync, readFileSync } from 'node:fs';
import katex from 'katex';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FanoState } from '../../src/core/types.js';
import type { PatchDoc, ProposalDoc } from '../../src/modules/documenter/types.js';
import { mathSpans } from '../../src/modules/shared/latex.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The check of new text end to end on the mock (real `fano tick` processes): a comment's answer is
 * checked on the other backend before the document changes; the mock's check sends text that says
 * "sloppy" back, its writer rewrites it, the second check approves, and only then does it go in.
 */

const DOC = 'state/documenter/document.md';
const CONFIG = `backends:
  mock-a: {type: mock, latencyMs: 5, seed: 1}
  mock-b: {type: mock, latencyMs: 5, seed: 2}
tick: {maxRequests: 8, lockStaleSeconds: 2}
retries: {baseDelaySeconds: 0, transientDelaySeconds: 0}
scheduler: {consultation: {enabled: false}}
modules:
  explorer: {enabled: false}
  researcher: {enabled: false}
`;
const PERSON = `# Notes

<!-- SECTION id: s-flags status: stable insights: [] -->
## Flags

A flag is a point $p$ on a line $\\ell$. <!-- COMMENT: the sloppy step: why are there $7 \\cdot 3 = 21$ flags? -->
`;

describe('the check of new text, end to end', () => {
  it('a section change is checked on another backend first; a "revise" leads to a rewrite; the result renders with KaTeX', async () => {
    const home = tempHome({ 'fano.config.yaml': CONFIG, [DOC]: PERSON }, 'fano-check-');
    const doc = () => readFileSync(join(home, DOC), 'utf8');
    let s: FanoState | null = null;
    for (let i = 0; i < 6 && !doc().includes('RESOLVED'); i++) {
      const r = await runFano(['tick'], { home });
      expect(r.code, r.stderr).toBe(0);
      s = (await readState(home)).state;
    }
    expect(doc()).toMatch(/<!-- RESOLVED \S+: "the sloppy step: why are there \$7 \\cdot 3 = 21\$ flags\?" — /);
    const state = s!;
    const tasks = Object.values(state.tasks).filter((t) => t.module === 'documenter');
    const byType = (type: string) => tasks.filter((t) => t.type === type);
    // The writer, two checks (rounds 0 and 1) and one rewrite, all completed.
    expect(tasks.map((t) => [t.type, t.state]).sort()).toEqual([
      ['address_comment', 'completed'],
      ['check_section', 'completed'],
      ['check_section', 'completed'],
      ['rewrite_section', 'completed'],
    ]);
    const writer = byType('address_comment')[0]!.conversation!.backend;
    for (const c of byType('check_section')) expect(c.conversation!.backend).not.toBe(writer);
    expect(byType('rewrite_section')[0]!.conversation!.backend).toBe(writer);
    expect(byType('check_section').map((t) => t.result)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ verdict: 'revise', decision: 'rewrite' }),
        expect.objectContaining({ verdict: 'approve', decision: 'applied' }),
      ]),
    );

    // The proposal records both verdicts; the patch went in only after the approval, with it.
    const proposals = Object.values(state.modules.documenter?.proposals ?? {}) as unknown as ProposalDoc[];
    expect(proposals).toHaveLength(1);
    expect(proposals[0]!.checks.map((c) => [c.round, c.verdict])).toEqual([
      [0, 'revise'],
      [1, 'approve'],
    ]);
    const patches = Object.values(state.modules.documenter?.patches ?? {}) as unknown as PatchDoc[];
    expect(patches).toEqual([expect.objectContaining({ status: 'applied', check: expect.objectContaining({ verdict: 'approve', rewrites: 1 }) })]);
    expect(Date.parse(patches[0]!.resolvedAt!)).toBeGreaterThanOrEqual(Date.parse(proposals[0]!.checks[1]!.at));

    // The rewrite is what went in (the mock's rewrite says so and drops "sloppy" from the new text).
    expect(doc()).toContain('*Revised after the check:* every symbol is now defined');
    expect(doc()).toContain('Clarification');
    // The person sees the verdict in the provenance sidecar and the tick's log.
    expect(readFileSync(join(home, 'state/documenter/document.provenance.md'), 'utf8')).toMatch(/\| approved by mock-[ab]\/normal after 1 rewrite\(s\) \|/);
    const logs = readdirSync(join(home, 'runs'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => readFileSync(join(home, 'runs', f), 'utf8'))
      .join('\n');
    expect(logs).toMatch(/"event":"documenter\.check"[^\n]*"verdict":"revise"|"verdict":"revise"[^\n]*"documenter\.check"/);

    // Every formula of the document renders.
    const { spans, problem } = mathSpans(doc());
    expect(problem).toBeNull();
    expect(spans.length).toBeGreaterThan(1);
    for (const span of spans) expect(() => katex.renderToString(span.tex, { throwOnError: true, displayMode: span.display }), span.tex).not.toThrow();
    expect((await runFano(['verify'], { home })).code).toBe(0);
  }, 120_000);
});
