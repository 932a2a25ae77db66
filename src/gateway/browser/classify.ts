import type { Outcome } from '../../core/types.js';
import { compilePatterns, firstMatch, normalizeSpace, type CompiledPattern } from './patterns.js';
import { parseResetTime } from './reset-time.js';
import type { PatternKey, SitePatterns } from './sites.js';

/**
 * Classification of what the page shows, in the sites' own words. Pure: texts and `now` come in
 * as data. Site chrome (banners, alerts, dialogs, toasts, the page title, and the whole page only
 * when no composer is on it) is collected by page-script.ts with answer and user-message text cut
 * out, so a model answer that *says* "rate limit" never classifies as one. Two kinds of text are
 * also looked for in a *short* answer body, because sites write them there: an overload notice
 * (Gemini's "A lot of people are using Deep Think right now") and a placeholder ("I'm on it…").
 */

export type CompiledSitePatterns = Record<PatternKey, CompiledPattern[]>;

export function compileSitePatterns(p: SitePatterns): CompiledSitePatterns {
  return Object.fromEntries(Object.entries(p).map(([k, list]) => [k, compilePatterns(list)])) as CompiledSitePatterns;
}

/** What a finding means for the request. */
export type ChromeKind =
  'rateLimited' | 'deepLimited' | 'loginRequired' | 'challenge' | 'accountBlocked' | 'overloaded' | 'transient' | 'reconnecting' | 'siteError';

export interface ChromeFinding {
  kind: ChromeKind;
  /** The chrome text that matched (trimmed), for the detail and the bundle. */
  text: string;
  pattern: string;
  /** For limits: when the site says it lifts. */
  resetAt: string | null;
}

/**
 * Order matters: the more specific finding wins. A locked account's page may also say "log in",
 * a challenge page "log in", a deep-only limit also "you've reached your limit", and a rate-limit
 * banner "something went wrong".
 */
const ORDER: ReadonlyArray<[PatternKey, ChromeKind]> = [
  ['accountBlocked', 'accountBlocked'],
  ['challenge', 'challenge'],
  ['loginRequired', 'loginRequired'],
  ['deepLimited', 'deepLimited'],
  ['transient', 'transient'],
  ['rateLimited', 'rateLimited'],
  ['overloaded', 'overloaded'],
  ['reconnecting', 'reconnecting'],
  ['error', 'siteError'],
];

const MAX_DETAIL_CHARS = 300;
/** Answer-body notices are short; a long answer that quotes one is an answer. */
export const NOTICE_MAX_CHARS = 400;

export function classifyChrome(texts: readonly string[], patterns: CompiledSitePatterns, now: Date): ChromeFinding | null {
  for (const [key, kind] of ORDER) {
    for (const raw of texts) {
      const p = firstMatch(patterns[key], raw);
      if (!p) continue;
      const text = normalizeSpace(raw).trim().slice(0, MAX_DETAIL_CHARS);
      const limit = kind === 'rateLimited' || kind === 'deepLimited';
      return { kind, text, pattern: p.source, resetAt: limit ? parseResetTime(raw, now) : null };
    }
  }
  return null;
}

/** What a short answer body says about itself: an overload notice, a placeholder, or nothing. */
export function classifyAnswerBody(text: string, patterns: CompiledSitePatterns): 'overloaded' | 'stillWorking' | null {
  const t = text.trim();
  if (t === '' || t.length > NOTICE_MAX_CHARS) return null;
  if (firstMatch(patterns.overloaded, t)) return 'overloaded';
  if (firstMatch(patterns.stillWorking, t)) return 'stillWorking';
  return null;
}

/** The outcome of a finding that ends a request (reconnecting does not: the driver reloads). */
export function outcomeOf(kind: Exclude<ChromeKind, 'reconnecting'>): Outcome {
  switch (kind) {
    case 'deepLimited':
      return 'rateLimited';
    case 'transient':
      return 'overloaded';
    default:
      return kind;
  }
}

const LABELS: Record<ChromeKind, string> = {
  rateLimited: 'rate limited',
  deepLimited: 'deep mode limit reached',
  loginRequired: 'login required',
  challenge: 'challenge page',
  accountBlocked: 'account blocked',
  overloaded: 'site overloaded',
  transient: 'site busy',
  reconnecting: 'connection lost',
  siteError: 'site error',
};

export function describeFinding(f: ChromeFinding): string {
  return `${LABELS[f.kind]}: ${f.text}`;
}
