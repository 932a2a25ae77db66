import fs from 'node:fs';
import path from 'node:path';
import { crashPoint } from '../crash.js';
import type { FanoEvent, LogRecord } from '../core/events.js';
import { applyEvents } from '../core/reducer.js';
import type { FanoState } from '../core/types.js';
import { LockCompromisedError } from '../errors.js';
import { appendToArchive, selectArchivable } from './archive.js';
import { serializeCheckpointBytes, writeCheckpointFile } from './checkpoint-file.js';
import { appendDurable, fsyncDir, nameFile, onFile } from './fsync.js';
import { loadFromDisk } from './load.js';
import type { LoadedState } from './load.js';
import { DEFAULT_LOCK_STALE_MS, acquireStateLock } from './lock.js';
import type { StateLock } from './lock.js';
import { encodeRecord, highestEpoch } from './log-codec.js';
import { STATE_GITIGNORE, isOrphanTemp, statePaths } from './paths.js';
import { createStateFile, ensureDirDurable } from './state-files.js';
import { assertInsideHome } from './home-guard.js';
import type { StatePaths } from './paths.js';

export { STATE_GITIGNORE } from './paths.js';
export { readArchive } from './archive.js';
export type { ArchiveContents } from './archive.js';
export { verifyStore } from './verify.js';
export type { VerifyReport } from './verify.js';
export { repairStore } from './repair.js';
export type { RepairReport } from './repair.js';

export { DEFAULT_LOCK_STALE_MS } from './lock.js';

export interface OpenStoreOptions {
  /** No lock, no clean-up, no repair: for status/top. Writes throw. */
  readOnly?: boolean;
  /** `tick.lockStaleSeconds * 1000`; at least 2000. */
  lockStaleMs?: number;
  now?: () => Date;
}

export interface LoadReport {
  checkpointSeq: number;
  replayed: number;
  /** Records with seq <= checkpointSeq found in the log (a crash between rename and truncate). */
  skipped: number;
  /** A torn last record moved to log.broken.jsonl (movedTo null in read-only mode: left as is). */
  tornTail: { line: number; reason: string; movedTo: string | null } | null;
  orphansRemoved: string[];
  /** Log records a holder wrote after losing the lock (lower epoch): skipped by the replay. */
  fenced: { line: number; seq: number; ep: number }[];
  /**
   * Bytes another process appended to the log while this store held the lock (a fenced-out
   * holder's write that raced its last check): moved to log.broken.jsonl, never replayed.
   */
  foreignRemoved: { bytes: number; movedTo: string }[];
}

