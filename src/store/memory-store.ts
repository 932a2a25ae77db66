import type { FanoEvent, LogRecord } from '../core/events.js';
import { applyEvents } from '../core/reducer.js';
import { emptyState, type FanoState } from '../core/types.js';
import { selectArchivable } from './archive.js';
import { encodeRecord } from './log-codec.js';
import type { LoadReport, Store } from './store.js';

/**
 * A Store that keeps its redo log in memory: the tick's unit tests and the simulator run the real
 * tick loop on it. Records are encoded exactly as the file store encodes them (validation, JSON
 * round trip), so an event the file store would refuse is refused here too; nothing is written.
 */
export interface MemoryStore extends Store {
  /** Every record appended since the store was made (the redo log, never truncated). */
  readonly records: readonly LogRecord[];
  /** Tasks the archive removed from the state, in order. */
  readonly archived: readonly string[];
  /** Makes the next appends throw this error (a lost lock, a full disk) until cleared with null. */
  failAppends(err: Error | null): void;
}

/** `keepRecords: false`: `records` stays empty (the simulator appends for days and reads none back). */
export function createMemoryStore(opts: { home?: string; state?: FanoState; now?: () => Date; keepRecords?: boolean } = {}): MemoryStore {
  return new MemStore(opts.home ?? '<memory>', opts.state ?? emptyState(), opts.now ?? (() => new Date(0)), opts.keepRecords ?? true);
}

class MemStore implements MemoryStore {
  readonly records: LogRecord[] = [];
  readonly archived: string[] = [];
  readonly report: LoadReport = { checkpointSeq: 0, replayed: 0, skipped: 0, tornTail: null, orphansRemoved: [], fenced: [], foreignRemoved: [] };
  readonly lockCompromised = false;
  readonly epoch = 0;
  seq = 0;
  checkpointSeq = 0;
  private closed = false;
  private failure: Error | null = null;

  constructor(
    readonly home: string,
    readonly state: FanoState,
    private readonly now: () => Date,
    private readonly keepRecords: boolean,
  ) {}

  /** Nothing to fence in memory; a failure set with failAppends stands for a lost lock too. */
  fence(): void {
    if (this.closed) throw new Error('store is closed');
    if (this.failure) throw this.failure;
  }

  failAppends(err: Error | null): void {
    this.failure = err;
  }

  // async: a throw from appendNow becomes a rejection, as with the file store.
  async append(events: FanoEvent[], at: Date): Promise<LogRecord> {
    return this.appendNow(events, at);
  }

  private appendNow(events: FanoEvent[], at: Date): LogRecord {
    if (this.closed) throw new Error('store is closed');
    if (this.failure) throw this.failure;
    const { record } = encodeRecord(this.seq + 1, at.toISOString(), events);
    this.seq = record.seq;
    if (this.keepRecords) this.records.push(record);
    applyEvents(this.state, record.events);
    return record;
  }

  async checkpoint(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    this.checkpointSeq = this.seq;
  }

  async archive(cutoff: Date): Promise<number> {
    const tasks = selectArchivable(this.state, cutoff);
    if (tasks.length === 0) return 0;
    this.appendNow([{ type: 'task.drop', keys: tasks.map((t) => t.key) }], this.now());
    this.archived.push(...tasks.map((t) => t.key));
    return tasks.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
