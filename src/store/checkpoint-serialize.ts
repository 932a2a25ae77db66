import { randomUUID } from 'node:crypto';
import type { FanoState, Task } from '../core/types.js';

/**
 * Serialization of checkpoint.json, byte-identical to stableStringify({ lastSeq, state }) for
 * every state the store builds (a property test checks), but several times cheaper on 10,000
 * tasks:
 *
 * 1. Leaves are already deep-sorted. Tasks, backend states, module documents and meta values
 *    only ever come from JSON.parse of sorted text (the checkpoint, or the log line `append` just
 *    wrote), so only the maps the reducer inserts into need sorting; V8's native JSON.stringify
 *    does the rest, with no deep copy.
 * 2. Unchanged tasks are not serialized again. The reducer replaces a task object on every
 *    change and never mutates one, so a task object found in the loaded checkpoint still has the
 *    bytes it had there: rememberTaskBytes records each task's entry (a zero-copy slice of the
 *    file's buffer) and serialization copies it. Tasks serialized here are remembered too.
 * 3. The output is assembled as one Buffer (one copy of the bytes, no string flattening and no
 *    second UTF-8 encoding in the writer).
 *
 * Invariant this relies on: nobody mutates `store.state` in place (the Store says so). A
 * hand-edited checkpoint whose task entries keep the canonical outline but not the canonical
 * inner layout keeps that layout for each such task until the task next changes.
 */

/** A task's whole entry inside checkpoint.json: `      "<key>": {\n ... \n      }`. */
const TASK_ENTRY = new WeakMap<Task, Buffer>();
const TASK_BASE_INDENT = '      ';
const TASKS_OPEN = Buffer.from('\n    "tasks": {\n');
const TASKS_CLOSE = '\n    }';
const TASKS_CLOSE_BYTES = Buffer.from(TASKS_CLOSE);
const ENTRY_START = Buffer.from(`${TASK_BASE_INDENT}"`);
const ENTRY_CLOSE = Buffer.from(`\n${TASK_BASE_INDENT}}`);
const ENTRY_SEP = Buffer.from(',\n');

type Obj = Record<string, unknown>;

function sortedShallow(o: object, inner?: (v: unknown) => unknown): Obj {
  const src = new Map<string, unknown>(Object.entries(o));
  const out: Obj = {};
  for (const k of [...src.keys()].sort()) {
    const v = src.get(k);
    if (v !== undefined) out[k] = inner ? inner(v) : v;
  }
  return out;
}

function taskEntry(key: string, task: Task): Buffer {
  let entry = TASK_ENTRY.get(task);
  if (entry === undefined) {
    const body = JSON.stringify(task, null, 2).replaceAll('\n', '\n' + TASK_BASE_INDENT);
    entry = Buffer.from(`${TASK_BASE_INDENT}${JSON.stringify(key)}: ${body}`);
    TASK_ENTRY.set(task, entry);
  }
  return entry;
}

/**
 * Loaded checkpoints whose task bytes have not been indexed yet. Indexing is deferred to the
 * first serialization: an idle tick loads the checkpoint but never writes one, and walking 10,000
 * entries (plus the garbage it makes) was a third of such a tick's time.
 */
const PENDING = new WeakMap<Record<string, Task>, { buf: Buffer; original: Record<string, Task> }>();

/**
 * Remembers `buf` as the source of `tasks` (a just-parsed checkpoint's map). The map itself is
 * mutated by the reducer later, so the task objects as loaded are kept aside: only those (never a
 * replacement under the same key) are matched to their old bytes.
 */
export function deferTaskBytes(buf: Buffer, tasks: Record<string, Task>): void {
  PENDING.set(tasks, { buf, original: { ...tasks } });
}

