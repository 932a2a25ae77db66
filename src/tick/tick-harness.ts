import { configSchema, type FanoConfig } from '../config/schema.js';
import { mulberry32 } from '../core/rng.js';
import type { FanoState, JsonObject } from '../core/types.js';
import type { Backend, LlmRequest, LlmResponse, SendContext } from '../gateway/backend.js';
import { mockConversationTurn } from '../gateway/mock-backend.js';
import type { Logger } from '../log.js';
import type { Module } from '../modules/module.js';
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js';
import { VirtualClock } from './clock.js';
import { runSlice, type SliceCounts } from './slice.js';

/**
 * The tick loop in memory, on virtual time: an in-memory store, a virtual clock, scripted
 * backends and whatever modules the test brings. For the tick's unit tests; production code
 * never imports it.
 */

export type Reply = (req: LlmRequest, ctx: SendContext) => Promise<LlmResponse>;

export const okReply = (text = 'answer', url: string | null = null): LlmResponse => ({
  outcome: 'ok',
  text,
  url,
  resetAt: null,
  sent: true,
  detail: null,
  bundle: null,
  durationMs: 0,
});

/** A backend whose every request is answered by `reply` (which may sleep on the harness clock). */
export function scriptedBackend(name: string, reply: Reply): Backend & { requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    name,
    type: 'mock',
    requests,
    send: (req, ctx) => {
      requests.push(req);
      return reply(req, ctx);
    },
    close: async () => {},
  };
}

export interface LoggedEvent {
  level: 'info' | 'warn' | 'error' | 'debug';
  event: string;
  fields: Record<string, unknown>;
  at: number;
}

export class TickHarness {
  readonly clock: VirtualClock;
  readonly store: MemoryStore;
  readonly logged: LoggedEvent[] = [];
  readonly log: Logger;
  config: FanoConfig;
  backends = new Map<string, Backend>();
  modules: Array<{ module: Module; options: JsonObject }> = [];
  private tickCount = 0;

  readonly home: string;

  /** `home`: a folder with the modules' input files (seeds), for tests of the real modules. */
  constructor(opts: { start: Date; config?: Record<string, unknown>; state?: FanoState; home?: string }) {
    this.clock = new VirtualClock(opts.start);
    this.home = opts.home ?? '<memory>';
    this.store = createMemoryStore({ home: this.home, state: opts.state, now: () => this.clock.now() });
    this.config = harnessConfig(opts.config);
    const rec = (level: LoggedEvent['level']) => (event: string, fields?: object) =>
      void this.logged.push({ level, event, fields: { ...(fields ?? {}) }, at: this.clock.nowMs() });
    this.log = { info: rec('info'), warn: rec('warn'), error: rec('error'), debug: rec('debug'), close: () => {}, file: null };
  }

  addBackend(b: Backend): this {
    this.backends.set(b.name, b);
    return this;
  }

  addModule(module: Module, options: JsonObject = {}): this {
    this.modules.push({ module, options });
    return this;
  }

  /** One tick's slice (what runTick does between loading the state and checkpointing it). */
  async tick(opts: { once?: boolean } = {}): Promise<SliceCounts> {
    const counts: SliceCounts = { steps: 0, requests: 0, discovered: 0, recovered: 0 };
    this.tickCount += 1;
    await runSlice(
      {
        home: this.home,
        tickId: `tick-${this.tickCount}`,
        config: this.config,
        store: this.store,
        log: this.log,
        backends: this.backends,
        modules: this.modules,
        clock: this.clock,
        rng: mulberry32(this.tickCount),
        once: opts.once,
      },
      counts,
    );
    return counts;
  }

  /** Runs a tick every `intervalMs` of virtual time (tick.intervalSeconds by default), `n` times. */
  async ticks(n: number, intervalMs = this.config.tick.intervalSeconds * 1000): Promise<void> {
    for (let i = 0; i < n; i++) {
      const started = this.clock.nowMs();
      await this.tick();
      const next = Math.max(started + intervalMs, Math.ceil(this.clock.nowMs() / intervalMs) * intervalMs);
      this.clock.advance(next - this.clock.nowMs());
    }
  }

  events(name: string): LoggedEvent[] {
    return this.logged.filter((l) => l.event === name);
  }
}

/**
 * A backend that answers every prompt the way the mock backend does (the modules' mock responders,
 * and its conversations: a continued one remembers what opened it), after `latencyMs`.
 */
export function mockReplies(
  clock: VirtualClock,
  responders: ReadonlyArray<(seed: number, prompt: string, context?: string | null) => string | null>,
  latencyMs = 20_000,
  seed = 1,
): Reply {
  const openings = new Map<string, string>();
  let chats = 0;
  return async (req) => {
    await clock.sleep(latencyMs);
    // Request ids start again each tick; a chat's url never names another chat.
    const url = req.conversation?.url ?? `mock://${req.requestId}/c${++chats}`;
    const turn = mockConversationTurn(req.conversation?.url ? openings.get(url) : null, req.prompt);
    openings.set(url, turn.opening);
    const text = responders.map((r) => r(seed, req.prompt, turn.context)).find((t) => t !== null) ?? 'ok';
    return okReply(text, url);
  };
}

/** The shipped defaults with two mock backends a and b, the real modules off and no consultation. */
export function harnessConfig(over: Record<string, unknown> = {}): FanoConfig {
  const off = { enabled: false };
  return configSchema.parse({
    backends: { a: { type: 'mock' }, b: { type: 'mock' } },
    modules: { explorer: off, documenter: off, researcher: off },
    ...over,
    scheduler: { consultation: off, ...((over.scheduler as object | undefined) ?? {}) },
  });
}
