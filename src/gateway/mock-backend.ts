import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockBackendConfig } from '../config/schema.js';
import { hashUnit, sha256Hex } from '../core/hash.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time.js';
import type { Backend, LlmRequest, LlmResponse, SendContext } from './backend.js';

/**
 * What the fake site remembers between ticks (each tick is a new process): its own request log,
 * so the hidden caps behave like a real site's. Kept under runs/ (never committed, not fano state).
 */
interface MockSiteMemory {
  served: number;
  recent: number[];
  deepRecent: number[];
  /**
   * Conversation URL -> the answer to its last submitted prompt, so a crashed tick can harvest it,
   * and the prompt that opened the conversation: what the "site" remembers of its context.
   */
  threads: Record<string, { promptHash: string; answer: string; at: number; opening?: string }>;
}

/** How much of a conversation's opening prompt the mock remembers (the seed and what it asked are at its top). */
export const MOCK_CONTEXT_CHARS = 6000;

/**
 * A turn of a mock conversation: the context the site holds for it (what opened the conversation;
 * none for a new one, or one the site does not know) and the opening to remember. A chat site
 * keeps the context, so fano sends only the new turn there; a prompt that relies on a context
 * sent to a new chat finds none, as it would on a real site.
 */
export function mockConversationTurn(opening: string | null | undefined, prompt: string): { context: string | null; opening: string } {
  if (opening == null) return { context: null, opening: prompt.slice(0, MOCK_CONTEXT_CHARS) };
  return { context: opening, opening };
}

const MAX_THREADS = 2_000;

/**
 * A valid answer to the prompts of one strict format (recognised by their `FORMAT:` marker line),
 * a function of (seed, prompt) only, and of the conversation's `context` (what opened it, null in a
 * new chat) only for a prompt that refers to it; null for a prompt it does not recognise. The
 * modules own theirs (they know their formats) and whoever builds the backends hands them in, so
 * the gateway never imports a module.
 */
export type MockResponder = (seed: number, prompt: string, context?: string | null) => string | null;

/**
 * The deterministic answer to a prompt: a function of (seed, prompt), and of the conversation's
 * context for the prompts that refer to it. So a self-contained prompt gets the same answer in any
 * chat, which keeps a crashed run's results those of an uncrashed one.
 */
export function mockAnswer(seed: number, prompt: string, responders: readonly MockResponder[], context: string | null = null): string {
  // The first responder that recognises the prompt's format answers it.
  for (const respond of responders) {
    const formatted = respond(seed, prompt, context);
    if (formatted !== null) return formatted;
  }
  const h = sha256Hex('answer', seed, prompt);
  // The last line of a prompt is usually its subject (modules put the instruction first).
  const lines = prompt.split('\n').filter((l) => l.trim() !== '');
  const subject = (lines[lines.length - 1] ?? '').trim();
  return `Mock answer ${h.slice(0, 12)}.\n\nOn "${subject.slice(0, 100)}": a deterministic reply from the mock backend (${lines.length} prompt line(s)).`;
}

