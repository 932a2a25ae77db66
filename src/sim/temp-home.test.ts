import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { startFano } from '../../test/support/cli.js';
import { sweepStaleSimHomes } from './temp-home.js';

/** A pid that no process has: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((res) => child.on('exit', res));
  return child.pid!;
}

async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

describe('the simulation home', () => {
  test('the homes of dead simulations are swept; a live one and other folders stay', async () => {
    const base = tempHome({}, 'fano-sweep-');
    const dead = `fano-sim-${await deadPid()}-abc123`;
    const alive = `fano-sim-${process.pid}-def456`;
    for (const d of [dead, alive, 'fano-sim-xyz', 'other']) mkdirSync(join(base, d));
    expect(sweepStaleSimHomes(base)).toEqual([dead]);
    expect(readdirSync(base).sort()).toEqual([alive, 'fano-sim-xyz', 'other'].sort());
  });

  test('SIGTERM to a running `fano simulate` removes its home and ends with the signal', { timeout: 120_000 }, async () => {
    const { child, done } = startFano(['simulate', '--days', '7', '--seed', '1', '--json']);
    const mine = () => readdirSync(shm).filter((n) => n.startsWith(`fano-sim-${child.pid}-`));
    await waitFor(() => mine().length > 0, 'the simulation home');
    child.kill('SIGTERM');
    const r = await done;
    expect(r.signal).toBe('SIGTERM');
    expect(mine()).toEqual([]);
  });
});
