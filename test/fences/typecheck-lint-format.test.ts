/**
 * `npm test` runs the type checker, the linter and the formatter check here, as tests, so that they
 * run beside the rest of the suite instead of before it (together they take about a minute and a
 * half of CPU). `npm run typecheck`, `npm run lint` and `npm run format` are the same tools for use
 * while editing.
 *
 * Each keeps a cache under node_modules/.cache/fano (a clean clone, as in CI, starts without one):
 * tsc's incremental build info and prettier's content hashes are exact; eslint's cache is per file
 * content, so a type-aware rule in a file whose own text did not change is re-run only when the
 * cache is cold — the type checker above still sees every type error.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = 'node_modules/.cache/fano';
const run = async (script: string, args: string[]): Promise<{ code: number; out: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, [script, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
};

describe.concurrent('the tree type-checks, is linted and formatted', () => {
  it('tsc finds no type error: run `npm run typecheck` to see where', async () => {
    const r = await run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', `${CACHE}/tsc.tsbuildinfo`]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 600_000);

  it('eslint (typescript-eslint recommended, type-aware) finds nothing: run `npm run lint` to see where', async () => {
    const r = await run('node_modules/eslint/bin/eslint.js', ['--cache', '--cache-strategy', 'content', '--cache-location', `${CACHE}/eslint`, '.']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 600_000);

  it('every file is formatted as prettier writes it: run `npm run format` to fix', async () => {
    const r = await run('node_modules/prettier/bin/prettier.cjs', ['--check', '--cache', '--cache-location', `${CACHE}/prettier`, '--log-level', 'warn', '.']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});
