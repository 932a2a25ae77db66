/**
 * `npm test` runs the linter and the formatter check here, as tests, so that they run beside the
 * rest of the suite instead of before it (a type-aware lint of the tree takes about a minute).
 * `npm run lint` and `npm run format` are the same tools for use while editing.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = async (script: string, args: string[]): Promise<{ code: number; out: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, [script, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
};

describe.concurrent('the tree is linted and formatted', () => {
  it('eslint (typescript-eslint recommended, type-aware) finds nothing: run `npm run lint` to see where', async () => {
    const r = await run('node_modules/eslint/bin/eslint.js', ['.']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 600_000);

  it('every file is formatted as prettier writes it: run `npm run format` to fix', async () => {
    const r = await run('node_modules/prettier/bin/prettier.cjs', ['--check', '--log-level', 'warn', '.']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});
