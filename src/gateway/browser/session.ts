import { readFileSync } from 'node:fs';
import { chmod, mkdir, readlink, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FanoConfig } from '../../config/schema.js';

/**
 * One browser session per backend: a persistent Chromium context on the backend's own profile
 * (cookies survive between ticks), or a page in an already running browser reached over CDP.
 * playwright-core is imported here lazily, on the first page() call, so creating a backend (and
 * a tick without browser work) never loads it.
 */

/** Flags for unattended, quiet Chromium: nothing but the sites we open goes on the network. */
export const BASE_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Flags for driving real chat sites. Playwright passes the three anti-throttling flags when it
 * launches, but not to a browser fano starts itself (or attaches to), and they are what keeps an
 * answer streaming at full speed while another tab loads. `navigator.webdriver` is hidden with the
 * Blink switch: `--disable-features=AutomationControlled` would replace Playwright's own
 * `--disable-features` list, since Chromium honours only the last occurrence of a switch.
 */
export const SITE_CHROMIUM_ARGS = [
  '--disable-blink-features=AutomationControlled',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
] as const;

/** The sites' texts fano recognises are English: ask for English pages unless the user chose a language. */
export const DEFAULT_LANG_ARG = '--lang=en-US';

/** Every flag fano starts Chromium with, the user's `browser.args` last. */
export function chromiumArgs(userArgs: readonly string[]): string[] {
  const lang = userArgs.some((a) => a.startsWith('--lang=')) ? [] : [DEFAULT_LANG_ARG];
  return [...BASE_CHROMIUM_ARGS, ...SITE_CHROMIUM_ARGS, ...lang, ...userArgs];
}

/** A profile left locked by a SIGKILLed tick may still be held by an exiting Chromium for a moment. */
const LAUNCH_ATTEMPTS = 3;
const LAUNCH_RETRY_DELAY_MS = 500;
/** A spare tab's start page older than this is loaded afresh (a long-idle page may hold a stale session). */
const SPARE_MAX_AGE_MS = 5 * 60_000;
/** The spare's page load; a failed preload only means the next new conversation navigates itself. */
const SPARE_LOAD_TIMEOUT_MS = 30_000;

export function profileDir(home: string, backend: string): string {
  return path.join(home, 'state', 'profiles', backend);
}

/** Creates the profile folder with mode 0700: it holds the user's session cookies. */
export async function ensureProfileDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by umask and ignored for an existing folder; make it exact.
  await chmod(dir, 0o700);
}

/** Whether a process runs (a zombie does not). */
export function pidAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process nobody has reaped yet (its parent, fano browser start, is long gone) is a
  // zombie: it answers signal 0 but runs no more.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Chromium's SingletonLock is a symlink to "<host>-<pid>". After a crash (SIGKILL of the tick,
 * whose Chromium then dies with it) the link stays; when its process is gone, remove it so the
 * next tick can open the profile.
 */
export async function clearStaleProfileLock(dir: string): Promise<boolean> {
  let target: string;
  try {
    target = await readlink(path.join(dir, 'SingletonLock'));
  } catch {
    return false;
  }
  const m = /^(.*)-(\d+)$/.exec(target);
  if (!m || m[1] !== hostname() || pidAlive(Number(m[2]))) return false;
  await Promise.all(['SingletonLock', 'SingletonSocket', 'SingletonCookie'].map((f) => rm(path.join(dir, f), { force: true })));
  return true;
}

export interface SessionOptions {
  browser: FanoConfig['browser'];
  /** Profile folder (ignored with a CDP endpoint). */
  profile: string;
  /** Overrides browser.headless (fano login opens a visible window). */
  headless?: boolean;
  /** How long a preloaded spare tab stays usable (default SPARE_MAX_AGE_MS). */
  spareMaxAgeMs?: number;
  /**
   * A browser to attach to instead of launching one, asked at the first page() (the resident
   * browser, resident.ts). `keepPage`: use the page it shows on `warmUrl`'s site and leave it
   * open for the next tick; else open a page of our own and close it again.
   */
  attach?: () => Promise<{ endpoint: string; keepPage: boolean } | null>;
  /** The site's start page (finds the warm page of an attached resident browser). */
  warmUrl?: string;
}

