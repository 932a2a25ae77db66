import type { Backend, LlmRequest, LlmResponse, SendContext } from '../gateway/backend.js';
import { mockAnswer, mockConversationTurn, type MockResponder } from '../gateway/mock-backend.js';
import type { Clock } from '../tick/clock.js';
import type { SimResponse, World } from './world.js';

/**
 * A backend of the simulated world, behind the gateway's own interface: the tick's step sends to
 * it exactly as to a chat site. The world decides the outcome and how long the answer takes (hidden
 * caps, outages, login walls, slow and deep answers); the answer's text is the mock backend's
 * (the modules' seeded mock responders), so the real modules read real answers.
 *
 * Like a chat site it keeps conversations: a continued one is answered with what opened it (as the
 * mock backend does), a prompt submitted to a conversation stays there when the tick detaches, and a later harvest of that url reads it once it is done. It generates one
 * answer at a time: a request that arrives while a detached answer is still generating waits.
 */

/** What the simulator counts of each request (the metrics and the sanity checks). */
export interface SimObserver {
  onSend(backend: string, deep: boolean, atMs: number): void;
  onAnswer(backend: string, deep: boolean, res: SimResponse, atMs: number): void;
  /** Requests generating on this backend right now (the sanity check: one at a time). */
  onInFlight(backend: string, n: number): void;
}

const MAX_OPENINGS = 2_000;

interface Pending {
  res: SimResponse;
  text: string;
  doneAt: number;
  deep: boolean;
  counted: boolean;
}

export class SimBackend implements Backend {
  readonly type = 'sim';
  /** Until when the site is generating an answer (a detached one too). */
  private busyUntil = 0;
  private readonly threads = new Map<string, Pending>();
  private conversations = 0;
  /** What opened each recent conversation (the context a continued turn is read with), oldest first. */
  private readonly openings = new Map<string, string>();
  /** When each request still counted as in flight ends (a detached answer until it is done). */
  private ends: number[] = [];

  constructor(
    readonly name: string,
    private readonly world: World,
    private readonly clock: Clock,
    private readonly responders: readonly MockResponder[],
    private readonly seed: number,
    private readonly observer: SimObserver,
  ) {}

  /** Sleeps on the simulated clock until `at`; false when the tick aborted the wait first. */
  private async until(at: number, signal: AbortSignal | undefined): Promise<boolean> {
    const wait = at - this.clock.now().getTime();
    if (wait > 0) await this.clock.sleep(wait, signal);
    return !(signal?.aborted ?? false);
  }

  private response(p: Pending, url: string, started: number): LlmResponse {
    const r = p.res;
    const detail = r.outcome === 'ok' ? null : `simulated ${r.outcome}`;
    return {
      outcome: r.outcome,
      text: r.outcome === 'ok' ? p.text : '',
      url,
      resetAt: r.resetAtMs !== null ? new Date(r.resetAtMs).toISOString() : null,
      sent: r.sent,
      detail,
      bundle: null,
      durationMs: this.clock.now().getTime() - started,
    };
  }

  /** Requests the site is working on at `at` (an answer being generated, a refusal being shown). */
  inFlightAt(at: number): number {
    this.ends = this.ends.filter((end) => end > at);
    return this.ends.length;
  }

  /** The answer is in: counted once, whoever reads it (the step or a later harvest). */
  private settle(p: Pending): void {
    if (p.counted) return;
    p.counted = true;
    this.observer.onAnswer(this.name, p.deep, p.res, p.doneAt);
  }

  async send(req: LlmRequest, ctx: SendContext): Promise<LlmResponse> {
    const started = this.clock.now().getTime();
    if (req.harvestOnly) {
      const url = req.conversation?.url ?? '';
      const p = this.threads.get(url);
      if (!p)
        return { outcome: 'siteError', text: '', url: null, resetAt: null, sent: false, detail: `conversation ${url} not found`, bundle: null, durationMs: 0 };
      if (!(await this.until(p.doneAt, ctx.signal))) return { ...this.response(p, url, started), outcome: 'siteError', text: '', detail: 'interrupted' };
      this.threads.delete(url);
      this.settle(p);
      return this.response(p, url, started);
    }
    // One answer at a time: a detached one still generating holds the site.
    if (!(await this.until(this.busyUntil, ctx.signal))) {
      return { outcome: 'siteError', text: '', url: null, resetAt: null, sent: false, detail: 'interrupted before sending', bundle: null, durationMs: 0 };
    }
    const at = this.clock.now().getTime();
    const res = this.world.request(this.name, req.deep, at);
    this.observer.onSend(this.name, req.deep, at);
    const doneAt = at + Math.max(1, res.latencyMs);
    const turn = mockConversationTurn(req.conversation?.url ? this.openings.get(req.conversation.url) : null, req.prompt);
    const p: Pending = {
      res,
      text: res.outcome === 'ok' ? mockAnswer(this.seed, req.prompt, this.responders, turn.context) : '',
      doneAt,
      deep: req.deep,
      counted: false,
    };
    this.ends.push(doneAt);
    this.observer.onInFlight(this.name, this.inFlightAt(at));
    // Refusals (rate limit, login wall, a site that does not load) come back at once: no thread.
    const submitted = res.sent && res.outcome !== 'rateLimited';
    const url = submitted ? (req.conversation?.url ?? `sim://${this.name}/c/${++this.conversations}`) : (req.conversation?.url ?? null);
    if (!submitted || url === null) {
      await this.until(doneAt, undefined);
      this.settle(p);
      return this.response(p, url ?? '', started);
    }
    this.busyUntil = doneAt;
    this.threads.set(url, p);
    this.openings.delete(url);
    this.openings.set(url, turn.opening);
    // A week's conversations would pile up; the ones an exploration continues are hours old at most.
    if (this.openings.size > MAX_OPENINGS) this.openings.delete(this.openings.keys().next().value!);
    await req.onSubmitted?.({ url });
    if (!(await this.until(doneAt, ctx.signal))) {
      // Detached: the answer stays on the site for the next tick's harvest.
      return {
        outcome: 'siteError',
        text: '',
        url,
        resetAt: null,
        sent: true,
        detail: 'interrupted',
        bundle: null,
        durationMs: this.clock.now().getTime() - started,
      };
    }
    this.threads.delete(url);
    this.settle(p);
    return this.response(p, url, started);
  }

  async close(): Promise<void> {}

  /** The site is generating an answer (or refusing a request) right now. */
  busy(): boolean {
    return this.inFlightAt(this.clock.now().getTime()) > 0;
  }

  /** Answers that were submitted and never read (the run ended): counted when they would have come. */
  drain(): void {
    for (const p of this.threads.values()) this.settle(p);
    this.threads.clear();
  }
}
