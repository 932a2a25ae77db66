import { loadConfig } from '../config/load.js';
import type { FanoConfig } from '../config/schema.js';
import { fileSiteCatalog } from '../config/site-adapters.js';
import { ExitCode, UsageError } from '../errors.js';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import {
  driverFile,
  endpointResponds,
  pidAlive,
  readDriver,
  readResident,
  residentFile,
  residentPages,
  ResidentStartError,
  startResident,
  stopResident,
  treeRssBytes,
  type DriverRecord,
  type ResidentRecord,
} from '../gateway/browser/resident.js';
import { resolveSite } from '../gateway/browser/sites.js';

/**
 * `fano browser start|stop|status`: the resident browser that ticks attach to instead of
 * launching Chromium every minute (src/gateway/browser/resident.ts). `start` returns once every
 * backend's Chromium answers on its debugging port; with `--foreground` it stays and watches them
 * (what the systemd unit of `fano schedule --systemd` runs: a browser that dies ends the process,
 * and systemd starts it again).
 */

export interface BrowserCmdOptions {
  home: string;
  out: (s: string) => void;
  json?: boolean;
  headless?: boolean;
  foreground?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The fano launcher that runs `fano browser driver` (default: this process's own). */
  fanoBin?: string;
}

const DRIVER_START_TIMEOUT_MS = 30_000;

/**
 * Starts the resident driver (`fano browser driver`) unless it runs. A driver that cannot start
 * is no reason to fail: ticks then drive the resident browser themselves, only slower.
 */
async function ensureDriver(o: BrowserCmdOptions): Promise<DriverRecord | string> {
  const old = readDriver(o.home);
  if (old && pidAlive(old.pid)) return old;
  const logFile = path.join(o.home, 'runs', 'browser-driver.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const bin = o.fanoBin ?? process.argv[1] ?? 'fano';
  const child = spawn(process.execPath, [bin, '--home', o.home, 'browser', 'driver'], { detached: !o.foreground, stdio: ['ignore', log, log] });
  closeSync(log);
  if (!o.foreground) child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + DRIVER_START_TIMEOUT_MS;
  while (Date.now() < deadline && !exited) {
    const rec = readDriver(o.home);
    if (rec && rec.pid === child.pid) return rec;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!exited) child.kill('SIGTERM');
  return `the driver ${exited ? 'exited at once' : `did not start within ${DRIVER_START_TIMEOUT_MS / 1000} s`} (see runs/browser-driver.log)`;
}

function driverText(d: DriverRecord | string): string {
  return typeof d === 'string'
    ? `${d}: ticks drive the resident browser themselves (slower: each loads Playwright)`
    : `driver pid ${d.pid} on 127.0.0.1:${d.port}: ticks send through it (no Playwright start-up per tick)`;
}

function browserBackends(config: FanoConfig, home: string): Array<{ name: string; url: string }> {
  const sites = fileSiteCatalog(home);
  return Object.entries(config.backends)
    .filter(([, b]) => b.enabled && b.type === 'browser')
    .map(([name, b]) => ({ name, url: resolveSite(name, b as Extract<typeof b, { type: 'browser' }>, sites).url }));
}

function modeText(r: ResidentRecord, forcedHeadless = false): string {
  if (r.mode === 'display') return `headful on the display ${r.display}`;
  if (r.mode === 'xvfb')
    return `headful on the virtual display ${r.display} (Xvfb pid ${r.xvfbPid}; watch it with a VNC server such as \`x11vnc -display ${r.display}\`)`;
  return `headless (${forcedHeadless ? 'as asked' : 'no display and no Xvfb found'}; \`fano login\` then needs \`fano browser stop\` first)`;
}

export async function runBrowserStart(o: BrowserCmdOptions): Promise<number> {
  const { config } = await loadConfig(o.home);
  if (config.browser.cdpEndpoint) {
    o.out(`browser.cdpEndpoint is set (${config.browser.cdpEndpoint}): ticks attach to that browser, so there is nothing to start.`);
    return ExitCode.ok;
  }
  const backends = browserBackends(config, o.home);
  if (backends.length === 0) {
    o.out('no enabled browser backend in fano.config.yaml: there is no browser to start.');
    return ExitCode.ok;
  }
  const old = readResident(o.home);
  if (old) {
    const alive = await Promise.all(Object.values(old.backends).map(async (b) => pidAlive(b.pid) && (await endpointResponds(b.endpoint))));
    if (alive.length > 0 && alive.every(Boolean) && !o.foreground) {
      o.out(`the resident browser is already running (${modeText(old)}); \`fano browser status\` shows it.`);
      o.out(driverText(await ensureDriver(o)));
      return ExitCode.ok;
    }
    o.out('a resident browser was recorded but is not (fully) running: stopping what is left and starting afresh.');
    await stopResident(o.home);
  }
  let r: ResidentRecord;
  try {
    r = await startResident({
      home: o.home,
      browser: config.browser,
      backends,
      headless: o.headless === true,
      env: o.env ?? process.env,
      supervised: o.foreground === true,
    });
  } catch (e) {
    if (e instanceof ResidentStartError) {
      o.out(`the resident browser could not start: ${e.message}`);
      return ExitCode.backendNotOk;
    }
    throw e;
  }
  o.out(`started the resident browser, ${modeText(r, o.headless === true)}:`);
  for (const [name, b] of Object.entries(r.backends)) o.out(`  ${name.padEnd(12)} pid ${b.pid}  ${b.endpoint}  (profile ${b.profile})`);
  o.out(driverText(await ensureDriver(o)));
  o.out(
    `Ticks attach to it from now on. Endpoints and pids: ${residentFile(o.home)} and ${driverFile(o.home)} (mode 0600: a debugging port lets anyone on this machine drive the signed-in browser).`,
  );
  if (!o.foreground) return ExitCode.ok;
  return supervise(o, r);
}

/** --foreground: waits until a signal (stop everything, exit 0) or a browser exits (stop the rest, exit 1). */
async function supervise(o: BrowserCmdOptions, r: ResidentRecord): Promise<number> {
  const code = await new Promise<number>((resolve) => {
    let restarting = false;
    const timer = setInterval(() => {
      const dead = Object.entries(r.backends).find(([, b]) => !pidAlive(b.pid));
      if (dead) finish(ExitCode.backendNotOk, `the resident browser of ${dead[0]} (pid ${dead[1].pid}) exited`);
      const d = readDriver(o.home);
      if (!restarting && (!d || !pidAlive(d.pid))) {
        restarting = true;
        o.out('the driver is not running: starting it again');
        void ensureDriver(o).then((x) => {
          o.out(driverText(x));
          restarting = false;
        });
      }
    }, 1_000);
    const finish = (c: number, why: string) => {
      clearInterval(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      o.out(`${why}: stopping the resident browser`);
      resolve(c);
    };
    const onSignal = () => finish(ExitCode.ok, 'asked to stop');
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await stopResident(o.home);
  return code;
}

export async function runBrowserStop(o: BrowserCmdOptions): Promise<number> {
  const result = await stopResident(o.home);
  if (result === null) {
    o.out('no resident browser was started for this home (`fano browser start` starts one).');
    return ExitCode.ok;
  }
  for (const [name, how] of Object.entries(result)) {
    o.out(`  ${name.padEnd(12)} ${how === 'stopped' ? 'stopped (profile saved)' : how === 'killed' ? 'did not stop in time: killed' : 'was not running'}`);
  }
  o.out('the resident browser is stopped; ticks launch their own browser again.');
  return ExitCode.ok;
}

export interface BrowserStatus {
  running: boolean;
  healthy: boolean;
  mode: ResidentRecord['mode'] | null;
  display: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  memoryBytes: number | null;
  file: string;
  backends: Array<{
    name: string;
    pid: number;
    endpoint: string;
    alive: boolean;
    responding: boolean;
    pages: Array<{ url: string; title: string }>;
    signedIn: boolean | null;
    problem: string | null;
  }>;
  /** The resident driver ticks send through; null when none was started. */
  driver: { pid: number; port: number; alive: boolean; memoryBytes: number | null } | null;
}

export async function browserStatus(home: string, config: FanoConfig): Promise<BrowserStatus> {
  const r = readResident(home);
  const file = residentFile(home);
  const d = readDriver(home);
  const dAlive = d !== null && pidAlive(d.pid);
  const driver = d ? { pid: d.pid, port: d.port, alive: dAlive, memoryBytes: dAlive ? treeRssBytes(d.pid) : null } : null;
  if (!r)
    return { running: false, healthy: false, mode: null, display: null, startedAt: null, uptimeSeconds: null, memoryBytes: null, file, backends: [], driver };
  const sites = fileSiteCatalog(home);
  let memory: number | null = 0;
  const backends: BrowserStatus['backends'] = [];
  for (const [name, b] of Object.entries(r.backends)) {
    const alive = pidAlive(b.pid);
    const responding = alive && (await endpointResponds(b.endpoint));
    const pages = responding ? await residentPages(b.endpoint).catch(() => []) : [];
    const rss = alive ? treeRssBytes(b.pid) : 0;
    memory = memory === null || rss === null ? null : memory + rss;
    let signedIn: boolean | null = null;
    const cfg = config.backends[name];
    if (responding && cfg?.type === 'browser') {
      const { residentSignedIn } = await import('../gateway/browser/probe.js');
      signedIn = await residentSignedIn(b.endpoint, resolveSite(name, cfg, sites)).catch(() => null);
    }
    const problem = !alive
      ? `its Chromium (pid ${b.pid}) is not running: it died or was killed. Ticks launch their own browser meanwhile; \`fano browser start\` starts it again`
      : !responding
        ? `its Chromium (pid ${b.pid}) runs but does not answer on ${b.endpoint}: \`fano browser stop\` then \`fano browser start\``
        : signedIn === false
          ? `not signed in: \`fano login ${name}\``
          : null;
    backends.push({ name, pid: b.pid, endpoint: b.endpoint, alive, responding, pages, signedIn, problem });
  }
  const startedMs = Date.parse(r.startedAt);
  return {
    running: backends.some((b) => b.alive),
    healthy: backends.every((b) => b.responding),
    mode: r.mode,
    display: r.display,
    startedAt: r.startedAt,
    uptimeSeconds: Math.round((Date.now() - startedMs) / 1000),
    memoryBytes: memory,
    file,
    backends,
    driver,
  };
}

function duration(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export async function runBrowserStatus(o: BrowserCmdOptions): Promise<number> {
  const { config } = await loadConfig(o.home);
  const st = await browserStatus(o.home, config);
  const code = !st.startedAt || st.healthy ? ExitCode.ok : ExitCode.backendNotOk;
  if (o.json) {
    o.out(JSON.stringify(st, null, 2));
    return code;
  }
  if (!st.startedAt) {
    o.out('no resident browser for this home: ticks launch their own. `fano browser start` starts one that they attach to.');
    return code;
  }
  const mode = st.mode === 'display' ? `headful on ${st.display}` : st.mode === 'xvfb' ? `headful on the virtual display ${st.display}` : 'headless';
  const mem = st.memoryBytes === null ? 'unknown' : `${Math.round(st.memoryBytes / 1048576)} MB`;
  o.out(`resident browser: ${st.healthy ? 'running' : st.running ? 'PARTLY DOWN' : 'DOWN'}, ${mode}, up ${duration(st.uptimeSeconds ?? 0)}, memory ${mem}`);
  for (const b of st.backends) {
    const state = !b.alive ? 'DEAD' : !b.responding ? 'NOT ANSWERING' : 'running';
    const signed = b.signedIn === null ? '' : b.signedIn ? ', signed in' : ', NOT signed in';
    o.out(`  ${b.name.padEnd(12)} ${state}, pid ${b.pid}, ${b.endpoint}, ${b.pages.length} page(s)${signed}`);
    for (const p of b.pages) o.out(`      ${p.url}`);
    if (b.problem) o.out(`      ${b.problem}`);
  }
  const dr = st.driver;
  if (!dr) o.out('  driver       not started: ticks drive the browser themselves (slower); `fano browser start` starts it');
  else if (!dr.alive) o.out(`  driver       DEAD (pid ${dr.pid}): ticks drive the browser themselves (slower); \`fano browser start\` starts it again`);
  else
    o.out(
      `  driver       running, pid ${dr.pid}, 127.0.0.1:${dr.port}, memory ${dr.memoryBytes === null ? 'unknown' : `${Math.round(dr.memoryBytes / 1048576)} MB`}`,
    );
  return code;
}

/**
 * `fano browser driver`: the resident driver itself (started by `fano browser start`, not by
 * hand). Serves until the resident browser is stopped or it gets SIGTERM.
 */
export async function runBrowserDriver(o: BrowserCmdOptions): Promise<number> {
  if (!readResident(o.home)) {
    o.out('no resident browser for this home: the driver serves one (`fano browser start` starts both).');
    return ExitCode.backendNotOk;
  }
  const { serveDriver } = await import('../gateway/browser/driver-service.js');
  const svc = await serveDriver(o.home, o.out);
  const stop = () => void svc.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await svc.done;
  return ExitCode.ok;
}

export function parseBrowserAction(action: string): 'start' | 'stop' | 'status' {
  if (action === 'start' || action === 'stop' || action === 'status') return action;
  throw new UsageError(`unknown action "${action}": use fano browser start, stop or status`);
}
