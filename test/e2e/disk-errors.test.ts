/**
 * Environment errors are not bugs: a home on a small tmpfs, filled to several levels, and then
 * remounted read-only. Every failing command prints one line naming the file and the condition,
 * exits 74 (no space) or 73 (read-only), never "internal error", and the state it leaves verifies
 * with nothing completed lost. Needs root (mount); skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, ftruncateSync, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../src/store/store.js';
import { runFano, type RunResult } from '../support/cli.js';
import { echoHomeConfig } from '../support/echo-home.js';
import { canMountTmpfs } from '../support/tmpfs.js';

// minFreeMB 0: this test is about the writes themselves failing, not the guard before them.
const config = echoHomeConfig({ mock: { latencyMs: 0, seed: 5 }, turns: 2, tick: { maxRequests: 6 }, state: { minFreeMB: 0 } });
const seed = (i: number) => `  - id: s${i}\n    type: question\n    text: Question ${i} about the seven points and seven lines of the plane.\n`;

/** Fills the file system holding `dir` until `free` bytes are left (tmpfs counts whole pages). */
function fill(dir: string, free: number): string {
  const file = join(dir, 'filler.bin');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch {
    // full to the last block
  }
  ftruncateSync(fd, Math.max(0, fstatSync(fd).size - free));
  closeSync(fd);
  return file;
}

function expectEnvironmentLine(r: RunResult, code: number, condition: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/internal error|This is a bug|\n\s+at /);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^fano: cannot (write|read) \/\S+/);
  expect(lines[0]).toMatch(condition);
}

async function completed(home: string): Promise<number> {
  const { state } = await readState(home);
  return Object.values(state.tasks).filter((t) => t.state === 'completed').length;
}

const mountable = canMountTmpfs();

describe.skipIf(!mountable)('a full or read-only disk is a clear message, never a bug (tmpfs, as root)', () => {
  const mnt = mountable ? mkdtempSync(join(tmpdir(), 'fano-tmpfs-')) : '';
  const home = join(mnt, 'home');

  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    mkdirSync(join(home, 'state', 'explorer'), { recursive: true });
    writeFileSync(join(home, 'fano.config.yaml'), config);
    writeFileSync(join(home, 'state', 'explorer', 'seeds.yaml'), 'seeds:\n' + seed(0) + seed(1));
  });
  afterAll(() => {
    try {
      execFileSync('umount', [mnt]);
    } finally {
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('at several fill levels a tick either works or exits 74 naming the file, and the state stays whole', async () => {
    const first = await runFano(['tick'], { home });
    expect(first.code, first.stderr).toBe(0);
    let failures = 0;
    let n = 2;
    for (const free of [0, 1024, 4096, 8192, 16_384, 32_768, 65_536, 262_144]) {
      appendFileSync(join(home, 'state', 'explorer', 'seeds.yaml'), seed(n++) + seed(n++));
      const before = await completed(home);
      const filler = fill(mnt, free);
      const r = await runFano(['tick'], { home });
      if (r.code !== 0) {
        failures += 1;
        expectEnvironmentLine(r, 74, /no space left on the device \(ENOSPC\)/);
      }
      rmSync(filler);
      const v = await runFano(['verify'], { home });
      expect(v.code, `free ${free}: ${v.stdout}${v.stderr}`).toBe(0);
      expect(await completed(home)).toBeGreaterThanOrEqual(before);
      const again = await runFano(['tick'], { home });
      expect(again.code, `free ${free}, with space again: ${again.stderr}`).toBe(0);
    }
    expect(failures, 'the fullest levels must make ticks fail').toBeGreaterThanOrEqual(2);
  }, 300_000);

  it('on a read-only home tick and seed add exit 73 naming the file; verify still reads it', async () => {
    appendFileSync(join(home, 'state', 'explorer', 'seeds.yaml'), seed(90));
    const before = await completed(home);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    try {
      expectEnvironmentLine(await runFano(['tick'], { home }), 73, /the file system is read-only \(EROFS\)/);
      expectEnvironmentLine(await runFano(['seed', 'add', 'A new question about lines'], { home }), 73, /read-only \(EROFS\)/);
      const v = await runFano(['verify'], { home });
      expect(v.code, v.stdout + v.stderr).toBe(0);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
    }
    expect(await completed(home)).toBe(before);
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
});
