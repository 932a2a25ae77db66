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
  lockBusy: 75,
  config: 78,
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
