import { applyEvents } from '../core/reducer.js';
import { validateState } from '../core/state-validate.js';
import { emptyState } from '../core/types.js';
import type { FanoState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { readCheckpointFile } from './checkpoint-file.js';
import { exists, readFileOrNull } from './fsync.js';
import { decodeBytes } from './log-codec.js';
import { scanLog } from './log-scan.js';
import type { RecordHeader, ScanResult } from './log-scan.js';
import type { StatePaths } from './paths.js';

export interface LoadedState {
  state: FanoState;
  checkpointSeq: number;
  /** Highest seq seen (checkpoint or log): the next record gets seq + 1, never a reused number. */
  seq: number;
  replayed: number;
  scan: ScanResult;
  /** Whether checkpoint.json existed (false for a fresh home). */
  hadCheckpoint: boolean;
}

/**
 * Reads checkpoint + log and folds them, without writing anything. Throws StateCorruptError for
 * anything a crash cannot explain; a torn last record is returned in `scan.torn` for the caller to
 * repair (writable open) or ignore (read-only).
 *
 * The log is read BEFORE the checkpoint: a lock-free reader racing a checkpoint then sees either
 * the full log (with any checkpoint, old or new) or the truncated log with the new checkpoint,
 * because the writer renames the checkpoint before it truncates the log. The other order could
 * pair the old checkpoint with the truncated log and report records as missing.
 */
export function loadFromDisk(paths: StatePaths): LoadedState {
  const logBuf = readFileOrNull(paths.log) ?? Buffer.alloc(0);
  const cp = readCheckpointFile(paths.checkpoint);
  if (cp === null && exists(paths.prev)) {
    throw new StateCorruptError(
      `${paths.checkpoint} is missing but ${paths.prev} exists (a checkpoint was deleted); the state was not changed, run \`fano repair\``,
      paths.checkpoint,
    );
  }
  const checkpointSeq = cp?.lastSeq ?? 0;
  const state = cp?.state ?? emptyState();
  const corrupt = (line: number, message: string): StateCorruptError =>
    new StateCorruptError(`${paths.log}:${line}: ${message}; the state was not changed, run \`fano repair\``, paths.log, line);
  // Replay in seq order through the one reducer. Records are full upserts (docs/architecture.md), so
  // records with seq <= checkpointSeq are skipped and nothing can regress, and of the pending ones
  // only a record that is the LAST writer of some state entry can affect the folded state: the
  // scan checks every record's CRC and seq without parsing its events, and only those records
  // are parsed and applied, still in seq order (a record applied for one entry may also write
  // entries a later record overwrites; that later record is applied after it). Records without a
  // `keys` member (older logs) are always applied.
  const headers: RecordHeader[] = [];
  const scan = scanLog(logBuf, checkpointSeq, { validate: false, lazy: true, baseEpoch: cp?.epoch ?? 0 }, undefined, (h) => headers.push(h));
  if (scan.problem) throw corrupt(scan.problem.line, scan.problem.message);
  const lastWriter = new Map<string, number>();
  headers.forEach((h, i) => h.keys?.forEach((k) => lastWriter.set(k, i)));
  headers.forEach((h, i) => {
    if (h.keys !== null && !h.keys.some((k) => lastWriter.get(k) === i)) return;
    const dec = decodeBytes(logBuf, h.start, h.end, { validate: false });
    if (!dec.ok) throw corrupt(h.line, dec.reason);
    applyEvents(state, dec.record.events);
  });
  if (scan.pending > 0) {
    // One check of the folded state instead of one per event (see DecodeOptions.validate); only
    // when it fails is the log read again checking every event, to name the line.
    const problem = validateState(state, 'state after replay');
    if (problem) {
      const strict = scanLog(logBuf, checkpointSeq, { validate: true, baseEpoch: cp?.epoch ?? 0 });
      if (strict.problem) throw corrupt(strict.problem.line, strict.problem.message);
      throw new StateCorruptError(`${paths.log}: ${problem}; the state was not changed, run \`fano repair\``, paths.log);
    }
  }
  return { state, checkpointSeq, seq: Math.max(checkpointSeq, scan.maxSeq), replayed: scan.pending, scan, hadCheckpoint: cp !== null };
}
