import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { Outcome } from '../../core/types.js';
import type { LlmRequest, LlmResponse, SendContext } from '../backend.js';
import { saveBundle } from './bundle.js';
import { classifyAnswerBody, classifyChrome, describeFinding, type ChromeFinding, type CompiledSitePatterns } from './classify.js';
import { judgeReady } from './ready.js';
import { CompletionTracker, submitState, type SubmitBaseline, type TrackedSample } from './completion.js';
import { DeepRecipeRunner } from './deep-recipe.js';
import { sameText, startNewChat, submit, typePrompt, waitHydrated } from './composer.js';
import { pageConfig, PageScript, type RawSample } from './page-script.js';
import { conversationUrlOf, type SiteProfile, type SiteSelectors } from './sites.js';

/**
 * One request against one page: open, check the chrome and the sign-in, set deep mode, type,
 * submit, then watch the page from the click on until the answer is proven complete.
 *
 * Ordering invariant: `req.onSubmitted` runs once there is evidence of the submit (and, for a new
 * conversation on a site that moves to one, its URL is known) and BEFORE the answer is returned,
 * so a crash while waiting never leads to a second submit (the tick harvests with `harvestOnly`).
 */

/** Answer polling period: one evaluate round-trip per poll, so this bounds detection latency. */
const POLL_MS = 25;
/** Once the done marker shows, the stable polls that prove the answer complete come this fast. */
const DONE_POLL_MS = 8;
const THREAD_RENDER_GRACE_MS = 2_000;
/** Reloads of a conversation whose stream was lost ("network connection lost") before giving up. */
const MAX_RELOADS = 2;
const RELOAD_QUIET_MS = 3_000;
/**
 * A new conversation's URL may show only after the answer (ChatGPT first shows a transient
 * /c/WEB: URL): this long is waited for it before the answer is returned or a lost stream reloaded.
 */
const URL_WAIT_MS = 3_000;

export type DriverLog = (event: string, fields: object) => void;

interface Ended {
  outcome: Outcome;
  text?: string;
  detail?: string | null;
  resetAt?: string | null;
  deepOnly?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RequestRunOptions {
  /**
   * The page already shows this request's target, untouched: the start page in a freshly loaded
   * spare tab, or the conversation an ok request just left it on. Then no navigation is needed.
   */
  onTarget?: boolean;
  /** Called once the prompt is out (or a harvest begins) and only the answer is awaited: idle time. */
  whileWaiting?: () => void;
  /**
   * A new conversation on a page that shows another one: start it with the site's "new chat"
   * (selectors.newChat, no page load) instead of loading the start page; loads it if that fails.
   */
  newChat?: boolean;
  /** What fano last set deep mode to on this page's site, for sites whose page cannot tell (null: unknown). */
  deepMemory?: { get(): boolean | null; set(v: boolean | null): void };
}

export class RequestRun {
  private readonly sel: SiteSelectors;
  private readonly script: PageScript;
  private lastSample: RawSample | null = null;
  private sent = false;
  private url: string | null = null;
  /** Whether this request loaded its page (false: it started on a page that already showed its target). */
  private navigated = false;
  private readonly t0 = performance.now();
  /** Milliseconds since t0 at which each phase ended (logged: where a slow request spent its time). */
  private readonly phases: Record<string, number> = {};
  private fallback = false;
  /** Chrome texts shown before the submit (see steps()). */
  private preexisting = new Set<string>();

  constructor(
    private readonly page: Page,
    private readonly site: SiteProfile,
    private readonly patterns: CompiledSitePatterns,
    private readonly req: LlmRequest,
    private readonly ctx: SendContext,
    private readonly log: DriverLog,
    private readonly opts: RequestRunOptions = {},
  ) {
    const config = pageConfig(site);
    this.sel = config.sel;
    this.script = new PageScript(page, config);
    // A harvest reattaches to a prompt that was submitted by an earlier (crashed) tick.
    this.sent = req.harvestOnly;
  }

  async run(): Promise<LlmResponse> {
    let ended: Ended;
    try {
      ended = await this.steps();
    } catch (e) {
      if (e instanceof CallbackError) throw e.cause;
      ended = { outcome: 'siteError', detail: `browser error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}` };
    }
    return this.finish(ended);
  }

