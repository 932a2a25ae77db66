import { createTask, type NewTaskSpec } from './lifecycle.js';
import { emptyBackendState, type BackendState, type Task } from './types.js';

/**
 * Small builders shared by the core tests (and the simulator's tests if they like). Not test
 * files themselves: plain functions, no vitest import; production code never imports them.
 */
export const T0 = new Date('2025-01-01T00:00:00.000Z');

export function at(ms: number, base: Date = T0): Date {
  return new Date(base.getTime() + ms);
}

export { HOUR_MS, MINUTE_MS as MIN_MS } from './time.js';

let counter = 0;

/** A task with a unique context (a counter, not randomness: core stays deterministic). */
export function buildTask(over: Partial<Task> & Partial<NewTaskSpec> = {}, now: Date = T0): Task {
  const { module = 'explorer', type = 'exploration', context = { n: ++counter }, ...rest } = over;
  const t = createTask({ module, type, context }, now);
  return { ...t, ...rest, module, type, context };
}

export function buildBackend(over: Partial<BackendState> = {}): BackendState {
  return { ...emptyBackendState(), ...over };
}