/** `epoch` (the writing lock holder's, store/lock.ts) is the first member when > 0. */
export function serializeCheckpointBytes(lastSeq: number, state: FanoState, epoch = 0): Buffer {
  const pending = PENDING.get(state.tasks);
  if (pending) {
    PENDING.delete(state.tasks);
    rememberTaskBytes(pending.buf, pending.original);
  }
  // Key order of a fresh object filled in sorted order: what stableStringify produces, including
  // V8's rule that integer-like keys come first in numeric order.
  const tasks = sortedShallow(state.tasks) as Record<string, Task>;
  const keys = Object.keys(tasks);
  const marker = `\u0000${randomUUID()}\u0000`;
  const modules = sortedShallow(state.modules, (m) => sortedShallow(m as Obj, (c) => sortedShallow(c as Obj)));
  const top = sortedShallow({
    ...state,
    tasks: keys.length === 0 ? {} : marker,
    backends: sortedShallow(state.backends),
    modules,
    meta: sortedShallow(state.meta),
  });
  const text = JSON.stringify(epoch > 0 ? { epoch, lastSeq, state: top } : { lastSeq, state: top }, null, 2) + '\n';
  if (keys.length === 0) return Buffer.from(text);
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  const parts: Buffer[] = [Buffer.from(`${text.slice(0, at)}{\n`)];
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) parts.push(ENTRY_SEP);
    const k = keys[i]!;
    parts.push(taskEntry(k, tasks[k]!));
  }
  parts.push(Buffer.from(TASKS_CLOSE + text.slice(at + quoted.length)));
  return Buffer.concat(parts);
}

export function serializeCheckpoint(lastSeq: number, state: FanoState, epoch = 0): string {
  return serializeCheckpointBytes(lastSeq, state, epoch).toString('utf8');
}

/**
 * Records the bytes of every task entry of a just-parsed checkpoint, so an unchanged task is
 * copied, not re-serialized, by the next checkpoint. Walks the canonical outline only; on
 * anything unexpected (a hand-formatted file) it records nothing, and serialization does the
 * work itself. Uses Buffer.indexOf (memmem), several times faster than String#indexOf here.
 */
export function rememberTaskBytes(buf: Buffer, tasks: Record<string, Task>): void {
  const open = buf.indexOf(TASKS_OPEN);
  if (open < 0) return;
  const found: [Task, Buffer][] = [];
  let pos = open + TASKS_OPEN.length;
  for (;;) {
    if (buf.compare(ENTRY_START, 0, ENTRY_START.length, pos, pos + ENTRY_START.length) !== 0) return;
    const keyStart = pos + TASK_BASE_INDENT.length;
    const keyEnd = endOfJsonString(buf, keyStart);
    if (keyEnd < 0 || buf[keyEnd] !== 0x3a || buf[keyEnd + 1] !== 0x20 || buf[keyEnd + 2] !== 0x7b) return; // `: {`
    let key: string;
    try {
      key = JSON.parse(buf.toString('utf8', keyStart, keyEnd)) as string;
    } catch {
      return;
    }
    const task = tasks[key];
    const close = buf.indexOf(ENTRY_CLOSE, keyEnd);
    if (task === undefined || close < 0) return;
    const end = close + ENTRY_CLOSE.length;
    found.push([task, buf.subarray(pos, end)]);
    if (buf[end] === 0x2c && buf[end + 1] === 0x0a) pos = end + 2;
    else if (buf.compare(TASKS_CLOSE_BYTES, 0, TASKS_CLOSE_BYTES.length, end, end + TASKS_CLOSE_BYTES.length) === 0) break;
    else return;
  }
  // Every task accounted for, in order: the walk followed the real structure.
  if (found.length !== Object.keys(tasks).length) return;
  for (const [task, entry] of found) TASK_ENTRY.set(task, entry);
}

/** Index just after the closing quote of the JSON string starting at `start` (a quote), or -1. */
function endOfJsonString(buf: Buffer, start: number): number {
  for (let i = start + 1; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x5c)
      i++; // backslash: skip the escaped byte
    else if (c === 0x22) return i + 1;
    else if (c === 0x0a) return -1;
  }
  return -1;
}
