import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

/**
 * Structured logs: pino JSON lines to runs/<tickId>.jsonl, never to stdout (so `fano top` can draw
 * undisturbed). Event names are dotted (`task.completed`) and go in the `event` field; ids and
 * `durationMs` are fields beside it.
 */
export interface Logger {
  info(event: string, fields?: object): void;
  warn(event: string, fields?: object): void;
  error(event: string, fields?: object): void;
  debug(event: string, fields?: object): void;
  /** Flushes and closes the file; the logger is unusable afterwards. */
  close(): void;
  readonly file: string | null;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createFileLogger(file: string, level: LogLevel = 'info', base: object = {}): Logger {
  mkdirSync(join(file, '..'), { recursive: true });
  // sync: a tick may be SIGKILLed at any instant; lines already logged must be on disk by then.
  const dest = pino.destination({ dest: file, sync: true, mkdir: true });
  // A full or read-only disk must not turn a log line into a crash (an 'error' event without a
  // listener throws from inside whatever code was logging): logging stops, and the state write
  // that meets the same condition reports it, naming its file (errors.ts, environmentError).
  let failed = false;
  dest.on('error', () => {
    failed = true;
  });
  const p = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' }, dest);
  const at =
    (lvl: LogLevel) =>
    (event: string, fields: object = {}) => {
      if (!failed) p[lvl]({ event, ...fields });
    };
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    close: () => {
      if (failed) dest.destroy();
      else dest.end();
    },
    file,
  };
}
