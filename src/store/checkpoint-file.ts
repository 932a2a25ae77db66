import fs from 'node:fs';
import path from 'node:path';
import { crashPoint } from '../crash.js';
import { validateState } from '../core/state-validate.js';
import type { FanoState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { deferTaskBytes } from './checkpoint-serialize.js';
export { serializeCheckpoint, serializeCheckpointBytes } from './checkpoint-serialize.js';
import { fsyncDir, onFile, readFileOrNull } from './fsync.js';
import type { StatePaths } from './paths.js';

/**
 * state/checkpoint.json = stableStringify({ lastSeq, state }): sorted keys, 2-space indent,
 * trailing newline; the same state always gives the same bytes.
 */

export interface Checkpoint {
  /** The epoch of the lock holder that wrote it (0 for older checkpoints); see store/lock.ts. */
  epoch: number;
  lastSeq: number;
  state: FanoState;
}

type Obj = Record<string, unknown>;

/** Line (1-based) of a JSON.parse error position, when V8's message names one. */
function errorLine(text: string, err: Error): number | undefined {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return undefined;
  const pos = Number(m[1]);
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/** Parses and validates a checkpoint's bytes; throws StateCorruptError naming the file. */
export function parseCheckpoint(data: Buffer | string, file: string): Checkpoint {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const text = typeof data === 'string' ? data : data.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const line = errorLine(text, e as Error);
    throw new StateCorruptError(
      `${file}${line ? `:${line}` : ''}: checkpoint is not valid JSON (${(e as Error).message}); the state was not changed, run \`fano repair\``,
      file,
      line,
    );
  }
  const r = raw as Obj;
  const lastSeq = r?.lastSeq;
  const problem =
    raw === null || typeof raw !== 'object' || Array.isArray(raw)
      ? 'expected an object { lastSeq, state }'
      : !Number.isSafeInteger(lastSeq) || (lastSeq as number) < 0
        ? 'lastSeq: expected a non-negative integer'
        : r.epoch !== undefined && (!Number.isSafeInteger(r.epoch) || (r.epoch as number) < 0)
          ? 'epoch: expected a non-negative integer'
          : validateState(r.state);
  if (problem) {
    throw new StateCorruptError(`${file}: invalid checkpoint: ${problem}; the state was not changed, run \`fano repair\``, file);
  }
  const state = r.state as FanoState;
  deferTaskBytes(buf, state.tasks);
  return { epoch: (r.epoch as number | undefined) ?? 0, lastSeq: lastSeq as number, state };
}

/** The checkpoint at `file`, or null when the file does not exist. */
export function readCheckpointFile(file: string): Checkpoint | null {
  let buf: Buffer | null;
  try {
    buf = readFileOrNull(file);
  } catch (e) {
    throw new StateCorruptError(`${file}: cannot read the checkpoint (${(e as Error).message}); run \`fano repair\``, file);
  }
  return buf === null ? null : parseCheckpoint(buf, file);
}

/**
 * Replaces checkpoint.json with `data`, durably, keeping the current one as checkpoint.prev.json.
 *
 * Ordering (each step durable before the next), so that at every instant either checkpoint.json
 * alone, or checkpoint.prev.json + the log, rebuilds the state (the caller truncates the log only
 * after this returns):
 *  1. hard-link checkpoint.json to checkpoint.prev.json.tmp, rename it onto checkpoint.prev.json,
 *     fsync state/: prev is now the old checkpoint, checkpoint.json is untouched;
 *  2. write + fsync a temp file beside it; `guard` (the lock check) runs right before the rename;
 *  3. rename it onto checkpoint.json, fsync state/ so the rename survives a power loss.
 * A crash anywhere leaves checkpoint.json either old or new (never partial) and the log intact.
 *
 * `guard` runs again after the rename: a process stopped between its check and its rename (SIGSTOP,
 * a blocked event loop) may have replaced the checkpoint of the holder that took the lock over.
 * The file it replaced was linked aside before the rename and is put back at once, unless the new
 * holder has already renamed its own over ours.
 */
export async function writeCheckpointFile(paths: StatePaths, data: Buffer | string, guard?: () => void): Promise<void> {
  if (fs.existsSync(paths.checkpoint)) {
    fs.rmSync(paths.prevTmp, { force: true });
    linkOrCopy(paths.checkpoint, paths.prevTmp);
    fs.renameSync(paths.prevTmp, paths.prev);
    fsyncDir(paths.dir);
  }
  const tmp = path.join(paths.dir, `.checkpoint.json.${process.pid}.${tmpCounter++}.tmp`);
  const aside = `${tmp}.aside.tmp`;
  let ino: number;
  try {
    onFile(paths.checkpoint, () => {
      const fd = fs.openSync(tmp, 'wx');
      try {
        const buf = typeof data === 'string' ? Buffer.from(data) : data;
        let off = 0;
        while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
        fs.fsyncSync(fd);
        ino = fs.fstatSync(fd).ino;
      } finally {
        fs.closeSync(fd);
      }
    });
    // A kill here leaves an orphan temp file (removed at the next locked start) and the old
    // checkpoint in place. `guard` may throw to abort.
    crashPoint('checkpoint.before-rename');
    guard?.();
    if (guard) linkAside(paths.checkpoint, aside);
    fs.renameSync(tmp, paths.checkpoint);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(aside, { force: true });
    throw e;
  }
  fsyncDir(paths.dir);
  try {
    guard?.();
  } catch (e) {
    putBack(paths, aside, ino!);
    throw e;
  }
  fs.rmSync(aside, { force: true });
  crashPoint('checkpoint.after-rename');
}

let tmpCounter = 0;

function linkAside(file: string, aside: string): void {
  try {
    fs.linkSync(file, aside);
  } catch {
    // No checkpoint yet, or no hard links on this filesystem: nothing to put back.
  }
}

/** After a lost lock: the checkpoint we replaced goes back, if ours is still the one in place. */
function putBack(paths: StatePaths, aside: string, ino: number): void {
  try {
    if (fs.existsSync(aside) && fs.statSync(paths.checkpoint).ino === ino) {
      fs.renameSync(aside, paths.checkpoint);
      fsyncDir(paths.dir);
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    // Filesystems without hard links: a copy is as good, it just costs the bytes.
    fs.copyFileSync(from, to);
    const fd = fs.openSync(to, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
