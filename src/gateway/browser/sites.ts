import type { BrowserBackendConfig } from '../../config/schema.js';

/**
 * Sites as config: built-in adapter defaults for chatgpt, gemini and claude, merged with the
 * backend's config (a configured selector or pattern list replaces the default one). A site
 * change is a config edit. Pure.
 *
 * The selectors are best-effort guesses at the real sites' DOM at the time of writing; the fake
 * sites in test/fixtures/fake-sites imitate exactly these, so `fano doctor` on the real site is how
 * a user learns which one churned.
 */

export const SELECTOR_KEYS = [
  'input',
  'send',
  'response',
  'busy',
  'newChat',
  'deepMode',
  'deepModeActive',
  'loggedIn',
  'userMessage',
  'stopped',
  'chrome',
] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];
export type SiteSelectors = Record<SelectorKey, string[]>;

export const PATTERN_KEYS = ['rateLimited', 'loginRequired', 'challenge', 'error'] as const;
export type PatternKey = (typeof PATTERN_KEYS)[number];
export type SitePatterns = Record<PatternKey, string[]>;

export interface SiteProfile {
  /** Backend name (config key). */
  name: string;
  /** The built-in adapter whose defaults apply, or 'custom'. */
  site: string;
  url: string;
  selectors: SiteSelectors;
  patterns: SitePatterns;
  /** Matches the URL of a conversation (the site moves there after the first submit), if known. */
  conversationUrl: RegExp | null;
  timeouts: BrowserBackendConfig['timeouts'];
}

/** Containers that are site chrome on any site (alerts, dialogs, live status). */
export const GENERIC_CHROME = ['[role="alert"]', '[role="alertdialog"]', '[role="dialog"]', '[role="status"]'];

/** Patterns every site shares; a site's defaults add to these, a config list replaces both. */
const COMMON_PATTERNS: SitePatterns = {
  rateLimited: [
    "you've reached",
    'reached our limit',
    'reached the current usage cap',
    'usage limit',
    'usage cap',
    'rate limit',
    'too many requests',
    'message limit',
    'out of free messages',
    'limit resets',
    '/limit.{0,40}(until|in \\d|resets)/',
  ],
  loginRequired: [
    'log in to continue',
    'sign in to continue',
    'log in or sign up',
    'session has expired',
    'please log in',
    'please sign in',
    'login required',
  ],
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
  error: [
    'something went wrong',
    'an error occurred',
    'network error',
    'connection lost',
    'network connection',
    'error in message stream',
    'error generating a response',
    'unable to load conversation',
    'internal server error',
  ],
};

type SiteDefaults = Omit<SiteProfile, 'name' | 'site' | 'timeouts' | 'patterns'> & { patterns: Partial<SitePatterns> };

const none: string[] = [];

