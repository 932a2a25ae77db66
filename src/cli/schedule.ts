import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { FanoError, ExitCode, UsageError } from '../errors.js';
import { sha256Hex } from '../core/hash.js';

/**
 * `fano schedule`: the timer that runs `fano tick` every `tick.intervalSeconds`. The texts are pure functions of
 * (home, node, bin, interval) so they are tested byte for byte; only `--install` touches the machine.
 */
export interface ScheduleTarget {
  /** Absolute fano home. */
  home: string;
  /** Absolute path of the node binary (timers do not get the login shell's PATH). */
  node: string;
  /** Absolute path of bin/fano.js. */
  bin: string;
  /** The home has browser backends: a resident browser runs beside the timer (ticks attach to it). */
  browser?: boolean;
  /** tick.intervalSeconds: how often the timer runs `fano tick` (default 60). */
  intervalSeconds?: number;
}

/** "every minute", "every 30 seconds", "every 5 minutes", "every 2 hours". */
export function everyText(sec: number): string {
  if (sec === 60) return 'every minute';
  if (sec % 3600 === 0) return sec === 3600 ? 'every hour' : `every ${sec / 3600} hours`;
  if (sec % 60 === 0) return `every ${sec / 60} minutes`;
  return `every ${sec} seconds`;
}

/**
 * The [Timer] lines that fire every `sec` seconds: a calendar event when the interval divides a
 * minute, an hour or a day (wall-clock aligned, and `Persistent=true` catches up after sleep),
 * else a monotonic timer counted from the last run.
 */
function timerTrigger(sec: number): string {
  const m = sec / 60;
  const h = sec / 3600;
  let cal: string | null = null;
  if (sec === 60) cal = 'minutely';
  else if (sec < 60 && 60 % sec === 0) cal = `*:*:0/${sec}`;
  else if (Number.isInteger(m) && m < 60 && 60 % m === 0) cal = `*:0/${m}`;
  else if (Number.isInteger(h) && h <= 24 && 24 % h === 0) cal = h === 24 ? 'daily' : `0/${h}:00`;
  // systemd fires within AccuracySec (default 1 min) of the time: tighter for short intervals.
  const accuracy = sec < 120 ? '\nAccuracySec=1s' : '';
  if (cal !== null) return `OnCalendar=${cal}\n# Catch up once after the machine slept or was off.\nPersistent=true${accuracy}`;
  return `OnBootSec=${sec}s\nOnUnitActiveSec=${sec}s${accuracy}`;
}

/**
 * The schedule field of a crontab line for `sec`, or null when cron cannot express it (cron runs
 * on whole minutes, and `*\/n` only repeats evenly when n divides the hour or the day).
 */
export function cronSchedule(sec: number): string | null {
  if (sec % 60 !== 0) return null;
  const m = sec / 60;
  if (m === 1) return '* * * * *';
  if (m < 60 && 60 % m === 0) return `*/${m} * * * *`;
  if (sec % 3600 === 0 && 24 % (sec / 3600) === 0) return sec === 3600 ? '0 * * * *' : sec === 86400 ? '0 0 * * *' : `0 */${sec / 3600} * * *`;
  return null;
}

/** `fano-<8 hex>`: one timer per home, so two homes on one machine never collide. */
export function unitName(home: string): string {
  return `fano-${sha256Hex(home).slice(0, 8)}`;
}

/** systemd's quoting: double quotes when needed, with \ and " escaped. */
function sdQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** `fano-<8 hex>-browser`: the resident browser's service beside the timer's. */
export function browserUnitName(home: string): string {
  return `${unitName(home)}-browser`;
}

export function systemdService(t: ScheduleTarget): string {
  // The ticks attach to the resident browser when it runs; one that does not start never blocks a tick.
  const wants = t.browser ? `Wants=${browserUnitName(t.home)}.service\nAfter=${browserUnitName(t.home)}.service\n` : '';
  return `[Unit]
Description=fano tick for ${t.home}
${wants}
[Service]
Type=oneshot
WorkingDirectory=${sdQuote(t.home)}
ExecStart=${sdQuote(t.node)} ${sdQuote(t.bin)} --home ${sdQuote(t.home)} tick
# Exit 75 means the previous tick still holds the lock and this one did nothing: not a failure.
SuccessExitStatus=75
# A tick bounds itself (tick.maxSeconds); this is only a backstop for a hung browser.
TimeoutStartSec=15min
`;
}

export function systemdTimer(t: ScheduleTarget): string {
  const sec = t.intervalSeconds ?? 60;
  // A small spread so many homes on one machine do not all start at once; under a tenth of the interval.
  const spread = Math.max(1, Math.min(5, Math.floor(sec / 10)));
  return `[Unit]
Description=run fano tick ${everyText(sec)} for ${t.home}

[Timer]
${timerTrigger(sec)}
RandomizedDelaySec=${spread}s
Unit=${unitName(t.home)}.service

[Install]
WantedBy=timers.target
`;
}

