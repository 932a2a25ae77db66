import type { Outcome } from '../../core/types.js';
import { describeFinding, type ChromeFinding } from './classify.js';

/**
 * When is an answer finished? Pure: samples come in as data, in time order, from the moment of the
 * submit click (so a busy sighting during the submit is never lost).
 *
 * An answer is complete only on proof:
 *  - a site with a finished-turn marker (`done`): the marker shows on this turn and the text holds
 *    still for `donePolls` consecutive samples;
 *  - a site without one: no busy or thinking sign and the text unchanged for `quietMs` (≥ 1 s).
 * Never while busy, thinking, or a placeholder ("I'm on it…") is shown: a thinking model's preamble
 * settles, the stop button goes, and then the answer continues. A site that has a done marker but
 * never shows it is accepted only after `fallbackMs` of quiet (the selector has probably churned;
 * the caller logs it), and everything ends at the watchdog.
 */

export interface TrackedSample {
  /** Monotonic milliseconds. */
  atMs: number;
  busy: boolean;
  thinking: boolean;
  done: boolean;
  /** A response element that belongs to this request exists. */
  hasNew: boolean;
  /** The last response's text ('' when !hasNew). */
  text: string;
  stopped: boolean;
  /** A finding of the site chrome (already classified). */
  chrome: ChromeFinding | null;
  /** What a short answer body says about itself. */
  body: 'overloaded' | 'stillWorking' | null;
}

export interface CompletionOptions {
  startMs: number;
  /** No finished answer by then means timeout (per mode: normalMs / deepMs). */
  watchdogMs: number;
  /** The site names a done marker. */
  hasDoneMarker: boolean;
  donePolls: number;
  /** Without a done marker: quiet this long = finished. */
  quietMs: number;
  /** With a done marker that never shows: quiet this long = accepted anyway. */
  fallbackMs: number;
  /** After a reload (lost connection): quiet this long with no sign of life = the answer stopped. */
  reloadQuietMs: number;
  /** When the site is overloaded, retry after this long. */
  overloadedRetryMs: number;
  transientRetryMs: number;
}

export interface Verdict {
  outcome: Outcome;
  text: string;
  detail: string | null;
  /** rateLimited: the site's reset; overloaded: when to retry. ISO. */
  resetAt: string | null;
  deepOnly?: boolean;
  /** ok by the done-marker fallback (the marker never showed). */
  fallback?: boolean;
}

export type Observation = Verdict | { reconnect: ChromeFinding } | null;

export class CompletionTracker {
  private lastText = '';
  private lastChangeMs: number;
  private lastActiveMs: number;
  private activitySeen = false;
  private newSeen = false;
  private doneStreak = 0;
  private reloadedAtMs: number | null = null;

  constructor(
    private readonly opts: CompletionOptions,
    private readonly nowIso: (plusMs: number) => string,
  ) {
    this.lastChangeMs = opts.startMs;
    this.lastActiveMs = opts.startMs;
  }

  /** The page was reloaded after a lost connection: the answer must show signs of life again. */
  reloaded(atMs: number): void {
    this.reloadedAtMs = atMs;
    this.lastActiveMs = atMs;
    this.doneStreak = 0;
  }

  observe(s: TrackedSample): Observation {
    const text = s.hasNew ? s.text : '';
    const changed = text !== this.lastText;
    if (changed) this.lastChangeMs = s.atMs;
    this.lastText = text;
    const active = s.busy || s.thinking || s.body === 'stillWorking';
    if (active) {
      this.lastActiveMs = s.atMs;
      this.activitySeen = true;
    }
    if (s.hasNew) this.newSeen = true;

    if (s.chrome) {
      if (s.chrome.kind === 'reconnecting') return { reconnect: s.chrome };
      return this.fromChrome(s.chrome, text);
    }
    if (s.body === 'overloaded') {
      return {
        outcome: 'overloaded',
        text: '',
        detail: `site overloaded (in the answer): ${text.trim().slice(0, 300)}`,
        resetAt: this.nowIso(this.opts.overloadedRetryMs),
      };
    }
    const quietMs = s.atMs - Math.max(this.lastChangeMs, this.lastActiveMs);
    if (!active) {
      if (s.stopped && s.hasNew) {
        return { outcome: 'truncated', text, detail: 'the site stopped the answer mid-stream (continue/stopped marker shown)', resetAt: null };
      }
      const v = this.opts.hasDoneMarker ? this.byDoneMarker(s, text, changed, quietMs) : this.byQuiet(text, quietMs);
      if (v) return v;
      if (this.reloadedAtMs !== null && quietMs >= this.opts.reloadQuietMs && !s.done) {
        return { outcome: 'truncated', text, detail: 'the connection was lost; after reloading the conversation the answer did not continue', resetAt: null };
      }
    } else {
      this.doneStreak = 0;
    }
    if (s.atMs - this.opts.startMs >= this.opts.watchdogMs) {
      const why = s.busy
        ? 'the site still shows it is generating'
        : s.thinking
          ? 'the site still shows it is thinking'
          : s.body === 'stillWorking'
            ? 'the site still shows a placeholder'
            : text === ''
              ? 'no answer appeared'
              : this.opts.hasDoneMarker
                ? 'the done marker never appeared'
                : 'the answer never settled';
      return { outcome: 'timeout', text, detail: `no finished answer after ${this.opts.watchdogMs} ms: ${why}`, resetAt: null };
    }
    return null;
  }