export interface Store {
  readonly home: string;
  /** Read-only view: change it only through append(), or the log and the state disagree. */
  readonly state: FanoState;
  /** Seq of the last record written (or seen). */
  readonly seq: number;
  readonly checkpointSeq: number;
  readonly report: LoadReport;
  readonly lockCompromised: boolean;
  /** The lock holder's epoch, written into every record and checkpoint (store/lock.ts). */
  readonly epoch: number;
  /**
   * Proves, immediately before a write under state/ that is not a log record or a checkpoint
   * (a document patch, a projection, a seeds file), that the tick lock is still this store's;
   * throws LockCompromisedError (exit 75) when it is not, and for every later write.
   */
  fence(): void;
  /** Writes one record (all events or none), fsyncs it, then applies it to `state`. */
  append(events: FanoEvent[], at: Date): Promise<LogRecord>;
  /** Atomic checkpoint of the current state, then log rotation (truncation). */
  checkpoint(): Promise<void>;
  /** Moves terminal tasks finished before `cutoff` to state/archive/; returns how many. */
  archive(cutoff: Date): Promise<number>;
  /** Releases the lock and closes the log; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a home's state: lock (unless readOnly) → remove orphan temp files → load (checkpoint +
 * replay) → repair a torn last record. Throws StateCorruptError (65) or LockBusyError (75).
 */
export async function openStore(home: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const paths = statePaths(home);
  const now = opts.now ?? (() => new Date());
  if (opts.readOnly) {
    const loaded = loadFromDisk(paths);
    const t = loaded.scan.torn;
    return new FileStore(paths, loaded, null, null, false, now, {
      ...baseReport(loaded),
      tornTail: t ? { line: t.line, reason: t.reason, movedTo: null } : null,
    });
  }
  assertInsideHome(home, paths.dir);
  assertInsideHome(home, paths.archiveDir);
  if (!fs.existsSync(paths.dir)) {
    ensureDirDurable(paths.dir);
    createStateFile(path.join(paths.dir, '.gitignore'), STATE_GITIGNORE);
  }
  const lock = await acquireStateLock(paths, opts.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, now);
  let fd: number | null = null;
  try {
    // Only while holding the lock: another writer's temp files are not orphans.
    lock.assertHeld();
    const orphansRemoved = removeOrphans(paths.dir);
    const loaded = loadFromDisk(paths);
    if (loaded.scan.maxEpoch >= lock.epoch) {
      // Someone wrote under a newer lock after ours was taken: we are the fenced-out holder.
      throw new LockCompromisedError(
        `the tick lock ${paths.lock} was taken over while the state was loading (epoch ${loaded.scan.maxEpoch} ≥ ours, ${lock.epoch}); nothing was written`,
      );
    }
    const report: LoadReport = { ...baseReport(loaded), orphansRemoved };
    const torn = loaded.scan.torn;
    lock.assertHeld();
    if (torn) {
      // The torn bytes go to log.broken.jsonl first (fsynced), then the log is cut back to its
      // last good record: a crash in between only duplicates the text in log.broken.jsonl.
      const tornBytes = fs.readFileSync(paths.log).subarray(torn.offset);
      const nl = tornBytes[tornBytes.length - 1] === 0x0a ? Buffer.alloc(0) : Buffer.from('\n');
      appendDurable(paths.broken, Buffer.concat([tornBytes, nl]));
      truncateDurable(paths.log, loaded.scan.goodEnd);
      report.tornTail = { line: torn.line, reason: torn.reason, movedTo: paths.broken };
    }
    if (loaded.scan.pending === 0 && loaded.scan.skipped > 0) {
      // Every record is already in the checkpoint: finish the rotation a crash interrupted.
      truncateDurable(paths.log, 0);
    }
    // A missing log is created by the first record, not here: an idle tick in a fresh clone (no
    // log.jsonl committed) leaves state/ as it found it.
    if (fs.existsSync(paths.log)) fd = fs.openSync(paths.log, 'a');
    return new FileStore(paths, loaded, lock, fd, true, now, report);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    await lock.release();
    throw e;
  }
}

/** Lock-free read for status/top: never repairs, never writes; a torn tail is ignored. */
export async function readState(home: string): Promise<{ state: FanoState; checkpointSeq: number; pendingRecords: number }> {
  const loaded = loadFromDisk(statePaths(home));
  return { state: loaded.state, checkpointSeq: loaded.checkpointSeq, pendingRecords: loaded.replayed };
}

function baseReport(loaded: LoadedState): LoadReport {
  return {
    checkpointSeq: loaded.checkpointSeq,
    replayed: loaded.replayed,
    skipped: loaded.scan.skipped,
    tornTail: null,
    orphansRemoved: [],
    fenced: loaded.scan.fenced,
    foreignRemoved: [],
  };
}

function removeOrphans(dir: string): string[] {
  const removed: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!ent.isFile() || !isOrphanTemp(ent.name)) continue;
    fs.rmSync(path.join(dir, ent.name), { force: true });
    removed.push(ent.name);
  }
  if (removed.length > 0) fsyncDir(dir);
  return removed.sort();
}