/**
 * The resident browser as a user service: `fano browser start --foreground` stays while the
 * browsers run, ends when one of them dies (systemd then starts it again) and stops them all on
 * SIGTERM.
 */
export function systemdBrowserService(t: ScheduleTarget): string {
  return `[Unit]
Description=fano resident browser for ${t.home}

[Service]
Type=simple
WorkingDirectory=${sdQuote(t.home)}
ExecStart=${sdQuote(t.node)} ${sdQuote(t.bin)} --home ${sdQuote(t.home)} browser start --foreground
Restart=on-failure
RestartSec=10s
TimeoutStopSec=30s

[Install]
WantedBy=default.target
`;
}

/** POSIX single quotes; `%` is special in crontab lines (it means newline) and is escaped. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`.replace(/%/g, '\\%');
}

/**
 * One crontab line. cron mails any output, and `fano tick` is quiet unless something is wrong; an
 * overlap (exit 75, "another tick holds the lock") is normal and is swallowed. The trailing
 * comment marks the line so `--install` never adds it twice.
 */
export function cronLine(t: ScheduleTarget): string {
  const sec = t.intervalSeconds ?? 60;
  const when = cronSchedule(sec);
  if (when === null) {
    throw new UsageError(
      `cron cannot run a tick every ${sec} seconds (tick.intervalSeconds): it runs on whole minutes, evenly only when the interval divides an hour or a day; ` +
        'set tick.intervalSeconds in fano.config.yaml to e.g. 60, 120, 300, 600 or 3600, or use `fano schedule --systemd`, which runs any interval',
    );
  }
  const cmd = `${shQuote(t.node)} ${shQuote(t.bin)} --home ${shQuote(t.home)} tick`;
  return `${when} out=$(${cmd} 2>&1); rc=$?; [ $rc -eq 0 ] || [ $rc -eq 75 ] || echo "fano tick exit $rc: $out" # ${unitName(t.home)}`;
}

/** The crontab line that starts the resident browser after a reboot (cron mails only a failure). */
export function cronBrowserLine(t: ScheduleTarget): string {
  const cmd = `${shQuote(t.node)} ${shQuote(t.bin)} --home ${shQuote(t.home)} browser start`;
  return `@reboot out=$(${cmd} 2>&1) || echo "fano browser start failed: $out" # ${browserUnitName(t.home)}`;
}

export const EXIT_75_NOTE =
  "Exit 75 means another `fano tick` still holds the lock (the previous minute's tick is still working),\n" +
  'so this one did nothing and exited at once. That is normal: the timer treats it as success.';

/** bin/fano.js of this installation: argv[1] when it is the launcher, else found from this file. */
export function findBin(argv1: string | undefined = process.argv[1]): string {
  if (argv1) {
    try {
      const real = realpathSync(argv1);
      if (real.endsWith(join('bin', 'fano.js'))) return real;
    } catch {
      // fall through
    }
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'fano.js');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new FanoError('cannot find bin/fano.js of this installation', ExitCode.internal);
    dir = up;
  }
}

export interface ScheduleOptions {
  home: string;
  kind: 'systemd' | 'cron';
  install: boolean;
  out: (s: string) => void;
  target?: Partial<ScheduleTarget>;
  /** Where user units go; default $XDG_CONFIG_HOME/systemd/user or ~/.config/systemd/user. */
  unitDir?: string;
}

/** What the timer needs from the home's config: browser backends a resident browser would serve, and the interval. */
async function timerConfig(home: string): Promise<{ browser: boolean; intervalSeconds: number }> {
  const { config } = await loadConfig(home);
  return {
    browser: !config.browser.cdpEndpoint && Object.values(config.backends).some((b) => b.enabled && b.type === 'browser'),
    intervalSeconds: config.tick.intervalSeconds,
  };
}

export async function runSchedule(opts: ScheduleOptions): Promise<number> {
  const home = resolve(opts.home);
  if (!existsSync(join(home, 'fano.config.yaml'))) {
    throw new UsageError(`${home} is not a fano home (no fano.config.yaml); run \`fano init\` or pass --home`);
  }
  const t: ScheduleTarget = { home, node: process.execPath, bin: findBin(), ...(await timerConfig(home)), ...opts.target };
  return opts.kind === 'systemd' ? scheduleSystemd(t, opts) : scheduleCron(t, opts);
}