interface Spare {
  url: string;
  startedMs: number;
  /** Cleared by discardSpare(): what the site showed then is no longer to be trusted. */
  usable: boolean;
  /** The tab itself (settles at once: close() must know every page it created). */
  tab: Promise<Page | null>;
  /** The loaded page and the URL it showed when the load ended, or null when the load failed. */
  ready: Promise<{ page: Page; shownUrl: string } | null>;
}

export class BrowserSession {
  private context: BrowserContext | null = null;
  private cdpBrowser: Browser | null = null;
  private current: Page | null = null;
  private opening: Promise<Page> | null = null;
  /** Pages we created (the only ones close() may close in a browser we attached to). */
  private readonly ownPages = new Set<Page>();
  /**
   * A second tab loading (or showing) the site's start page while the current one is busy or
   * idle, so a new conversation starts on a ready composer instead of paying a page load
   * (preload/takeSpare). `retired` is the previous conversation's tab, recycled as the next spare.
   */
  private spare: Spare | null = null;
  private retired: Page | null = null;
  /**
   * Attached to a resident browser: its page is kept open for the next tick and no spare tab is
   * loaded (a new conversation starts with the site's own "new chat" on the warm page).
   */
  keepsPages = false;

  constructor(private readonly opts: SessionOptions) {}

