import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FanoError, ExitCode, UsageError } from '../errors.js';
import { sha256Hex } from '../core/hash.js';

/**
 * `fano schedule`: the timer that runs `fano tick` every minute. The texts are pure functions of
 * (home, node, bin) so they are tested byte for byte; only `--install` touches the machine.
 */
export interface ScheduleTarget {
  /** Absolute fano home. */
  home: string;
  /** Absolute path of the node binary (timers do not get the login shell's PATH). */
  node: string;
  /** Absolute path of bin/fano.js. */
  bin: string;
}

/** `fano-<8 hex>`: one timer per home, so two homes on one machine never collide. */
export function unitName(home: string): string {
  return `fano-${sha256Hex(home).slice(0, 8)}`;
}

/** systemd's quoting: double quotes when needed, with \ and " escaped. */
function sdQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

export function systemdService(t: ScheduleTarget): string {
  return `[Unit]
Description=fano tick for ${t.home}

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
  return `[Unit]
Description=run fano tick every minute for ${t.home}

[Timer]
OnCalendar=minutely
# Catch up once after the machine slept or was off.
Persistent=true
RandomizedDelaySec=5s
Unit=${unitName(t.home)}.service

[Install]
WantedBy=timers.target
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
  const cmd = `${shQuote(t.node)} ${shQuote(t.bin)} --home ${shQuote(t.home)} tick`;
  return `* * * * * out=$(${cmd} 2>&1); rc=$?; [ $rc -eq 0 ] || [ $rc -eq 75 ] || echo "fano tick exit $rc: $out" # ${unitName(t.home)}`;
}

export const EXIT_75_NOTE =
  'Exit 75 means another `fano tick` still holds the lock (the previous minute\'s tick is still working),\n' +
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

export async function runSchedule(opts: ScheduleOptions): Promise<number> {
  const t: ScheduleTarget = { home: resolve(opts.home), node: process.execPath, bin: findBin(), ...opts.target };
  if (!existsSync(join(t.home, 'fano.config.yaml'))) {
    throw new UsageError(`${t.home} is not a fano home (no fano.config.yaml); run \`fano init\` or pass --home`);
  }
  const name = unitName(t.home);
  if (opts.kind === 'systemd') {
    const service = systemdService(t);
    const timer = systemdTimer(t);
    if (!opts.install) {
      opts.out(`# ~/.config/systemd/user/${name}.service\n${service}\n# ~/.config/systemd/user/${name}.timer\n${timer}`);
      opts.out(`# Install with \`fano schedule --systemd --install\`, or save the two files above and run:\n#   systemctl --user daemon-reload && systemctl --user enable --now ${name}.timer\n# ${EXIT_75_NOTE.replace(/\n/g, '\n# ')}`);
      return 0;
    }
    const dir = opts.unitDir ?? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.service`), service);
    writeFileSync(join(dir, `${name}.timer`), timer);
    opts.out(`wrote ${join(dir, `${name}.service`)}\nwrote ${join(dir, `${name}.timer`)}`);
    opts.out(`Enable it (runs fano tick every minute for ${t.home}):\n  systemctl --user daemon-reload && systemctl --user enable --now ${name}.timer`);
    opts.out(`To keep it running while you are logged out: loginctl enable-linger "$USER"\nWatch it: systemctl --user list-timers ${name}.timer; journalctl --user -u ${name}.service\n${EXIT_75_NOTE}`);
    return 0;
  }

  const line = cronLine(t);
  if (!opts.install) {
    opts.out(`# add this line with \`crontab -e\` (or run \`fano schedule --cron --install\`):\n${line}`);
    opts.out(`# ${EXIT_75_NOTE.replace(/\n/g, '\n# ')}`);
    return 0;
  }
  const current = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
  if (current.error) throw new FanoError(`cannot run crontab (${current.error.message}); is cron installed?`, ExitCode.internal);
  // `crontab -l` exits 1 with "no crontab for <user>" when there is none: that is an empty table.
  const existing = current.status === 0 ? current.stdout : '';
  if (installedCronLine(existing, t.home) !== null) {
    opts.out(`already installed: your crontab has a fano line for ${t.home} (# ${name}); nothing changed`);
    return 0;
  }
  const next = (existing === '' || existing.endsWith('\n') ? existing : existing + '\n') + line + '\n';
  const wrote = spawnSync('crontab', ['-'], { input: next, encoding: 'utf8' });
  if (wrote.error || wrote.status !== 0) {
    throw new FanoError(`crontab - failed: ${wrote.error?.message ?? wrote.stderr.trim()}`, ExitCode.internal);
  }
  opts.out(`added to your crontab (check with \`crontab -l\`):\n${line}\ncron starts it within a minute; nothing else to enable.\n${EXIT_75_NOTE}`);
  return 0;
}

/** The fano line a crontab already holds for `home` (matched by its `# fano-<hash>` mark), if any. */
export function installedCronLine(crontab: string, home: string): string | null {
  return crontab.split('\n').find((l) => l.trimEnd().endsWith(`# ${unitName(home)}`)) ?? null;
}

