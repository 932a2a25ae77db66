import { performance } from 'node:perf_hooks';
import type { BrowserBackendConfig, FanoConfig } from '../../config/schema.js';
import type { Locator } from '../../config/locator-syntax.js';
import { fileSiteCatalog, type SiteCatalog } from '../../config/site-adapters.js';
import { classifyChrome, compileSitePatterns, describeFinding } from './classify.js';
import { pageConfig, PageScript, type RawSample, type SelectorReport } from './page-script.js';
import { residentAttach } from './resident.js';
import { BrowserSession, profileDir } from './session.js';
import { resolveSite, SELECTOR_KEYS, siteKind, type SelectorKey, type SiteProfile } from './sites.js';

/**
 * What `fano doctor` and `fano login` need from the browser, kept here so Playwright stays inside
 * src/gateway/browser. The doctor never submits anything: it may type into the composer (to make
 * a send button appear) and clears it again.
 */

export type CheckStatus = 'ok' | 'failed' | 'warning' | 'skipped';
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}
export interface BackendReport {
  backend: string;
  site: string;
  url: string | null;
  /** The adapter's identity: which file, which version, when it was last checked against the real site. */
  adapter: { file: string; version: number; verifiedAt: string; source: string } | null;
  ok: boolean;
  checks: DoctorCheck[];
}

const POLL_MS = 50;
/** Selectors that only exist during or after an answer: a page without one cannot show them. */
const ANSWER_KEYS: readonly SelectorKey[] = ['response', 'busy', 'done', 'thinking', 'stopped', 'userMessage'];
/** Markers that are fine to be absent on an idle page (their absence is the normal state). */
const OPTIONAL_KEYS: readonly SelectorKey[] = ['loggedOut', 'chrome', 'deepModeActive', 'newChat'];
const SEND_APPEAR_MS = 500;
const DOCTOR_TEXT = 'fano doctor check (not sent)';

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

function listText(list: readonly Locator[]): string {
  return list.map((l) => JSON.stringify(l.source)).join(', ');
}

/** One selector list's report as a check: which entry matched, and a warning when only a fallback did. */
function selectorCheck(key: SelectorKey, list: readonly Locator[], r: SelectorReport, url: string): DoctorCheck {
  const name = `selectors.${key}`;
  if (r.invalid.length > 0) return { name, status: 'failed', detail: `invalid CSS: ${r.invalid.join(' | ')}` };
  if (list.length === 0) return { name, status: 'skipped', detail: 'not configured' };
  if (r.index < 0) {
    if (OPTIONAL_KEYS.includes(key)) return { name, status: 'ok', detail: 'none shown (fine on an idle page)' };
    return { name, status: 'failed', detail: `missing: none of ${listText(list)} matched on ${url}` };
  }
  const entry = list[r.index]!.source;
  const where = r.visible ? '' : ' (present but not visible)';
  if (r.index > 0) {
    return {
      name,
      status: 'warning',
      detail: `only fallback #${r.index + 1} of ${list.length} matched: ${JSON.stringify(entry)}${where}; the earlier ones (${listText(list.slice(0, r.index))}) no longer match, so the site may have changed: update the adapter`,
    };
  }
  return { name, status: 'ok', detail: `matched ${JSON.stringify(entry)}${where}` };
}

