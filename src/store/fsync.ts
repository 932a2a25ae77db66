import fs from 'node:fs';
import path from 'node:path';
import { onFile } from '../errors.js';
export { nameFile, onFile } from '../errors.js';

/**
 * Durability helpers. A rename or a new directory entry is only durable once the *directory* is
 * fsynced; write-file-atomic fsyncs the file but not the directory, so every rename here is
 * followed by fsyncDir.
 */
export function fsyncDir(dir: string): void {
  onFile(dir, () => {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Appends bytes to a file and fsyncs it. If the file's last byte is not a newline (a line torn by
 * a crash), a newline is written first so the new text never glues onto the torn line.
 */
export function appendDurable(file: string, data: string | Buffer): void {
  onFile(file, () => appendNow(file, data));
}

function appendNow(file: string, data: string | Buffer): void {
  const fd = fs.openSync(file, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) fs.writeSync(fd, '\n');
    }
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    fs.writeSync(fd, buf);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `text` atomically and durably: a temp file beside it (fsynced), rename,
 * directory fsync. A SIGKILL at any instant leaves the old file or the new one. The hooks let a
 * caller put crash points between the steps.
 */
export function writeFileDurable(file: string, text: string | Uint8Array, hooks: { beforeRename?: () => void; afterRename?: () => void } = {}): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  onFile(file, () => {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
      fs.fsyncSync(fd);
    } catch (e) {
      // A full disk leaves no half-written temp file behind.
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
  });
  hooks.beforeRename?.();
  fs.renameSync(tmp, file);
  fsyncDir(dir);
  hooks.afterRename?.();
}

export function readTextOrNull(file: string): string | null {
  return readFileOrNull(file)?.toString('utf8') ?? null;
}

export function readFileOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
