import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FanoState, TickInfo } from '../core/types.js';
import { onFile } from '../errors.js';
import { leadsOutOfHome } from '../store/home-guard.js';
import { appendIdleLog, idleLogPath, newTickId, runsDir, writeLastTick } from './runs.js';
import { freeBytes } from './disk-guard.js';
import { pruneRuns } from './runs-retention.js';
import { HOUR_MS } from '../core/time.js';

/**
 * The idle fast path. A timer runs `fano tick` every minute, and most of those ticks find nothing
 * to do; loading a 10,000-task checkpoint (and the config schema) just to learn that costs several
 * times node's own start-up. So a tick that ends with no work that could become runnable leaves a
 * hint in runs/: the exact identity (size, mtime, inode) of every file whose change could create
 * work (config, checkpoint, redo log, the modules' input files) and the earliest time at which
 * time alone could (a task's backoff ending, a module's timed discovery). The next tick that finds
 * every file unchanged and that time not reached records an idle tick and exits without reading
 * any state. Anything unexpected (a file changed, a different fano build, no hint) takes the full
 * path, and the hint never skips more than an hour of full ticks.
 *
 * This file imports nothing heavy: it runs before the config schema or the store are loaded.
 */
const HINT_FILE = 'idle-hint.json';
export const MAX_IDLE_SKIP_MS = HOUR_MS;

type Stamp = [size: number, mtimeMs: number, ino: number] | null;

/** The config limits an idle tick needs without loading the config (`state.minFreeMB`, `runs.*`). */
export interface IdleLimits {
  minFreeBytes: number;
  keepDays: number;
  maxBytes: number;
}

interface IdleHint {
  version: 1;
  build: number;
  files: Record<string, Stamp>;
  wakeAt: string;
  /** Absent in hints of older builds (then the build stamp differs anyway). */
  limits?: IdleLimits;
}

/** Identifies this fano build: a hint written by another build is ignored. */
function buildStamp(): number {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return 0;
  }
}

function stamp(home: string, rel: string): Stamp {
  try {
    const s = statSync(join(home, rel));
    return [s.size, s.mtimeMs, s.ino];
  } catch {
    return null;
  }
}

const BASE_FILES = ['fano.config.yaml', 'state/checkpoint.json', 'state/log.jsonl'];

/**
 * When time alone could make work: the earliest backoff end among active tasks or archiving of a
 * finished one, or null when a task is runnable or running now (then every tick must look).
 */
export function nextWakeAt(state: Readonly<FanoState>, now: Date, archiveAfterMs: number): Date | null {
  let wake = now.getTime() + MAX_IDLE_SKIP_MS;
  for (const key in state.tasks) {
    const t = state.tasks[key]!;
    if (t.state === 'completed' || t.state === 'failed') {
      // Archiving a finished task is due work too.
      if (t.finishedAt) wake = Math.min(wake, Date.parse(t.finishedAt) + archiveAfterMs);
      continue;
    }
    if (state.meta.paused) continue;
    if (t.state === 'running' || t.notBefore === null) return null;
    const nb = Date.parse(t.notBefore);
    if (nb <= now.getTime()) return null;
    wake = Math.min(wake, nb);
  }
  return new Date(wake);
}

/** Written by a full tick while it still holds the lock, after its checkpoint. */
export function writeIdleHint(home: string, inputs: string[], wakeAt: Date, limits: IdleLimits): void {
  const files: Record<string, Stamp> = {};
  for (const rel of [...BASE_FILES, ...inputs].sort()) files[rel] = stamp(home, rel);
  const hint: IdleHint = { version: 1, build: buildStamp(), files, wakeAt: wakeAt.toISOString(), limits };
  mkdirSync(runsDir(home), { recursive: true });
  const file = join(runsDir(home), HINT_FILE);
  onFile(file, () => writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(hint, null, 2) + '\n'));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** A full tick that cannot vouch for idleness (work left, a module without declared inputs). */
export function clearIdleHint(home: string): void {
  try {
    writeFileSync(join(runsDir(home), HINT_FILE), '{}\n');
  } catch {
    // no runs/ yet: nothing to clear
  }
}

/**
 * Returns the recorded idle tick when the hint proves nothing can have changed, else null (run
 * the full tick).
 */
export function tryIdleTick(home: string, now: Date): TickInfo | null {
  // A runs/ leading out of the home: the full tick refuses it and says so.
  if (leadsOutOfHome(home, runsDir(home)) !== null) return null;
  let hint: IdleHint;
  try {
    hint = JSON.parse(readFileSync(join(runsDir(home), HINT_FILE), 'utf8')) as IdleHint;
  } catch {
    return null;
  }
  if (hint.version !== 1 || hint.build !== buildStamp() || !(now.getTime() < Date.parse(hint.wakeAt))) return null;
  for (const [rel, was] of Object.entries(hint.files)) {
    if (JSON.stringify(stamp(home, rel)) !== JSON.stringify(was)) return null;
  }
  const limits = hint.limits;
  if (!limits) return null;
  // Low on space: the full path refuses with the reason (disk-guard.ts).
  const free = freeBytes(home);
  if (free !== null && free < limits.minFreeBytes) return null;
  const at = now.toISOString();
  const info: TickInfo = { id: newTickId(now), startedAt: at, endedAt: at, outcome: 'idle', steps: 0, requests: 0, error: null };
  // One line in the day's idle log (not a file per tick), in the shape of a full tick's pino lines.
  const newDay = !existsSync(idleLogPath(home, now));
  appendIdleLog(
    home,
    now,
    JSON.stringify({ level: 30, time: at, tickId: info.id, event: 'tick.idle', wakeAt: hint.wakeAt, reason: 'nothing changed since the last tick' }) + '\n',
  );
  writeLastTick(home, info);
  // Full ticks keep runs/ within its limits; the first idle tick of a day does too, so a home
  // idle for weeks still sheds its old days.
  if (newDay) pruneRuns(home, { keepDays: limits.keepDays, maxBytes: limits.maxBytes, now });
  return info;
}
