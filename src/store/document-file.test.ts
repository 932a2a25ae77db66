import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { planPatch, PREAMBLE_ID, MALFORMED_SECTION, sectionText, splitSections } from '../core/document-sections.js';
import type { Json } from '../core/types.js';
import { applyPendingPatches, patchSection } from './document-file.js';
import { openStore } from './store.js';
import { cleanupHomes, tmpHome } from './test-fs.js';

const DOC = `# Title

intro
<!-- SECTION id: s-a status: provisional -->
## A

alpha

<!-- SECTION id: s-b status: stable -->
## B

beta
`;
const A = '<!-- SECTION id: s-a status: provisional -->\n## A\n\nalpha\n\n';
const A2 = '<!-- SECTION id: s-a status: provisional -->\n## A\n\nalpha, revised\n\n';
const FILE = 'state/documenter/document.md';

afterEach(() => cleanupHomes());

function home(text: string | null = DOC): string {
  const h = tmpHome();
  if (text !== null) {
    fs.mkdirSync(path.join(h, 'state/documenter'), { recursive: true });
    fs.writeFileSync(path.join(h, FILE), text);
  }
  return h;
}
const read = (h: string) => fs.readFileSync(path.join(h, FILE), 'utf8');

describe('splitSections', () => {
  test('preamble and sections by marker line; malformed markers reported with their line', () => {
    const d = splitSections(`${DOC}<!-- SECTION status: stable -->\nx\n<!-- SECTION id: s-c\ny\n<!-- SECTION id: s-a -->\nz\n`);
    expect(sectionText(d, PREAMBLE_ID)).toBe('# Title\n\nintro\n');
    expect(d.blocks.map((b) => [b.kind, b.id, b.line])).toEqual([
      ['malformed', 's-a', 4],
      ['section', 's-b', 9],
      ['malformed', null, 13],
      ['malformed', null, 15],
      ['malformed', 's-a', 17],
    ]);
    expect(d.blocks[2]!.error).toMatch(/no valid "id/);
    expect(d.blocks[3]!.error).toMatch(/not closed/);
    expect(d.blocks[0]!.error).toMatch(/more than once/);
    expect(sectionText(d, 's-a')).toBe(MALFORMED_SECTION);
  });
});

describe('planPatch', () => {
  test('replaces exactly one section when it is unchanged', () => {
    const p = planPatch(DOC, 's-a', A, A2);
    expect(p.result).toBe('applied');
    expect(p.text).toBe(DOC.replace('alpha\n', 'alpha, revised\n'));
  });
  test('a section already equal to the new text is "already" (a repeat after a crash)', () => {
    expect(planPatch(DOC.replace('alpha\n', 'alpha, revised\n'), 's-a', A, A2).result).toBe('already');
  });
  test('a section a person changed is a conflict, and the text is left as is', () => {
    const edited = DOC.replace('alpha', 'alpha (my edit)');
    expect(planPatch(edited, 's-a', A, A2)).toEqual({ result: 'conflict', text: edited });
  });
  test('a new section goes after its anchor, or at the end', () => {
    const next = '<!-- SECTION id: s-n -->\n## N\n\nnew\n\n';
    expect(planPatch(DOC, 's-n', null, next, { after: 's-a' }).text).toBe(DOC.replace('<!-- SECTION id: s-b', `${next}<!-- SECTION id: s-b`));
    expect(planPatch(DOC, 's-n', null, next).text).toBe(`${DOC}\n${next}`);
    expect(planPatch(DOC, 's-a', null, next).result).toBe('conflict');
  });
  test('a new section goes before its `before` anchor (the first section too); a missing one falls back to `after`, then the end', () => {
    const next = '<!-- SECTION id: s-n -->\n## N\n\nnew\n\n';
    expect(planPatch(DOC, 's-n', null, next, { before: 's-b' }).text).toBe(DOC.replace('<!-- SECTION id: s-b', `${next}<!-- SECTION id: s-b`));
    // A blank line is kept between what comes before and the new section.
    expect(planPatch(DOC, 's-n', null, next, { before: 's-a', after: 's-b' }).text).toBe(
      DOC.replace('intro\n<!-- SECTION id: s-a', `intro\n\n${next}<!-- SECTION id: s-a`),
    );
    expect(planPatch(DOC, 's-n', null, next, { before: 's-gone', after: 's-a' }).text).toBe(DOC.replace('<!-- SECTION id: s-b', `${next}<!-- SECTION id: s-b`));
    expect(planPatch(DOC, 's-n', null, next, { before: 's-gone' }).text).toBe(`${DOC}\n${next}`);
    // Replayed after a crash, the inserted section is found as it is: "already", never twice.
    const once = planPatch(DOC, 's-n', null, next, { before: 's-b' }).text;
    expect(planPatch(once, 's-n', null, next, { before: 's-b' })).toEqual({ result: 'already', text: once });
  });
  test('a malformed section is never patched', () => {
    const bad = DOC.replace('<!-- SECTION id: s-b status: stable -->', '<!-- SECTION id: s-a -->');
    expect(planPatch(bad, 's-a', A, A2).result).toBe('malformed');
  });
});

describe('patchSection on disk', () => {
  test('writes the patch; a person edit made after fano read the section survives', () => {
    const h = home();
    expect(patchSection(h, FILE, 's-a', A, A2)).toBe('applied');
    expect(read(h)).toContain('alpha, revised');
    // The person edits s-a; fano's next change was based on the text before that edit.
    fs.writeFileSync(path.join(h, FILE), read(h).replace('alpha, revised', 'alpha, my words'));
    const before = read(h);
    expect(patchSection(h, FILE, 's-a', A2, A2.replace('revised', 'fano again'))).toBe('conflict');
    expect(read(h)).toBe(before);
    expect(fs.readdirSync(path.join(h, 'state/documenter'))).toEqual(['document.md']);
  });
  test('a missing file is created for a new section only', () => {
    const h = home(null);
    expect(patchSection(h, FILE, 's-a', A, A2)).toBe('conflict');
    expect(patchSection(h, FILE, 's-a', null, A2, { initialText: '# Doc\n' })).toBe('applied');
    expect(read(h)).toBe(`# Doc\n\n${A2}`);
  });
});

describe('applyPendingPatches', () => {
  const pending = (over: Record<string, Json> = {}): Json => ({
    status: 'pending',
    file: FILE,
    sectionId: 's-a',
    base: A,
    next: A2,
    snapshotDir: 'state/documenter/history',
    ...over,
  });

  test('applies, logs the outcome, drops the texts, snapshots the day; a repeat after a crash is not applied twice', async () => {
    const h = home();
    const now = () => new Date('2026-01-02T03:04:05.000Z');
    const store = await openStore(h, { now });
    try {
      await store.append([{ type: 'module.put', module: 'documenter', collection: 'patches', id: 'p-1', doc: pending() }], now());
      // Simulates a tick killed after the file was written but before the outcome was logged.
      expect(patchSection(h, FILE, 's-a', A, A2)).toBe('applied');
      const out = await applyPendingPatches(store, now);
      expect(out).toEqual([{ id: 'p-1', result: 'already' }]);
      expect(read(h).match(/alpha, revised/g)).toHaveLength(1);
      const doc = store.state.modules.documenter!.patches!['p-1'] as Record<string, Json>;
      expect(doc).toMatchObject({ status: 'applied', base: null, next: null, resolvedAt: now().toISOString() });
      expect(fs.readFileSync(path.join(h, 'state/documenter/history/2026-01-02.md'), 'utf8')).toBe(read(h));
      expect(await applyPendingPatches(store, now)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test('a conflict is recorded and the person text stays', async () => {
    const h = home(DOC.replace('alpha', 'alpha (edited)'));
    const store = await openStore(h);
    try {
      await store.append([{ type: 'module.put', module: 'documenter', collection: 'patches', id: 'p-1', doc: pending() }], new Date());
      expect(await applyPendingPatches(store, () => new Date())).toEqual([{ id: 'p-1', result: 'conflict' }]);
      expect(read(h)).toContain('alpha (edited)');
      expect((store.state.modules.documenter!.patches!['p-1'] as Record<string, Json>).status).toBe('conflict');
    } finally {
      await store.close();
    }
  });
});
