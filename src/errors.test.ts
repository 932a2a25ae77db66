import { describe, expect, it } from 'vitest';
import { environmentError, ExitCode, FanoError, onFile } from './errors.js';

const errno = (code: string, syscall: string, path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: boom, ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

describe('environment errors are not bugs', () => {
  it.each([
    ['ENOSPC', ExitCode.ioError, /no space left on the device \(ENOSPC\)/],
    ['EDQUOT', ExitCode.ioError, /quota is used up \(EDQUOT\)/],
    ['EMFILE', ExitCode.ioError, /too many open files in this process \(EMFILE\)/],
    ['EROFS', ExitCode.cannotWrite, /read-only \(EROFS\)/],
    ['EACCES', ExitCode.cannotWrite, /permission denied \(EACCES\)/],
  ])('%s: one line naming the file and the condition, exit %i', (code, exit, text) => {
    const e = environmentError(errno(code, 'open', '/h/state/log.jsonl'));
    expect(e?.exitCode).toBe(exit);
    expect(e?.message).toMatch(/^cannot write \/h\/state\/log\.jsonl: /);
    expect(e?.message).toMatch(text);
    expect(e?.message).not.toContain('\n');
  });

  it('a read names itself a read; a write through a descriptor gets its file from onFile', () => {
    expect(environmentError(errno('EACCES', 'scandir', '/h/runs'))?.message).toMatch(/^cannot read \/h\/runs: permission denied/);
    let caught: unknown;
    try {
      onFile('/h/state/checkpoint.json', () => {
        throw errno('ENOSPC', 'write');
      });
    } catch (e) {
      caught = e;
    }
    expect(environmentError(caught)?.message).toMatch(/^cannot write \/h\/state\/checkpoint\.json: no space/);
  });

  it('anything else stays a bug (or the typed error it already is)', () => {
    expect(environmentError(new TypeError('x is undefined'))).toBeNull();
    expect(environmentError(errno('ENOENT', 'open', '/h/x'))).toBeNull();
    expect(environmentError(new FanoError('already explained', ExitCode.config))).toBeNull();
  });
});
