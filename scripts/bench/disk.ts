import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/tick/clock.js';
import { tryIdleTick } from '../../src/tick/idle-hint.js';
import { runTick } from '../../src/tick/run-tick.js';
import type { BenchRow } from './types.js';

/** Bytes of every file under `dir`. */
function bytes(dir: string): number {
  let n = 0;
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const p = join(dir, name);
    const st = lstatSync(p);
    n += st.isDirectory() ? bytes(p) : st.size;
  }
  return n;
}

/** Files under `dir`. */
function count(dir: string): number {
  let n = 0;
  for (const name of existsSync(dir) ? readdirSync(dir) : []) n += lstatSync(join(dir, name)).isDirectory() ? count(join(dir, name)) : 1;
  return n;
}

const seeds = (n: number) =>
  'seeds:\n' +
  Array.from(
    { length: n },
    (_, i) => `  - id: q${i}\n    type: question\n    text: Question ${i} about the seven points and seven lines of the Fano plane.\n`,
  ).join('');

/** A home with the mock and the echo module, retention off so growth is what is written. */
function home(seedCount: number, failureRate: number): string {
  const h = mkdtempSync(join(tmpdir(), 'fano-bench-runs-'));
  mkdirSync(join(h, 'state', 'explorer'), { recursive: true });
  writeFileSync(
    join(h, 'fano.config.yaml'),
    `backends:\n  mock:\n    type: mock\n    hourlyLimit: 100000\n    latencyMs: 0\n    failureRate: ${failureRate}\nscheduler:\n  consultation:\n    enabled: false\nmodules:\n  echo:\n    enabled: true\n    turns: 2\n  explorer:\n    enabled: false\n  documenter:\n    enabled: false\n  researcher:\n    enabled: false\nruns:\n  maxMB: 100000\n  keepDays: 1000\n`,
  );
  writeFileSync(join(h, 'state', 'explorer', 'seeds.yaml'), seeds(seedCount));
  return h;
}

/** `n` timer ticks a minute apart on a stepped clock, as `fano tick` runs them (idle fast path first); returns runs/ growth and how many worked. */
async function ticks(h: string, n: number, clock: Clock & { t: number }): Promise<{ grew: number; files: number; working: number }> {
  const before = bytes(join(h, 'runs'));
  const filesBefore = count(join(h, 'runs'));
  let working = 0;
  for (let i = 0; i < n; i++) {
    if (!tryIdleTick(h, clock.now()) && (await runTick({ home: h, clock })).outcome !== 'idle') working += 1;
    clock.t += 60_000;
  }
  return { grew: bytes(join(h, 'runs')) - before, files: count(join(h, 'runs')) - filesBefore, working };
}

function clockAt(t: number): Clock & { t: number } {
  const c = {
    t,
    now: () => new Date(c.t),
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

/**
 * runs/ growth per 1,000 ticks, measured in process on the mock (echo module, default
 * tick.maxRequests) over fewer ticks and scaled: idle ticks (the fast path, and a full tick each
 * hour when the idle hint expires) and working ticks (with and without failures: a repeated
 * failure is one bundle and a count).
 */
export async function benchDisk(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const IDLE = 300;
  const idle = home(0, 0);
  const c = clockAt(Date.parse('2026-12-02T00:00:00Z'));
  await ticks(idle, 2, c); // the first full tick makes runs/ and the hint
  const i = await ticks(idle, IDLE, c);
  rows.push({
    name: `runs/ growth per 1,000 idle ticks (from ${IDLE})`,
    value: ((i.grew / IDLE) * 1000) / 1024,
    unit: 'KB',
    target: '≤ 512 KB',
    ok: (i.grew / IDLE) * 1000 <= 512 * 1024,
  });
  rows.push({
    name: 'runs/ files added per 1,000 idle ticks (one daily file)',
    value: (i.files / IDLE) * 1000,
    unit: 'files',
    target: '≤ 10',
    ok: (i.files / IDLE) * 1000 <= 10,
  });
  for (const failureRate of [0, 0.3]) {
    const h = home(200, failureRate);
    const w = await ticks(h, 40, clockAt(Date.parse('2026-12-02T00:00:00Z')));
    rows.push({
      name: `runs/ growth per 1,000 working ticks (from ${w.working}${failureRate ? ', 30% failures' : ''})`,
      value: ((w.grew / Math.max(1, w.working)) * 1000) / 1024 / 1024,
      unit: 'MB',
    });
    rmSync(h, { recursive: true, force: true });
  }
  rmSync(idle, { recursive: true, force: true });
  return rows;
}
