import { createTask, type NewTaskSpec } from './lifecycle.js';
import { emptyBackendState, type BackendState, type Task } from './types.js';

/**
 * Small builders shared by the core tests (and the simulator's tests if they like). Not test
 * files themselves: plain functions, no vitest import, so production code could import them too.
 */
export const T0 = new Date('2025-01-01T00:00:00.000Z');

export function at(ms: number, base: Date = T0): Date {
  return new Date(base.getTime() + ms);
}

export const MIN_MS = 60_000;
export const HOUR_MS = 3_600_000;

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
