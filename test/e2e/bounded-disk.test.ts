/**
 * Weeks unattended on a bounded disk: runs/ stays under `runs.maxMB` while ticks work, fail and
 * idle (idle ticks share one daily file, a failure repeated is one bundle and a count); below
 * `state.minFreeMB` a tick does nothing and says why (exit 74; tmpfs, as root); an idle tick in a
 * fresh clone leaves state/ as it found it.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/tick/clock.js';
import { tryIdleTick } from '../../src/tick/idle-hint.js';
import { runTick } from '../../src/tick/run-tick.js';
import { readState } from '../../src/store/store.js';
import { TICK_ID_RE } from '../../src/tick/runs.js';
import { STATE_GITIGNORE } from '../../src/store/paths.js';
import { runFano, tempHome } from '../support/cli.js';
import { canMountTmpfs } from '../support/tmpfs.js';

const seeds = (n: number) =>
  'seeds:\n' +
  Array.from(
    { length: n },
    (_, i) => `  - id: q${i}\n    type: question\n    text: Question ${i} about the seven points and seven lines of the Fano plane.\n`,
  ).join('');
const config = (extra: string) => `backends:
  mock:
    type: mock
    hourlyLimit: 100000
    latencyMs: 0
    seed: 5
    failureRate: 0.3
tick:
  maxRequests: 3
scheduler:
  consultation:
    enabled: false
modules:
  echo:
    enabled: true
    turns: 2
  explorer:
    enabled: false
  documenter:
    enabled: false
  researcher:
    enabled: false
${extra}`;

/** Every file under `dir` with its size. */
function files(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const name of existsSync(d) ? readdirSync(d) : []) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), st.size);
    }
  };
  walk(dir);
  return out;
}
const bytes = (dir: string) => [...files(dir).values()].reduce((a, b) => a + b, 0);