  /** The session's page, launching or attaching on first use. */
  async page(): Promise<Page> {
    if (this.current && !this.current.isClosed()) return this.current;
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<Page> {
    const { chromium } = await import('playwright-core');
    // A launched profile opens with one blank tab: the first page. Later (the page was closed)
    // and in an attached browser, a new tab, never one of the others (the spare may be one) —
    // except the warm page of a resident browser, which is what attaching to it is for.
    let first: Page | undefined;
    if (!this.context) {
      const b = this.opts.browser;
      const resident = b.cdpEndpoint ? null : await this.opts.attach?.();
      const endpoint = b.cdpEndpoint ?? resident?.endpoint ?? null;
      if (endpoint) {
        this.cdpBrowser = await chromium.connectOverCDP(endpoint);
        this.context = this.cdpBrowser.contexts()[0] ?? (await this.cdpBrowser.newContext());
        this.keepsPages = resident?.keepPage === true;
        if (this.keepsPages) first = this.warmPage(this.context.pages());
      } else {
        await ensureProfileDir(this.opts.profile);
        this.context = await this.launchPersistent(chromium);
        first = this.context.pages()[0];
      }
    }
    const page = first ?? (await this.context.newPage());
    if (this.cdpBrowser && !this.keepsPages) this.ownPages.add(page);
    this.current = page;
    return page;
  }

  /** The page of a resident browser that shows our site: its start page if one does, else any on its origin. */
  private warmPage(pages: readonly Page[]): Page | undefined {
    const url = this.opts.warmUrl;
    if (!url) return undefined;
    const origin = new URL(url).origin;
    return pages.find((p) => p.url() === url) ?? pages.find((p) => p.url().startsWith(origin));
  }

  private async launchPersistent(chromium: typeof import('playwright-core').chromium): Promise<BrowserContext> {
    const b = this.opts.browser;
    let lastError: unknown;
    for (let attempt = 1; attempt <= LAUNCH_ATTEMPTS; attempt += 1) {
      await clearStaleProfileLock(this.opts.profile);
      try {
        return await chromium.launchPersistentContext(this.opts.profile, {
          executablePath: b.executablePath,
          headless: this.opts.headless ?? b.headless,
          args: chromiumArgs(b.args),
          viewport: { width: 1280, height: 900 },
          ...(b.args.some((a) => a.startsWith('--lang=')) ? {} : { locale: 'en-US' }),
        });
      } catch (e) {
        lastError = e;
        // Only a held profile is worth waiting for; a missing executable will not fix itself.
        if (!/ProcessSingleton|profile.*in use|SingletonLock/i.test(String(e))) break;
        await new Promise((r) => setTimeout(r, LAUNCH_RETRY_DELAY_MS));
      }
    }
    throw lastError;
  }

  /**
   * Starts loading `url` in a spare tab in the background (never awaited by the caller): the
   * previous conversation's tab when there is one, else a new tab. At most one spare at a time;
   * nothing happens before the browser is open or after close(). Never more than two tabs.
   */
  preload(url: string, warm?: (page: Page) => Promise<void>): void {
    const ctx = this.context;
    if (!ctx || this.spare || this.keepsPages) return;
    const recycled = this.retired && !this.retired.isClosed() ? this.retired : null;
    this.retired = null;
    const attached = this.cdpBrowser !== null;
    const answering = this.current;
    const tab = recycled
      ? Promise.resolve(recycled)
      : ctx.newPage().then(async (p) => {
          if (attached) this.ownPages.add(p);
          // A new tab takes the front, and Chromium then stops drawing the answering tab (no
          // animation frames at all for a React app), so its DOM lags the stream: put it back.
          if (answering && !answering.isClosed()) await answering.bringToFront().catch(() => undefined);
          return p;
        });
    const ready = tab
      .then(async (page) => {
        try {
          await page.goto(url, { waitUntil: 'load', timeout: SPARE_LOAD_TIMEOUT_MS });
          // Whatever the next request would set up on the page first is done now, while nothing waits.
          await warm?.(page).catch(() => undefined);
          return { page, shownUrl: page.url() };
        } catch {
          // Closed meanwhile, or the site did not load. The tab goes too: a failed load may still
          // navigate it to an error page later, which would break its next use.
          this.ownPages.delete(page);
          await page.close().catch(() => undefined);
          return null;
        }
      })
      .catch(() => null);
    this.spare = { url, startedMs: performance.now(), usable: true, tab: tab.catch(() => null), ready };
  }

  /**
   * The spare tab, once it shows `url`, untouched since it loaded and not too old: it becomes the
   * session's page (the one it replaces is retired, to be recycled by the next preload). Null
   * when there is none worth using; the caller then navigates the current page as before.
   */
  async takeSpare(url: string): Promise<Page | null> {
    const s = this.spare;
    if (!s || s.url !== url) return null;
    this.spare = null;
    const got = await s.ready;
    if (!got || got.page.isClosed() || this.context === null) return null;
    const maxAgeMs = this.opts.spareMaxAgeMs ?? SPARE_MAX_AGE_MS;
    if (!s.usable || got.page.url() !== got.shownUrl || performance.now() - s.startedMs > maxAgeMs) {
      this.retired ??= got.page;
      return null;
    }
    if (this.current && !this.current.isClosed() && this.current !== got.page) this.retired = this.current;
    this.current = got.page;
    // It loaded in the background: in front it draws again (and keeps drawing while it answers).
    await got.page.bringToFront().catch(() => undefined);
    return got.page;
  }

  /**
   * The spare loaded while a request that then failed was running: the next new conversation
   * loads the site afresh instead (its tab is still recycled).
   */
  discardSpare(): void {
    if (this.spare) this.spare.usable = false;
  }

  /** Resolves when the user closes the window(s) (fano login). */
  async waitForClose(): Promise<void> {
    const ctx = this.context;
    if (!ctx) return;
    if (this.cdpBrowser) {
      const page = this.current;
      if (page && !page.isClosed()) await new Promise<void>((r) => page.once('close', () => r()));
      return;
    }
    await new Promise<void>((r) => ctx.once('close', () => r()));
  }

  get opened(): boolean {
    return this.context !== null;
  }

  /** Whether the session runs in a browser it attached to (not one it launched). */
  get attached(): boolean {
    return this.cdpBrowser !== null;
  }

  /** Closes what this session opened; safe to call twice. */
  async close(): Promise<void> {
    const ctx = this.context;
    const cdp = this.cdpBrowser;
    const spare = this.spare;
    this.context = null;
    this.cdpBrowser = null;
    this.current = null;
    this.spare = null;
    this.retired = null;
    // A tab the spare is still creating must be known before the pages are closed.
    await spare?.tab;
    if (cdp) {
      // Attached: close only our pages, then disconnect; the user's browser keeps running.
      await Promise.all([...this.ownPages].map((p) => p.close().catch(() => undefined)));
      this.ownPages.clear();
      await cdp.close().catch(() => undefined);
    } else if (ctx) {
      await ctx.close().catch(() => undefined);
    }
    // Its load fails once the pages are gone; wait so nothing of this session outlives close().
    await spare?.ready;
  }
}
