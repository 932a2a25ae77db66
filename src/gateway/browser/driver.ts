import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { Outcome } from '../../core/types.js';
import type { LlmRequest, LlmResponse, SendContext } from '../backend.js';
import { saveBundle } from './bundle.js';
import { classifyChrome, CompletionTracker, type ChromeFinding, type CompiledSitePatterns } from './classify.js';
import { centreOf, clickTargetExpression, FOCUS_INPUT, readInputExpression, sampleExpression, tagAndFocusInputExpression, tagExpression, type ClickTarget, type RawSample } from './page-script.js';
import { GENERIC_CHROME, type SiteProfile, type SiteSelectors } from './sites.js';

/**
 * One request against one page: open, check the chrome, set deep mode, type, submit, report the
 * submit, then wait for and read the answer. Ordering invariant: `req.onSubmitted` runs after
 * the submit click and BEFORE any waiting for the answer, so a crash while waiting never leads to
 * a second submit (the tick harvests with `harvestOnly` instead).
 */

/** Answer polling period: one evaluate round-trip per poll, so this bounds detection latency. */
const POLL_MS = 20;
/** After the busy indicator goes away, the text must hold this long (sites paint the last chunk late). */
const BUSY_SETTLE_MS = 40;
/** Deep mode must still read as on this long after clicking (some toggles snap back). */
const DEEP_CONFIRM_MS = 300;
const DEEP_VERIFY_MS = 3_000;
/** A site with no known conversation URL pattern gets this long after the first sign of the submit to change its URL. */
const URL_CHANGE_GRACE_MS = 3_000;
const SUBMIT_EVIDENCE_MAX_MS = 15_000;
const THREAD_RENDER_GRACE_MS = 2_000;
const ACTION_TIMEOUT_MS = 10_000;
const SEND_ENABLED_WAIT_MS = 3_000;

export type DriverLog = (event: string, fields: object) => void;

interface Ended {
  outcome: Outcome;
  text?: string;
  detail?: string | null;
  resetAt?: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The prompt as the composer holds it, compared without whitespace (editors re-wrap lines and paragraphs). */
function sameText(a: string, b: string): boolean {
  const squash = (s: string) => s.replace(/[\s\u00a0\u200b]+/g, '');
  return squash(a) === squash(b);
}

function describeChrome(c: ChromeFinding): Ended {
  const label = { rateLimited: 'rate limited', loginRequired: 'login required', challenge: 'challenge page', siteError: 'site error' }[c.outcome];
  return { outcome: c.outcome, detail: `${label}: ${c.text}`, resetAt: c.resetAt };
}

export interface RequestRunOptions {
  /**
   * The page already shows this request's target, untouched: the start page in a freshly loaded
   * spare tab, or the conversation an ok request just left it on. Then no navigation is needed.
   */
  onTarget?: boolean;
  /** Called once the prompt is out (or a harvest begins) and only the answer is awaited: idle time. */
  whileWaiting?: () => void;
}

export class RequestRun {
  private readonly sel: SiteSelectors;
  private lastSample: RawSample | null = null;
  private sent = false;
  private url: string | null = null;
  /** Whether this request loaded its page (false: it started on a page that already showed its target). */
  private navigated = false;
  private readonly t0 = performance.now();
  /** Milliseconds since t0 at which each phase ended (logged: where a slow request spent its time). */
  private readonly phases: Record<string, number> = {};

