import os from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

const LINT = 'test/fences/typecheck-lint-format.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/each-file.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of the suite's time is spent waiting (child ticks, browsers, lock stale times), not
    // computing: vitest's default (one worker per core, minus one) leaves a 2-core machine mostly
    // idle. Three workers per core keep it busy (two left it 1.6 cores busy).
    maxWorkers: Math.max(2, os.availableParallelism() * 3),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/fences/**/*.test.ts'],
          exclude: [...configDefaults.exclude, LINT],
          // In-process tests with no global side effects (no env, cwd, module mocks or timers left
          // behind): a worker runs file after file without a fresh module graph each time. A fresh
          // one per file cost more CPU than the tests themselves (77 s against 31 s).
          isolate: false,
        },
      },
      {
        extends: true,
        // Tests that run the built CLI, real Chromium or kill processes: one fresh worker each. They
        // wait on conditions; the timeout only ends a hung test, and is long enough for a loaded
        // machine (a tick that takes 2 s when quiet took 20 s at load 13). The type check and lint
        // run here too: vitest runs the two projects one after the other, and their minute of CPU
        // fills the end-to-end tests' waits instead of adding to the unit tests' time.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/e2e/**/*.test.tsx', LINT],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
