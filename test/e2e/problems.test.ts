import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { removeTempHomes } from '../support/temp-home.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * Problems are first-class (docs/architecture.md, Problems): a broken seeds file, an unterminated
 * COMMENT, a deleted SECTION marker and a duplicated section id each appear in `status --json`
 * with file and line, are printed once on a tick's stderr (not on the next tick's), leave every
 * byte of the document as the person wrote it, and the rest of fano keeps working.
 */

afterAll(() => removeTempHomes());

const DOC = 'state/documenter/document.md';
const SEEDS = 'state/explorer/seeds.yaml';
const CONFIG = `backends:\n  mock: {type: mock, latencyMs: 5}\ntick: {maxRequests: 4, lockStaleSeconds: 2}\nretries: {baseDelaySeconds: 0, transientDelaySeconds: 0}\nscheduler: {consultation: {enabled: false}}\nmodules:\n  researcher: {enabled: false}\n`;

const marker = (id: string) => `<!-- SECTION id: ${id} status: stable insights: [] updated: - reviewed: 2999-01-01T00:00:00.000Z by: - conv: - -->`;

interface Problem {
  file: string;
  line: number | null;
  message: string;
  fix: string;
}

async function problems(home: string): Promise<Problem[]> {
  const r = await runFano(['status', '--json'], { home });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { problems: Problem[] }).problems;
}

/** Two ticks: the first prints the problem on stderr, the second does not; both exit 0. */
async function twoTicks(home: string, expectPrinted: RegExp): Promise<void> {
  const first = await runFano(['tick'], { home });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toMatch(expectPrinted);
  expect(first.stderr.match(/fano: problem:/g)?.length ?? 0).toBe(1);
  expect(first.stderr).not.toMatch(/\n\s+at /); // no stack trace
  const second = await runFano(['tick'], { home });
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).not.toMatch(/problem:/);
}

const bytes = (home: string, rel: string) => readFileSync(join(home, rel));

describe('problems a person must fix', () => {
  it('an unterminated COMMENT: listed with its line, printed once, the document untouched (its other comment is not answered either)', async () => {
    const doc = `# Notes\n\n${marker('s-a')}\n## A\n\nAlpha.\n\n<!-- COMMENT: say more about alpha\n\nA paragraph the comment swallows.\n\n${marker('s-b')}\n## B\n\nBeta.\n\n<!-- COMMENT: expand beta -->\n`;
    const home = tempHome({ 'fano.config.yaml': CONFIG, [DOC]: doc, [SEEDS]: 'seeds: []\n' });
    await twoTicks(
      home,
      /fano: problem: state\/documenter\/document\.md:8: the HTML comment "<!-- COMMENT: say more about alpha" is not closed before the next "<!--" \(line 12\); fix: close it with -->/,
    );
    expect(bytes(home, DOC).equals(Buffer.from(doc))).toBe(true);
    expect(await problems(home)).toEqual([expect.objectContaining({ file: DOC, line: 8 })]);
    const list = await runFano(['comment', 'list', '--json'], { home });
    expect(list.stdout).not.toContain('swallows');
  });

  it('a duplicated section id: both lines named, nothing written', async () => {
    const doc = `${marker('s-a')}\n## A\n\nAlpha.\n\n${marker('s-a')}\n## A again\n\n<!-- COMMENT: which one? -->\n`;
    const home = tempHome({ 'fano.config.yaml': CONFIG, [DOC]: doc, [SEEDS]: 'seeds: []\n' });
    await twoTicks(home, /document\.md:1: section id "s-a" is used more than once \(lines 1, 6\)/);
    expect(bytes(home, DOC).equals(Buffer.from(doc))).toBe(true);
    const ps = await problems(home);
    expect(ps.map((p) => p.line)).toEqual([1, 6]);
  });

  it('a SECTION marker deleted by hand: the heading is named, the section is neither merged nor written a second time', async () => {
    const doc = `# Notes\n\n${marker('s-intro')}\n## Introduction\n\nThe plane.\n\n## Combinatorics\n\nSeven points. <!-- COMMENT: add the lines -->\n`;
    const home = tempHome({ 'fano.config.yaml': CONFIG, [DOC]: doc, [SEEDS]: 'seeds: []\n' });
    // The state of a home where fano wrote s-combinatorics earlier (an applied patch).
    const store = await openStore(home);
    const patch = {
      status: 'applied',
      file: DOC,
      sectionId: 's-combinatorics',
      base: null,
      next: null,
      after: null,
      nextHash: 'x',
      resolvedAt: '2026-01-01T00:00:00.000Z',
      unit: 'insight:i-1',
      taskType: 'incorporate_insight',
      task: 't',
      summary: 's',
      insightIds: ['i-1'],
      backend: 'mock',
      mode: 'normal',
      conversation: null,
      at: '2026-01-01T00:00:00.000Z',
      initialText: '',
      snapshotDir: 'state/documenter/history',
    };
    await store.append([{ type: 'module.put', module: 'documenter', collection: 'patches', id: 'p-1', doc: patch }], new Date());
    await store.checkpoint();
    await store.close();
    await twoTicks(
      home,
      /document\.md:8: section "s-combinatorics" has lost its SECTION marker: its heading "Combinatorics" now reads as part of section "s-intro"; fix: put "<!-- SECTION id: s-combinatorics -->" back/,
    );
    expect(bytes(home, DOC).equals(Buffer.from(doc))).toBe(true);
    expect(await problems(home)).toEqual([expect.objectContaining({ file: DOC, line: 8 })]);
  });

  it('a broken seeds file: listed and printed once, no stack trace anywhere, and the Documenter keeps working', async () => {
    const doc = `${marker('s-a')}\n## A\n\nAlpha. <!-- COMMENT: one more sentence -->\n`;
    const home = tempHome({ 'fano.config.yaml': CONFIG, [DOC]: doc, [SEEDS]: 'seeds:\n  - id: a\n   text: [unclosed\n' });
    await twoTicks(home, /fano: problem: state\/explorer\/seeds\.yaml:\d+: YAML syntax/);
    const ps = await problems(home);
    expect(ps).toEqual([expect.objectContaining({ file: SEEDS, line: expect.any(Number), fix: expect.stringMatching(/seeds file/) })]);
    // The rest of fano went on: the comment in the (well-formed) document was answered.
    expect(readFileSync(join(home, DOC), 'utf8')).toMatch(/RESOLVED/);
    const list = await runFano(['seed', 'list'], { home });
    expect(list.code).toBe(78);
    expect(list.stderr).toMatch(/seeds\.yaml:\d+: YAML syntax/);
    expect(list.stderr).not.toMatch(/\n\s+at /);
    // Fixed: the problem goes away; broken again later: printed again (once).
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(home, SEEDS), 'seeds: []\n');
    expect(await problems(home)).toEqual([]);
    expect((await runFano(['tick'], { home })).stderr).not.toMatch(/problem:/);
    writeFileSync(join(home, SEEDS), 'seeds: {}\n');
    const again = await runFano(['tick'], { home });
    expect(again.stderr).toMatch(/seeds\.yaml:1: expected a top-level "seeds:" list/);
  });
});
