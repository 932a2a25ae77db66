import { afterEach, describe, expect, it } from 'vitest';
import type { MockBackendConfig } from '../config/schema.js';
import { HOUR_MS } from '../core/time.js';
import type { JsonObject, Task } from '../core/types.js';
import type { Backend, LlmRequest } from '../gateway/backend.js';
import { createMockBackend } from '../gateway/mock-backend.js';
import { NO_CONTEXT } from '../modules/explorer/mock-responder.js';
import { renderThreadMarkdown } from '../modules/explorer/render.js';
import type { ThreadDoc } from '../modules/explorer/types.js';
import { enabledModules, mockResponders } from '../modules/index.js';
import type { Module } from '../modules/module.js';
import { removeTempHomes, tempHome } from '../../test/support/temp-home.js';
import { okReply, TickHarness } from './tick-harness.js';

/**
 * Explorations are conversations, end to end: real ticks, the real Explorer, the real mock backend
 * (which keeps what opened each conversation and reads a continued turn with it, so a turn sent
 * without its context to a new chat is answered "I see no seed …" and fails these tests).
 */

afterEach(() => removeTempHomes());

const T0 = new Date('2026-03-02T08:00:00.000Z');
const SEEDS = `seeds:
  - id: ax
    type: axiom
    text: A projective plane has a line through any two points.
  - id: q1
    type: question
    text: Which finite projective planes have a collineation group acting transitively on flags?
`;

type Sent = { backend: string; req: LlmRequest };

/** The real mock backend, with every request it got recorded, and a switch that makes it refuse like a rate-limited site. */
function recordingMock(name: string, home: string, sent: Sent[], cfg: Partial<MockBackendConfig> = {}): Backend & { limited: boolean } {
  const mock = createMockBackend(
    name,
    { type: 'mock', enabled: true, hourlyLimit: 500, deepDailyLimit: 50, latencyMs: 0, hourlyCap: null, deepDailyCap: null, failureRate: 0, seed: 1, ...cfg },
    { home, responders: mockResponders },
  );
  const b = {
    name,
    type: 'mock',
    limited: false,
    send: async (req: LlmRequest, ctx: Parameters<Backend['send']>[1]) => {
      sent.push({ backend: name, req });
      if (b.limited) return { ...okReply(), outcome: 'rateLimited' as const, text: '', resetAt: new Date(ctx.now().getTime() + 3 * HOUR_MS).toISOString() };
      return mock.send(req, ctx);
    },
    close: async () => {},
  };
  return b;
}

function setup(names = ['a', 'b', 'c'], explorer: JsonObject = {}) {
  const home = tempHome({ 'state/explorer/seeds.yaml': SEEDS }, 'fano-conv-');
  const h = new TickHarness({
    start: T0,
    home,
    config: {
      backends: Object.fromEntries(names.map((n) => [n, { type: 'mock' }])),
      modules: { explorer: { enabled: true, exchangesBeforeSynthesis: 4, ...explorer }, documenter: { enabled: false }, researcher: { enabled: false } },
    },
  });
  h.modules = enabledModules(h.config) as Array<{ module: Module; options: JsonObject }>;
  const sent: Sent[] = [];
  const backends = Object.fromEntries(names.map((n) => [n, recordingMock(n, home, sent)]));
  for (const b of Object.values(backends)) h.addBackend(b);
  const thread = () => h.store.state.modules.explorer?.threads?.q1 as unknown as ThreadDoc | undefined;
  /** The request that asked exchange `i` (its ok answer is the exchange; a refused one is not). */
  const askOf = (i: number): Sent => {
    const ex = thread()!.exchanges[i]!;
    const asks = sent.filter((s) => s.backend === ex.backend && /^EXCHANGE: (\d+)$/m.exec(s.req.prompt)?.[1] === String(i));
    return asks[asks.length - 1]!;
  };
  const tickUntil = async (done: () => boolean) => {
    for (let i = 0; i < 20 && !done(); i++) await h.ticks(1);
    expect(done()).toBe(true);
  };
  return { h, home, sent, backends, thread, askOf, tickUntil };
}

