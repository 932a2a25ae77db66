import { chmod, mkdir, readlink, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
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

/** A profile left locked by a SIGKILLed tick may still be held by an exiting Chromium for a moment. */
const LAUNCH_ATTEMPTS = 3;
const LAUNCH_RETRY_DELAY_MS = 500;

export function profileDir(home: string, backend: string): string {
  return path.join(home, 'state', 'profiles', backend);
}

/** Creates the profile folder with mode 0700: it holds the user's session cookies. */
export async function ensureProfileDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by umask and ignored for an existing folder; make it exact.
  await chmod(dir, 0o700);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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
}

export class BrowserSession {
  private context: BrowserContext | null = null;
  private cdpBrowser: Browser | null = null;
  private current: Page | null = null;
  private opening: Promise<Page> | null = null;
  /** Pages we created (the only ones close() may close in a browser we attached to). */
  private readonly ownPages = new Set<Page>();

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
    if (!this.context) {
      const b = this.opts.browser;
      if (b.cdpEndpoint) {
        this.cdpBrowser = await chromium.connectOverCDP(b.cdpEndpoint);
        this.context = this.cdpBrowser.contexts()[0] ?? (await this.cdpBrowser.newContext());
      } else {
        await ensureProfileDir(this.opts.profile);
        this.context = await this.launchPersistent(chromium);
      }
    }
    const page = this.opts.browser.cdpEndpoint ? await this.context.newPage() : (this.context.pages()[0] ?? (await this.context.newPage()));
    if (this.opts.browser.cdpEndpoint) this.ownPages.add(page);
    this.current = page;
    return page;
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
          args: [...BASE_CHROMIUM_ARGS, ...b.args],
          viewport: { width: 1280, height: 900 },
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

  /** Closes what this session opened; safe to call twice. */
  async close(): Promise<void> {
    const ctx = this.context;
    const cdp = this.cdpBrowser;
    this.context = null;
    this.cdpBrowser = null;
    this.current = null;
    if (cdp) {
      // Attached: close only our pages, then disconnect; the user's browser keeps running.
      await Promise.all([...this.ownPages].map((p) => p.close().catch(() => undefined)));
      this.ownPages.clear();
      await cdp.close().catch(() => undefined);
    } else if (ctx) {
      await ctx.close().catch(() => undefined);
    }
  }
}
