import fs from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { crashPoint } from '../crash.js';
import { validateState } from '../core/state-validate.js';
import type { FanoState } from '../core/types.js';
import { StateCorruptError } from '../errors.js';
import { deferTaskBytes } from './checkpoint-serialize.js';
export { serializeCheckpoint, serializeCheckpointBytes } from './checkpoint-serialize.js';
import { fsyncDir, readFileOrNull } from './fsync.js';
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
 *  2. write-file-atomic writes + fsyncs `checkpoint.json.<n>` and renames it onto checkpoint.json;
 *  3. fsync state/ so the rename survives a power loss.
 * A crash anywhere leaves checkpoint.json either old or new (never partial) and the log intact.
 */
export async function writeCheckpointFile(paths: StatePaths, data: Buffer | string, guard?: () => void): Promise<void> {
  if (fs.existsSync(paths.checkpoint)) {
    fs.rmSync(paths.prevTmp, { force: true });
    try {
      fs.linkSync(paths.checkpoint, paths.prevTmp);
    } catch {
      // Filesystems without hard links: a copy is as good, it just costs the bytes.
      fs.copyFileSync(paths.checkpoint, paths.prevTmp);
      const fd = fs.openSync(paths.prevTmp, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fs.renameSync(paths.prevTmp, paths.prev);
    fsyncDir(paths.dir);
  }
  await writeFileAtomic(paths.checkpoint, data, {
    fsync: true,
    // Called once the temp file exists: a kill here leaves an orphan temp file (removed at the
    // next locked start) and the old checkpoint in place.
    // `guard` may throw to abort (write-file-atomic then deletes the temp file).
    tmpfileCreated: () => {
      guard?.();
      crashPoint('checkpoint.before-rename');
    },
  });
  fsyncDir(paths.dir);
  crashPoint('checkpoint.after-rename');
}
