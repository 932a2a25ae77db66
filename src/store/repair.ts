import fs from 'node:fs';
import { applyEvents } from '../core/reducer.js';
import { emptyState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { readCheckpointFile, serializeCheckpointBytes, writeCheckpointFile } from './checkpoint-file.js';
import type { Checkpoint } from './checkpoint-file.js';
import { appendDurable, fsyncDir, readFileOrNull } from './fsync.js';
import { DEFAULT_LOCK_STALE_MS, acquireStateLock, type StateLock } from './lock.js';
import { scanLog } from './log-scan.js';
import { bareMessage } from './verify.js';
import { describeLost, lostFromCheckpoint, type LostFromCheckpoint } from './repair-lost.js';
import type { ScanResult } from './log-scan.js';
import { statePaths } from './paths.js';
import type { StatePaths } from './paths.js';

export interface RepairOptions {
  lockStaleMs?: number;
  now?: () => Date;
}

export interface RepairReport {
  /** False when the home was healthy (nothing written). A torn tail alone is repaired (true). */
  changed: boolean;
  /** What the new state was rebuilt from. */
  base: 'checkpoint' | 'checkpoint.prev' | 'empty';
  baseSeq: number;
  kept: { records: number; fromSeq: number | null; toSeq: number | null };
  lost: {
    /** Log lines moved to log.broken.jsonl (the first bad line and everything after it). */
    lines: number;
    fromLine: number | null;
    movedTo: string | null;
    /** Seq ranges absent from the log (e.g. rotated away before checkpoint.json broke). */
    gaps: { from: number; to: number }[];
    /** An unreadable checkpoint.json, moved aside (its content could not be used). */
    checkpointMovedTo: string | null;
    /**
     * Records folded into that unreadable checkpoint and in no other file (the log is truncated after
     * each checkpoint): their seq range and what they did, as far as the damaged text shows.
     */
    checkpointRecords: { from: number; to: number; held: LostFromCheckpoint; summary: string } | null;
  };
  newCheckpointSeq: number;
  notes: string[];
}

/**
 * `fano repair`: rebuilds a home that load calls corrupt. Base = checkpoint.json if readable,
 * else checkpoint.prev.json, else an empty state; then every valid record with seq > base, up to
 * the first bad line; the rest of the log goes to log.broken.jsonl; a new checkpoint is written
 * and the log emptied. On a healthy home it changes nothing and says so.
 *
 * Ordering: the unusable log text is appended to log.broken.jsonl (fsynced) and an unreadable
 * checkpoint renamed aside BEFORE the new checkpoint is written, and the log is truncated only
 * after that: a crash mid-repair loses nothing and repair can simply run again.
 */
export async function repairStore(home: string, opts: RepairOptions = {}): Promise<RepairReport> {
  const paths = statePaths(home);
  const now = opts.now ?? (() => new Date());
  const noop = (notes: string[]): RepairReport => ({
    changed: false,
    base: 'checkpoint',
    baseSeq: 0,
    kept: { records: 0, fromSeq: null, toSeq: null },
    lost: { lines: 0, fromLine: null, movedTo: null, gaps: [], checkpointMovedTo: null, checkpointRecords: null },
    newCheckpointSeq: 0,
    notes,
  });
  if (!fs.existsSync(paths.dir)) return noop(['no state/ folder: nothing to repair']);
  const lock = await acquireStateLock(paths, opts.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, now);
  try {
    return await repairLocked(paths, noop, lock);
  } finally {
    await lock.release();
  }
}

function tryRead(file: string): { cp: Checkpoint | null; error: string | null } {
  try {
    return { cp: readCheckpointFile(file), error: null };
  } catch (e) {
    if (e instanceof StateCorruptError) return { cp: null, error: e.message };
    throw e;
  }
}

async function repairLocked(paths: StatePaths, noop: (notes: string[]) => RepairReport, lock: StateLock): Promise<RepairReport> {
  const notes: string[] = [];
  const logBuf = readFileOrNull(paths.log) ?? Buffer.alloc(0);
  const cur = tryRead(paths.checkpoint);
  const prevExists = fs.existsSync(paths.prev);
  const curUsable = cur.error === null && (cur.cp !== null || !prevExists);

  let base: RepairReport['base'] = 'checkpoint';
  let cp: Checkpoint | null = cur.cp;
  if (!curUsable) {
    notes.push(cur.error ? `${paths.checkpoint}: ${bareMessage(cur.error, paths.checkpoint)}` : `${paths.checkpoint} is missing while ${paths.prev} exists`);
    const prev = prevExists ? tryRead(paths.prev) : { cp: null, error: null };
    if (prev.cp) {
      base = 'checkpoint.prev';
      cp = prev.cp;
    } else {
      base = 'empty';
      cp = null;
      if (prev.error) notes.push(`${paths.prev}: ${bareMessage(prev.error, paths.prev)}`);
      notes.push('no readable checkpoint: rebuilding from an empty state and the log');
    }
  }
  const baseSeq = cp?.lastSeq ?? 0;
  const state = cp?.state ?? emptyState();
  const scan = scanLog(logBuf, baseSeq, { allowGaps: true, baseEpoch: cp?.epoch ?? 0 }, (rec) => applyEvents(state, rec.events));
  const bad = scan.problem ?? scan.torn;
  const healthy = curUsable && !scan.problem && scan.gaps.length === 0;
  if (healthy && !scan.torn) {
    const r = noop(['the state is consistent: nothing to repair']);
    return { ...r, baseSeq, kept: keptOf(scan), newCheckpointSeq: baseSeq };
  }

  let movedTo: string | null = null;
  let lostLines = 0;
  if (bad) {
    const rest = logBuf.subarray(bad.offset);
    lostLines = scan.lineCount - bad.line + 1;
    lock.assertHeld();
    appendDurable(paths.broken, Buffer.concat([rest, rest[rest.length - 1] === 0x0a ? Buffer.alloc(0) : Buffer.from('\n')]));
    movedTo = paths.broken;
    notes.push(`${paths.log}:${bad.line}: ${'message' in bad ? bad.message : bad.reason}`);
  }
  let checkpointMovedTo: string | null = null;
  let checkpointRecords: RepairReport['lost']['checkpointRecords'] = null;
  if (!curUsable && cur.error !== null) {
    const damaged = readFileOrNull(paths.checkpoint)?.toString('utf8') ?? '';
    const held = lostFromCheckpoint(damaged, cp?.state ?? emptyState());
    // Records after the base that the log does not hold were only in the damaged checkpoint.
    const to = held.seq !== null ? Math.min(held.seq, (scan.firstPendingSeq ?? Infinity) - 1) : null;
    if (to !== null && to > baseSeq) checkpointRecords = { from: baseSeq + 1, to, held, summary: describeLost(held) };
    // Moved aside so writeCheckpointFile does not link this broken file over the good prev.
    fs.renameSync(paths.checkpoint, paths.brokenCheckpoint);
    fsyncDir(paths.dir);
    checkpointMovedTo = paths.brokenCheckpoint;
  }
  // Seq never goes back: numbers used by lost records are not reused either.
  const newSeq = Math.max(baseSeq, scan.maxSeq, checkpointRecords?.to ?? 0, maxSeqIn(bad ? logBuf.subarray(bad.offset) : Buffer.alloc(0)));
  lock.assertHeld();
  await writeCheckpointFile(paths, serializeCheckpointBytes(newSeq, state, lock.epoch), () => lock.assertHeld());
  lock.assertHeld();
  const fd = fs.openSync(paths.log, 'a+');
  try {
    fs.ftruncateSync(fd, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return {
    changed: true,
    base,
    baseSeq,
    kept: keptOf(scan),
    lost: { lines: lostLines, fromLine: bad?.line ?? null, movedTo, gaps: scan.gaps, checkpointMovedTo, checkpointRecords },
    newCheckpointSeq: newSeq,
    notes,
  };
}

function keptOf(scan: ScanResult): RepairReport['kept'] {
  return { records: scan.pending, fromSeq: scan.firstPendingSeq, toSeq: scan.lastPendingSeq };
}

/** Best-effort seq numbers in unusable log text (sorted keys put `"seq":N}` at each line's end). */
function maxSeqIn(buf: Buffer): number {
  let max = 0;
  for (const m of buf.toString('utf8').matchAll(/"seq":(\d+)\}$/gm)) max = Math.max(max, Number(m[1]));
  return Number.isSafeInteger(max) ? max : 0;
}
