import { statfsSync } from 'node:fs';
import { DiskLowError } from '../errors.js';

/**
 * The free-space guard (config `state.minFreeMB`; README, Bounded disk). Checked before a tick
 * writes anything: a tick that starts an LLM request it then cannot record wastes the request
 * and leaves work to recover, so below the floor the tick does no work and says why.
 */
const MB = 1024 * 1024;

/** Bytes an unprivileged writer may still use on the file system holding `path`, or null if unknown. */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return null; // no statfs here: the writes themselves report a full disk (errors.ts)
  }
}

/** Throws DiskLowError (exit 74) when the home's file system has less than `minFreeMB` free. */
export function assertFreeSpace(home: string, minFreeMB: number): void {
  if (minFreeMB <= 0) return;
  const free = freeBytes(home);
  if (free === null || free >= minFreeMB * MB) return;
  throw new DiskLowError(
    `${home}: only ${(free / MB).toFixed(1)} MB free on its file system, below state.minFreeMB (${minFreeMB} MB); ` +
      'no work was done. Free some space (runs/ is bounded by runs.maxMB; lower it to keep less) or lower state.minFreeMB in fano.config.yaml; the next tick resumes',
  );
}