  private async steps(): Promise<Ended> {
    const req = this.req;
    const nav = this.site.timeouts.navigationMs;
    if (req.harvestOnly && !req.conversation?.url) {
      return { outcome: 'siteError', detail: 'cannot harvest: the earlier submit recorded no conversation URL' };
    }
    const max = this.site.maxPromptChars;
    if (!req.harvestOnly && max !== null && req.prompt.length > max) {
      return {
        outcome: 'notSent',
        detail: `the prompt has ${req.prompt.length} characters, more than this site's composer takes (maxPromptChars ${max}); not sent`,
      };
    }
    const target = req.conversation?.url ?? this.site.url;
    const started = this.opts.newChat && !req.harvestOnly ? await startNewChat(this.page, this.script, this.sel) : false;
    if (started) this.mark('newchat');
    if (!started && (!this.opts.onTarget || req.harvestOnly)) {
      const problem = await this.open(target);
      if (problem) return { outcome: 'siteError', detail: problem };
    }
    this.mark('open');
    let ready = await this.waitReady(nav);
    // A new conversation needs an empty view: a kept page on a site whose URL never changes may
    // still show the last one.
    if (!ready.end && !req.harvestOnly && !req.conversation?.url && ready.sample.userCount > 0) {
      const problem = await this.open(this.site.url);
      if (problem) return { outcome: 'siteError', detail: problem };
      ready = await this.waitReady(nav);
    }
    this.mark('ready');
    if (ready.end) return ready.end;
    if (this.aborted()) return this.abortEnd();
    if (req.harvestOnly) {
      this.url = this.page.url();
      this.opts.whileWaiting?.();
      return this.watch(null, null);
    }
    if (!ready.sample.inputPresent) {
      return {
        outcome: 'siteError',
        detail: `the chat input was not found within ${nav} ms (selectors.input: ${this.sel.input.map((l) => l.source).join(' | ')})`,
      };
    }
    let s = ready.sample;
    if (this.navigated && req.conversation?.url) {
      s = await waitHydrated(this.script, s, this.site.settle.hydrateMs, this.site.timeouts.navigationMs, () => this.aborted());
      this.mark('hydrated');
    }
    const deepProblem = await this.ensureDeep(req.deep, s);
    if (deepProblem) return { outcome: 'notSent', detail: `${deepProblem}; not sent` };
    this.mark('deep');
    const typed = await typePrompt(this.page, this.script, req.prompt, s.responseCount);
    this.mark('typed');
    if ('problem' in typed) return { outcome: 'notSent', detail: typed.problem };
    const before = typed.sample;
    if (req.deep && this.site.deep) {
      // Re-verify right before the click: the toggle may have snapped back while we typed.
      const active = before.deepActive ?? this.opts.deepMemory?.get() ?? null;
      if (active === false) return { outcome: 'notSent', detail: 'deep mode was on but switched itself off before sending; not sent' };
    }
    // Chrome already on the page before the click (a deep-only limit when no deep mode is wanted,
    // an old reconnect toast) was judged no reason to stop: it says nothing about this request.
    this.preexisting = new Set(before.chrome);
    const clickedMs = performance.now();
    await submit(this.page, this.script, typed.send);
    this.sent = true;
    this.mark('clicked');
    const baseline: SubmitBaseline = {
      url: before.url,
      userCount: before.userCount,
      responseCount: before.responseCount,
      startMs: clickedMs,
      evidenceMs: this.site.settle.submitEvidenceMs,
      holdsPrompt: (t) => t !== null && sameText(t, req.prompt),
    };
    return this.watch(baseline, before.responseCount);
  }

  private async open(url: string): Promise<string | null> {
    this.navigated = true;
    try {
      // 'commit' is enough: waitReady polls for the composer, which is what we actually need.
      await this.page.goto(url, { waitUntil: 'commit', timeout: this.site.timeouts.navigationMs });
      return null;
    } catch (e) {
      return `could not open ${url}: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`;
    }
  }

  private mark(phase: string): void {
    this.phases[phase] = Math.round(performance.now() - this.t0);
  }

  private aborted(): boolean {
    return this.ctx.signal?.aborted === true;
  }

  private abortEnd(): Ended {
    return { outcome: 'timeout', text: this.lastSample?.hasNew ? this.lastSample.text : '', detail: 'aborted by the caller (tick budget)' };
  }

  private async sample(baseline: number | null): Promise<RawSample> {
    const s = await this.script.sample(baseline);
    this.lastSample = s;
    return s;
  }

  private findChrome(s: RawSample): ChromeFinding | null {
    return classifyChrome(s.chrome, this.patterns, this.ctx.now());
  }

