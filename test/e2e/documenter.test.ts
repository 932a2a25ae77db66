import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_CRASH_POINTS } from '../../src/crash.js';
import { parseDocument } from '../../src/modules/documenter/document.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The Documenter end to end: real `fano tick` processes on the mock, the document edited by
 * "the person" (this test) between and during ticks.
 */

const DOC = 'state/documenter/document.md';
const read = (home: string) => readFileSync(join(home, DOC), 'utf8');

async function tick(home: string, env: Record<string, string> = {}) {
  const r = await runFano(['tick'], { home, env });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function commentList(home: string): Promise<{ comments: Array<{ state: string; sectionId: string; text: string }>; malformed: unknown[] }> {
  const r = await runFano(['comment', 'list', '--json'], { home });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** A home with only the Documenter at work on a document the person wrote. */
function documentHome(doc: string, latencyMs = 5): string {
  return tempHome(
    {
      'fano.config.yaml': `backends:\n  mock: {type: mock, latencyMs: ${latencyMs}}\ntick: {maxRequests: 4, lockStaleSeconds: 2}\nretries: {baseDelaySeconds: 0, transientDelaySeconds: 0}\nscheduler: {consultation: {enabled: false}}\nmodules:\n  explorer: {enabled: false}\n  researcher: {enabled: false}\n`,
      [DOC]: doc,
    },
    'fano-doc-',
  );
}

const PERSON_DOC = `# My notes

<!-- SECTION id: s-intro status: stable insights: [] updated: - reviewed: 2999-01-01T00:00:00.000Z by: - conv: - -->
## Introduction

The Fano plane is small.

<!-- PROTECTED -->
Exactly my words,   spacing and all.
<!-- /PROTECTED -->
`;

describe('the Documenter on the mock', () => {
  it('blessed insights are incorporated into cited sections, and a typed comment is resolved', async () => {
    const home = tempHome({}, 'fano-doc-');
    expect((await runFano(['init', home])).code).toBe(0);
    expect(read(home)).toContain('# Research notes');
    const cfg = join(home, 'fano.config.yaml');
    writeFileSync(
      cfg,
      readFileSync(cfg, 'utf8')
        .replace(/exchangesBeforeSynthesis: 4 /, 'exchangesBeforeSynthesis: 1 ')
        .replace(/latencyMs: 50/, 'latencyMs: 5'),
    );

    // Insights first (the panel may or may not bless them: the person blesses them all).
    let ids: string[] = [];
    for (let i = 0; i < 8 && ids.length === 0; i++) {
      await tick(home);
      // Duplicates stay duplicates whatever a person decides: only originals reach the document.
      const insights = (await readState(home)).state.modules.explorer?.insights ?? {};
      ids = Object.keys(insights).filter((id) => (insights[id] as { duplicateOf: string | null }).duplicateOf === null);
    }
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await runFano(['insight', 'bless', id], { home });

    const cited = () => new Set(parseDocument(read(home)).sections.flatMap((s) => s.meta.insights));
    // A duplicate (the paraphrase check may find one after the person blessed it) is not documented.
    const originals = async () => {
      const docs = (await readState(home)).state.modules.explorer?.insights ?? {};
      return ids.filter((id) => (docs[id] as { duplicateOf?: string | null } | undefined)?.duplicateOf == null);
    };
    for (let i = 0; i < 10 && !(await originals()).every((id) => cited().has(id)); i++) await tick(home);
    ids = await originals();
    expect([...cited()].sort()).toEqual(expect.arrayContaining([...ids].sort()));
    const doc = parseDocument(read(home));
    expect(doc.malformed).toEqual([]);
    for (const s of doc.sections) for (const id of s.meta.insights) expect(read(home)).toContain(`[${id}]`);
    expect((await readState(home)).state.modules.documenter?.patches).toBeDefined();

    // The person types a comment under the first section's heading.
    const first = doc.sections[0]!;
    writeFileSync(
      join(home, DOC),
      read(home).replace(`${first.heading}\n`, `${first.heading}\n\n<!-- COMMENT: please explain where the count comes from -->\n`),
    );
    expect((await commentList(home)).comments).toEqual([
      expect.objectContaining({ state: 'open', sectionId: first.meta.id, text: 'please explain where the count comes from' }),
    ]);
    for (let i = 0; i < 3 && parseDocument(read(home)).comments.length > 0; i++) await tick(home);
    expect(parseDocument(read(home)).comments).toEqual([]);
    expect(read(home)).toMatch(/<!-- RESOLVED \S+: "please explain where the count comes from" — /);
    expect((await commentList(home)).comments).toEqual([]);
    expect((await runFano(['verify'], { home })).code).toBe(0);
  }, 120_000);

  it("a person's edit made while fano works on the section is not overwritten; the comment is redone", async () => {
    // The answer takes ten minutes and the tick's budget is one second: the tick leaves the
    // comment's request on the site with the section's text it was written from, the person edits
    // the section, and the next tick harvests an answer that no longer fits. No race with a timer.
    const home = documentHome(PERSON_DOC.replace('is small.', 'is small. <!-- COMMENT: say how small -->'), 600_000);
    const config = () => readFileSync(join(home, 'fano.config.yaml'), 'utf8');
    writeFileSync(join(home, 'fano.config.yaml'), config().replace('tick: {maxRequests: 4,', 'tick: {maxSeconds: 1, maxRequests: 4,'));
    expect((await runFano(['tick'], { home })).code).toBe(0);
    const waiting = Object.values((await readState(home)).state.tasks).filter((t) => t.type === 'address_comment' && t.state === 'running');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.conversation?.submitted).not.toBeNull();
    writeFileSync(join(home, DOC), read(home).replace('is small.', 'is small: seven points.'));
    writeFileSync(join(home, 'fano.config.yaml'), config().replace('maxSeconds: 1, ', '').replace('latencyMs: 600000', 'latencyMs: 5'));
    await tick(home);
    // The person's edit survives: the patch computed from the old text was a conflict (and the
    // comment may already have been redone on the new text in the same tick, which uses its budget).
    expect(read(home)).toContain('is small: seven points.');
    const patches = Object.values((await readState(home)).state.modules.documenter?.patches ?? {}) as Array<{ status: string }>;
    expect(patches.filter((p) => p.status === 'conflict')).toHaveLength(1);
    expect(patches.every((p) => p.status === 'conflict' || p.status === 'applied')).toBe(true);

    await tick(home);
    const text = read(home);
    expect(text).toContain('is small: seven points.');
    expect(text).toMatch(/<!-- RESOLVED \S+: "say how small"/);
    expect(text).toContain('<!-- PROTECTED -->\nExactly my words,   spacing and all.\n<!-- /PROTECTED -->');
  });

  it('a disputed comment escalates to NEEDS_HUMAN_REVIEW and `comment list` says so', async () => {
    const home = documentHome(PERSON_DOC.replace('is small.', 'is small. <!-- COMMENT: I disagree with this -->'));
    writeFileSync(
      join(home, 'fano.config.yaml'),
      `${readFileSync(join(home, 'fano.config.yaml'), 'utf8')}  documenter: {maxDisputes: 2, disputeRetryMinutes: 0}\n`,
    );
    // One step: the first dispute (a whole tick goes on to the second at once: it uses its budget).
    expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    expect((await commentList(home)).comments).toEqual([expect.objectContaining({ state: 'attempted' })]);
    await tick(home);
    expect(read(home)).toMatch(/<!-- NEEDS_HUMAN_REVIEW: I disagree with this — fano disputed it 2 time\(s\)/);
    expect((await commentList(home)).comments).toEqual([expect.objectContaining({ state: 'needs_human' })]);
    await tick(home);
    expect(Object.keys((await readState(home)).state.modules.documenter?.patches ?? {})).toHaveLength(2);
  });

  it.each(DOCUMENT_CRASH_POINTS.map((p) => [p]))(
    'SIGKILL at %s leaves the old or the new document, and the change lands exactly once',
    async (point) => {
      const original = PERSON_DOC.replace('is small.', 'is small. <!-- COMMENT: clarify -->');
      const home = documentHome(original);
      const r = await runFano(['tick'], { home, env: { FANO_CRASH_AT: point } });
      expect(r.signal).toBe('SIGKILL');
      const after = read(home);
      if (point === 'document.before-rename') expect(after).toBe(original);
      else expect(after).toMatch(/<!-- RESOLVED \S+: "clarify"/);
      expect(parseDocument(after).malformed).toEqual([]);
      await sleep(3_500); // the killed tick's lock goes stale
      await tick(home);
      const text = read(home);
      expect(text.match(/<!-- RESOLVED/g)).toHaveLength(1);
      expect(text.match(/Clarification/g)).toHaveLength(1);
      const patches = Object.values((await readState(home)).state.modules.documenter?.patches ?? {}) as Array<{ status: string }>;
      expect(patches.map((p) => p.status)).toEqual(['applied']);
      expect(readdirSync(join(home, 'state/documenter')).sort()).toEqual(['document.md', 'document.provenance.md', 'history']);
      expect((await runFano(['verify'], { home })).code).toBe(0);
    },
    120_000,
  );
});
