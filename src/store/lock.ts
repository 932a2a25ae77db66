import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockBusyError, LockCompromisedError, onFile } from '../errors.js';
import type { StatePaths } from './paths.js';

/** Below this a healthy holder could not refresh in time on a loaded machine. */
export const MIN_LOCK_STALE_MS = 2000;
/** Default of `tick.lockStaleSeconds` (config) when the caller passes nothing. */
export const DEFAULT_LOCK_STALE_MS = 30_000;

const OWNER = 'owner.json';

interface OwnerFile {
  token: string;
  epoch: number;
  pid: number;
  host: string;
}

export interface StateLock {
  readonly path: string;
  /** Random, unique to this holder: what `owner.json` must still say before every write. */
  readonly token: string;
  /**
   * Greater than every epoch written into the state before this lock was taken (and than the
   * epoch of a holder it took over): records and checkpoints carry it, so a replay can tell a
   * fenced-out holder's late record from the current holder's (docs/architecture.md, Durability).
   */
  readonly epoch: number;
  /** Set (never thrown from a timer) once the lock is known lost: the holder must stop writing. */
  readonly compromised: boolean;
  readonly compromisedReason: string | null;
  /**
   * Proves the lock is still this holder's, immediately before a write: owner.json holds our
   * token (and is refreshed). Throws LockCompromisedError otherwise (and from then on, always).
   */
  assertHeld(): void;
  release(): Promise<void>;
}

/**
 * The tick lock: a directory `state/tick.lock/` made with mkdir (atomic) holding `owner.json`
 * (token, epoch, pid, host), whose mtime the holder refreshes every stale/4 ms. A contender takes
 * the lock over when its holder is a dead process on this host, or when owner.json was not
 * refreshed for `staleMs` (a killed holder elsewhere, or one paused by SIGSTOP, a suspended VM or a
 * blocked event loop). A busy lock is LockBusyError (exit 75) at once.
 *
 * Fencing: the holder checks owner.json before every write (and its timer every stale/4 ms). A
 * contender takes over by moving the whole lock directory aside first, so a holder that was paused
 * (or whose event loop was blocked) past the stale time finds on waking, before its next write,
 * no owner.json or another token, and writes nothing more; one that nobody took over simply goes
 * on. What no check can close (a pause between the check and the write itself) is handled by the
 * epoch: the next holder removes bytes appended behind its back, and replay ignores records whose
 * epoch is below one already seen.
 *
 * Not proper-lockfile: its default onCompromised throws from a timer (crashing at a random point),
 * and it cannot tell a holder that was paused past the stale time that it lost the lock.
 */