export const BUILTIN_SITES: Record<'chatgpt' | 'gemini' | 'claude', SiteDefaults> = {
  chatgpt: {
    url: 'https://chatgpt.com/',
    conversationUrl: /\/c\/[\w-]+/,
    selectors: {
      input: ['#prompt-textarea', 'div.ProseMirror[contenteditable="true"]', 'textarea[data-testid="prompt-textarea"]'],
      send: ['button[data-testid="send-button"]', 'button#composer-submit-button', 'button[aria-label="Send prompt"]'],
      response: ['div[data-message-author-role="assistant"] .markdown', 'div[data-message-author-role="assistant"]'],
      busy: ['button[data-testid="stop-button"]', 'button[aria-label="Stop streaming"]', '.result-streaming'],
      newChat: ['a[data-testid="create-new-chat-button"]', 'button[aria-label="New chat"]'],
      deepMode: ['button[data-testid="deep-mode-toggle"]', 'button[aria-label="Think longer"]'],
      deepModeActive: ['button[data-testid="deep-mode-toggle"][aria-pressed="true"]', 'button[aria-label="Think longer"][aria-pressed="true"]'],
      loggedIn: ['[data-testid="profile-button"]', '[data-testid="accounts-profile-button"]'],
      userMessage: ['div[data-message-author-role="user"]'],
      stopped: ['button[data-testid="continue-generating-button"]'],
      chrome: ['.toast-root', '[data-testid="toast"]', '[data-testid="login-wall"]', '[data-testid="rate-limit-banner"]'],
    },
    patterns: {},
  },
  gemini: {
    url: 'https://gemini.google.com/app',
    conversationUrl: /\/app\/[\w-]+/,
    selectors: {
      input: ['rich-textarea .ql-editor', 'div.ql-editor[contenteditable="true"]'],
      send: ['button.send-button:not(.stop)', 'button[aria-label="Send message"]'],
      response: ['model-response message-content .markdown', 'message-content .markdown', '.model-response-text'],
      busy: ['button.send-button.stop', 'button[aria-label="Stop response"]'],
      newChat: ['side-nav-action-button[data-test-id="new-chat-button"] button', 'button[aria-label="New chat"]'],
      deepMode: ['button.deep-think-toggle', 'button[aria-label="Deep Think"]'],
      deepModeActive: ['button.deep-think-toggle.is-selected', 'button[aria-label="Deep Think"][aria-pressed="true"]'],
      loggedIn: ['[aria-label^="Google Account"]'],
      userMessage: ['user-query'],
      stopped: ['.response-stopped'],
      chrome: ['mat-snack-bar-container', '.mat-mdc-snack-bar-label', 'simple-snack-bar'],
    },
    patterns: { rateLimited: ["you've reached your limit", 'limit for'] },
  },
  claude: {
    url: 'https://claude.ai/new',
    conversationUrl: /\/chat\/[\w-]+/,
    selectors: {
      input: ['div.ProseMirror[contenteditable="true"]', 'fieldset div[contenteditable="true"]'],
      send: ['button[aria-label="Send message"]', 'button[aria-label="Send Message"]'],
      response: ['div.font-claude-message', '[data-is-streaming] .font-claude-response'],
      busy: ['[data-is-streaming="true"]', 'button[aria-label="Stop response"]'],
      newChat: ['a[href="/new"]', 'button[aria-label="New chat"]'],
      deepMode: ['input[aria-label*="Extended thinking"]', 'button[aria-label*="Extended thinking"]'],
      deepModeActive: ['input[aria-label*="Extended thinking"]:checked', 'button[aria-label*="Extended thinking"][aria-pressed="true"]'],
      loggedIn: ['[data-testid="user-menu-button"]'],
      userMessage: ['[data-testid="user-message"]'],
      stopped: ['[data-testid="message-warning"]'],
      chrome: ['[data-sonner-toast]', '[data-testid="banner"]'],
    },
    patterns: { rateLimited: ['out of free messages until', 'message limit reached'] },
  },
};

const EMPTY_SELECTORS: SiteSelectors = {
  input: none,
  send: none,
  response: none,
  busy: none,
  newChat: none,
  deepMode: none,
  deepModeActive: none,
  loggedIn: none,
  userMessage: none,
  stopped: none,
  chrome: none,
};

function asList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

/** Which adapter applies: `site` if set, else the backend name if built in, else custom. */
export function siteKind(name: string, cfg: BrowserBackendConfig): string {
  if (cfg.site) return cfg.site;
  return name in BUILTIN_SITES ? name : 'custom';
}

/**
 * The effective site profile of a backend. Throws an Error naming the missing key when a custom
 * site lacks what sending needs (url, input, response).
 */
export function resolveSite(name: string, cfg: BrowserBackendConfig): SiteProfile {
  const kind = siteKind(name, cfg);
  const defaults = kind in BUILTIN_SITES ? BUILTIN_SITES[kind as keyof typeof BUILTIN_SITES] : null;
  const selectors: SiteSelectors = { ...EMPTY_SELECTORS, ...(defaults?.selectors ?? {}) };
  const configured = cfg.selectors as Partial<Record<SelectorKey, string | string[]>>;
  for (const key of SELECTOR_KEYS) {
    const v = asList(configured[key]);
    if (v) selectors[key] = v;
  }
  const patterns = {} as SitePatterns;
  for (const key of PATTERN_KEYS) {
    patterns[key] = cfg.patterns[key] ?? [...COMMON_PATTERNS[key], ...(defaults?.patterns[key] ?? [])];
  }
  const url = cfg.url ?? defaults?.url;
  const problems: string[] = [];
  if (!url) problems.push('url');
  if (selectors.input.length === 0) problems.push('selectors.input');
  if (selectors.response.length === 0) problems.push('selectors.response');
  if (problems.length > 0) {
    throw new Error(`backend "${name}" (site ${kind}) needs ${problems.join(', ')} in fano.config.yaml: there are no built-in defaults for a custom site`);
  }
  return { name, site: kind, url: url as string, selectors, patterns, conversationUrl: defaults?.conversationUrl ?? null, timeouts: cfg.timeouts };
}
