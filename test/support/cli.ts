import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export { tempHome } from './temp-home.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const FANO_BIN = join(REPO, 'bin', 'fano.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startFano(
  args: string[],
  opts: { home?: string; env?: Record<string, string | undefined> } = {},
): { child: ChildProcess; done: Promise<RunResult> } {
  const env: Record<string, string | undefined> = { ...process.env, FANO_CRASH_AT: undefined, FANO_HOME: undefined, ...opts.env };
  const child = spawn(process.execPath, [FANO_BIN, ...(opts.home ? ['--home', opts.home] : []), ...args], {
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<RunResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runFano(args: string[], opts: { home?: string; env?: Record<string, string | undefined> } = {}): Promise<RunResult> {
  return startFano(args, opts).done;
}
