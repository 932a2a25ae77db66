import type { LogRecord } from '../core/events.js';
import { decodeBytes, decodeHeader } from './log-codec.js';

/**
 * Reads state/log.jsonl bytes record by record, classifying what it finds (no I/O here, so load,
 * verify and repair share one reading of the rules):
 *  - a bad LAST line (torn write, bad CRC, or no trailing newline) is the trace of a crash: `torn`;
 *  - a bad line before the last, a CRC-valid line with invalid content, a seq that does not
 *    increase, or a missing seq after the checkpoint is corruption: `problem`.
 * The scan stops at the first bad line: the pending records handed to `onRecord` are the good
 * ones before it, which is exactly what repair keeps.
 *
 * Records are streamed to `onRecord` rather than collected: holding 100k parsed records until the
 * end of the scan pushes them all into the old generation and doubles the replay time in GC.
 */

export interface ScanOptions {
  /**
   * Repair mode: a jump in seq (records lost, e.g. replaying from checkpoint.prev.json after the
   * log was rotated) is recorded in `gaps` instead of being a problem.
   */
  allowGaps?: boolean;
  /** Check each event's shape (default true); see DecodeOptions.validate. */
  validate?: boolean;
  /**
   * Check records without parsing their events (see decodeHeader) and hand `onHeader` where each
   * pending one is; `onRecord` is not called. The loader uses it to parse only last writers.
   */
  lazy?: boolean;
  /** The checkpoint's epoch: a record written under a lower one is a fenced-out holder's. */
  baseEpoch?: number;
}

/** A pending record found by a lazy scan: buf[start, end) is its line, `keys` what it writes. */
export interface RecordHeader {
  seq: number;
  keys: string[] | null;
  start: number;
  end: number;
  line: number;
}

export interface ScanResult {
  /** Good records with seq > baseSeq (handed to onRecord, in file order = seq order). */
  pending: number;
  firstPendingSeq: number | null;
  lastPendingSeq: number | null;
  /** Good records with seq <= baseSeq: the trace of a crash between checkpoint rename and truncate. */
  skipped: number;
  /** Highest seq among good records, or baseSeq. */
  maxSeq: number;
  /** Byte offset just after the last good line (where a repaired log is truncated to). */
  goodEnd: number;
  /** Number of complete-or-partial lines in the file. */
  lineCount: number;
  torn: { line: number; reason: string; offset: number } | null;
  problem: { line: number; message: string; offset: number } | null;
  gaps: { from: number; to: number }[];
  /**
   * Records a holder appended after it had lost the tick lock: their epoch is below the
   * checkpoint's or a preceding record's (store/lock.ts). Skipped, never applied, never corruption.
   */
  fenced: { line: number; seq: number; ep: number }[];
  /** Highest epoch seen (checkpoint or good records). */
  maxEpoch: number;
}

export type OnRecord = (record: LogRecord, line: number) => void;

export function scanLog(buf: Buffer, baseSeq: number, opts: ScanOptions = {}, onRecord?: OnRecord, onHeader?: (h: RecordHeader) => void): ScanResult {
  const res: ScanResult = {
    pending: 0,
    firstPendingSeq: null,
    lastPendingSeq: null,
    skipped: 0,
    maxSeq: baseSeq,
    goodEnd: 0,
    lineCount: 0,
    torn: null,
    problem: null,
    gaps: [],
    fenced: [],
    maxEpoch: opts.baseEpoch ?? 0,
  };
  const decodeOpts = { validate: opts.validate !== false };
  let prevSeq = -1; // seq of the previous good line (any, pending or skipped)
  let expected = baseSeq + 1; // the next pending seq when nothing is lost
  let start = 0;
  let lineNo = 0;
  let badReason: string | null = null;
  let tornCandidate = false;
  while (start < buf.length) {
    lineNo += 1;
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      badReason = 'last line has no trailing newline (interrupted write)';
      tornCandidate = true;
      break;
    }
    const dec = opts.lazy ? decodeHeader(buf, start, nl) : decodeBytes(buf, start, nl, decodeOpts);
    if (!dec.ok) {
      badReason = dec.reason;
      tornCandidate = dec.torn;
      break;
    }
    const seq = 'record' in dec ? dec.record.seq : dec.seq;
    if (dec.ep < res.maxEpoch) {
      res.fenced.push({ line: lineNo, seq, ep: dec.ep });
      start = nl + 1;
      res.goodEnd = start;
      continue;
    }
    res.maxEpoch = dec.ep;
    if (seq <= prevSeq) {
      badReason = `seq ${seq} does not increase (previous record has seq ${prevSeq})`;
      break;
    }
    if (seq > baseSeq) {
      if (seq !== expected) {
        if (!opts.allowGaps) {
          badReason = `seq ${seq} follows seq ${expected - 1}: records ${expected}..${seq - 1} are missing`;
          break;
        }
        res.gaps.push({ from: expected, to: seq - 1 });
      }
      res.pending += 1;
      res.firstPendingSeq ??= seq;
      res.lastPendingSeq = seq;
      expected = seq + 1;
      if ('record' in dec) onRecord?.(dec.record, lineNo);
      else onHeader?.({ seq, keys: dec.keys, start, end: nl, line: lineNo });
    } else {
      res.skipped += 1;
    }
    prevSeq = seq;
    if (seq > res.maxSeq) res.maxSeq = seq;
    start = nl + 1;
    res.goodEnd = start;
  }
  if (badReason === null) {
    res.lineCount = lineNo;
    return res;
  }
  res.lineCount = countLines(buf);
  const isLast = lineNo === res.lineCount;
  if (isLast && tornCandidate) res.torn = { line: lineNo, reason: badReason, offset: start };
  else res.problem = { line: lineNo, message: badReason, offset: start };
  return res;
}

function countLines(buf: Buffer): number {
  let n = 0;
  let i = -1;
  while ((i = buf.indexOf(0x0a, i + 1)) >= 0) n += 1;
  return buf.length > 0 && buf[buf.length - 1] !== 0x0a ? n + 1 : n;
}
