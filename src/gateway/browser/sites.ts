import type { BrowserBackendConfig } from '../../config/schema.js';
import { parseLocators, type Locator, type TextMatcher } from '../../config/locator-syntax.js';
import { PATTERN_KEYS, SELECTOR_KEYS, type PatternKey, type RecipeStep, type SelectorKey } from '../../config/site-adapter-schema.js';
import { adapterNameFor, type SiteAdapter, type SiteCatalog } from '../../config/site-adapters.js';

/**
 * The effective site profile of a browser backend: its site adapter (sites/<name>.yaml) merged
 * with the backend's config (a configured selector or pattern list replaces the adapter's), with
 * every locator parsed. Pure once the adapter is read.
 */

export { PATTERN_KEYS, SELECTOR_KEYS };
export type { PatternKey, SelectorKey };

export type SiteSelectors = Record<SelectorKey, Locator[]>;
export type SitePatterns = Record<PatternKey, string[]>;

/** One normalized step of a deep-mode recipe. */
export type DeepStep =
  | { action: 'click' | 'confirm' | 'waitFor'; target: Locator[]; optional: boolean; timeoutMs: number }
  | { action: 'ensure'; target: Locator[]; state: 'on' | 'off'; optional: boolean; timeoutMs: number }
  | { action: 'choose'; item: TextMatcher; optional: boolean; timeoutMs: number }
  | { action: 'press'; key: string; optional: boolean; timeoutMs: number };

export interface DeepRecipe {
  /** Visible while deep mode is on. Empty: the state of `toggle`, else what fano last set. */
  active: Locator[];
  /** A single toggle whose own pressed/checked state says whether deep mode is on (shorthand form). */
  toggle: Locator[];
  on: DeepStep[];
  off: DeepStep[] | null;
}

export interface SettleTimes {
  quietMs: number;
  deepQuietMs: number;
  donePolls: number;
  fallbackMs: number;
  deepFallbackMs: number;
  hydrateMs: number;
  submitEvidenceMs: number;
}

export interface SiteProfile {
  /** Backend name (config key). */
  name: string;
  /** The adapter in use, or 'custom'. */
  site: string;
  adapter: { file: string; version: number; verifiedAt: string; source: string; chain: string[] } | null;
  url: string;
  selectors: SiteSelectors;
  patterns: SitePatterns;
  conversationUrl: RegExp | null;
  transientUrl: RegExp | null;
  auth: { requireSignedIn: boolean; loginUrls: string[] };
  deep: DeepRecipe | null;
  settle: SettleTimes;
  retry: { overloadedMs: number; transientMs: number };
  maxPromptChars: number | null;
  timeouts: { normalMs: number; deepMs: number; navigationMs: number };
}

/** Containers that are site chrome on any site (alerts, dialogs, live status). */
export const GENERIC_CHROME = ['[role="alert"]', '[role="alertdialog"]', '[role="dialog"]', '[role="status"]'];

/** Patterns every site shares; an adapter's lists add to these, a config list replaces both. */
export const COMMON_PATTERNS: SitePatterns = {
  rateLimited: [
    "you've reached",
    'reached our limit',
    'reached the current usage cap',
    'hit your limit',
    'usage limit',
    'usage cap',
    'rate limit',
    'too many requests',
    'too many messages',
    'message limit',
    'out of free messages',
    'limit resets',
    '/limits? will reset/',
    '/come back (later|tomorrow|in |at |on |(mon|tues|wednes|thurs|fri|satur|sun)day)/',
    '/limit.{0,40}(until|in \\d|resets)/',
  ],
  deepLimited: [],
  loginRequired: ['log in to continue', 'sign in to continue', 'log in or sign up', 'session has expired', 'please log in', 'please sign in', 'login required'],
  challenge: [
    'verify you are human',
    'verify you are a human',
    'checking your browser',
    'checking if the site connection is secure',
    'just a moment...',
    'are you a robot',
    'captcha',
    'unusual activity',
  ],
  accountBlocked: ['suspicious activity detected', 'account has been suspended', 'account has been deactivated'],
  overloaded: ['a lot of people are using', 'at capacity right now', 'is overloaded', 'experiencing high demand'],
  transient: ['only one message at a time'],
  reconnecting: ['network connection lost', 'connection lost', 'reconnecting', 'stopped thinking'],
  error: [
    'something went wrong',
    'an error occurred',
    'network error',
    'error in message stream',
    'error generating a response',
    'unable to load conversation',
    'internal server error',
  ],
  stillWorking: [],
};

const DEFAULT_SETTLE: SettleTimes = {
  quietMs: 1500,
  deepQuietMs: 5000,
  donePolls: 3,
  fallbackMs: 60_000,
  deepFallbackMs: 300_000,
  hydrateMs: 750,
  submitEvidenceMs: 5000,
};
const STEP_TIMEOUT_MS = 3_000;
const CONFIRM_TIMEOUT_MS = 1_500;
const MINUTE_MS = 60_000;

function asList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

function regex(literal: string | null | undefined): RegExp | null {
  if (!literal) return null;
  const m = /^\/(.+)\/([a-z]*)$/s.exec(literal);
  return m ? new RegExp(m[1] ?? '', m[2] ?? '') : null;
}

function matcherOf(text: string): TextMatcher {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(text);
  return m ? { kind: 're', source: m[1] ?? '', flags: m[2] ?? '' } : { kind: 'sub', value: text };
}