export function createMockBackend(name: string, cfg: MockBackendConfig, deps: { home: string; responders: readonly MockResponder[] }): Backend {
  const memFile = join(deps.home, 'runs', 'mock', `${name}.json`);
  const load = (): MockSiteMemory => {
    try {
      return JSON.parse(readFileSync(memFile, 'utf8')) as MockSiteMemory;
    } catch {
      return { served: 0, recent: [], deepRecent: [], threads: {} };
    }
  };
  const save = (m: MockSiteMemory) => {
    mkdirSync(join(memFile, '..'), { recursive: true });
    const tmp = `${memFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(m));
    renameSync(tmp, memFile);
  };

  async function send(req: LlmRequest, ctx: SendContext): Promise<LlmResponse> {
    const started = ctx.now().getTime();
    const mem = load();
    mem.recent = mem.recent.filter((t) => t > started - HOUR_MS);
    mem.deepRecent = mem.deepRecent.filter((t) => t > started - DAY_MS);
    const done = (r: Omit<LlmResponse, 'url' | 'bundle' | 'durationMs'>): LlmResponse => {
      const durationMs = ctx.now().getTime() - started;
      return { url: null, ...r, bundle: r.outcome === 'ok' ? null : saveBundle(ctx.bundleDir, req, r, durationMs, ctx.now()), durationMs };
    };

    if (req.harvestOnly) {
      // Reattach after a crash: read the answer the site already has; never submit again.
      const url = req.conversation?.url ?? '';
      const entry = mem.threads[url];
      if (!entry) return done({ outcome: 'siteError', text: '', resetAt: null, sent: false, detail: `conversation ${url} not found` });
      if (cfg.latencyMs > 0) await sleep(cfg.latencyMs, undefined, { signal: ctx.signal });
      return { ...done({ outcome: 'ok', text: entry.answer, resetAt: null, sent: true, detail: null }), url };
    }

    if (cfg.hourlyCap !== null && mem.recent.length >= cfg.hourlyCap) {
      const resetMs = (mem.recent[0] ?? started) + HOUR_MS;
      const minutes = Math.max(1, Math.ceil((resetMs - started) / MINUTE_MS));
      return done({
        outcome: 'rateLimited',
        text: '',
        resetAt: new Date(resetMs).toISOString(),
        sent: true,
        detail: `You've reached the hourly limit. Try again in ${minutes} minutes.`,
      });
    }
    if (req.deep && cfg.deepDailyCap !== null && mem.deepRecent.length >= cfg.deepDailyCap) {
      const resetMs = (mem.deepRecent[0] ?? started) + DAY_MS;
      return done({ outcome: 'rateLimited', text: '', resetAt: new Date(resetMs).toISOString(), sent: true, detail: 'Deep mode limit reached for today.' });
    }

    mem.served += 1;
    mem.recent.push(started);
    if (req.deep) mem.deepRecent.push(started);
    // Like a chat site, a conversation has a URL that can be reopened; the answer exists from the
    // moment the prompt is submitted (it is a function of the prompt), so a harvest can find it.
    const url = req.conversation?.url ?? `mock://${name}/c/${sha256Hex('thread', req.requestId, req.prompt, mem.served).slice(0, 16)}`;
    const turn = mockConversationTurn(req.conversation?.url ? mem.threads[url]?.opening : null, req.prompt);
    const answer = mockAnswer(cfg.seed, req.prompt, deps.responders, turn.context);
    mem.threads[url] = { promptHash: sha256Hex(req.prompt).slice(0, 16), answer, at: started, opening: turn.opening };
    const urls = Object.keys(mem.threads);
    if (urls.length > MAX_THREADS) {
      for (const u of urls.sort((a, b) => mem.threads[a]!.at - mem.threads[b]!.at).slice(0, urls.length - MAX_THREADS)) delete mem.threads[u];
    }
    save(mem);
    await req.onSubmitted?.({ url });
    if (cfg.latencyMs > 0) await sleep(cfg.latencyMs, undefined, { signal: ctx.signal });

    if (cfg.failureRate > 0 && hashUnit(sha256Hex('fail', cfg.seed, mem.served, req.prompt)) < cfg.failureRate) {
      return { ...done({ outcome: 'siteError', text: '', resetAt: null, sent: true, detail: 'Something went wrong (mock failure).' }), url };
    }
    return { ...done({ outcome: 'ok', text: answer, resetAt: null, sent: true, detail: null }), url };
  }

  /**
   * A failure bundle like a browser backend's (what the "page" showed and how it was classified),
   * so the bundle path through the tick (kept once, retention) runs on the mock too. Never throws.
   */
  function saveBundle(dir: string | null, req: LlmRequest, r: Omit<LlmResponse, 'url' | 'bundle' | 'durationMs'>, durationMs: number, at: Date): string | null {
    if (dir === null) return null;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'page.html'),
        `<html><body><main>${(r.detail ?? r.outcome).replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))}</main></body></html>\n`,
      );
      const c = {
        backend: name,
        type: 'mock',
        requestId: req.requestId,
        outcome: r.outcome,
        detail: r.detail,
        resetAt: r.resetAt,
        sent: r.sent,
        at: at.toISOString(),
        durationMs,
      };
      writeFileSync(join(dir, 'classification.json'), `${JSON.stringify(c, null, 2)}\n`);
      return dir;
    } catch {
      return null;
    }
  }

  return { name, type: 'mock', send, close: async () => {} };
}