export async function probeBrowserBackend(
  name: string,
  cfg: BrowserBackendConfig,
  browser: FanoConfig['browser'],
  home: string,
  sites: SiteCatalog = fileSiteCatalog(home),
): Promise<BackendReport> {
  const checks: DoctorCheck[] = [];
  let site: SiteProfile | null = null;
  const report = (): BackendReport => ({
    backend: name,
    site: siteKind(name, cfg, sites),
    url: site?.url ?? null,
    adapter: site?.adapter
      ? { file: site.adapter.file, version: site.adapter.version, verifiedAt: site.adapter.verifiedAt, source: site.adapter.source }
      : null,
    ok: checks.every((c) => c.status !== 'failed'),
    checks,
  });
  try {
    site = resolveSite(name, cfg, sites);
    const a = site.adapter;
    checks.push({
      name: 'config',
      status: 'ok',
      detail: a
        ? `adapter ${site.site} version ${a.version}, verified ${a.verifiedAt} (${a.file}), ${site.url}`
        : `custom site from fano.config.yaml, ${site.url}`,
    });
  } catch (e) {
    checks.push({ name: 'config', status: 'failed', detail: firstLine(e) });
    return report();
  }
  // While a resident browser holds the profile, the checks run in a tab of it.
  const session = new BrowserSession({ browser, profile: profileDir(home, name), attach: residentAttach(home, name, false, () => undefined) });
  try {
    let page;
    try {
      page = await session.page();
      checks.push({
        name: 'browser',
        status: 'ok',
        detail: browser.cdpEndpoint
          ? `attached to ${browser.cdpEndpoint}`
          : session.attached
            ? 'attached to the resident browser'
            : `launched ${browser.executablePath}`,
      });
    } catch (e) {
      checks.push({
        name: 'browser',
        status: 'failed',
        detail: `could not ${browser.cdpEndpoint ? `attach to ${browser.cdpEndpoint}` : `launch ${browser.executablePath}`}: ${firstLine(e)}`,
      });
      return report();
    }
    try {
      const resp = await page.goto(site.url, { waitUntil: 'domcontentloaded', timeout: site.timeouts.navigationMs });
      checks.push({ name: 'page', status: 'ok', detail: `opened ${site.url}${resp ? ` (HTTP ${resp.status()})` : ''}` });
    } catch (e) {
      checks.push({ name: 'page', status: 'failed', detail: `could not open ${site.url}: ${firstLine(e)}` });
      return report();
    }
    const config = pageConfig(site);
    const sel = config.sel;
    const script = new PageScript(page, config);
    const patterns = compileSitePatterns(site.patterns);
    const deadline = performance.now() + site.timeouts.navigationMs;
    let s: RawSample;
    let finding;
    for (;;) {
      s = await script.sample(null);
      finding = classifyChrome(s.chrome, patterns, new Date());
      if (finding || (s.inputPresent && (s.loggedIn || s.loggedOut)) || performance.now() >= deadline) break;
      if (s.inputPresent && site.selectors.loggedIn.length === 0) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const onLogin = site.auth.loginUrls.find((u) => s.url.includes(u));
    const blocked =
      onLogin !== undefined || (finding !== null && ['loginRequired', 'challenge', 'accountBlocked'].includes(finding.kind)) || (s.loggedOut && !s.loggedIn);
    checks.push(signInCheck(name, site, s, finding ? describeFinding(finding) : null, finding?.kind ?? null, onLogin));
    if (finding && !blocked) checks.push({ name: 'banner', status: 'warning', detail: `the page shows ${describeFinding(finding)}` });

    // Type (never submit) so a send button that only appears with text can be checked.
    let typed = false;
    if (!blocked && s.inputPresent && (await script.focusInput())) {
      await page.keyboard.insertText(DOCTOR_TEXT);
      typed = true;
      await new Promise((r) => setTimeout(r, SEND_APPEAR_MS));
    }
    const lists: Record<string, Locator[]> = Object.fromEntries(SELECTOR_KEYS.map((k) => [k, k === 'chrome' ? sel.chrome : site.selectors[k]]));
    if (site.deep) lists['deep.on[0]'] = firstStepTarget(site);
    const found = await script.probe(lists);
    if (typed) {
      await script.focusInput();
      await page.keyboard.press('Delete');
    }
    for (const r of found) {
      if (r.key === 'deep.on[0]') {
        checks.push(deepCheck(site, r));
        continue;
      }
      const key = r.key as SelectorKey;
      const list = key === 'chrome' ? site.selectors.chrome : site.selectors[key];
      if (key === 'loggedIn' || (key === 'loggedOut' && r.index >= 0)) continue; // reported as sign-in above
      // The one-toggle deep keys are noise next to a recipe that does not use them.
      if ((key === 'deepMode' || key === 'deepModeActive') && list.length === 0 && site.deep) continue;
      if (ANSWER_KEYS.includes(key) && r.invalid.length === 0 && list.length > 0) {
        checks.push({
          name: `selectors.${key}`,
          status: 'skipped',
          detail: `not checked: it shows only during or after an answer, and this page has none (\`fano ask ${name} hello\` exercises it)`,
        });
      } else if (blocked && r.invalid.length === 0 && list.length > 0) {
        checks.push({ name: `selectors.${key}`, status: 'skipped', detail: 'not checked: the page is behind a sign-in wall or a challenge' });
      } else {
        checks.push(selectorCheck(key, list, r, page.url()));
      }
    }
    return report();
  } finally {
    await session.close();
  }
}

function signInCheck(name: string, site: SiteProfile, s: RawSample, finding: string | null, kind: string | null, onLogin: string | undefined): DoctorCheck {
  const login = `run \`fano login ${name}\``;
  if (onLogin) return { name: 'sign-in', status: 'failed', detail: `the site sent the browser to its sign-in page (${s.url}): ${login}` };
  if (kind === 'loginRequired') return { name: 'sign-in', status: 'failed', detail: `login wall ("${finding}"): ${login}` };
  if (kind === 'challenge') return { name: 'sign-in', status: 'failed', detail: `challenge page ("${finding}"): solve it with \`fano login ${name}\`` };
  if (kind === 'accountBlocked')
    return {
      name: 'sign-in',
      status: 'failed',
      detail: `the site locked the account ("${finding}"): sign in with \`fano login ${name}\` and follow the site's steps`,
    };
  if (s.loggedOut && !s.loggedIn)
    return { name: 'sign-in', status: 'failed', detail: `signed out: the page shows its sign-in buttons (selectors.loggedOut): ${login}` };
  const markers = site.selectors.loggedIn;
  if (markers.length === 0) return { name: 'sign-in', status: 'ok', detail: 'no login wall (no loggedIn selector configured)' };
  if (s.loggedIn) return { name: 'sign-in', status: 'ok', detail: 'signed in (selectors.loggedIn visible)' };
  const detail = `none of selectors.loggedIn is visible (${listText(markers)}): ${login}, or fix the selector if you are signed in`;
  // A site that shows its composer to guests sends nothing without the marker.
  return site.auth.requireSignedIn
    ? { name: 'sign-in', status: 'failed', detail: `not signed in? ${detail}` }
    : { name: 'sign-in', status: 'warning', detail: `could not confirm the sign-in: ${detail}` };
}

function firstStepTarget(site: SiteProfile): Locator[] {
  const step = site.deep?.on[0];
  return step && 'target' in step ? step.target : [];
}

function deepCheck(site: SiteProfile, r: SelectorReport): DoctorCheck {
  const step = site.deep?.on[0];
  if (!step || !('target' in step)) return { name: 'deep', status: 'skipped', detail: 'the recipe starts without a visible target' };
  if (r.invalid.length > 0) return { name: 'deep', status: 'failed', detail: `invalid CSS in the recipe's first step: ${r.invalid.join(' | ')}` };
  if (r.index < 0)
    return {
      name: 'deep',
      status: 'failed',
      detail: `the deep-mode recipe's first step finds nothing to ${step.action} (${listText(step.target)}): deep requests would not be sent`,
    };
  return {
    name: 'deep',
    status: r.index > 0 ? 'warning' : 'ok',
    detail: `recipe of ${site.deep!.on.length} step(s); its first step ${r.index > 0 ? `matched only fallback #${r.index + 1}` : 'matched'} ${JSON.stringify(step.target[r.index]!.source)} (the recipe itself runs with the first deep request)`,
  };
}

/**
 * Whether a resident browser's page of this site shows a signed-in session (null: no page of the
 * site is open). Reads the page as it is, never navigates it: a tick may be using it.
 */
export async function residentSignedIn(endpoint: string, site: SiteProfile): Promise<boolean | null> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.connectOverCDP(endpoint);
  try {
    const origin = new URL(site.url).origin;
    const page = browser
      .contexts()[0]
      ?.pages()
      .find((p) => p.url().startsWith(origin));
    if (!page) return null;
    const s = await new PageScript(page, pageConfig(site)).sample(null);
    if (site.auth.loginUrls.some((u) => s.url.includes(u)) || (s.loggedOut && !s.loggedIn)) return false;
    // A site that shows no composer to guests is signed in when its composer is there.
    return site.auth.requireSignedIn ? s.loggedIn : s.loggedIn || s.inputPresent;
  } finally {
    await browser.close().catch(() => undefined);
  }
}

export interface LoginSession {
  url: string;
  profile: string | null;
  /** A tab in an attached browser (the resident one or browser.cdpEndpoint), not a window of its own. */
  attached: boolean;
  /** Resolves when the user closed the window (or the page, when attached over CDP). */
  waitForClose(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a visible browser (or a page in an attached one) on the backend's profile at its site. */
export async function openLoginSession(name: string, cfg: BrowserBackendConfig, browser: FanoConfig['browser'], home: string): Promise<LoginSession> {
  const site = resolveSite(name, cfg, fileSiteCatalog(home));
  const profile = profileDir(home, name);
  const session = new BrowserSession({ browser, profile, headless: false, attach: residentAttach(home, name, false, () => undefined) });
  const page = await session.page();
  await page.goto(site.url, { waitUntil: 'domcontentloaded', timeout: site.timeouts.navigationMs }).catch(() => undefined);
  return {
    url: site.url,
    attached: session.attached,
    profile: session.attached ? null : profile,
    waitForClose: () => session.waitForClose(),
    close: () => session.close(),
  };
}