function scheduleSystemd(t: ScheduleTarget, opts: ScheduleOptions): number {
  const name = unitName(t.home);
  const units: Array<[string, string]> = [
    [`${name}.service`, systemdService(t)],
    [`${name}.timer`, systemdTimer(t)],
    ...(t.browser ? [[`${browserUnitName(t.home)}.service`, systemdBrowserService(t)] as [string, string]] : []),
  ];
  const enable = `systemctl --user daemon-reload && systemctl --user enable --now ${name}.timer${t.browser ? ` ${browserUnitName(t.home)}.service` : ''}`;
  if (!opts.install) {
    opts.out(units.map(([file, text]) => `# ~/.config/systemd/user/${file}\n${text}`).join('\n'));
    const files = units.length === 2 ? 'the two files' : `the ${units.length} files`;
    opts.out(`# Install with \`fano schedule --systemd --install\`, or save ${files} above and run:\n#   ${enable}\n# ${EXIT_75_NOTE.replace(/\n/g, '\n# ')}`);
    if (t.browser) opts.out(`# ${BROWSER_NOTE.replace(/\n/g, '\n# ')}`);
    return 0;
  }
  const dir = opts.unitDir ?? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of units) writeFileSync(join(dir, file), text);
  opts.out(units.map(([file]) => `wrote ${join(dir, file)}`).join('\n'));
  opts.out(`Enable it (runs fano tick ${everyText(t.intervalSeconds ?? 60)} for ${t.home}${t.browser ? ', beside a resident browser' : ''}):\n  ${enable}`);
  opts.out(
    `To keep it running while you are logged out: loginctl enable-linger "$USER"\nWatch it: systemctl --user list-timers ${name}.timer; journalctl --user -u ${name}.service\n${EXIT_75_NOTE}`,
  );
  if (t.browser) opts.out(BROWSER_NOTE);
  return 0;
}

function scheduleCron(t: ScheduleTarget, opts: ScheduleOptions): number {
  const name = unitName(t.home);
  const lines = [cronLine(t), ...(t.browser ? [cronBrowserLine(t)] : [])];
  if (!opts.install) {
    opts.out(`# add ${lines.length === 1 ? 'this line' : 'these lines'} with \`crontab -e\` (or run \`fano schedule --cron --install\`):\n${lines.join('\n')}`);
    opts.out(`# ${EXIT_75_NOTE.replace(/\n/g, '\n# ')}`);
    if (t.browser) opts.out(`# ${BROWSER_NOTE.replace(/\n/g, '\n# ')}`);
    return 0;
  }
  const current = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
  if (current.error) throw new FanoError(`cannot run crontab (${current.error.message}); is cron installed?`, ExitCode.internal);
  // `crontab -l` exits 1 with "no crontab for <user>" when there is none: that is an empty table.
  const existing = current.status === 0 ? current.stdout : '';
  const merged = mergeCrontab(existing, lines);
  if (merged.added.length === 0 && merged.replaced.length === 0) {
    opts.out(`already installed: your crontab has the fano lines for ${t.home} (# ${name}); nothing changed`);
    return 0;
  }
  const wrote = spawnSync('crontab', ['-'], { input: merged.next, encoding: 'utf8' });
  if (wrote.error || wrote.status !== 0) {
    throw new FanoError(`crontab - failed: ${wrote.error?.message ?? wrote.stderr.trim()}`, ExitCode.internal);
  }
  const replacedText = merged.replaced.map((r) => `replaced in your crontab:\n  ${r.was}\nby\n  ${r.now}\n`).join('');
  const addedText = merged.added.length > 0 ? `added to your crontab:\n${merged.added.join('\n')}\n` : '';
  opts.out(
    `${replacedText}${addedText}(check with \`crontab -l\`) cron starts the ticks within a minute${t.browser ? ' and the resident browser at the next boot (start it now with `fano browser start`)' : ''}; nothing else to enable.\n${EXIT_75_NOTE}`,
  );
  return 0;
}

/**
 * The crontab with fano's lines for one home in it. A line is matched by its mark (`# fano-<hash>`
 * at the end), so a line written for another interval or another node is replaced in place, not
 * kept beside the new one (two lines would run two ticks a minute) nor left as it was.
 */
export function mergeCrontab(existing: string, lines: readonly string[]): { next: string; added: string[]; replaced: Array<{ was: string; now: string }> } {
  const rows = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const added: string[] = [];
  const replaced: Array<{ was: string; now: string }> = [];
  for (const line of lines) {
    const mark = line.slice(line.lastIndexOf(' # '));
    const at = rows.findIndex((r) => r.trimEnd().endsWith(mark));
    if (at === -1) {
      rows.push(line);
      added.push(line);
    } else if (rows[at]!.trimEnd() !== line) {
      replaced.push({ was: rows[at]!, now: line });
      rows[at] = line;
    }
  }
  return { next: rows.length === 0 ? '' : rows.join('\n') + '\n', added, replaced };
}

export const BROWSER_NOTE =
  'The resident browser (`fano browser start`) keeps one Chromium per browser backend running, so the ticks\n' +
  'attach to it instead of launching one every minute; they launch their own whenever it is down.';

/** The fano line a crontab already holds for `home` (matched by its `# fano-<hash>` mark), if any. */
export function installedCronLine(crontab: string, home: string): string | null {
  return crontab.split('\n').find((l) => l.trimEnd().endsWith(`# ${unitName(home)}`)) ?? null;
}
