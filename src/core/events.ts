import type { BackendState, Json, Meta, Task } from './types.js';

/**
 * Every state change is one of these events. Each is a *full idempotent upsert*
 * (docs/architecture.md, Durability):
 * applying an event twice leaves the same state as applying it once, so replaying the redo log
 * after a crash can never regress or double-apply anything.
 */
export type FanoEvent =
  | { type: 'task.put'; task: Task }
  /** Drops terminal tasks from the checkpoint once they are written to state/archive/. */
  | { type: 'task.drop'; keys: string[] }
  | { type: 'backend.put'; name: string; backend: BackendState }
  | { type: 'module.put'; module: string; collection: string; id: string; doc: Json }
  | { type: 'module.del'; module: string; collection: string; id: string }
  | MetaPut;

/** One `meta.put` per key of Meta, each with that key's value type. */
export type MetaPut = { [K in keyof Meta]-?: { type: 'meta.put'; key: K; value: NonNullable<Meta[K]> | (null extends Meta[K] ? null : never) } }[keyof Meta];

/**
 * One line of state/log.jsonl. All events of a record apply together or not at all (a record is
 * one line with one CRC), which is how a task's result and its completion land atomically.
 */
export interface LogRecord {
  seq: number;
  at: string;
  events: FanoEvent[];
}
