/**
 * The one exit-code table (README, Exit codes) and the typed errors that carry it.
 * Only bin/fano.js turns these into process.exit; everything else throws.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 64,
  corrupt: 65,
  backendNotOk: 69,
  /** EX_CANTCREAT: a file fano must write cannot be created (read-only file system, permission). */
  cannotWrite: 73,
  /**
   * EX_IOERR: a write failed for lack of room or resources (disk full, quota, I/O error, open
   * files), or a tick found less free space than state.minFreeMB and did nothing.
   */
  ioError: 74,
  lockBusy: 75,
  config: 78,
  /** Ctrl-C (SIGINT) / SIGTERM stopped a tick at a safe point: 128 + the signal's number, as a shell reports it. */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error already explained to the user: print its message and exit with its code. */
export class FanoError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Configuration invalid. `issues` each name file:line:col and the key. */
export class ConfigError extends FanoError {
  constructor(
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super(message, ExitCode.config);
  }
}
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  key: string;
  message: string;
}

/** State on disk is corrupt and was left unchanged. */
export class StateCorruptError extends FanoError {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message, ExitCode.corrupt);
  }
}

export class LockBusyError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.lockBusy);
  }
}

/** A backend answered with a non-ok outcome (fano ask). */
export class BackendNotOkError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.backendNotOk);
  }
}

/**
 * The tick lock was lost while we held it (paused past tick.lockStaleSeconds, taken over): nothing
 * more was written. A temporary failure (75, like a busy lock): the next tick resumes.
 */
export class LockCompromisedError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.lockBusy);
  }
}

/**
 * A write (or read) the environment refused: a full disk, a quota, a read-only file system, a
 * permission, too many open files. Not a bug: one line naming the file and the condition, exit 73
 * or 74. What was saved before stays intact (the store rolls back a failed append; checkpoints
 * and documents are replaced by rename, so a failed write leaves the old file).
 */
export class EnvironmentError extends FanoError {
  constructor(
    message: string,
    exitCode: ExitCodeValue,
    readonly code: string,
    readonly file: string | null,
  ) {
    super(message, exitCode);
  }
}

/**
 * The home's file system has less free space than `state.minFreeMB`: the tick checked before its
 * first write and did nothing (no lock, no LLM request). Exit 74, the code of "no room to write",
 * because that is what it prevents: a tick that starts a request it then cannot record.
 */
export class DiskLowError extends FanoError {
  constructor(message: string) {
    super(message, ExitCode.ioError);
  }
}

const CONDITIONS: Record<string, { what: string; exit: ExitCodeValue; fix: string }> = {
  ENOSPC: { what: 'no space left on the device', exit: ExitCode.ioError, fix: 'free some space, then run it again' },
  EDQUOT: { what: 'the disk quota is used up', exit: ExitCode.ioError, fix: 'free some space or raise the quota, then run it again' },
  EIO: { what: 'the device reported an I/O error', exit: ExitCode.ioError, fix: 'check the disk (dmesg), then run it again' },
  EMFILE: { what: 'too many open files in this process', exit: ExitCode.ioError, fix: 'raise the open-files limit (ulimit -n), then run it again' },
  ENFILE: { what: 'too many open files on the system', exit: ExitCode.ioError, fix: 'close other programs or raise fs.file-max, then run it again' },
  EROFS: { what: 'the file system is read-only', exit: ExitCode.cannotWrite, fix: 'make the home writable (remount read-write), then run it again' },
  EACCES: { what: 'permission denied', exit: ExitCode.cannotWrite, fix: 'give the user running fano write access to the home, then run it again' },
  EPERM: { what: 'operation not permitted', exit: ExitCode.cannotWrite, fix: 'give the user running fano write access to the home, then run it again' },
};

const READS = new Set(['read', 'scandir', 'opendir', 'readlink', 'stat', 'lstat', 'access']);

/** The user-facing form of an errno error from the environment, or null for anything else (a bug). */
export function environmentError(err: unknown): EnvironmentError | null {
  if (err instanceof FanoError || !(err instanceof Error)) return null;
  const e = err as NodeJS.ErrnoException;
  const c = e.code === undefined ? undefined : CONDITIONS[e.code];
  if (!c) return null;
  const file = e.path ?? null;
  const verb = e.syscall && READS.has(e.syscall) ? 'cannot read' : 'cannot write';
  return new EnvironmentError(
    `${verb} ${file ?? '(a file in the home)'}: ${c.what} (${e.code}); what was saved before is intact: ${c.fix}`,
    c.exit,
    e.code!,
    file,
  );
}

/**
 * Runs `fn`, naming `file` in any errno error it throws that names no file (writes through a
 * descriptor, and writeFileSync's write, do not): a full disk is then reported as
 * "cannot write <file>: …" (environmentError).
 */
export function onFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw nameFile(e, file);
  }
}

/** `e`, with `file` as its path when it is an errno error that names none. */
export function nameFile(e: unknown, file: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code !== undefined && err.path === undefined) err.path = file;
  return e;
}
