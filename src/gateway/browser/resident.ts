import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FanoConfig } from '../../config/schema.js';
import { chromiumArgs, clearStaleProfileLock, ensureProfileDir, pidAlive, profileDir } from './session.js';

export { pidAlive };

/**
 * The resident browser: Chromium processes that outlive the ticks, one per browser backend on that
 * backend's own profile (state/profiles/<backend>/), each with remote debugging bound to
 * 127.0.0.1 on a port Chromium picks. Ticks attach to them over CDP instead of launching a
 * browser every minute, and find each backend's page still on its site. Their pids and endpoints
 * are kept in runs/browser.json, readable by the user only: anyone who can reach a debugging port
 * can drive the signed-in browser.
 *
 * Nothing here imports Playwright: starting, stopping and the health check are processes, files
 * and one HTTP request.
 */

export const RESIDENT_FILE = 'browser.json';

export interface ResidentBackend {
  pid: number;
  /** http://127.0.0.1:<port> (what browser.cdpEndpoint takes). */
  endpoint: string;
  profile: string;
  /** The site's start page the browser opened with. */
  url: string;
}

export interface ResidentRecord {
  version: 1;
  startedAt: string;
  /** headful on the user's display, headful on a virtual display fano started, or headless. */
  mode: 'display' | 'xvfb' | 'headless';
  display: string | null;
  xvfbPid: number | null;
  /** The `fano browser start --foreground` process that watches the browsers (systemd), if any. */
  supervisorPid: number | null;
  backends: Record<string, ResidentBackend>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 1_500;
const POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function residentFile(home: string): string {
  return path.join(home, 'runs', RESIDENT_FILE);
}

export function readResident(home: string): ResidentRecord | null {
  try {
    const r = JSON.parse(readFileSync(residentFile(home), 'utf8')) as ResidentRecord;
    return r.version === 1 && r.backends ? r : null;
  } catch {
    return null;
  }
}

/** Written whole (temp file, then rename), mode 0600 from the first byte on. */
function writePrivate(file: string, value: object): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function writeResident(home: string, r: ResidentRecord): void {
  writePrivate(residentFile(home), r);
}

/**
 * The resident driver (`fano browser driver`, started by `fano browser start`): a fano process
 * that stays connected to the resident browsers with Playwright loaded, so a tick sends its
 * request there instead of importing Playwright (~0.6 s) and connecting over CDP every minute.
 */
export const DRIVER_FILE = 'browser-driver.json';

export interface DriverRecord {
  version: 1;
  pid: number;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Proves a connection comes from someone who can read this file (mode 0600). */
  token: string;
  startedAt: string;
}

export function driverFile(home: string): string {
  return path.join(home, 'runs', DRIVER_FILE);
}

export function readDriver(home: string): DriverRecord | null {
  try {
    const r = JSON.parse(readFileSync(driverFile(home), 'utf8')) as DriverRecord;
    return r.version === 1 && typeof r.port === 'number' && typeof r.token === 'string' ? r : null;
  } catch {
    return null;
  }
}

export function writeDriver(home: string, r: DriverRecord): void {
  writePrivate(driverFile(home), r);
}

/** Stops the driver the home records (if it is this process, only forgets it). */
export async function stopDriver(home: string): Promise<'stopped' | 'killed' | 'gone' | null> {
  const d = readDriver(home);
  if (!d) return null;
  const how = d.pid === process.pid ? 'stopped' : await stopPid(d.pid);
  rmSync(driverFile(home), { force: true });
  return how;
}

/** Whether the DevTools endpoint answers (a live pid whose browser hangs does not). */
/** The port on the first line of Chromium's DevToolsActivePort file; null while it is missing, empty or partly written. */
export function devToolsPort(file: string): number | null {
  try {
    // Chromium writes "<port>\n<browser path>": without the newline the port may be cut short.
    const text = readFileSync(file, 'utf8');
    if (!text.includes('\n')) return null;
    const port = Number(text.split('\n')[0]);
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

export async function endpointResponds(endpoint: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/json/version`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export type ResidentLookup = { endpoint: string } | { unavailable: string } | null;

/**
 * The resident browser a backend's requests should attach to: its endpoint when it runs and
 * answers; why not when a resident browser was started but this backend's is gone; null when
 * none was started (the tick launches its own, as always).
 */
export async function findResident(home: string, backend: string): Promise<ResidentLookup> {
  const r = readResident(home);
  const b = r?.backends[backend];
  if (!r || !b) return null;
  if (!pidAlive(b.pid)) return { unavailable: `its Chromium (pid ${b.pid}) is not running` };
  if (!(await endpointResponds(b.endpoint))) return { unavailable: `its Chromium (pid ${b.pid}) does not answer on ${b.endpoint}` };
  return { endpoint: b.endpoint };
}

/**
 * The resident browser of a backend (`fano browser start`), for a session to attach to; null to
 * launch a browser of its own. Says in the log which, and why a resident one could not be used.
 */
export function residentAttach(
  home: string,
  name: string,
  keepPage: boolean,
  log: (event: string, fields: object) => void,
): () => Promise<{ endpoint: string; keepPage: boolean } | null> {
  return async () => {
    const found = await findResident(home, name);
    if (found === null) return null;
    if ('unavailable' in found) {
      log('browser.resident_unavailable', { backend: name, reason: found.unavailable, then: 'launching a browser for this tick' });
      return null;
    }
    log('browser.resident', { backend: name, endpoint: found.endpoint });
    return { endpoint: found.endpoint, keepPage };
  };
}

/** A virtual display when there is no real one: Xvfb on the first free display number. */
function startXvfb(): { display: string; pid: number } | null {
  if (spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status !== 0) return null;
  for (let n = 99; n < 140; n += 1) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const child = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { detached: true, stdio: 'ignore' });
    child.unref();
    return { display: `:${n}`, pid: child.pid ?? 0 };
  }
  return null;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

export interface StartOptions {
  home: string;
  browser: FanoConfig['browser'];
  /** The browser backends to start, with their sites' start pages. */
  backends: Array<{ name: string; url: string }>;
  /** Never headful, even with a display. */
  headless: boolean;
  env: NodeJS.ProcessEnv;
  /** This process stays and watches the browsers (recorded as their supervisor). */
  supervised: boolean;
}

export class ResidentStartError extends Error {}

/** Starts every backend's Chromium; the record is written once all of them answer. */
export async function startResident(o: StartOptions): Promise<ResidentRecord> {
  let mode: ResidentRecord['mode'] = 'headless';
  let display: string | null = null;
  let xvfbPid: number | null = null;
  if (!o.headless) {
    if (o.env.DISPLAY) {
      mode = 'display';
      display = o.env.DISPLAY;
    } else {
      const x = startXvfb();
      if (x && (await waitFor(() => existsSync(`/tmp/.X11-unix/X${x.display.slice(1)}`), 5_000))) {
        mode = 'xvfb';
        display = x.display;
        xvfbPid = x.pid;
      } else if (x) {
        process.kill(x.pid, 'SIGTERM');
      }
    }
  }
  const record: ResidentRecord = {
    version: 1,
    startedAt: new Date().toISOString(),
    mode,
    display,
    xvfbPid,
    supervisorPid: o.supervised ? process.pid : null,
    backends: {},
  };
  const logDir = path.join(o.home, 'runs');
  mkdirSync(logDir, { recursive: true });
  try {
    for (const b of o.backends) {
      const profile = profileDir(o.home, b.name);
      await ensureProfileDir(profile);
      await clearStaleProfileLock(profile);
      rmSync(path.join(profile, 'DevToolsActivePort'), { force: true });
      const args = [
        ...chromiumArgs(o.browser.args),
        `--user-data-dir=${profile}`,
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        '--window-size=1280,900',
        ...(mode === 'headless' ? ['--headless=new'] : []),
        b.url,
      ];
      const log = openSync(path.join(logDir, `browser-${b.name}.log`), 'a');
      const child = spawn(o.browser.executablePath, args, {
        detached: !o.supervised,
        stdio: ['ignore', log, log],
        env: { ...o.env, ...(display ? { DISPLAY: display } : {}) },
      });
      closeSync(log);
      if (!o.supervised) child.unref();
      const pid = child.pid;
      if (!pid) throw new ResidentStartError(`could not start ${o.browser.executablePath} for ${b.name}`);
      // Chromium writes the port it picked into the profile: no race for a free port.
      // The file appears before its contents (read too early it is empty, "port 0"): wait for a port.
      const portFile = path.join(profile, 'DevToolsActivePort');
      const up = await waitFor(() => devToolsPort(portFile) !== null || !pidAlive(pid), START_TIMEOUT_MS);
      const port = devToolsPort(portFile);
      if (!up || port === null) {
        throw new ResidentStartError(
          `Chromium for ${b.name} ${pidAlive(pid) ? `did not open its debugging port within ${START_TIMEOUT_MS / 1000} s` : 'exited at once'} (see runs/browser-${b.name}.log)`,
        );
      }
      const endpoint = `http://127.0.0.1:${port}`;
      if (!(await waitFor(() => endpointResponds(endpoint), START_TIMEOUT_MS)))
        throw new ResidentStartError(`Chromium for ${b.name} does not answer on ${endpoint}`);
      // The warm page is what ticks come for: wait until it shows the site (a site that does not
      // load now is no reason to fail: the first tick loads it again).
      const origin = new URL(b.url).origin;
      await waitFor(async () => (await residentPages(endpoint).catch(() => [])).some((p) => p.url.startsWith(origin)), START_TIMEOUT_MS);
      record.backends[b.name] = { pid, endpoint, profile, url: b.url };
      writeResident(o.home, record);
    }
  } catch (e) {
    await stopProcesses(record);
    throw e;
  }
  writeResident(o.home, record);
  return record;
}

/** Chromium closes cleanly on SIGTERM (the profile is flushed); SIGKILL only if it does not. */
async function stopPid(pid: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!pidAlive(pid)) return 'gone';
  process.kill(pid, 'SIGTERM');
  if (await waitFor(() => !pidAlive(pid), STOP_TIMEOUT_MS)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !pidAlive(pid), STOP_TIMEOUT_MS);
  return 'killed';
}

