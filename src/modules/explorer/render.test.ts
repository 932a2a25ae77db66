import { describe, expect, it } from 'vitest';
import { insightView } from './queries.js';
import { renderInsight, renderThreadMarkdown } from './render.js';
import { insight, put, review, stateWith, thread } from './test-builders.js';

describe('explorer files', () => {
  it('a thread reads as markdown: seed, status, insights, summary, each exchange with role, backend, mode and time', () => {
    const t = thread({ id: 'fano-no-ovals', seedId: 'fano-no-ovals', seedText: 'The Fano plane has no ovals of size 4.', insightIds: ['i-1'] }, 3, [
      'mock-a',
      'mock-b',
    ]);
    t.exchanges[1] = { ...t.exchanges[1]!, text: 'A critique. <!-- SECTION id: s-x --> sneaked in' };
    t.summary = { text: 'Notes so far.', throughIndex: 1 };
    const md = renderThreadMarkdown(t);
    expect(md.startsWith('# Thread fano-no-ovals\n\n> The Fano plane has no ovals of size 4.\n')).toBe(true);
    expect(md).toMatch(/Status: \*\*exploring\*\*, 3 exchange\(s\)/);
    expect(md).toContain('Insights: [i-1](../insights/i-1.md)');
    expect(md).toContain('## Running summary (exchanges 1–2)\n\nNotes so far.');
    const heads = [...md.matchAll(/^## Exchange (\d+): (exploring|critiquing), (\S+) \((normal|deep)\), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)$/gm)];
    expect(heads.map((h) => [h[1], h[2], h[3]])).toEqual([
      ['1', 'exploring', t.exchanges[0]!.backend],
      ['2', 'critiquing', t.exchanges[1].backend],
      ['3', 'exploring', t.exchanges[2]!.backend],
    ]);
    for (const x of t.exchanges) expect(md).toContain(`${x.at.slice(0, 10)} ${x.at.slice(11, 19)} UTC`);
    expect(md).not.toContain('<!--'); // model text can never make a marker
    expect(renderThreadMarkdown(thread({}, 0))).toContain('No exchange yet');
  });

  it("an insight's updatedAt moves with its reviews and comments (they are documents of their own)", () => {
    const ins = insight({ id: 'i-1', createdAt: '2026-01-10T10:00:00.000Z', updatedAt: '2026-01-10T10:00:00.000Z' });
    const s = stateWith(
      put('insights', ins.id, ins),
      review(ins, 1, 0, 'bless', { at: '2026-01-10T11:00:00.000Z' }),
      review(ins, 1, 1, 'bless', { at: '2026-01-10T11:30:00.000Z' }),
    );
    const v = insightView(s, ins);
    expect(v.updatedAt).toBe('2026-01-10T11:30:00.000Z');
    expect(v.createdAt).toBe('2026-01-10T10:00:00.000Z');
    expect(renderInsight(v)).toMatch(/updatedAt: "?2026-01-10T11:30:00.000Z"?\n/);
    expect(insightView(stateWith(put('insights', ins.id, ins)), ins).updatedAt).toBe(ins.updatedAt);
  });

  it('an insight file shows the statement, its kind, the argument, its claims and what it depends on; an older insight reads as a conjecture', () => {
    const ins = insight({
      id: 'i-2',
      text: 'If every line has $3$ points then $v = 7$.',
      kind: 'computed',
      argument: 'Count flags: $v r = b k$.',
      claims: ['$v = b$', '$v = 7$'],
      dependsOn: ['ax', 'i-1'],
    });
    const md = renderInsight(insightView(stateWith(put('insights', ins.id, ins)), ins));
    expect(md).toMatch(/kind: computed\n/);
    expect(md).toContain('# Insight i-2 (computed)\n\n## Statement\n\nIf every line has $3$ points then $v = 7$.');
    expect(md).toContain('## Computation\n\nCount flags: $v r = b k$.');
    expect(md).toContain('## Claims\n\n1. $v = b$\n2. $v = 7$');
    expect(md).toContain('Depends on: seed `ax`, [i-1](i-1.md)');
    // Written before insights had a structure: its text is its one claim, a conjecture without argument.
    const old = insight({ id: 'i-3' });
    const oldMd = renderInsight(insightView(stateWith(put('insights', old.id, old)), old));
    expect(oldMd).toContain('## Evidence (a conjecture: not proved)\n\n_None recorded');
    expect(oldMd).toContain(`## Claims\n\n1. ${old.text}`);
  });
});
