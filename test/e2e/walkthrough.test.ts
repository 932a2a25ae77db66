import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The README's five-minute walkthrough, step by step on a fresh `fano init` home (one mock backend,
 * its default seed): what the README says each `fano tick` shows is what a real run shows. The
 * mock's verdicts are draws, so the counts below are this home's; the README names them.
 */

type Listed = { id: string; status: string; duplicateOf: string | null };

async function insights(home: string): Promise<Listed[]> {
  const r = await runFano(['insight', 'list', '--json'], { home });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

async function tick(home: string): Promise<void> {
  const r = await runFano(['tick'], { home });
  expect(r.code, r.stderr).toBe(0);
}

const threadStatus = async (home: string) =>
  Object.fromEntries(
    Object.values((await readState(home)).state.modules.explorer?.threads ?? {}).map((t) => [(t as { id: string }).id, (t as { status: string }).status]),
  );

describe('the README walkthrough', () => {
  it('each tick shows what the README says it shows', async () => {
    const home = join(tempHome({}, 'fano-walk-'), 'home');
    expect((await runFano(['init', home])).code).toBe(0);
    const doc = join(home, 'state/documenter/document.md');

    // Tick 1: the sample seeds are explored, synthesized and their insights reviewed; with the
    // default seed none of these first ones is blessed (rejected or sent back for development).
    await tick(home);
    expect(await threadStatus(home)).toEqual({ 'fano-automorphisms': 'synthesized', 'fano-octonions': 'synthesized' });
    const first = await insights(home);
    expect(first.length).toBeGreaterThan(0);
    for (const i of first.filter((x) => x.duplicateOf === null)) expect(['rejected', 'needs_development'], i.id).toContain(i.status);

    // Tick 2, after `fano seed add … --priority high`: the new seed is explored and synthesized, and
    // its insight reviewed, blessed and documented in the same tick.
    const added = await runFano(
      ['seed', 'add', 'Every line of the Fano plane meets every other line in exactly one point.', '--type', 'conjecture', '--priority', 'high'],
      { home },
    );
    expect(added.code, added.stderr).toBe(0);
    await tick(home);
    const threads = await threadStatus(home);
    expect(threads['every-line-fano-plane-meets-every-other-line-in-exactly-one']).toBe('synthesized');
    const blessed = (await insights(home)).filter((i) => i.status === 'blessed');
    expect(blessed.length).toBeGreaterThan(0);
    for (const b of blessed) expect(readFileSync(doc, 'utf8')).toMatch(new RegExp(`<!-- SECTION [^>]*insights: \\[[^\\]]*${b.id}`));

    // Tick 3, after `fano insight comment <id> …`: the comment is answered.
    const id = (await insights(home))[0]!.id;
    expect((await runFano(['insight', 'comment', id, 'Say which field this works over.'], { home })).code).toBe(0);
    await tick(home);
    const shown = JSON.parse((await runFano(['insight', 'show', id, '--json'], { home })).stdout) as { comments: Array<{ status: string }> };
    expect(shown.comments.map((c) => c.status)).toEqual(['answered']);

    // A comment typed into the document is open, and resolved by the next tick.
    appendFileSync(doc, '<!-- COMMENT: define a flag before using it -->\n');
    const open = JSON.parse((await runFano(['comment', 'list', '--json'], { home })).stdout) as { comments: Array<{ state: string }> };
    expect(open.comments.map((c) => c.state)).toEqual(['open']);
    await tick(home);
    const after = JSON.parse((await runFano(['comment', 'list', '--json'], { home })).stdout) as { comments: unknown[] };
    expect(after.comments).toEqual([]);
    expect(readFileSync(doc, 'utf8')).toMatch(/<!-- RESOLVED [^>]*"define a flag before using it"/);
  }, 180_000);
});
