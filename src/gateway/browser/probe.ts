import { performance } from 'node:perf_hooks';
import type { BrowserBackendConfig, FanoConfig } from '../../config/schema.js';
import { classifyChrome, compileSitePatterns } from './classify.js';
import { FOCUS_AND_SELECT_INPUT, probeExpression, sampleExpression, tagExpression, type RawSample, type SelectorReport } from './page-script.js';
import { BrowserSession, profileDir } from './session.js';
import { GENERIC_CHROME, resolveSite, SELECTOR_KEYS, siteKind, type SelectorKey, type SiteProfile } from './sites.js';

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
  ok: boolean;
  checks: DoctorCheck[];
}

const POLL_MS = 50;
/** Selectors that only exist during or after an answer: checked for valid CSS only. */
const ANSWER_KEYS: readonly SelectorKey[] = ['response', 'busy', 'stopped', 'userMessage', 'deepModeActive', 'chrome'];
const SEND_APPEAR_MS = 500;
const DOCTOR_TEXT = 'fano doctor check (not sent)';

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

export async function probeBrowserBackend(name: string, cfg: BrowserBackendConfig, browser: FanoConfig['browser'], home: string): Promise<BackendReport> {
  const checks: DoctorCheck[] = [];
  const report = (): BackendReport => ({ backend: name, site: siteKind(name, cfg), url: site?.url ?? null, ok: checks.every((c) => c.status !== 'failed'), checks });
  let site: SiteProfile | null = null;
  try {
    site = resolveSite(name, cfg);
    checks.push({ name: 'config', status: 'ok', detail: `site ${site.site}, ${site.url}` });
  } catch (e) {
    checks.push({ name: 'config', status: 'failed', detail: firstLine(e) });
    return report();
  }
  const session = new BrowserSession({ browser, profile: profileDir(home, name) });
  try {
    let page;
    try {
      page = await session.page();
      checks.push({ name: 'browser', status: 'ok', detail: browser.cdpEndpoint ? `attached to ${browser.cdpEndpoint}` : `launched ${browser.executablePath}` });
    } catch (e) {
      checks.push({ name: 'browser', status: 'failed', detail: `could not ${browser.cdpEndpoint ? `attach to ${browser.cdpEndpoint}` : `launch ${browser.executablePath}`}: ${firstLine(e)}` });
      return report();
    }
    try {
      const resp = await page.goto(site.url, { waitUntil: 'domcontentloaded', timeout: site.timeouts.navigationMs });
      checks.push({ name: 'page', status: 'ok', detail: `opened ${site.url}${resp ? ` (HTTP ${resp.status()})` : ''}` });
    } catch (e) {
      checks.push({ name: 'page', status: 'failed', detail: `could not open ${site.url}: ${firstLine(e)}` });
      return report();
    }
    const sel = { ...site.selectors, chrome: [...GENERIC_CHROME, ...site.selectors.chrome] };
    const patterns = compileSitePatterns(site.patterns);
    const deadline = performance.now() + site.timeouts.navigationMs;
    let s: RawSample;
    let finding;
    for (;;) {
      s = (await page.evaluate(sampleExpression({ sel, baseline: null }))) as RawSample;
      finding = classifyChrome(s.chrome, patterns, new Date());
      if (finding || s.inputPresent || performance.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const blocked = finding && (finding.outcome === 'loginRequired' || finding.outcome === 'challenge');
    if (finding?.outcome === 'loginRequired') {
      checks.push({ name: 'sign-in', status: 'failed', detail: `login wall ("${finding.text}"): run \`fano login ${name}\`` });
    } else if (finding?.outcome === 'challenge') {
      checks.push({ name: 'sign-in', status: 'failed', detail: `challenge page ("${finding.text}"): solve it with \`fano login ${name}\`` });
    } else if (site.selectors.loggedIn.length > 0) {
      checks.push(
        s.loggedIn
          ? { name: 'sign-in', status: 'ok', detail: 'signed in (loggedIn selector found)' }
          : { name: 'sign-in', status: 'failed', detail: `not signed in? none of selectors.loggedIn matched (${site.selectors.loggedIn.join(' | ')}): run \`fano login ${name}\` or fix the selector` },
      );
    } else {
      checks.push({ name: 'sign-in', status: 'ok', detail: 'no login wall (no loggedIn selector configured)' });
    }
    if (finding && !blocked) {
      checks.push({ name: 'banner', status: 'warning', detail: `the page shows ${finding.outcome}: "${finding.text}"` });
    }

    // Type (never submit) so a send button that only appears with text can be checked.
    let typed = false;
    if (!blocked && s.inputPresent && (await page.evaluate(tagExpression(sel.input, 'input')))) {
      await page.evaluate(FOCUS_AND_SELECT_INPUT);
      await page.keyboard.insertText(DOCTOR_TEXT);
      typed = true;
      await new Promise((r) => setTimeout(r, SEND_APPEAR_MS));
    }
    const probeKeys = Object.fromEntries(SELECTOR_KEYS.map((k) => [k, k === 'chrome' ? sel.chrome : site.selectors[k]]));
    const found = (await page.evaluate(probeExpression(probeKeys))) as SelectorReport[];
    if (typed) {
      await page.evaluate(FOCUS_AND_SELECT_INPUT);
      await page.keyboard.press('Delete');
    }
    for (const r of found) {
      const key = r.key as SelectorKey;
      const list = key === 'chrome' ? site.selectors.chrome : site.selectors[key];
      const check = `selectors.${key}`;
      if (r.invalid.length > 0) {
        checks.push({ name: check, status: 'failed', detail: `invalid CSS: ${r.invalid.join(' | ')}` });
      } else if (list.length === 0) {
        checks.push({ name: check, status: 'skipped', detail: 'not configured' });
      } else if (ANSWER_KEYS.includes(key)) {
        checks.push({ name: check, status: 'skipped', detail: `valid CSS; only present during or after an answer (\`fano ask ${site.name} hello\` exercises it)` });
      } else if (blocked) {
        checks.push({ name: check, status: 'skipped', detail: 'the page is behind a login wall or challenge' });
      } else if (key === 'loggedIn') {
        continue; // reported as sign-in above
      } else if (r.matched) {
        checks.push({ name: check, status: 'ok', detail: `matched ${r.matched}` });
      } else {
        checks.push({ name: check, status: 'failed', detail: `missing: none of ${list.map((x) => JSON.stringify(x)).join(', ')} matched on ${page.url()}` });
      }
    }
    return report();
  } finally {
    await session.close();
  }
}

export interface LoginSession {
  url: string;
  profile: string | null;
  /** Resolves when the user closed the window (or the page, when attached over CDP). */
  waitForClose(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a visible browser (or a page in an attached one) on the backend's profile at its site. */
export async function openLoginSession(name: string, cfg: BrowserBackendConfig, browser: FanoConfig['browser'], home: string): Promise<LoginSession> {
  const site = resolveSite(name, cfg);
  const profile = profileDir(home, name);
  const session = new BrowserSession({ browser, profile, headless: false });
  const page = await session.page();
  await page.goto(site.url, { waitUntil: 'domcontentloaded', timeout: site.timeouts.navigationMs }).catch(() => undefined);
  return {
    url: site.url,
    profile: browser.cdpEndpoint ? null : profile,
    waitForClose: () => session.waitForClose(),
    close: () => session.close(),
  };
}
