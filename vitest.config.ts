import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/each-file.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of the suite's time is spent waiting (child ticks, browsers, lock stale times), not
    // computing: vitest's default (one worker per core, minus one) leaves a 2-core machine mostly
    // idle. Two workers per core keep it busy.
    maxWorkers: Math.max(2, os.availableParallelism() * 2),
  },
});