function truncateDurable(file: string, size: number): void {
  onFile(file, () => {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.ftruncateSync(fd, size);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

class FileStore implements Store {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set when a failed append could not be rolled back: the log's tail is unknown, stop writing. */
  private broken: string | null = null;
  /** Set when the log shows that another holder took the lock over (see dropForeignBytes). */
  private fencedBy: string | null = null;
  private logSize: number;
  private hadCheckpoint: boolean;
  state: FanoState;
  seq: number;
  checkpointSeq: number;

  constructor(
    private readonly paths: StatePaths,
    loaded: LoadedState,
    private readonly lock: StateLock | null,
    private logFd: number | null,
    private readonly writable: boolean,
    private readonly now: () => Date,
    readonly report: LoadReport,
  ) {
    this.state = loaded.state;
    this.seq = loaded.seq;
    this.checkpointSeq = loaded.checkpointSeq;
    this.hadCheckpoint = loaded.hadCheckpoint;
    this.logSize = logFd === null ? 0 : fs.fstatSync(logFd).size;
  }

  /** The redo log, opened (created, its folder fsynced) when first needed for a write. */
  private get fd(): number | null {
    if (this.logFd === null && this.writable) {
      this.logFd = onFile(this.paths.log, () => fs.openSync(this.paths.log, 'a'));
      fsyncDir(this.paths.dir);
    }
    return this.logFd;
  }

  get home(): string {
    return this.paths.home;
  }
  get lockCompromised(): boolean {
    return this.lock?.compromised ?? false;
  }
  get epoch(): number {
    return this.lock?.epoch ?? 0;
  }
  fence(): void {
    this.assertWritable();
  }

  append(events: FanoEvent[], at: Date): Promise<LogRecord> {
    return this.serial(() => this.appendNow(events, at));
  }

  checkpoint(): Promise<void> {
    return this.serial(() => this.checkpointNow());
  }

  archive(cutoff: Date): Promise<number> {
    return this.serial(async () => {
      this.assertWritable();
      const tasks = selectArchivable(this.state, cutoff);
      if (tasks.length === 0) return 0;
      this.assertWritable();
      appendToArchive(this.paths.archiveDir, tasks);
      crashPoint('archive.appended');
      this.appendNow([{ type: 'task.drop', keys: tasks.map((t) => t.key) }], this.now());
      return tasks.length;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    if (this.logFd !== null) fs.closeSync(this.logFd);
    await this.lock?.release();
  }

  /** Appends and checkpoints never interleave (a checkpoint awaits its file write). */
  private serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private assertWritable(): void {
    if (this.closed) throw new Error('store is closed');
    if (!this.writable || this.lock === null) throw new Error('store was opened read-only');
    if (this.fencedBy) throw new LockCompromisedError(`the tick lock ${this.lock.path} was lost (${this.fencedBy}); nothing more was written`);
    this.lock.assertHeld();
    if (this.broken) throw new Error(`the redo log is in an unknown state after a failed write (${this.broken}); reopen the store`);
  }

  /**
   * The log must end where our last record ended: anything beyond was appended by another process
   * (a holder fenced out after its last lock check). It is moved to log.broken.jsonl, never kept.
   */
  private dropForeignBytes(): void {
    const fd = this.fd!;
    const size = fs.fstatSync(fd).size;
    if (size === this.logSize) return;
    if (size < this.logSize) {
      this.broken = `the log shrank from ${this.logSize} to ${size} bytes behind this process`;
      throw new Error(`${this.paths.log}: ${this.broken}`);
    }
    const extra = fs.readFileSync(this.paths.log).subarray(this.logSize, size); // our fd is write-only
    // Bytes of a later epoch mean that we are the fenced-out holder (stopped after our last lock
    // check): they are the new holder's records and must not be touched.
    const theirs = highestEpoch(extra);
    if (theirs > this.epoch) {
      this.fencedBy = `the log holds records of epoch ${theirs} (ours is ${this.epoch}): another process took it over`;
      this.assertWritable();
    }
    const nl = extra[extra.length - 1] === 0x0a ? Buffer.alloc(0) : Buffer.from('\n');
    appendDurable(this.paths.broken, Buffer.concat([extra, nl]));
    // Checked once more right before the cut, the only step that removes bytes.
    this.lock!.assertHeld();
    onFile(this.paths.log, () => {
      fs.ftruncateSync(fd, this.logSize);
      fs.fsyncSync(fd);
    });
    this.report.foreignRemoved.push({ bytes: extra.length, movedTo: this.paths.broken });
  }

  private assertHeldAfterWrite(fd: number, before: number, length: number): void {
    try {
      this.lock!.assertHeld();
    } catch (e) {
      if (fs.fstatSync(fd).size === before + length) {
        fs.ftruncateSync(fd, before);
        fs.fsyncSync(fd);
      }
      throw e;
    }
  }

  private appendNow(events: FanoEvent[], at: Date): LogRecord {
    this.assertWritable();
    this.dropForeignBytes();
    const fd = this.fd!;
    const seq = this.seq + 1;
    const { line, record } = encodeRecord(seq, at.toISOString(), events, this.epoch);
    const buf = Buffer.from(line);
    const before = fs.fstatSync(fd).size;
    try {
      let off = 0;
      while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
      fs.fsyncSync(fd);
      // A process stopped between the lock check above and this write (SIGSTOP, a blocked event
      // loop) writes after another tick took the lock over: checked again now, such a record is
      // taken back at once, while nothing follows it.
      this.assertHeldAfterWrite(fd, before, buf.length);
    } catch (e) {
      if (e instanceof LockCompromisedError) throw e;
      // Roll the log back to its last good record so a failed append (ENOSPC, EIO) never leaves
      // a partial line that a later append would bury mid-log (which load calls corruption).
      try {
        fs.ftruncateSync(fd, before);
        fs.fsyncSync(fd);
      } catch (e2) {
        this.broken = (e2 as Error).message;
      }
      throw nameFile(e, this.paths.log);
    }
    crashPoint('log.appended');
    // Only now, with the record durable, does the in-memory state move.
    this.logSize += buf.length;
    this.seq = seq;
    applyEvents(this.state, record.events);
    return record;
  }

  private async checkpointNow(): Promise<void> {
    this.assertWritable();
    const lastSeq = this.seq;
    if (!this.hadCheckpoint || lastSeq !== this.checkpointSeq) {
      const bytes = serializeCheckpointBytes(lastSeq, this.state, this.epoch);
      // Checked again right before the temp file is written: a tick that lost its lock while
      // serializing must not replace the checkpoint.
      await writeCheckpointFile(this.paths, bytes, () => this.assertWritable());
      this.checkpointSeq = lastSeq;
      this.hadCheckpoint = true;
    }
    if (this.logSize === 0) return;
    crashPoint('log.before-truncate');
    // Appends are serialized with checkpoints, so every record in the log has seq <= lastSeq.
    if (this.seq !== lastSeq) throw new Error('internal: log grew during a checkpoint');
    this.assertWritable();
    this.dropForeignBytes();
    onFile(this.paths.log, () => {
      fs.ftruncateSync(this.fd!, 0);
      fs.fsyncSync(this.fd!);
    });
    this.logSize = 0;
  }
}
