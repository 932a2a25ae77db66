import type { FanoConfig } from '../config/schema.js';
import { ExitCode } from '../errors.js';
import type { BackendReport } from '../gateway/browser/probe.js';

/**
 * `fano doctor [backend]`: for each browser backend, launches the browser, opens the site and
 * says exactly what is wrong: browser start, page load, sign-in (login wall / challenge /
 * loggedIn selector) and every configured selector. Exit 0 when all checks pass, 69 otherwise.
 * Other backend types have nothing to probe here and are reported as such.
 */

export interface DoctorOptions {
  home: string;
  backend?: string;
  config: FanoConfig;
  json: boolean;
  out: (s: string) => void;
  /** Also send a one-word smoke prompt through the whole path (takes the lock, counts quota). */
  send?: boolean;
  /** With send: in deep mode (runs the deep-mode recipe). */
  deep?: boolean;
}

export const SMOKE_PROMPT = 'Reply with one word: pong';

/** The driver's phases (ms since the request began) as stage times, in the order they happen. */
const STAGES: Array<[string, string]> = [
  ['open', 'page open'],
  ['newchat', 'new chat'],
  ['ready', 'ready and signed in'],
  ['hydrated', 'conversation loaded'],
  ['deep', 'deep mode set'],
  ['typed', 'prompt typed'],
  ['clicked', 'sent'],
  ['submitted', 'submit confirmed'],
];

interface RequestLog {
  outcome: string;
  durationMs: number;
  phases: Record<string, number>;
  detail: string | null;
  last: { userCount: number; responseCount: number; hasNew: boolean; busy: boolean; done: boolean; textChars: number } | null;
}

/** The checks of one smoke prompt: every stage's time, the answer, and which locator found nothing. */
async function smokeChecks(opts: DoctorOptions, name: string, report: BackendReport): Promise<void> {
  const { sendCounted } = await import('./ask.js');
  const { res, events } = await sendCounted({
    home: opts.home,
    config: opts.config,
    backend: name,
    prompt: SMOKE_PROMPT,
    deep: opts.deep === true,
    requestId: 'doctor',
    command: 'doctor',
  });
  const req = events.find(([e]) => e === 'browser.request')?.[1] as RequestLog | undefined;
  let prev = 0;
  const stages: string[] = [];
  for (const [key, label] of STAGES) {
    const at = req?.phases[key];
    if (at === undefined) continue;
    stages.push(`${label} ${((at - prev) / 1000).toFixed(2)} s`);
    prev = at;
  }
  stages.push(`answer ${res.outcome === 'ok' ? 'complete' : res.outcome} ${((res.durationMs - prev) / 1000).toFixed(2)} s`);
  const timing = `${stages.join(', ')} (total ${(res.durationMs / 1000).toFixed(2)} s)`;
  if (res.outcome === 'ok') {
    report.checks.push({ name: 'send', status: 'ok', detail: `${timing}; answer: ${JSON.stringify(res.text.slice(0, 200))}` });
    return;
  }
  report.ok = false;
  report.checks.push({
    name: 'send',
    status: 'failed',
    detail: `${res.outcome}: ${res.detail ?? ''}; ${timing}${res.bundle ? `; details in ${res.bundle}` : ''}`,
  });
  const last = req?.last;
  const cfg = opts.config.backends[name];
  if (last && cfg?.type === 'browser' && last.userCount > 0 && last.responseCount === 0 && res.sent) {
    const { resolveSite } = await import('../gateway/browser/sites.js');
    const { fileSiteCatalog } = await import('../config/site-adapters.js');
    const site = resolveSite(name, cfg, fileSiteCatalog(opts.home));
    report.checks.push({
      name: 'selectors.response',
      status: 'failed',
      detail: `the prompt went out (a user turn is on the page) but none of ${site.selectors.response.map((l) => JSON.stringify(l.source)).join(', ')} matched an answer: the response locator is broken`,
    });
  }
}

const LABEL = { ok: 'ok', failed: 'FAILED', warning: 'warning', skipped: 'skipped' } as const;

function render(r: BackendReport): string {
  const adapter = r.adapter ? `, adapter version ${r.adapter.version} verified ${r.adapter.verifiedAt}` : '';
  const lines = [`${r.backend} (site ${r.site}${adapter}${r.url ? `, ${r.url}` : ''}): ${r.ok ? 'ok' : 'PROBLEMS'}`];
  const width = Math.max(...r.checks.map((c) => c.name.length));
  for (const c of r.checks) lines.push(`  ${LABEL[c.status].padEnd(8)}${c.name.padEnd(width + 2)}${c.detail}`);
  return lines.join('\n');
}

export async function runDoctor(opts: DoctorOptions): Promise<number> {
  const all = opts.config.backends;
  let names: string[];
  if (opts.backend) {
    if (!all[opts.backend]) {
      opts.out(`unknown backend "${opts.backend}" (configured: ${Object.keys(all).join(', ') || 'none'})`);
      return ExitCode.usage;
    }
    names = [opts.backend];
  } else {
    names = Object.keys(all).filter((n) => all[n]?.enabled !== false);
  }
  const reports: BackendReport[] = [];
  const others: Array<{ backend: string; type: string }> = [];
  for (const name of names) {
    const cfg = all[name];
    if (!cfg) continue;
    if (cfg.type !== 'browser') {
      others.push({ backend: name, type: cfg.type });
      continue;
    }
    // Loaded only when there is a browser backend to check (it pulls in playwright lazily).
    const { probeBrowserBackend } = await import('../gateway/browser/probe.js');
    // One backend at a time: each probe launches and closes its own browser on its own profile.
    const report = await probeBrowserBackend(name, cfg, opts.config.browser, opts.home);
    if (opts.send && report.ok) await smokeChecks(opts, name, report);
    else if (opts.send) report.checks.push({ name: 'send', status: 'skipped', detail: 'not sent: fix the failed checks above first' });
    reports.push(report);
  }
  const ok = reports.every((r) => r.ok);
  if (opts.json) {
    opts.out(JSON.stringify({ ok, backends: reports, notProbed: others }, null, 2));
  } else {
    for (const r of reports) opts.out(render(r));
    for (const o of others) opts.out(`${o.backend} (type ${o.type}): no browser to check`);
    if (reports.length === 0 && others.length === 0) opts.out('no backends configured');
    opts.out(
      ok
        ? 'all checks passed'
        : `problems found in: ${reports
            .filter((r) => !r.ok)
            .map((r) => r.backend)
            .join(', ')}`,
    );
  }
  return ok ? ExitCode.ok : ExitCode.backendNotOk;
}
