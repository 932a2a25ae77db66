import type { FanoConfig } from '../config/schema.js';
import { ExitCode } from '../errors.js';

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
  // Decided before launching anything: a headful Chromium without a display would only crash.
  if (!browser.cdpEndpoint && platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
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
      `A browser ${browser.cdpEndpoint ? `tab (in the browser at ${browser.cdpEndpoint})` : 'window'} is open on ${session.url}${session.profile ? ` with the profile ${session.profile}` : ''}.`,
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
