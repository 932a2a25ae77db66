import type { FanoConfig } from '../config/schema.js';
import { ExitCode } from '../errors.js';
import { pidAlive, readResident } from '../gateway/browser/resident.js';

/**
 * `fano login <backend>`: opens a visible browser on the backend's own profile at its site, so
 * the person signs in (or solves a challenge) once; the cookies stay in
 * state/profiles/<backend>/ for every later headless tick. Needs a display, or an attached
 * browser (browser.cdpEndpoint).
 */

export interface LoginOptions {
  home: string;
  backend: string;
  config: FanoConfig;
  out: (s: string) => void;
}

/** Seams for tests: the environment to read DISPLAY from and the platform. */
export interface LoginDeps {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export function noDisplayMessage(backend: string): string {
  return [
    `fano login ${backend} needs a display to show the browser window, and this session has none (DISPLAY and WAYLAND_DISPLAY are unset).`,
    'Any of these works:',
    `  - run \`fano login ${backend}\` on a desktop session (the profile folder state/profiles/${backend}/ can then be copied to this machine);`,
    `  - connect with X forwarding: \`ssh -X host\`, then \`fano login ${backend}\`;`,
    `  - start a virtual display and watch it over VNC: \`xvfb-run -s "-screen 0 1280x900x24" fano login ${backend}\` plus x11vnc;`,
    '  - start Chromium yourself with --remote-debugging-port=9222 where you can see it, set browser.cdpEndpoint: http://127.0.0.1:9222 in fano.config.yaml, and run this again.',
  ].join('\n');
}

export function residentHeadlessMessage(backend: string): string {
  return [
    `The resident browser runs headless (no display), and it holds the profile of ${backend}, so there is no window to sign in with.`,
    'Any of these works:',
    `  - \`fano browser stop\`, then \`fano login ${backend}\` (on a display), then \`fano browser start\`;`,
    '  - start the resident browser where it has a display: install Xvfb (`apt-get install -y xvfb`) and run `fano browser stop` and `fano browser start` (it then draws on a virtual display you can watch with x11vnc and a VNC viewer);',
    '  - sign in to your own Chrome started with --remote-debugging-port=9222 and set browser.cdpEndpoint: http://127.0.0.1:9222.',
  ].join('\n');
}

export async function runLogin(opts: LoginOptions, deps: LoginDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const platform = deps.platform ?? process.platform;
  const cfg = opts.config.backends[opts.backend];
  if (!cfg) {
    const names = Object.keys(opts.config.backends);
    opts.out(`unknown backend "${opts.backend}" (configured: ${names.length > 0 ? names.join(', ') : 'none'})`);
    return ExitCode.usage;
  }
  if (cfg.type !== 'browser') {
    opts.out(`backend "${opts.backend}" is of type ${cfg.type}: only browser backends have a sign-in`);
    return ExitCode.usage;
  }
  const browser = opts.config.browser;
  // A resident browser holds the profile: the sign-in happens in it, where the ticks work.
  const resident = browser.cdpEndpoint ? null : readResident(opts.home);
  const mine = resident?.backends[opts.backend];
  if (resident && mine && pidAlive(mine.pid)) {
    if (resident.mode === 'headless') {
      opts.out(residentHeadlessMessage(opts.backend));
      return ExitCode.usage;
    }
    if (resident.mode === 'xvfb')
      opts.out(
        `The resident browser draws on the virtual display ${resident.display}: watch it with a VNC server (\`x11vnc -display ${resident.display}\`) and a viewer.`,
      );
  } else if (!browser.cdpEndpoint && platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    // Decided before launching anything: a headful Chromium without a display would only crash.
    opts.out(noDisplayMessage(opts.backend));
    return ExitCode.usage;
  }
  const { openLoginSession } = await import('../gateway/browser/probe.js');
  let session;
  try {
    session = await openLoginSession(opts.backend, cfg, browser, opts.home);
  } catch (e) {
    opts.out(`the browser could not start: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
    return ExitCode.backendNotOk;
  }
  opts.out(
    [
      `A browser ${browser.cdpEndpoint ? `tab (in the browser at ${browser.cdpEndpoint})` : session.attached ? 'tab (in the resident browser)' : 'window'} is open on ${session.url}${session.profile ? ` with the profile ${session.profile}` : ''}.`,
      'Sign in there (solve any challenge), then close the window. Cookies are kept as you go.',
    ].join('\n'),
  );
  try {
    await session.waitForClose();
  } finally {
    await session.close();
  }
  opts.out(`Done. Check the sign-in with: fano doctor ${opts.backend}`);
  return ExitCode.ok;
}
