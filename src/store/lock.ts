import fs from 'node:fs';
import lockfile from 'proper-lockfile';
import { LockBusyError } from '../errors.js';

/** proper-lockfile refuses stale thresholds below this (it clamps silently; we do it visibly). */
export const MIN_LOCK_STALE_MS = 2000;
/** Default of `tick.lockStaleSeconds` (config) when the caller passes nothing. */
export const DEFAULT_LOCK_STALE_MS = 30_000;

export interface StateLock {
  /** Set (never thrown) when the lock was lost while held: the caller must stop writing. */
  readonly compromised: boolean;
  readonly compromisedReason: string | null;
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the tick lock: a directory `state/tick.lock` created with mkdir (atomic) whose mtime the
 * holder refreshes every stale/2 ms. A lock whose mtime is older than `staleMs` belongs to a
 * killed holder and is taken over. No retries: a busy lock is LockBusyError (exit 75) at once.
 *
 * proper-lockfile's default onCompromised throws from a timer, which would crash the process at
 * a random point; ours only sets a flag that the store checks before every write.
 */
export async function acquireStateLock(stateDir: string, lockPath: string, staleMs: number, now: () => Date): Promise<StateLock> {
  const stale = Math.max(MIN_LOCK_STALE_MS, Math.round(staleMs));
  const state = { compromised: false, reason: null as string | null, released: false };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(stateDir, {
      lockfilePath: lockPath,
      retries: 0,
      stale,
      update: Math.floor(stale / 2),
      realpath: false,
      onCompromised: (err: Error) => {
        state.compromised = true;
        state.reason = err.message;
      },
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    throw new LockBusyError(busyMessage(lockPath, now()));
  }
  return {
    get compromised() {
      return state.compromised;
    },
    get compromisedReason() {
      return state.reason;
    },
    path: lockPath,
    async release() {
      if (state.released) return;
      state.released = true;
      // A compromised lock is no longer ours: never remove what may be another holder's lock.
      if (state.compromised) return;
      await release().catch(() => undefined);
    },
  };
}

function busyMessage(lockPath: string, now: Date): string {
  let age = '';
  try {
    const ageS = Math.max(0, Math.round((now.getTime() - fs.statSync(lockPath).mtimeMs) / 1000));
    age = ` (refreshed ${ageS} s ago)`;
  } catch {
    // The holder released it between our mkdir and stat: still busy for this attempt.
  }
  return `another fano process holds the lock ${lockPath}${age}; nothing was done`;
}
