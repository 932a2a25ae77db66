import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder a simulation's home lives in while it runs, removed afterwards. In memory
 * (/dev/shm) where the machine has it: the real modules read the home's files and the store's
 * writers fsync them, which costs nothing there.
 *
 * A home in /dev/shm that outlives its run takes memory until the machine restarts, so it goes
 * however the run ends: normally or by an error (`removeSimHome` in the caller's finally), by
 * Ctrl-C or SIGTERM (removed, then the signal's default action), or by any other exit. A run
 * killed outright (SIGKILL) cannot clean up: its folder carries its pid, and the next simulation
 * removes the folders of pids that no longer run.
 */

const PREFIX = 'fano-sim-';
const live = new Set<string>();
let hooked = false;

function baseDir(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no memory file system: the ordinary temp folder
  }
  return tmpdir();
}

function removeLive(): void {
  for (const home of live) rmSync(home, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeLive();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  // Nobody else handles it: the signal's default action (exit 130 / 143), as without this hook.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeLive);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the homes of simulations whose process is gone (killed outright). */
export function sweepStaleSimHomes(base: string = baseDir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^fano-sim-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(base, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export function makeSimHome(): string {
  const base = baseDir();
  sweepStaleSimHomes(base);
  hookExit();
  const home = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  live.add(home);
  return home;
}

export function removeSimHome(home: string): void {
  live.delete(home);
  rmSync(home, { recursive: true, force: true });
}