export async function acquireStateLock(paths: StatePaths, staleMs: number, now: () => Date): Promise<StateLock> {
  const stale = Math.max(MIN_LOCK_STALE_MS, Math.round(staleMs));
  const lockPath = paths.lock;
  const token = randomBytes(12).toString('hex');
  let takenOverEpoch = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(lockPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = inspect(lockPath, stale, now());
    if (!holder.stale || attempt > 0) throw new LockBusyError(busyMessage(lockPath, holder.ageMs));
    // Move the stale lock aside under a name only we use: rename is atomic, so of two contenders
    // only one moves it; the other finds the new holder's fresh lock on its second attempt.
    const aside = path.join(paths.dir, `tick.stale-${token}.lock`);
    try {
      fs.renameSync(lockPath, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    takenOverEpoch = readOwner(aside)?.epoch ?? 0;
    fs.rmSync(aside, { recursive: true, force: true });
  }
  const epoch = Math.max(takenOverEpoch, highestStateEpoch(paths)) + 1;
  const owner: OwnerFile = { token, epoch, pid: process.pid, host: os.hostname() };
  try {
    const tmp = path.join(lockPath, `${OWNER}.tmp`);
    onFile(tmp, () => fs.writeFileSync(tmp, JSON.stringify(owner) + '\n'));
    fs.renameSync(tmp, path.join(lockPath, OWNER));
  } catch (e) {
    fs.rmSync(lockPath, { recursive: true, force: true });
    throw e;
  }
  return new HeldLock(lockPath, owner, stale);
}

class HeldLock implements StateLock {
  private lostReason: string | null = null;
  private released = false;
  private readonly timer: NodeJS.Timeout;
  private readonly ownerFile: string;

  constructor(
    readonly path: string,
    private readonly owner: OwnerFile,
    private readonly staleMs: number,
  ) {
    this.ownerFile = `${path}/${OWNER}`;
    this.timer = setInterval(() => this.refresh(), Math.max(250, Math.floor(staleMs / 4)));
    this.timer.unref();
  }

  get token(): string {
    return this.owner.token;
  }
  get epoch(): number {
    return this.owner.epoch;
  }
  get compromised(): boolean {
    return this.lostReason !== null;
  }
  get compromisedReason(): string | null {
    return this.lostReason;
  }

  assertHeld(): void {
    if (this.released) throw new Error('the tick lock was already released');
    const reason = this.lostReason ?? this.check();
    if (reason !== null) {
      this.lose(reason);
      throw new LockCompromisedError(`the tick lock ${this.path} was lost (${reason}); nothing more was written, the next tick resumes from the state on disk`);
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    // A lost lock may now be another holder's: never remove it.
    if (this.lostReason !== null || readOwner(this.path)?.token !== this.owner.token) return;
    fs.rmSync(this.path, { recursive: true, force: true });
  }

  /** null when the lock is provably ours right now, else why not. Refreshes it when it is. */
  private check(): string | null {
    let current: OwnerFile | null;
    try {
      current = readOwner(this.path);
    } catch (e) {
      return `cannot read ${this.ownerFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    if (current === null) return `${this.ownerFile} is gone: another process took the lock over`;
    if (current.token !== this.owner.token) return `another process (pid ${current.pid}) took it over`;
    this.touch();
    return null;
  }

  private refresh(): void {
    if (this.released || this.lostReason !== null) return;
    const reason = this.check();
    if (reason !== null) this.lose(reason);
  }

  private touch(): void {
    const t = new Date();
    try {
      fs.utimesSync(this.ownerFile, t, t);
    } catch {
      // The next check names the problem.
    }
  }

  private lose(reason: string): void {
    this.lostReason ??= reason;
    clearInterval(this.timer);
  }
}

function readOwner(lockDir: string): OwnerFile | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(lockDir, OWNER), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const o = JSON.parse(text) as OwnerFile;
    return typeof o.token === 'string' && Number.isSafeInteger(o.epoch) ? o : null;
  } catch {
    return null;
  }
}

/** Whether the lock at `lockPath` may be taken over, and how old its last refresh is. */
function inspect(lockPath: string, staleMs: number, now: Date): { stale: boolean; ageMs: number | null } {
  let mtimeMs: number;
  let owner: OwnerFile | null;
  try {
    owner = readOwner(lockPath);
    mtimeMs = (owner ? fs.statSync(path.join(lockPath, OWNER)) : fs.statSync(lockPath)).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { stale: false, ageMs: null }; // released meanwhile
    throw e;
  }
  const ageMs = Math.max(0, now.getTime() - mtimeMs);
  // A holder that died on this host (SIGKILL, OOM) is known dead at once: no need to wait.
  if (owner && owner.host === os.hostname() && owner.pid !== process.pid && !alive(owner.pid)) return { stale: true, ageMs };
  return { stale: ageMs > staleMs, ageMs };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The highest epoch already in the state, read cheaply before the state is loaded: the
 * checkpoint's (its first member, sorted keys) and the log's (epochs only grow along the log, so
 * its tail holds the highest; a fenced record's lower epoch changes nothing).
 */
function highestStateEpoch(paths: StatePaths): number {
  let max = 0;
  const head = readRange(paths.checkpoint, 0, 128);
  const m = head === null ? null : /^\{\s*"epoch":\s*(\d+)/.exec(head);
  if (m) max = Number(m[1]);
  let size: number;
  try {
    size = fs.statSync(paths.log).size;
  } catch {
    return max;
  }
  const tail = readRange(paths.log, Math.max(0, size - 64 * 1024), 64 * 1024) ?? '';
  for (const t of tail.matchAll(/,"ep":(\d+),/g)) max = Math.max(max, Number(t[1]));
  return max;
}

function readRange(file: string, start: number, length: number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, start);
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function busyMessage(lockPath: string, ageMs: number | null): string {
  const age = ageMs === null ? '' : ` (refreshed ${Math.round(ageMs / 1000)} s ago)`;
  return `another fano process holds the lock ${lockPath}${age}; nothing was done`;
}