  /**
   * Polls until the page is ready for the prompt (ready.ts says when), or says why not. Nothing is
   * typed before this returns without an `end`.
   */
  private async waitReady(timeoutMs: number): Promise<{ sample: RawSample; end: Ended | null }> {
    const t0 = performance.now();
    const reopening = this.req.conversation?.url != null;
    for (;;) {
      const s = await this.sample(null);
      const now = performance.now();
      const v = judgeReady(s, this.findChrome(s), {
        backend: this.site.name,
        harvest: this.req.harvestOnly,
        deep: this.req.deep,
        reopening,
        threadGraceOver: now - t0 >= THREAD_RENDER_GRACE_MS,
        requireSignedIn: this.site.auth.requireSignedIn,
        loginUrls: this.site.auth.loginUrls,
        loggedInSources: this.sel.loggedIn.map((l) => l.source),
        elapsedMs: now - t0,
        retryAt: (f) => this.resetFor(f),
      });
      if (v === 'ready') return { sample: s, end: null };
      if (v !== 'wait') return { sample: s, end: v };
      if (now - t0 >= timeoutMs || this.aborted()) return { sample: s, end: null };
      await sleep(POLL_MS);
    }
  }

  private resetFor(f: ChromeFinding): string | null {
    const plus = (ms: number) => new Date(this.ctx.now().getTime() + ms).toISOString();
    if (f.kind === 'overloaded') return plus(this.site.retry.overloadedMs);
    if (f.kind === 'transient') return plus(this.site.retry.transientMs);
    return f.resetAt;
  }

  /** Brings deep mode to `want` through the site's recipe; `problem` says why not. */
  private async ensureDeep(want: boolean, s: RawSample): Promise<string | null> {
    const recipe = this.site.deep;
    if (!recipe) return want ? 'deep mode requested but this site has no deep-mode recipe (deep: in its adapter, or selectors.deepMode)' : null;
    const memory = this.opts.deepMemory;
    const current = s.deepActive ?? memory?.get() ?? null;
    if (current === want) return null;
    // Unknown on a page that cannot tell: a normal request turns it off only when there is a way to.
    if (current === null && !want && !recipe.off) return null;
    const runner = new DeepRecipeRunner(this.page, this.script, recipe, { readActive: async () => (await this.sample(null)).deepActive });
    const problem = await runner.set(want);
    memory?.set(problem ? null : want);
    return problem;
  }

  /**
   * From the submit click (or the start of a harvest) to the verdict: one sample per poll feeds
   * the submit evidence, the conversation URL and the completion tracker alike.
   */
  private async watch(baseline: SubmitBaseline | null, responseBaseline: number | null): Promise<Ended> {
    const req = this.req;
    const t = this.site.timeouts;
    const deep = req.deep;
    const tracker = new CompletionTracker(
      {
        startMs: baseline?.startMs ?? performance.now(),
        watchdogMs: deep ? t.deepMs : t.normalMs,
        hasDoneMarker: this.sel.done.length > 0,
        donePolls: this.site.settle.donePolls,
        quietMs: deep ? this.site.settle.deepQuietMs : this.site.settle.quietMs,
        fallbackMs: deep ? this.site.settle.deepFallbackMs : this.site.settle.fallbackMs,
        reloadQuietMs: RELOAD_QUIET_MS,
        overloadedRetryMs: this.site.retry.overloadedMs,
        transientRetryMs: this.site.retry.transientMs,
      },
      (ms) => new Date(this.ctx.now().getTime() + ms).toISOString(),
    );
    const isNew = baseline !== null && !req.conversation?.url;
    const waitForUrl = isNew && this.site.conversationUrl !== null;
    let evidence = baseline === null;
    let reported = baseline === null;
    let convUrl: string | null = isNew ? null : (req.conversation?.url ?? null);
    let reloads = 0;
    const report = async () => {
      reported = true;
      this.url = convUrl;
      this.mark('submitted');
      this.log('browser.submitted', { backend: this.site.name, requestId: req.requestId, url: convUrl });
      try {
        await req.onSubmitted?.({ url: convUrl });
      } catch (e) {
        throw new CallbackError(e);
      }
      this.opts.whileWaiting?.();
    };
    for (;;) {
      const s = await this.sample(responseBaseline);
      const atMs = performance.now();
      const chrome = classifyChrome(
        s.chrome.filter((t) => !this.preexisting.has(t)),
        this.patterns,
        this.ctx.now(),
      );
      if (!evidence && baseline) {
        const state = submitState(baseline, { ...s, atMs, chrome });
        if (state === 'notSent') {
          this.sent = false;
          return {
            outcome: 'notSent',
            detail: `no sign of the submit within ${baseline.evidenceMs} ms (no user turn, no busy sign, the composer still holds the prompt); not sent`,
          };
        }
        evidence = state === 'sent';
      }
      if (isNew && convUrl === null) convUrl = conversationUrlOf(this.site, s.url, baseline?.url ?? null);
      if (evidence && !reported && (!waitForUrl || convUrl !== null)) await report();
      const tracked: TrackedSample = {
        atMs,
        busy: s.busy,
        thinking: s.thinking,
        done: s.done,
        hasNew: s.hasNew,
        text: s.text,
        stopped: s.stopped,
        chrome,
        body: classifyAnswerBody(s.hasNew ? s.text : '', this.patterns),
      };
      const v = evidence ? tracker.observe(tracked) : null;
      if (v && waitForUrl && convUrl === null) convUrl = await this.awaitConversationUrl(baseline?.url ?? null);
      if (v && 'reconnect' in v) {
        const url = convUrl ?? req.conversation?.url ?? null;
        if (url === null || reloads >= MAX_RELOADS)
          return { outcome: s.hasNew && s.text.trim() ? 'truncated' : 'siteError', text: s.text, detail: describeFinding(v.reconnect) };
        reloads += 1;
        this.log('browser.reconnecting', { backend: this.site.name, requestId: req.requestId, url, reloads, text: v.reconnect.text });
        const problem = await this.open(url);
        if (problem) return { outcome: 'truncated', text: s.text, detail: `${describeFinding(v.reconnect)}; the reload failed: ${problem}` };
        tracker.reloaded(performance.now());
        responseBaseline = null; // after a reload the answer is the last one after the last user message
        continue;
      }
      if (v) {
        if (!reported) await report();
        if (v.fallback) {
          this.fallback = true;
          this.log('browser.done_marker_missing', { backend: this.site.name, requestId: req.requestId, selectors: this.sel.done.map((l) => l.source) });
        }
        if (isNew && convUrl !== null) this.url = convUrl;
        return v;
      }
      if (this.aborted()) {
        if (!reported && evidence) await report();
        return this.abortEnd();
      }
      await sleep(s.done ? DONE_POLL_MS : POLL_MS);
    }
  }