describe('an exploration is a conversation', () => {
  it('continues in the same chat on the same backend, sending only the new turn; the thread file names each chat', async () => {
    const { h, home, sent, thread, askOf, tickUntil } = setup();
    await tickUntil(() => (thread()?.exchanges.length ?? 0) >= 4);
    const ex = thread()!.exchanges;
    // Explore turns on one backend, critiques on another vendor, each in its own chat.
    expect(ex[2]!.backend).toBe(ex[0]!.backend);
    expect(ex[3]!.backend).toBe(ex[1]!.backend);
    expect(ex[1]!.backend).not.toBe(ex[0]!.backend);
    expect(ex.map((e) => e.chat?.how)).toEqual(['opened', 'opened', 'continued', 'continued']);
    expect(ex[2]!.chat!.url).toBe(ex[0]!.chat!.url);
    expect(ex[3]!.chat!.url).toBe(ex[1]!.chat!.url);
    expect(ex[0]!.chat!.url).not.toBe(ex[1]!.chat!.url);
    for (const e of ex) expect(e.text).not.toContain(NO_CONTEXT);

    // The continued turn went to that chat with only what the chat has not seen: the critique.
    const second = askOf(2);
    expect(second.req.conversation?.url).toBe(ex[0]!.chat!.url);
    expect(second.req.prompt).not.toMatch(/^SEED \(/m);
    expect(second.req.prompt).toContain(ex[1]!.text.slice(0, 80));
    expect(second.req.prompt).not.toContain(ex[0]!.text.slice(0, 80));
    expect(askOf(0).req.conversation?.url ?? null).toBeNull();
    expect(askOf(0).req.prompt).toMatch(/^SEED \(/m);

    // The same turn sent to a new chat has no context there: the mock answers like a model would.
    const fresh = await createMockBackend(
      'x',
      { type: 'mock', enabled: true, hourlyLimit: 500, deepDailyLimit: 50, latencyMs: 0, hourlyCap: null, deepDailyCap: null, failureRate: 0, seed: 1 },
      { home, responders: mockResponders },
    ).send({ ...second.req, requestId: 'again', conversation: null, onSubmitted: undefined }, { now: () => h.clock.now(), bundleDir: null });
    expect(fresh.text).toContain(NO_CONTEXT);

    // The readable thread says which conversation each exchange was in.
    const md = renderThreadMarkdown(thread()!);
    expect(md).toContain(`new chat ${ex[0]!.chat!.url}`);
    expect(md).toContain(`continued chat ${ex[0]!.chat!.url}`);
    expect(sent.length).toBeGreaterThanOrEqual(4);
  });

  it('moves to a fresh chat with the pinned summary and recent exchanges only when its backend cannot serve it', async () => {
    const { h, backends, thread, askOf, tickUntil } = setup();
    // One step at a time, so the explore turn's backend is limited before the third exchange is asked.
    for (let i = 0; i < 10 && (thread()?.exchanges.length ?? 0) < 2; i++) await h.tick({ once: true });
    expect(thread()!.exchanges).toHaveLength(2);
    const first = thread()!.exchanges[0]!;
    backends[first.backend]!.limited = true; // for hours: past maxPinWaitMinutes
    await tickUntil(() => (thread()?.exchanges.length ?? 0) >= 3);
    const ex = thread()!.exchanges;
    // The allocator gave it the backend with most quota left: the third one, which holds no chat
    // of this thread, so a fresh chat there gets the seed and the thread so far (not a bare turn).
    const third = ['a', 'b', 'c'].find((n) => n !== first.backend && n !== ex[1]!.backend)!;
    expect(ex[2]!.backend).toBe(third);
    expect(ex[2]!.chat?.how).toBe('opened');
    const moved = askOf(2);
    expect(moved.req.conversation?.url ?? null).toBeNull();
    expect(moved.req.prompt).toMatch(/^SEED \(/m);
    expect(moved.req.prompt).toContain('THREAD SO FAR:');
    expect(moved.req.prompt).toContain(ex[1]!.text.slice(0, 80));
    expect(ex[2]!.text).not.toContain(NO_CONTEXT);
  });

  it('yields between turns: urgent work takes the backend before the next turn, which then continues the chat', async () => {
    const { h, thread, tickUntil } = setup(['a']);
    let urgentWanted = false;
    const urgent: Module = {
      name: 'urgent',
      discover: () => (urgentWanted ? [{ module: 'urgent', type: 'job', context: { n: 1 }, priority: 500 }] : []),
      prepare: () => ({ prompt: 'urgent question', deep: false }),
      onAnswer: (t) => ({ done: true, data: t.data, events: [] }),
      handleFailure: () => [],
    };
    h.addModule(urgent);
    await h.tick({ once: true });
    expect(thread()?.exchanges).toHaveLength(1);
    urgentWanted = true;
    await tickUntil(() => (thread()?.exchanges.length ?? 0) >= 2);
    const job = Object.values(h.store.state.tasks).find((t: Task) => t.module === 'urgent')!;
    const second = thread()!.exchanges[1]!;
    expect(job.state).toBe('completed');
    expect(Date.parse(job.finishedAt!)).toBeLessThanOrEqual(Date.parse(second.at));
    // One backend: the critique continues the same chat after the urgent work.
    expect(second.chat).toEqual({ url: thread()!.exchanges[0]!.chat!.url, how: 'continued' });
    expect(second.text).not.toContain(NO_CONTEXT);
  });
});