  constructor(
    private readonly page: Page,
    private readonly site: SiteProfile,
    private readonly patterns: CompiledSitePatterns,
    private readonly req: LlmRequest,
    private readonly ctx: SendContext,
    private readonly log: DriverLog,
    private readonly opts: RequestRunOptions = {},
  ) {
    this.sel = { ...site.selectors, chrome: [...GENERIC_CHROME, ...site.selectors.chrome] };
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
    const target = req.conversation?.url ?? this.site.url;
    if (!this.opts.onTarget || req.harvestOnly) {
      this.navigated = true;
      try {
        // 'commit' is enough: waitReady polls for the composer, which is what we actually need.
        await this.page.goto(target, { waitUntil: 'commit', timeout: nav });
      } catch (e) {
        return { outcome: 'siteError', detail: `could not open ${target}: ${String(e instanceof Error ? e.message : e).split('\n')[0]}` };
      }
    }
    this.mark('open');
    const ready = await this.waitReady(nav);
    this.mark('ready');
    if (ready.finding) return describeChrome(ready.finding);
    if (this.aborted()) return this.abortEnd();

    let baseline: number | null = null;
    if (!req.harvestOnly) {
      if (!ready.sample.inputPresent) {
        return { outcome: 'siteError', detail: `the chat input was not found within ${nav} ms (selectors.input: ${this.sel.input.join(' | ')})` };
      }
      const deep = await this.ensureDeep(req.deep, ready.sample);
      if (deep.problem) return { outcome: 'siteError', detail: deep.problem };
      // The count before our submit; the ready sample still holds unless the toggle was clicked.
      baseline = (deep.clicked ? await this.sample(null) : ready.sample).responseCount;
      this.mark('deep');
      const typeProblem = await this.typePrompt(req.prompt);
      this.mark('typed');
      if (typeProblem) return { outcome: 'siteError', detail: typeProblem };
      if (req.deep) {
        // Re-verify right before the click: the toggle may have snapped back while we typed.
        const s = await this.sample(null);
        if (!s.deep.active) return { outcome: 'siteError', detail: 'deep mode was on but switched itself off before sending; not sent' };
      }
      const startUrl = this.page.url();
      await this.submit();
      this.sent = true;
      this.mark('clicked');
      this.url = await this.waitSubmitted(startUrl, baseline);
      this.mark('submitted');
      this.log('browser.submitted', { backend: this.site.name, requestId: req.requestId, url: this.url });
      try {
        await req.onSubmitted?.({ url: this.url });
      } catch (e) {
        throw new CallbackError(e);
      }
    } else {
      this.url = this.page.url();
    }
    this.opts.whileWaiting?.();
    return this.awaitAnswer(baseline);
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
    const s = (await this.page.evaluate(sampleExpression({ sel: this.sel, baseline }))) as RawSample;
    this.lastSample = s;
    return s;
  }

  private findChrome(s: RawSample): ChromeFinding | null {
    return classifyChrome(s.chrome, this.patterns, this.ctx.now());
  }

  /** Polls until the composer (or, when harvesting, an answer) is there, or the chrome says why not. */
  private async waitReady(timeoutMs: number): Promise<{ sample: RawSample; finding: ChromeFinding | null }> {
    const deadline = performance.now() + timeoutMs;
    // A reopened thread may render its history after the composer; the response baseline must include it.
    const threadDeadline = performance.now() + (this.req.conversation?.url ? THREAD_RENDER_GRACE_MS : 0);
    const threadShown = (s: RawSample) => !this.req.conversation?.url || s.responseCount > 0;
    for (;;) {
      const s = await this.sample(null);
      const finding = this.findChrome(s);
      // Chrome is checked before typing: a banner/wall means nothing is sent.
      if (finding) return { sample: s, finding };
      if (this.req.harvestOnly ? s.inputPresent || s.responseCount > 0 : s.inputPresent && (threadShown(s) || performance.now() >= threadDeadline)) {
        return { sample: s, finding: null };
      }
      if (performance.now() >= deadline || this.aborted()) return { sample: s, finding: null };
      await sleep(POLL_MS);
    }
  }

  private async tag(list: readonly string[], tag: string): Promise<boolean> {
    return (await this.page.evaluate(tagExpression(list, tag))) as boolean;
  }

  /**
   * Sets deep mode to `want` and verifies it on the page, starting from `s` (a sample taken just
   * before). `problem` says why not; `clicked` says whether the page was changed.
   */
  private async ensureDeep(want: boolean, s: RawSample): Promise<{ problem: string | null; clicked: boolean }> {
    const r = (problem: string | null, clicked: boolean) => ({ problem, clicked });
    const list = this.sel.deepMode;
    if (list.length === 0) return r(want ? 'deep mode requested but this site has no deep-mode toggle configured (selectors.deepMode); not sent' : null, false);
    if (!s.deep.present) return r(want ? `deep-mode toggle not found on the page (selectors.deepMode: ${list.join(' | ')}); not sent` : null, false);
    if (s.deep.active === want) return r(null, false);
    if (!(await this.tag(list, 'deep'))) return r(`deep-mode toggle disappeared before it could be clicked; not sent`, false);
    if (!(await this.clickTagged('deep'))) return r('deep-mode toggle could not be clicked; not sent', false);
    const deadline = performance.now() + DEEP_VERIFY_MS;
    while ((s = await this.sample(null)).deep.active !== want && performance.now() < deadline) await sleep(POLL_MS);
    if (s.deep.active === want) {
      await sleep(DEEP_CONFIRM_MS);
      s = await this.sample(null);
    }
    if (s.deep.active === want) return r(null, true);
    const how = this.sel.deepModeActive.length > 0 ? `selectors.deepModeActive: ${this.sel.deepModeActive.join(' | ')}` : 'aria-pressed/checked';
    return r(
      want
        ? `deep mode could not be verified: the toggle was clicked but the page does not show it on (${how}); not sent`
        : `deep mode could not be turned off for a normal request (${how}); not sent`,
      true,
    );
  }