async function stopProcesses(r: ResidentRecord): Promise<Record<string, 'stopped' | 'killed' | 'gone'>> {
  const out: Record<string, 'stopped' | 'killed' | 'gone'> = {};
  await Promise.all(
    Object.entries(r.backends).map(async ([name, b]) => {
      out[name] = await stopPid(b.pid);
    }),
  );
  if (r.xvfbPid) await stopPid(r.xvfbPid);
  return out;
}

/** Stops what the record names and removes it. Null when nothing was started. */
export async function stopResident(home: string): Promise<Record<string, 'stopped' | 'killed' | 'gone'> | null> {
  const r = readResident(home);
  if (!r) return null;
  // The driver first: it must not see its browsers go and report them unavailable to a tick.
  await stopDriver(home);
  const result = await stopProcesses(r);
  // A supervisor (systemd's `--foreground` process) ends on its own once its browsers are gone.
  if (r.supervisorPid && r.supervisorPid !== process.pid && pidAlive(r.supervisorPid)) await stopPid(r.supervisorPid);
  rmSync(residentFile(home), { force: true });
  return result;
}

/** Resident memory of a process and all its descendants, in bytes (Linux /proc; null elsewhere). */
export function treeRssBytes(root: number): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch {
      continue;
    }
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** The pages open in a resident browser (plain HTTP to its DevTools endpoint). */
export async function residentPages(endpoint: string): Promise<Array<{ url: string; title: string }>> {
  const res = await fetch(`${endpoint}/json/list`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
  const all = (await res.json()) as Array<{ url: string; title: string; type: string }>;
  return all.filter((t) => t.type === 'page').map(({ url, title }) => ({ url, title }));
}
