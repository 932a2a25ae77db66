import { stringify } from 'yaml';

/**
 * The config of a home that runs only the echo module on one mock backend: the workload of the
 * crash-torture, lock-fencing and disk-error tests and of the torture bench. Each passes what it
 * is about (mock latency and failures, tick limits, retry delays); the rest is the same for all.
 */
export interface EchoHomeOptions {
  mock: { seed: number; latencyMs: number; hourlyLimit?: number; failureRate?: number };
  turns: number;
  tick: { maxRequests: number; lockStaleSeconds?: number };
  state?: { archiveAfterDays?: number; minFreeMB?: number };
  /** Retry at once: a test restarting ticks should not wait out backoffs. */
  immediateRetries?: boolean;
}

export function echoHomeConfig(o: EchoHomeOptions): string {
  return stringify({
    ...(o.state ? { state: o.state } : {}),
    backends: { mock: { type: 'mock', hourlyLimit: 100_000, ...o.mock } },
    tick: o.tick,
    ...(o.immediateRetries ? { retries: { baseDelaySeconds: 0, transientDelaySeconds: 0 } } : {}),
    scheduler: { consultation: { enabled: false } },
    modules: {
      echo: { enabled: true, turns: o.turns },
      explorer: { enabled: false },
      documenter: { enabled: false },
      researcher: { enabled: false },
    },
  });
}
