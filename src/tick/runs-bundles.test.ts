import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { keepBundleOnce, type BundleSeen } from './runs-bundles.js';
import { bundleDir } from './runs.js';

/** A bundle as the gateway writes it: what the page showed and how it was classified. */
function bundle(home: string, tick: string, req: string, page: string, at: string): string {
  const dir = bundleDir(home, tick, req);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'page.html'), page);
  writeFileSync(
    join(dir, 'classification.json'),
    JSON.stringify({ backend: 'gpt', outcome: 'needsLogin', requestId: req, at, durationMs: Math.random() * 1000 }),
  );
  return dir;
}

describe('failure bundles kept once', () => {
  it('the same page again is counted, not kept: one folder, seen.json with the count and the last sighting', () => {
    const home = tempHome({}, 'fano-bundles-');
    const first = keepBundleOnce(home, bundle(home, 't1', 'r1', '<p>Log in</p>', '2026-12-02T10:00:00Z'), 'r1', new Date('2026-12-02T10:00:00Z'));
    expect(first).toMatch(/runs\/bundles\/[0-9a-f]{16}$/);
    expect(existsSync(join(home, 'runs', 't1')), 'the emptied tick folder is removed').toBe(false);
    for (let i = 2; i <= 5; i++) {
      const again = keepBundleOnce(
        home,
        bundle(home, `t${i}`, `r${i}`, '<p>Log in</p>', `2026-12-02T10:0${i}:00Z`),
        `r${i}`,
        new Date(`2026-12-02T10:0${i}:00Z`),
      );
      expect(again).toBe(first);
      expect(existsSync(join(home, 'runs', `t${i}`))).toBe(false);
    }
    expect(readdirSync(join(home, 'runs', 'bundles'))).toHaveLength(1);
    const seen = JSON.parse(readFileSync(join(first, 'seen.json'), 'utf8')) as BundleSeen;
    expect(seen).toEqual({ count: 5, firstSeen: '2026-12-02T10:00:00.000Z', lastSeen: '2026-12-02T10:05:00.000Z', lastRequest: 'r5' });
    expect(readFileSync(join(first, 'page.html'), 'utf8')).toBe('<p>Log in</p>');
  });

  it('a page that differs is a different bundle; a tick folder with another bundle stays', () => {
    const home = tempHome({}, 'fano-bundles-');
    const other = bundle(home, 't1', 'r2', '<p>Something went wrong</p>', '2026-12-02T10:00:00Z');
    const a = keepBundleOnce(home, bundle(home, 't1', 'r1', '<p>Log in</p>', '2026-12-02T10:00:00Z'), 'r1', new Date());
    expect(existsSync(other)).toBe(true);
    const b = keepBundleOnce(home, other, 'r2', new Date());
    expect(b).not.toBe(a);
    expect(readdirSync(join(home, 'runs', 'bundles'))).toHaveLength(2);
  });

  it('a bundle that cannot be moved stays where the gateway wrote it', () => {
    const home = tempHome({}, 'fano-bundles-');
    expect(keepBundleOnce(home, join(home, 'runs', 'nope', 'r1'), 'r1', new Date())).toBe(join(home, 'runs', 'nope', 'r1'));
  });
});