  private async typePrompt(prompt: string): Promise<string | null> {
    // Fast path: tag, focus + select the composer in-page, then one trusted insertText of the whole
    // prompt (no key-by-key typing, so no Enter can submit half a prompt, and no actionability waits).
    if (!(await this.page.evaluate(tagAndFocusInputExpression(this.sel.input)))) return 'the chat input disappeared before typing';
    await this.page.keyboard.insertText(prompt);
    if (sameText((await this.readInput()) ?? '', prompt)) return null;
    // Some editors ignore that; Playwright's fill(), then per-line insertText with Shift+Enter.
    const input = this.page.locator('[data-fano-target="input"]');
    await input.fill(prompt, { timeout: ACTION_TIMEOUT_MS });
    if (sameText((await this.readInput()) ?? '', prompt)) return null;
    await input.fill('', { timeout: ACTION_TIMEOUT_MS });
    await input.click({ timeout: ACTION_TIMEOUT_MS });
    const lines = prompt.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      if (i > 0) await this.page.keyboard.press('Shift+Enter');
      if (lines[i]) await this.page.keyboard.insertText(lines[i] ?? '');
    }
    const held = (await this.readInput()) ?? '';
    if (sameText(held, prompt)) return null;
    return `the chat input did not hold the prompt after typing (${held.length} of ${prompt.length} characters); not sent`;
  }

  /** A trusted mouse click at the centre of a tagged element (no actionability polling: we checked it ourselves). */
  private async clickTagged(tag: string): Promise<boolean> {
    const box = (await this.page.evaluate(centreOf(tag))) as { x: number; y: number } | null;
    if (!box) return false;
    await this.page.mouse.click(box.x, box.y);
    return true;
  }

  private async readInput(): Promise<string | null> {
    return (await this.page.evaluate(readInputExpression(this.sel))) as string | null;
  }

  private async submit(): Promise<void> {
    if (this.sel.send.length > 0) {
      let t = (await this.page.evaluate(clickTargetExpression('send', this.sel.send))) as ClickTarget;
      // Sites enable their send button a frame or two after the input event.
      const deadline = performance.now() + SEND_ENABLED_WAIT_MS;
      while (t && !t.enabled && performance.now() < deadline) {
        await sleep(POLL_MS);
        t = (await this.page.evaluate(clickTargetExpression('send', null))) as ClickTarget;
      }
      if (t?.box) {
        await this.page.mouse.click(t.box.x, t.box.y);
        return;
      }
    }
    await this.page.evaluate(FOCUS_INPUT);
    await this.page.keyboard.press('Enter');
  }

  /**
   * After the click: waits for evidence of the submit and, for a new conversation, for the URL to
   * become the conversation URL. Returns that URL (null if a new conversation never got one).
   */
  private async waitSubmitted(startUrl: string, baseline: number): Promise<string | null> {
    const isNew = !this.req.conversation?.url;
    const pattern = this.site.conversationUrl;
    const deadline = performance.now() + Math.min(this.site.timeouts.navigationMs, SUBMIT_EVIDENCE_MAX_MS);
    let evidenceAt: number | null = null;
    for (;;) {
      const s = await this.sample(baseline);
      const now = performance.now();
      const urlChanged = s.url !== startUrl;
      const evidence = s.busy || s.hasNew || urlChanged || this.findChrome(s) !== null;
      if (evidence) evidenceAt ??= now;
      if (!isNew) {
        if (evidence) break;
      } else if (pattern ? pattern.test(s.url) && urlChanged : urlChanged) {
        break;
      } else if (this.findChrome(s)) {
        break;
      } else if (!pattern && evidenceAt !== null && now - evidenceAt >= URL_CHANGE_GRACE_MS) {
        break;
      }
      if (now >= deadline || this.aborted()) break;
      await sleep(POLL_MS);
    }
    const url = this.page.url();
    if (isNew && url === startUrl) return null;
    return url;
  }

  private async awaitAnswer(baseline: number | null): Promise<Ended> {
    const t = this.site.timeouts;
    const tracker = new CompletionTracker({
      startMs: performance.now(),
      watchdogMs: this.req.deep ? t.deepMs : t.normalMs,
      stableMs: t.stableMs,
      settleMs: Math.min(BUSY_SETTLE_MS, t.stableMs),
    });
    for (;;) {
      const s = await this.sample(baseline);
      const v = tracker.observe({ atMs: performance.now(), busy: s.busy, hasNew: s.hasNew, text: s.text, stopped: s.stopped, chrome: this.findChrome(s) });
      if (v) {
        this.url = s.url || this.url;
        return v;
      }
      if (this.aborted()) return this.abortEnd();
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
      sent: this.sent,
      detail: e.outcome === 'ok' ? null : (e.detail ?? null),
      bundle: null,
      durationMs,
    };
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
