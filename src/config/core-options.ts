import type { BackendConfig, FanoConfig } from './schema.js';
import type { RetryOptions } from '../core/lifecycle.js';
import type { QuotaOptions } from '../core/quota.js';
import type { SchedulerOptions } from '../core/scheduler.js';
import { MINUTE_MS, SECOND_MS } from '../core/time.js';

/** Config → the plain option objects the pure core takes (core never sees the config schema). */
export function quotaOptions(config: FanoConfig, backend: BackendConfig): QuotaOptions {
  return {
    hourlyLimit: backend.hourlyLimit,
    deepDailyLimit: backend.deepDailyLimit,
    dayResetHour: config.quotas.dayResetHour,
    decreaseFactor: config.quotas.decreaseFactor,
    increasePerCleanHour: config.quotas.increasePerCleanHour,
    backoffMs: config.quotas.backoffMinutes * MINUTE_MS,
  };
}

export function retryOptions(config: FanoConfig): RetryOptions {
  return {
    maxRetries: config.retries.maxRetries,
    baseDelayMs: config.retries.baseDelaySeconds * SECOND_MS,
    multiplier: config.retries.multiplier,
    maxDelayMs: config.retries.maxDelaySeconds * SECOND_MS,
    transientDelayMs: config.retries.transientDelaySeconds * SECOND_MS,
  };
}

/**
 * Module weights: configured values, with consultation's values when present. A module that has
 * no weight of its own (e.g. `echo`) gets the mean of the others, so enabling it never starves it.
 */
export function effectiveWeights(config: FanoConfig, moduleNames: string[], consulted?: Record<string, number> | null): Record<string, number> {
  const base = { ...config.scheduler.weights, ...(consulted ?? {}) };
  const vals = Object.values(base);
  const mean = vals.length > 0 ? vals.reduce((a, b) => a + b, 0) / vals.length : 1;
  const out: Record<string, number> = {};
  for (const m of moduleNames) out[m] = base[m] ?? mean;
  return out;
}

export function schedulerOptions(config: FanoConfig, weights: Record<string, number>): SchedulerOptions {
  return {
    weights,
    starvation: config.scheduler.starvation,
    commentBoost: config.scheduler.commentBoost,
    preemption: config.scheduler.preemption,
    taskTypes: config.scheduler.taskTypes,
    deepReserves: config.quotas.deepReserves,
    maxPinWaitMs: config.scheduler.maxPinWaitMinutes * MINUTE_MS,
  };
}
