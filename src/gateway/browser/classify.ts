import type { Outcome } from '../../core/types.js';
import { compilePatterns, firstMatch, normalizeSpace, type CompiledPattern } from './patterns.js';
import { parseResetTime } from './reset-time.js';
import type { SitePatterns } from './sites.js';

/**
 * Classification of what the page shows. Pure: page samples and `now` come in as data.
 * Site chrome (banners, alerts, dialogs, toasts, the page title, and the whole page only when no
 * chat composer is on it) is collected by page-script.ts with answer and user-message text cut
 * out, so a model answer that *says* "rate limit" never classifies as one.
 */

export interface CompiledSitePatterns {
  rateLimited: CompiledPattern[];
  loginRequired: CompiledPattern[];
  challenge: CompiledPattern[];
  error: CompiledPattern[];
}

export function compileSitePatterns(p: SitePatterns): CompiledSitePatterns {
  return {
    rateLimited: compilePatterns(p.rateLimited),
    loginRequired: compilePatterns(p.loginRequired),
    challenge: compilePatterns(p.challenge),
    error: compilePatterns(p.error),
  };
}

export type ChromeOutcome = 'rateLimited' | 'loginRequired' | 'challenge' | 'siteError';

export interface ChromeFinding {
  outcome: ChromeOutcome;
  /** The chrome text that matched (trimmed), for the detail and the bundle. */
  text: string;
  pattern: string;
  resetAt: string | null;
}

/**
 * Order matters: a challenge page often also says "log in", and a rate-limit banner often also says
 * "something went wrong", so the more specific finding wins.
 */
const ORDER: ReadonlyArray<[keyof CompiledSitePatterns, ChromeOutcome]> = [
  ['challenge', 'challenge'],
  ['loginRequired', 'loginRequired'],
  ['rateLimited', 'rateLimited'],
  ['error', 'siteError'],
];

const MAX_DETAIL_CHARS = 300;

export function classifyChrome(texts: readonly string[], patterns: CompiledSitePatterns, now: Date): ChromeFinding | null {
  for (const [key, outcome] of ORDER) {
    for (const raw of texts) {
      const p = firstMatch(patterns[key], raw);
      if (!p) continue;
      const text = normalizeSpace(raw).trim().slice(0, MAX_DETAIL_CHARS);
      return { outcome, text, pattern: p.source, resetAt: outcome === 'rateLimited' ? parseResetTime(raw, now) : null };
    }
  }
  return null;
}

/** One look at the page while an answer is awaited (collected by page-script.ts). */
export interface PageSample {
  /** Monotonic milliseconds. */
  atMs: number;
  busy: boolean;
  /** A response element that belongs to this request exists (see page-script.ts). */
  hasNew: boolean;
  /** The last response's text, markdown and math kept ('' when !hasNew). */
  text: string;
  /** The site shows its "stopped / continue generating" marker. */
  stopped: boolean;
  /** Chrome classification of this sample (already computed with the site's patterns). */
  chrome: ChromeFinding | null;
}

export interface CompletionOptions {
  startMs: number;
  /** Watchdog: no finished answer by then means timeout (per mode: normalMs / deepMs). */
  watchdogMs: number;
  /** Text unchanged this long with no busy indicator = finished. */
  stableMs: number;
  /** After a busy indicator was seen and went away, the text must hold this long. */
  settleMs: number;
}

export interface Verdict {
  outcome: Outcome;
  text: string;
  detail: string | null;
  resetAt: string | null;
}

/**
 * Completion detection from several signals together: the busy indicator, text stability and a
 * watchdog. Feed samples in time order; returns a verdict once the answer is finished or failed.
 */
export class CompletionTracker {
  private busySeen = false;
  private lastText = '';
  /** When the busy indicator was last shown or the text last changed. */
  private lastActivityMs: number;

  constructor(private readonly opts: CompletionOptions) {
    this.lastActivityMs = opts.startMs;
  }

  observe(s: PageSample): Verdict | null {
    const text = s.hasNew ? s.text : '';
    if (text !== this.lastText || s.busy) this.lastActivityMs = s.atMs;
    this.lastText = text;
    if (s.busy) this.busySeen = true;

    if (s.chrome) return this.fromChrome(s.chrome, text);

    const quietMs = s.atMs - this.lastActivityMs;
    if (!s.busy) {
      if (s.stopped && s.hasNew) {
        return { outcome: 'truncated', text, detail: 'the site stopped the answer mid-stream (continue/stopped marker shown)', resetAt: null };
      }
      if (text.trim() !== '') {
        if ((this.busySeen && quietMs >= this.opts.settleMs) || quietMs >= this.opts.stableMs) {
          return { outcome: 'ok', text, detail: null, resetAt: null };
        }
      } else if (quietMs >= this.opts.stableMs && (this.busySeen || s.hasNew)) {
        return {
          outcome: 'empty',
          text: '',
          detail: s.hasNew ? 'the answer finished with no text' : 'the site finished without showing an answer',
          resetAt: null,
        };
      }
    }
    if (s.atMs - this.opts.startMs >= this.opts.watchdogMs) {
      const why = s.busy ? 'the site still shows it is generating' : text === '' ? 'no answer appeared' : 'the answer never settled';
      return { outcome: 'timeout', text, detail: `no finished answer after ${this.opts.watchdogMs} ms: ${why}`, resetAt: null };
    }
    return null;
  }

  private fromChrome(c: ChromeFinding, text: string): Verdict {
    if (c.outcome === 'siteError' && text.trim() !== '') {
      // The stream died with an error after part of the answer: that is a truncated answer.
      return { outcome: 'truncated', text, detail: `the answer stopped with a site error: ${c.text}`, resetAt: null };
    }
    const label = { rateLimited: 'rate limited', loginRequired: 'login required', challenge: 'challenge page', siteError: 'site error' }[c.outcome];
    return { outcome: c.outcome, text: '', detail: `${label}: ${c.text}`, resetAt: c.resetAt };
  }
}
