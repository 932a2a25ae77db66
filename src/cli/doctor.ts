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
    reports.push(await probeBrowserBackend(name, cfg, opts.config.browser, opts.home));
  }
  const ok = reports.every((r) => r.ok);
  if (opts.json) {
    opts.out(JSON.stringify({ ok, backends: reports, notProbed: others }, null, 2));
  } else {
    for (const r of reports) opts.out(render(r));
    for (const o of others) opts.out(`${o.backend} (type ${o.type}): no browser to check`);
    if (reports.length === 0 && others.length === 0) opts.out('no backends configured');
    opts.out(ok ? 'all checks passed' : `problems found in: ${reports.filter((r) => !r.ok).map((r) => r.backend).join(', ')}`);
  }
  return ok ? ExitCode.ok : ExitCode.backendNotOk;
}
