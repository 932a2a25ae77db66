import { applyEvents } from '../core/reducer.js';
import { validateState } from '../core/state-validate.js';
import { emptyState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { readCheckpointFile } from './checkpoint-file.js';
import type { Checkpoint } from './checkpoint-file.js';
import { exists, readFileOrNull } from './fsync.js';
import { scanLog } from './log-scan.js';
import { statePaths } from './paths.js';

export interface VerifyProblem {
  file: string;
  line?: number;
  message: string;
}

export interface VerifyReport {
  /** False when `fano tick` would refuse to start (exit 65): run `fano repair`. */
  ok: boolean;
  checkpointSeq: number;
  pendingRecords: number;
  /** A torn/bad last record: the normal trace of a crash, repaired by the next tick. Still ok. */
  tornTail: { line: number; reason: string } | null;
  problems: VerifyProblem[];
  /** Not failures today, but they weaken recovery (e.g. an unreadable checkpoint.prev.json). */
  warnings: string[];
}

/**
 * Reads checkpoint + log and checks everything load checks, plus the invariants of the folded
 * state, without changing a byte (no lock, no repair). Reports all it can instead of stopping at
 * the first problem: an unreadable checkpoint does not hide a corrupt log.
 */
export async function verifyStore(home: string): Promise<VerifyReport> {
  const paths = statePaths(home);
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  // Log before checkpoint, as in load: consistent while a tick checkpoints concurrently.
  const logBuf = readFileOrNull(paths.log) ?? Buffer.alloc(0);
  let cp: Checkpoint | null = null;
  let cpReadable = true;
  try {
    cp = readCheckpointFile(paths.checkpoint);
    if (cp === null && exists(paths.prev)) {
      cpReadable = false;
      problems.push({ file: paths.checkpoint, message: `missing while ${paths.prev} exists (a checkpoint was deleted)` });
    }
  } catch (e) {
    if (!(e instanceof StateCorruptError)) throw e;
    cpReadable = false;
    problems.push({ file: paths.checkpoint, ...(e.line !== undefined ? { line: e.line } : {}), message: bareMessage(e.message, paths.checkpoint) });
  }
  if (exists(paths.prev)) {
    try {
      readCheckpointFile(paths.prev);
    } catch (e) {
      if (!(e instanceof StateCorruptError)) throw e;
      warnings.push(`${paths.prev} is unreadable: repair could not fall back to it (${bareMessage(e.message, paths.prev)})`);
    }
  }
  const checkpointSeq = cp?.lastSeq ?? 0;
  // Without a readable checkpoint the log's base is unknown: check its own integrity only.
  const state = cp?.state ?? emptyState();
  const scan = scanLog(logBuf, checkpointSeq, { allowGaps: !cpReadable, baseEpoch: cp?.epoch ?? 0 }, (rec) => applyEvents(state, rec.events));
  if (scan.problem) problems.push({ file: paths.log, line: scan.problem.line, message: scan.problem.message });
  if (cpReadable && !scan.problem) {
    // The reducer keeps task.key === map key and states valid; this catches a reducer bug.
    const p = validateState(state, 'state after replay');
    if (p) problems.push({ file: paths.log, message: p });
  }
  return {
    ok: problems.length === 0,
    checkpointSeq,
    pendingRecords: scan.pending,
    tornTail: scan.torn ? { line: scan.torn.line, reason: scan.torn.reason } : null,
    problems,
    warnings,
  };
}

/**
 * A store error's message without its leading `file:line: ` and its "run `fano repair`" advice: the
 * report names the file once and gives the advice once, itself.
 */
export function bareMessage(message: string, file: string): string {
  let m = message.startsWith(file) ? message.slice(file.length).replace(/^(:\d+)?:\s*/, '') : message;
  m = m.replace(/;\s*(the state was not changed,\s*)?run `fano repair`\s*$/, '');
  return m;
}
