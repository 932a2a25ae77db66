import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder a simulation's home lives in while it runs, removed afterwards. In memory
 * (/dev/shm) where the machine has it: the real modules read the home's files and the store's
 * writers fsync them, which costs nothing there.
 */
export function makeSimHome(): string {
  let base = tmpdir();
  try {
    if (statSync('/dev/shm').isDirectory()) base = '/dev/shm';
  } catch {
    // no memory file system: the ordinary temp folder
  }
  return mkdtempSync(join(base, 'fano-sim-'));
}

export function removeSimHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}