  /** Polls for the conversation URL of a new conversation (up to URL_WAIT_MS); null if none shows. */
  private async awaitConversationUrl(startUrl: string | null): Promise<string | null> {
    const deadline = performance.now() + URL_WAIT_MS;
    for (;;) {
      const url = conversationUrlOf(this.site, this.page.url(), startUrl);
      if (url !== null || performance.now() >= deadline || this.aborted()) return url;
      await sleep(POLL_MS);
    }
  }

  private async finish(e: Ended): Promise<LlmResponse> {
    const durationMs = Math.round(performance.now() - this.t0);
    const text = e.outcome === 'ok' || e.outcome === 'truncated' ? (e.text ?? '') : '';
    const res: LlmResponse = {
      outcome: e.outcome,
      text,
      url: this.url ?? this.req.conversation?.url ?? null,
      resetAt: e.resetAt ?? null,
      sent: e.outcome === 'notSent' ? false : this.sent,
      detail: e.outcome === 'ok' ? null : (e.detail ?? null),
      bundle: null,
      durationMs,
    };
    if (e.deepOnly) res.deepOnly = true;
    if (e.outcome !== 'ok' && this.ctx.bundleDir) {
      res.bundle = await saveBundle(this.ctx.bundleDir, this.page, {
        backend: this.site.name,
        site: this.site.site,
        requestId: this.req.requestId,
        outcome: res.outcome,
        detail: res.detail,
        resetAt: res.resetAt,
        sent: res.sent,
        url: this.page.isClosed() ? res.url : this.page.url(),
        at: this.ctx.now().toISOString(),
        durationMs,
        text: e.text ?? '',
        chrome: this.lastSample?.chrome ?? [],
      });
    }
    this.log('browser.request', {
      backend: this.site.name,
      requestId: this.req.requestId,
      outcome: res.outcome,
      sent: res.sent,
      durationMs,
      navigated: this.navigated,
      phases: this.phases,
      detail: res.detail,
      bundle: res.bundle,
      ...(this.fallback ? { doneMarkerMissing: true } : {}),
      // What the page showed last (fano doctor --send reads it to name a locator that found nothing).
      last: this.lastSample && {
        userCount: this.lastSample.userCount,
        responseCount: this.lastSample.responseCount,
        hasNew: this.lastSample.hasNew,
        busy: this.lastSample.busy,
        done: this.lastSample.done,
        textChars: this.lastSample.text.length,
      },
    });
    return res;
  }
}

/** Wraps an error thrown by the caller's onSubmitted so it propagates instead of becoming an outcome. */
class CallbackError extends Error {
  constructor(override readonly cause: unknown) {
    super('onSubmitted failed');
  }
}
