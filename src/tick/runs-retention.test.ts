import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { pruneRuns, runsUnits } from './runs-retention.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const DAY = 86_400_000;

/** A file of `bytes` bytes under runs/, last modified `daysAgo` days before NOW. */
function put(home: string, rel: string, bytes: number, daysAgo: number): void {
  const file = join(home, 'runs', rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, Buffer.alloc(bytes, 0x61));
  const t = new Date(NOW.getTime() - daysAgo * DAY);
  utimesSync(file, t, t);
}

function home(): string {
  return tempHome({}, 'fano-runs-');
}

describe('runs/ retention', () => {
  it('groups a tick log with its bundle folder, and leaves files that are no unit alone', () => {
    const h = home();
    put(h, '20261120T100000Z-aaaa.jsonl', 100, 12);
    put(h, '20261120T100000Z-aaaa/r1/page.html', 50, 12);
    put(h, 'idle-2026-11-20.jsonl', 10, 12);
    put(h, 'bundles/0123456789abcdef/seen.json', 7, 12);
    put(h, 'last-tick.json', 5, 12);
    put(h, 'mock/mock.json', 5, 12);
    const { units, otherBytes } = runsUnits(h);
    expect(units.map((u) => [u.name, u.bytes]).sort()).toEqual([
      ['20261120T100000Z-aaaa', 150],
      ['bundles/0123456789abcdef', 7],
      ['idle-2026-11-20.jsonl', 10],
    ]);
    expect(otherBytes).toBe(10);
  });

  it('removes what is older than keepDays, but never the newest tick or idle log', () => {
    const h = home();
    put(h, '20261101T100000Z-aaaa.jsonl', 100, 31);
    put(h, '20261101T100000Z-aaaa/r1/page.html', 100, 31);
    put(h, '20261102T100000Z-bbbb.jsonl', 100, 30); // newest tick: kept however old
    put(h, 'idle-2026-11-01.jsonl', 10, 31);
    put(h, 'idle-2026-11-02.jsonl', 10, 30); // newest idle log: kept
    put(h, 'bundles/aaaaaaaaaaaaaaaa/seen.json', 10, 31);
    put(h, 'last-tick.json', 5, 40);
    const r = pruneRuns(h, { keepDays: 14, maxBytes: 1e9, now: NOW });
    expect(r.removed).toEqual(['20261101T100000Z-aaaa', 'bundles/aaaaaaaaaaaaaaaa', 'idle-2026-11-01.jsonl']);
    expect(r.freedBytes).toBe(220);
    expect(readdirSync(join(h, 'runs')).sort()).toEqual(['20261102T100000Z-bbbb.jsonl', 'bundles', 'idle-2026-11-02.jsonl', 'last-tick.json']);
    expect(r.totalBytes).toBe(115);
  });

  it('over maxMB removes the oldest first until it fits, never the running tick (keep) nor what it touched (keepSince)', () => {
    const h = home();
    for (let i = 0; i < 10; i++) put(h, `2026120${Math.floor(i / 5) + 1}T10${i}000Z-000${i}.jsonl`, 1000, 1 - i * 0.05);
    put(h, 'bundles/bbbbbbbbbbbbbbbb/page.html', 1000, 0);
    put(h, '20261202T115900Z-ffff.jsonl', 5000, 0.001); // the running tick
    const r = pruneRuns(h, { keepDays: 14, maxBytes: 9000, now: NOW, keep: ['20261202T115900Z-ffff'], keepSince: new Date(NOW.getTime() - 60_000) });
    // 16,000 bytes: the 7 oldest tick logs go (the bundle and the running tick are newer than keepSince or kept).
    expect(r.removed).toHaveLength(7);
    expect(r.removed[0]).toBe('20261201T100000Z-0000');
    expect(r.totalBytes).toBe(9000);
    expect(existsSync(join(h, 'runs', '20261202T115900Z-ffff.jsonl'))).toBe(true);
    expect(existsSync(join(h, 'runs', 'bundles', 'bbbbbbbbbbbbbbbb'))).toBe(true);
  });

  it('keeps the newest other tick even when the cap cannot be met', () => {
    const h = home();
    put(h, '20261201T100000Z-0001.jsonl', 5000, 1);
    put(h, '20261202T100000Z-0002.jsonl', 5000, 0.5);
    const r = pruneRuns(h, { keepDays: 14, maxBytes: 100, now: NOW });
    expect(r.removed).toEqual(['20261201T100000Z-0001']);
    expect(r.totalBytes).toBe(5000);
  });

  it('is a no-op on a home without runs/', () => {
    expect(pruneRuns(home(), { keepDays: 1, maxBytes: 1, now: NOW })).toEqual({ removed: [], freedBytes: 0, totalBytes: 0 });
  });
});