/** Time that moves only when told to (a tick a minute) or when the tick waits. */
function steppedClock(start: number): Clock & { t: number } {
  const c = {
    t: start,
    now: () => new Date(c.t),
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

describe('runs/ stays bounded', () => {
  it('over 200 ticks (working, failing, idle) runs/ stays under runs.maxMB; idle ticks add lines to one daily file; a repeated failure is one bundle with a count', async () => {
    const CAP = 100 * 1024;
    // The slack the README names: a tick's own lines after its prune, and the idle lines between two
    // full ticks (at most an hour of them: 60 × about 190 bytes).
    const SLACK = 16 * 1024;
    const home = tempHome({ 'fano.config.yaml': config('runs:\n  maxMB: 0.09765625\n  keepDays: 14\n'), 'state/explorer/seeds.yaml': seeds(50) });
    const clock = steppedClock(Date.parse('2026-12-02T00:00:00Z'));
    let written = 0;
    let maxSeen = 0;
    let idle = 0;
    for (let i = 0; i < 200; i++) {
      const ticksBefore = [...files(join(home, 'runs')).keys()].filter((f) => TICK_ID_RE.test(f.replace(/\.jsonl$/, ''))).length;
      const fast = tryIdleTick(home, clock.now());
      const full = fast ? null : await runTick({ home, clock });
      if ((fast ?? full!).outcome === 'idle') {
        idle += 1;
        const ticksAfter = [...files(join(home, 'runs')).keys()].filter((f) => TICK_ID_RE.test(f.replace(/\.jsonl$/, ''))).length;
        expect(ticksAfter, `idle tick ${i} made a file of its own`).toBeLessThanOrEqual(ticksBefore);
      } else if (full) written += lstatSync(full.logFile).size;
      const now = bytes(join(home, 'runs'));
      maxSeen = Math.max(maxSeen, now);
      // A full tick prunes to the cap; what it logs after that (its last lines, last-tick.json) is over it.
      if (!fast) expect(now, `after full tick ${i}`).toBeLessThanOrEqual(CAP + 4096);
      clock.t += 60_000;
    }
    const runs = files(join(home, 'runs'));
    expect(idle, 'the work ends and the rest of the ticks are idle').toBeGreaterThan(80);
    expect(written, 'without retention runs/ would be over twice the cap').toBeGreaterThan(2 * CAP);
    expect(maxSeen, `runs/ peaked at ${maxSeen} bytes`).toBeLessThanOrEqual(CAP + SLACK);
    expect([...runs.keys()].filter((f) => /^idle-.*\.jsonl$/.test(f))).toEqual(['idle-2026-12-02.jsonl']);
    // Failures: the mock's failure page is the same every time, so one bundle holds them all.
    const bundles = [...runs.keys()].filter((f) => f.startsWith('bundles/') && f.endsWith('/seen.json'));
    expect(bundles.length).toBeGreaterThanOrEqual(1);
    const seen = bundles.map((f) => JSON.parse(readFileSync(join(home, 'runs', f), 'utf8')) as { count: number });
    expect(Math.max(...seen.map((s) => s.count)), 'a repeated failure is counted in one bundle').toBeGreaterThan(3);
    const { state } = await readState(home);
    expect(Object.values(state.tasks).every((t) => t.state === 'completed')).toBe(true);
    const failedOnce = Object.values(state.tasks).filter((t) => t.lastError?.bundle);
    expect(failedOnce.length).toBeGreaterThan(3);
    for (const t of failedOnce) expect(t.lastError!.bundle).toMatch(/runs\/bundles\/[0-9a-f]{16}$/);
  }, 240_000);
});

/** Fills the file system holding `dir` until about `free` bytes are left. */
function fill(dir: string, free: number): string {
  const file = join(dir, 'filler.bin');
  const fd = openSync(file, 'w');
  const { bavail, bsize } = statfsSync(dir);
  const chunk = Buffer.alloc(64 * 1024, 1);
  let left = bavail * bsize - free;
  while (left > 0) left -= writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  closeSync(fd);
  return file;
}

/** Every file under state/ with its bytes. */
function stateBytes(home: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files(join(home, 'state')).keys()) out[f] = readFileSync(join(home, 'state', f), 'latin1');
  return out;
}

const mountable = canMountTmpfs();

describe.skipIf(!mountable)('the free-space guard (tmpfs, as root)', () => {
  it('below state.minFreeMB a tick does no work, says why and the fix, exits 74; with room again it works', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'fano-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    try {
      const home = join(mnt, 'home');
      mkdirSync(join(home, 'state', 'explorer'), { recursive: true });
      writeFileSync(
        join(home, 'fano.config.yaml'),
        config('state:\n  minFreeMB: 4\n').replace('failureRate: 0.3', 'failureRate: 0').replace('maxRequests: 3', 'maxRequests: 1'),
      );
      writeFileSync(join(home, 'state', 'explorer', 'seeds.yaml'), seeds(3));
      const first = await runFano(['tick'], { home });
      expect(first.code, first.stderr).toBe(0);
      const filler = fill(mnt, 2 * 1024 * 1024);
      const before = stateBytes(home);
      const runsBefore = [...files(join(home, 'runs')).keys()].sort();
      const r = await runFano(['tick'], { home });
      expect(r.code, r.stderr).toBe(74);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^fano: ${home}: only \\d+\\.\\d MB free on its file system, below state.minFreeMB \\(4 MB\\); no work was done\\. Free some space .* or lower state.minFreeMB in fano.config.yaml`,
        ),
      );
      expect(stateBytes(home), 'nothing under state/ changed').toEqual(before);
      expect([...files(join(home, 'runs')).keys()].sort(), 'no tick log, no bundle').toEqual(runsBefore);
      rmSync(filler);
      const again = await runFano(['tick'], { home });
      expect(again.code, again.stderr).toBe(0);
      expect(stateBytes(home)).not.toEqual(before);
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('an idle tick in a fresh clone', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

  it.each([
    ['a home like the fano repository (config and state/.gitignore only)', 0],
    ['a home whose work is done and committed', 2],
  ])(
    'writes nothing under state/: %s',
    async (_what, seedCount) => {
      // state/.gitignore as `fano init` writes it.
      const home = tempHome({
        'fano.config.yaml': config('').replace('failureRate: 0.3', 'failureRate: 0'),
        'state/.gitignore': STATE_GITIGNORE,
        ...(seedCount > 0 ? { 'state/explorer/seeds.yaml': seeds(seedCount) } : {}),
      });
      for (let i = 0; i < 3; i++) expect((await runFano(['tick'], { home })).code).toBe(0);
      if (seedCount === 0) for (const f of readdirSync(join(home, 'state'))) if (f !== '.gitignore') rmSync(join(home, 'state', f), { recursive: true });
      writeFileSync(join(home, '.gitignore'), 'runs/\n');
      git(home, 'init', '-q');
      git(home, 'add', '-A');
      git(home, 'commit', '-qm', 'home');
      if (seedCount > 0) {
        expect(existsSync(join(home, 'state', 'checkpoint.prev.json'))).toBe(true);
        expect(git(home, 'ls-files', 'state').split('\n'), 'checkpoint.prev.json is git-ignored').not.toContain('state/checkpoint.prev.json');
      }
      const clone = tempHome();
      git(clone, 'clone', '-q', home, 'c');
      const c = join(clone, 'c');
      const before = stateBytes(c);
      const r = await runFano(['tick'], { home: c });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(c, 'runs', 'last-tick.json'), 'utf8')).outcome).toBe('idle');
      expect(stateBytes(c)).toEqual(before);
      expect(git(c, 'status', '--porcelain', '--ignored', 'state')).toBe('');
    },
    120_000,
  );
});
