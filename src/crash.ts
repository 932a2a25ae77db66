/**
 * FANO_CRASH_AT=<point>[@N] makes the process SIGKILL itself the N-th time (default 1st) it passes
 * the named point, so crash recovery is tested at every step that writes. Without the variable
 * `crashPoint` is one property read and a compare.
 *
 * Points (each documented in README "Crash points"):
 *   log.appended          after a redo-log record is written and fsynced
 *   checkpoint.before-rename   the new checkpoint's temp file exists, not yet renamed
 *   checkpoint.after-rename    the new checkpoint is in place, the log not yet truncated
 *   log.before-truncate   right before the redo log is truncated (rotation)
 *   archive.appended      archive lines written, tasks not yet dropped from state
 *   llm.in-flight         an LLM request has been sent and its answer not yet applied
 *   llm.submitted         the submitted mark is logged, the answer not yet awaited
 *   document.before-rename    a document patch's temp file is written, not yet renamed
 *   document.after-rename     the patched document is in place, its outcome not yet logged
 */
export const CRASH_POINTS = [
  'log.appended',
  'checkpoint.before-rename',
  'checkpoint.after-rename',
  'log.before-truncate',
  'archive.appended',
  'llm.in-flight',
  'llm.submitted',
] as const;
/** Only a Documenter workload reaches these (test/e2e/documenter-crash.test.ts), so they are listed apart. */
export const DOCUMENT_CRASH_POINTS = ['document.before-rename', 'document.after-rename'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof DOCUMENT_CRASH_POINTS)[number];

const spec = process.env.FANO_CRASH_AT;
const [target, nth] = spec ? [spec.split('@')[0], Number(spec.split('@')[1] ?? '1')] : [undefined, 0];
let hits = 0;

export function crashPoint(point: CrashPoint): void {
  if (target !== point) return;
  hits += 1;
  if (hits === nth) process.kill(process.pid, 'SIGKILL');
}