export function normalizeStep(s: RecipeStep): DeepStep {
  const optional = s.optional ?? s.confirm !== undefined;
  const timeoutMs = s.timeoutMs ?? (s.confirm !== undefined ? CONFIRM_TIMEOUT_MS : STEP_TIMEOUT_MS);
  if (s.choose !== undefined) return { action: 'choose', item: matcherOf(s.choose), optional, timeoutMs };
  if (s.press !== undefined) return { action: 'press', key: s.press, optional, timeoutMs };
  if (s.ensure !== undefined) return { action: 'ensure', target: parseLocators(asList(s.ensure) ?? []), state: s.state ?? 'on', optional, timeoutMs };
  const action = s.click !== undefined ? 'click' : s.confirm !== undefined ? 'confirm' : 'waitFor';
  return { action, target: parseLocators(asList(s.click ?? s.confirm ?? s.waitFor) ?? []), optional, timeoutMs };
}

function deepRecipe(adapter: SiteAdapter | null, sel: Record<SelectorKey, string[]>, configured: boolean): DeepRecipe | null {
  // A configured single toggle (selectors.deepMode) wins over the adapter's recipe.
  if (sel.deepMode.length > 0 && (configured || !adapter?.deep)) {
    const toggle = parseLocators(sel.deepMode);
    const step = (state: 'on' | 'off'): DeepStep => ({ action: 'ensure', target: toggle, state, optional: false, timeoutMs: STEP_TIMEOUT_MS });
    return { active: parseLocators(sel.deepModeActive), toggle, on: [step('on')], off: [step('off')] };
  }
  const d = adapter?.deep;
  if (!d) return null;
  return { active: parseLocators(asList(d.active) ?? []), toggle: [], on: d.on.map(normalizeStep), off: d.off ? d.off.map(normalizeStep) : null };
}

/** Which adapter applies to a backend: the single rule lives in config/site-adapters.ts. */
export function siteKind(name: string, cfg: BrowserBackendConfig, sites: SiteCatalog): string {
  return adapterNameFor(name, cfg.site, sites.names());
}

/**
 * The effective site profile of a backend. Throws an Error naming what is missing when a custom
 * site lacks what sending needs (url, input, response), or the adapter does not exist.
 */
export function resolveSite(name: string, cfg: BrowserBackendConfig, sites: SiteCatalog): SiteProfile {
  const kind = siteKind(name, cfg, sites);
  const adapter = kind === 'custom' ? null : sites.get(kind);
  if (kind !== 'custom' && !adapter) throw new Error(`backend "${name}": no site adapter "${kind}" (there are: ${sites.names().join(', ')})`);
  const raw = {} as Record<SelectorKey, string[]>;
  const configured = cfg.selectors as Partial<Record<SelectorKey, string | string[]>>;
  const fromAdapter = (adapter?.selectors ?? {}) as Partial<Record<SelectorKey, string | string[]>>;
  for (const key of SELECTOR_KEYS) raw[key] = asList(configured[key]) ?? asList(fromAdapter[key]) ?? [];
  const selectors = Object.fromEntries(SELECTOR_KEYS.map((k) => [k, parseLocators(raw[k])])) as SiteSelectors;
  const patterns = {} as SitePatterns;
  const adapterPatterns = (adapter?.patterns ?? {}) as Partial<SitePatterns>;
  for (const key of PATTERN_KEYS) patterns[key] = cfg.patterns[key] ?? [...COMMON_PATTERNS[key], ...(adapterPatterns[key] ?? [])];

  const url = cfg.url ?? adapter?.url;
  const problems: string[] = [];
  if (!url) problems.push('url');
  if (selectors.input.length === 0) problems.push('selectors.input');
  if (selectors.response.length === 0) problems.push('selectors.response');
  if (problems.length > 0) {
    throw new Error(`backend "${name}" (site ${kind}) needs ${problems.join(', ')} in fano.config.yaml: a custom site has no adapter to supply them`);
  }
  const settle: SettleTimes = { ...DEFAULT_SETTLE, ...(adapter?.settle ?? {}) };
  if (cfg.timeouts.stableMs !== null) settle.quietMs = cfg.timeouts.stableMs;
  return {
    name,
    site: kind,
    adapter: adapter ? { file: adapter.file, version: adapter.version, verifiedAt: adapter.verifiedAt, source: adapter.source, chain: adapter.chain } : null,
    url: url as string,
    selectors,
    patterns,
    conversationUrl: regex(adapter?.conversationUrl),
    transientUrl: regex(adapter?.transientUrl),
    auth: { requireSignedIn: adapter?.auth?.requireSignedIn ?? false, loginUrls: adapter?.auth?.loginUrls ?? [] },
    deep: deepRecipe(adapter, raw, configured.deepMode !== undefined),
    settle,
    retry: { overloadedMs: (adapter?.retry?.overloadedMinutes ?? 10) * MINUTE_MS, transientMs: (adapter?.retry?.transientMinutes ?? 1) * MINUTE_MS },
    maxPromptChars: adapter?.maxPromptChars ?? null,
    timeouts: { normalMs: cfg.timeouts.normalMs, deepMs: cfg.timeouts.deepMs, navigationMs: cfg.timeouts.navigationMs },
  };
}

/** The conversation URL a page shows, if it is one: never the start page, never a transient one. */
export function conversationUrlOf(site: SiteProfile, url: string, startUrl: string | null): string | null {
  if (site.transientUrl?.test(url)) return null;
  if (url === startUrl || url === site.url) return null;
  if (site.conversationUrl) return site.conversationUrl.test(url) ? url : null;
  return startUrl === null ? null : url;
}