  private byDoneMarker(s: TrackedSample, text: string, changed: boolean, quietMs: number): Verdict | null {
    this.doneStreak = s.done && !changed ? this.doneStreak + 1 : s.done ? 1 : 0;
    if (this.doneStreak >= this.opts.donePolls) return this.finished(text, false);
    if (!s.done && (this.newSeen || this.activitySeen) && quietMs >= this.opts.fallbackMs) return this.finished(text, true);
    return null;
  }

  private byQuiet(text: string, quietMs: number): Verdict | null {
    if (quietMs < this.opts.quietMs) return null;
    if (text.trim() !== '') return this.finished(text, false);
    if (this.activitySeen || this.newSeen) return this.finished(text, false);
    return null;
  }

  private finished(text: string, fallback: boolean): Verdict {
    if (text.trim() === '') {
      return {
        outcome: 'empty',
        text: '',
        detail: this.newSeen ? 'the answer finished with no text' : 'the site finished without showing an answer',
        resetAt: null,
      };
    }
    return fallback ? { outcome: 'ok', text, detail: null, resetAt: null, fallback: true } : { outcome: 'ok', text, detail: null, resetAt: null };
  }

  private fromChrome(c: ChromeFinding, text: string): Verdict {
    if (c.kind === 'siteError' && text.trim() !== '') {
      // The stream died with an error after part of the answer: that is a truncated answer.
      return { outcome: 'truncated', text, detail: `the answer stopped with a site error: ${c.text}`, resetAt: null };
    }
    const detail = describeFinding(c);
    switch (c.kind) {
      case 'deepLimited':
        return { outcome: 'rateLimited', text: '', detail, resetAt: c.resetAt, deepOnly: true };
      case 'transient':
        return { outcome: 'overloaded', text: '', detail, resetAt: this.nowIso(this.opts.transientRetryMs) };
      case 'overloaded':
        return { outcome: 'overloaded', text: '', detail, resetAt: this.nowIso(this.opts.overloadedRetryMs) };
      case 'reconnecting':
        return { outcome: 'truncated', text, detail, resetAt: null };
      default:
        return { outcome: c.kind, text: '', detail, resetAt: c.resetAt };
    }
  }
}

/** Evidence that the prompt reached the site, compared with the page right before the click. */
export interface SubmitBaseline {
  url: string;
  userCount: number;
  responseCount: number;
  startMs: number;
  evidenceMs: number;
  /** Whether the composer still holds the prompt (compared loosely: editors re-wrap). */
  holdsPrompt: (inputText: string | null) => boolean;
}

export interface SubmitSample {
  atMs: number;
  url: string;
  userCount: number;
  responseCount: number;
  busy: boolean;
  thinking: boolean;
  inputText: string | null;
  chrome: ChromeFinding | null;
}

/**
 * 'sent' on the first sign of the submit (a user turn or an answer appeared, busy or thinking
 * shown, the composer cleared, the URL changed, the site answered with a banner); 'notSent' when
 * none came within `evidenceMs` and the composer still holds the prompt (a swallowed click: safe to
 * retry, never counted as sent); else 'waiting'. A composer that emptied without any other sign
 * counts as sent once the time is up: a prompt that may have gone is never sent again blindly.
 */
export function submitState(b: SubmitBaseline, s: SubmitSample): 'sent' | 'notSent' | 'waiting' {
  if (s.userCount > b.userCount || s.responseCount > b.responseCount || s.busy || s.thinking || s.url !== b.url || s.chrome !== null) return 'sent';
  const holds = b.holdsPrompt(s.inputText);
  if (!holds && s.inputText !== null && s.inputText.trim() === '') return 'sent';
  if (s.atMs - b.startMs < b.evidenceMs) return 'waiting';
  return holds ? 'notSent' : 'sent';
}
