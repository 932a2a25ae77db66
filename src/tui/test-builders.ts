import { parseConfig } from '../config/parse-config.js';
import type { FanoConfig } from '../config/schema.js';
import type { Problem } from '../core/problems.js';
import { buildBackend, buildTask } from '../core/test-builders.js';
import { emptyState, type BackendState, type FanoState, type Task, type TickInfo } from '../core/types.js';
import type { TopSnapshot } from './model.js';
import { buildSnapshot } from './snapshot.js';

/**
 * Builders for dashboard tests: a real parsed config with three mock backends and a state built
 * in the test, turned into a snapshot by the same code `fano top` uses. Not a test file itself.
 */
export const NOW = new Date('2026-01-10T12:00:00.000Z');
export const BACKENDS = ['chatgpt', 'claude', 'gemini'] as const;

export function testConfig(extra = ''): FanoConfig {
  const text = ['backends:', ...BACKENDS.flatMap((b) => [`  ${b}:`, '    type: mock', '    hourlyLimit: 20', '    deepDailyLimit: 4']), extra].join('\n');
  const { config, issues } = parseConfig(text, 'test.yaml');
  if (!config) throw new Error(`test config invalid: ${JSON.stringify(issues)}`);
  return config;
}

export function ago(ms: number, now: Date = NOW): string {
  return new Date(now.getTime() - ms).toISOString();
}

export function stateWith(tasks: Task[], backends: Record<string, Partial<BackendState>> = {}, paused = false): FanoState {
  const s = emptyState();
  for (const t of tasks) s.tasks[t.key] = t;
  for (const [n, b] of Object.entries(backends)) s.backends[n] = buildBackend(b);
  s.meta.paused = paused;
  return s;
}

export function task(over: Partial<Task> & { module?: string; type?: string; context?: Task['context'] }, createdAgoMs = 60_000): Task {
  return buildTask(over, new Date(NOW.getTime() - createdAgoMs));
}

export function snapshotOf(state: FanoState, opts: { lastTick?: TickInfo | null; now?: Date; config?: FanoConfig; problems?: Problem[] } = {}): TopSnapshot {
  return buildSnapshot(
    '/home/test/fano',
    opts.config ?? testConfig(),
    { state, lastTick: opts.lastTick ?? null, log: { checkpointSeq: 1, pendingRecords: 0 }, problems: opts.problems ?? [] },
    opts.now ?? NOW,
  );
}
