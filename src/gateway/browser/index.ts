import type { BrowserBackendConfig, FanoConfig } from '../../config/schema.js';
import type { Backend, LlmRequest, LlmResponse, SendContext } from '../backend.js';
import { fileSiteCatalog, type SiteCatalog } from '../../config/site-adapters.js';
import { compileSitePatterns } from './classify.js';
import { RequestRun, type DriverLog } from './driver.js';
import { pageConfig, PageScript } from './page-script.js';
import { residentAttach } from './resident.js';
import { BrowserSession, profileDir } from './session.js';
import { resolveSite } from './sites.js';

/**
 * The browser backend. Creating it is cheap and loads no Playwright: the tick's factory imports
 * this file only when it has browser work, and Chromium starts on the first send().
 */

export interface BrowserBackendDeps {
  home: string;
  log?: (event: string, fields: object) => void;
  /** The site adapters (default: the shipped ones and the home's sites/ folder). */
  sites?: SiteCatalog;
}

export function createBrowserBackend(name: string, cfg: BrowserBackendConfig, browser: FanoConfig['browser'], deps: BrowserBackendDeps): Backend {
  const site = resolveSite(name, cfg, deps.sites ?? fileSiteCatalog(deps.home));
  const patterns = compileSitePatterns(site.patterns);
  const log: DriverLog = deps.log ?? (() => undefined);
  const session = new BrowserSession({ browser, profile: profileDir(deps.home, name), attach: residentAttach(deps.home, name, true, log), warmUrl: site.url });
  // One request at a time per backend: a chat page holds one composer and one stream.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  // The conversation URL the session's page was left on by a request that ended ok.
  let lastOkUrl: string | null = null;
  // What fano last set deep mode to, for a site whose page cannot show it (Claude's picker switch).
  let deepState: boolean | null = null;
  const deepMemory = { get: () => deepState, set: (v: boolean | null) => void (deepState = v) };

  async function sendNow(req: LlmRequest, ctx: SendContext): Promise<LlmResponse> {
    if (closed) throw new Error(`backend ${name} is closed`);
    const started = Date.now();
    const isNew = !req.harvestOnly && !req.conversation?.url;
    let page;
    let onTarget: boolean;
    try {
      // A new conversation starts on the spare tab that loaded the start page meanwhile.
      page = isNew ? await session.takeSpare(site.url) : null;
      onTarget = page !== null;
      page ??= await session.page();
    } catch (e) {
      const detail = `the browser did not start (${browser.cdpEndpoint ? `cdpEndpoint ${browser.cdpEndpoint}` : `executablePath ${browser.executablePath}`}): ${String(e instanceof Error ? e.message : e).split('\n')[0]}`;
      log('browser.start-failed', { backend: name, detail });
      return {
        outcome: 'siteError',
        text: '',
        url: req.conversation?.url ?? null,
        resetAt: null,
        sent: req.harvestOnly,
        detail,
        bundle: null,
        durationMs: Date.now() - started,
      };
    }
    // A follow-up on the page that just finished this conversation cleanly needs no reload either.
    const target = req.conversation?.url ?? null;
    onTarget ||= !req.harvestOnly && target !== null && target === lastOkUrl && page.url() === target;
    // A resident browser's warm page: a follow-up on the conversation it shows needs no reload, a
    // new conversation starts there (on the start page, or through the site's "new chat").
    let newChat = false;
    if (session.keepsPages && !req.harvestOnly) {
      onTarget ||= target !== null && page.url() === target;
      if (isNew) {
        onTarget ||= page.url() === site.url;
        newChat = !onTarget && site.selectors.newChat.length > 0;
      }
    }
    lastOkUrl = null;
    // The spare for the next new conversation loads while this answer is generated: the browser
    // is idle then, so the load costs neither this request nor the next one any time.
    const whileWaiting = browser.preloadPage ? () => session.preload(site.url, (p) => new PageScript(p, pageConfig(site)).warm()) : undefined;
    const res = await new RequestRun(page, site, patterns, req, ctx, log, { onTarget, newChat, whileWaiting, deepMemory }).run();
    if (res.outcome === 'ok') lastOkUrl = res.url;
    else session.discardSpare();
    return res;
  }

  return {
    name,
    type: 'browser',
    send(req, ctx) {
      const run = queue.then(() => sendNow(req, ctx));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      await queue;
      await session.close();
    },
  };
}

export { resolveSite, siteKind } from './sites.js';
export type { SiteProfile } from './sites.js';
