import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FanoEvent } from '../../src/core/events.js';
import { parseDocument } from '../../src/modules/documenter/document.js';
import { insight } from '../../src/modules/explorer/test-builders.js';
import { openStore } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The document reads in order, end to end with real `fano tick` processes on the mock: a
 * prerequisite an insight names is placed before the section that needs it, and a person's
 * reordering of sections is kept by every later change.
 */

const DOC = 'state/documenter/document.md';
const read = (home: string) => readFileSync(join(home, DOC), 'utf8');
const order = (home: string) => parseDocument(read(home)).sections.map((s) => s.meta.id);

function home(): string {
  return tempHome(
    {
      'fano.config.yaml':
        'backends:\n  mock: {type: mock, latencyMs: 5}\ntick: {maxRequests: 6, lockStaleSeconds: 2}\nretries: {baseDelaySeconds: 0, transientDelaySeconds: 0}\nscheduler: {consultation: {enabled: false}}\nmodules:\n  explorer: {enabled: false}\n  researcher: {enabled: false}\n  documenter: {reviewShare: 0.5, reviewIntervalHours: 0.0005}\n',
    },
    'fano-order-',
  );
}

/** Blessed insights, as a person blessing the Explorer's work leaves them (written between ticks, under the lock). */
async function bless(h: string, ...list: Array<{ id: string; text: string; tag: string }>): Promise<void> {
  const store = await openStore(h);
  try {
    const at = new Date();
    const events: FanoEvent[] = list.map(({ id, text, tag }) => ({
      type: 'module.put',
      module: 'explorer',
      collection: 'insights',
      id,
      doc: insight({ id, text, tags: [tag], decision: { status: 'blessed', note: null, at: at.toISOString(), revision: 0, by: 'human' } }) as never,
    }));
    await store.append(events, at);
    await store.checkpoint();
  } finally {
    await store.close();
  }
}

async function tick(h: string): Promise<void> {
  const r = await runFano(['tick'], { home: h });
  expect(r.code, r.stderr).toBe(0);
}

describe('the document in reading order', () => {
  it("a prerequisite comes before the section that needs it; a person's reordering survives ten ticks of changes", async () => {
    const h = home();
    await bless(h, { id: 'i-1', text: 'The plane has seven points.', tag: 'geometry' });
    await tick(h);
    expect(order(h)).toEqual(['s-geometry']);
    // With its first section the document gets a title and an abstract instead of the starter text.
    expect(read(h)).toMatch(/^# Notes on geometry\n\nThis document develops what is known about geometry[^\n]*\n\n<!-- SECTION id: s-geometry /);
    await bless(h, { id: 'i-2', text: 'Every oval has three points; this needs background on arcs.', tag: 'ovals' });
    for (let i = 0; i < 5 && !order(h).includes('s-background-on-ovals'); i++) await tick(h);
    const o = order(h);
    expect(o).toContain('s-ovals');
    expect(o.indexOf('s-background-on-ovals'), o.join(', ')).toBe(o.indexOf('s-ovals') - 1);
    expect(read(h)).toContain('This section collects the definitions used later');

    // The person moves Geometry to the end (after Ovals).
    const doc = parseDocument(read(h));
    const geometry = doc.sections.find((s) => s.meta.id === 's-geometry')!;
    writeFileSync(join(h, DOC), `${read(h).replace(geometry.text, '').trimEnd()}\n\n${geometry.text}`);
    const mine = order(h);
    expect(mine.at(-1)).toBe('s-geometry');

    // Ten ticks of changes to both sections: new insights, a comment, reviews.
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 0)
        await bless(h, { id: `i-g${i}`, text: `Geometry fact ${i}.`, tag: 'geometry' }, { id: `i-o${i}`, text: `Oval fact ${i}.`, tag: 'ovals' });
      if (i === 4) writeFileSync(join(h, DOC), read(h).replace('## Geometry\n', '## Geometry\n\n<!-- COMMENT: say which plane -->\n'));
      await tick(h);
      expect(order(h), `after tick ${i + 1}`).toEqual(mine);
    }
    const text = read(h);
    expect(text).toContain('[i-g9]');
    expect(text).toContain('[i-o9]');
    expect(text).toMatch(/<!-- RESOLVED \S+: "say which plane"/);
    expect(parseDocument(text).malformed).toEqual([]);
    // Markers are one short line; the provenance they used to carry is in the sidecar.
    const markers = text.split('\n').filter((l) => l.startsWith('<!-- SECTION'));
    expect(markers.length).toBe(order(h).length);
    for (const m of markers) expect(m).toMatch(/^<!-- SECTION id: s-[a-z0-9-]+ status: (provisional|stable|needs_work) insights: \[[^\]]*\] -->$/);
    const sidecar = readFileSync(join(h, 'state/documenter/document.provenance.md'), 'utf8');
    for (const id of order(h)) expect(sidecar).toMatch(new RegExp(`## ${id}\\n\\nupdated: \\S+ · reviewed: \\S+ · by: mock/normal · conv: mock://`));
    expect(sidecar).toMatch(/\| review_section \| mock\/normal \|/);
  }, 300_000);
});
