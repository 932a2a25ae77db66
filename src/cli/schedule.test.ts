import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  browserUnitName,
  cronBrowserLine,
  cronLine,
  installedCronLine,
  mergeCrontab,
  systemdBrowserService,
  systemdService,
  systemdTimer,
  unitName,
} from './schedule.js';

const REPO = resolve(import.meta.dirname, '..', '..');

const T = { home: '/srv/my research', node: '/opt/node-20/bin/node', bin: '/opt/fano/bin/fano.js' };

describe('fano schedule texts', () => {
  it('systemd service runs the absolute node and bin on the absolute home, and treats 75 as success', () => {
    const s = systemdService(T);
    expect(s).toContain('Type=oneshot');
    expect(s).toContain('ExecStart=/opt/node-20/bin/node /opt/fano/bin/fano.js --home "/srv/my research" tick');
    expect(s).toContain('WorkingDirectory="/srv/my research"');
    expect(s).toContain('SuccessExitStatus=75');
  });

  it('systemd timer fires every minute, catches up, with a small random delay', () => {
    const t = systemdTimer(T);
    for (const l of ['OnCalendar=minutely', 'Persistent=true', 'RandomizedDelaySec=5s', `Unit=${unitName(T.home)}.service`, 'WantedBy=timers.target'])
      expect(t).toContain(l);
  });

  it('cron line: every minute, quoted paths, silent on 0 and 75, marked for idempotent install', () => {
    const l = cronLine({ ...T, home: "/srv/it's 100%" });
    expect(l.startsWith('* * * * * ')).toBe(true);
    expect(l).toContain(`--home '/srv/it'\\''s 100\\%' tick`);
    expect(l).toContain('[ $rc -eq 0 ] || [ $rc -eq 75 ] || echo');
    expect(l.split('\n')).toHaveLength(1);
    expect(installedCronLine(`MAILTO=x\n${cronLine(T)}\n`, T.home)).toBe(cronLine(T));
    expect(installedCronLine(`MAILTO=x\n${cronLine(T)}\n`, '/elsewhere')).toBeNull();
  });

  it('cron install: adds what is missing, replaces a line for another interval in place, leaves the rest', () => {
    const every1 = cronLine(T);
    const every5 = cronLine({ ...T, intervalSeconds: 300 });
    const reboot = cronBrowserLine(T);
    const other = '0 3 * * * backup.sh';

    const fresh = mergeCrontab('', [every1]);
    expect(fresh).toEqual({ next: `${every1}\n`, added: [every1], replaced: [] });

    const same = mergeCrontab(`${other}\n${every1}\n`, [every1]);
    expect(same.added).toEqual([]);
    expect(same.replaced).toEqual([]);

    const changed = mergeCrontab(`MAILTO=x\n${every1}\n${other}\n`, [every5, reboot]);
    expect(changed.replaced).toEqual([{ was: every1, now: every5 }]);
    expect(changed.added).toEqual([reboot]);
    expect(changed.next).toBe(`MAILTO=x\n${every5}\n${other}\n${reboot}\n`);
    expect(changed.next.match(/ # fano-[0-9a-f]{8}$/gm)).toHaveLength(1);
  });

  it('unit names differ per home and are stable', () => {
    expect(unitName('/a')).toMatch(/^fano-[0-9a-f]{8}$/);
    expect(unitName('/a')).toBe(unitName('/a'));
    expect(unitName('/a')).not.toBe(unitName('/b'));
  });
});

describe('the resident browser under a timer', () => {
  const B = { ...T, browser: true };

  it('systemd: a user service that restarts the browser, and the tick service wants it', () => {
    const b = systemdBrowserService(B);
    for (const l of [
      'Type=simple',
      'ExecStart=/opt/node-20/bin/node /opt/fano/bin/fano.js --home "/srv/my research" browser start --foreground',
      'Restart=on-failure',
      'WantedBy=default.target',
    ])
      expect(b).toContain(l);
    expect(systemdService(B)).toContain(`Wants=${browserUnitName(T.home)}.service\nAfter=${browserUnitName(T.home)}.service\n`);
    expect(systemdService(T)).not.toContain('Wants=');
  });

  it('cron: an @reboot line, marked for idempotent install, quiet unless it fails', () => {
    const l = cronBrowserLine(B);
    expect(l).toMatch(
      /^@reboot out=\$\('\/opt\/node-20\/bin\/node' '\/opt\/fano\/bin\/fano\.js' --home '\/srv\/my research' browser start 2>&1\) \|\| echo "fano browser start failed: \$out" # fano-[0-9a-f]{8}-browser$/,
    );
  });

  const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  it.skipIf(!analyze)('systemd-analyze verify accepts the tick service, its timer and the browser service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fano-units-'));
    try {
      const t = { home: dir, node: process.execPath, bin: join(REPO, 'bin', 'fano.js'), browser: true };
      const files = [
        [`${unitName(dir)}.service`, systemdService(t)],
        [`${unitName(dir)}.timer`, systemdTimer(t)],
        [`${browserUnitName(dir)}.service`, systemdBrowserService(t)],
      ];
      for (const [f, text] of files) writeFileSync(join(dir, f!), text!);
      const r = spawnSync(analyze, ['verify', ...files.map(([f]) => join(dir, f!))], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tick.intervalSeconds', () => {
  it('systemd: a calendar event when the interval divides a minute, an hour or a day, else a monotonic timer', () => {
    const trigger = (intervalSeconds: number) =>
      systemdTimer({ ...T, intervalSeconds })
        .split('\n')
        .filter((l) => /^On\w+=/.test(l));
    expect(trigger(60)).toEqual(['OnCalendar=minutely']);
    expect(systemdTimer(T)).toBe(systemdTimer({ ...T, intervalSeconds: 60 }));
    expect(trigger(30)).toEqual(['OnCalendar=*:*:0/30']);
    expect(trigger(300)).toEqual(['OnCalendar=*:0/5']);
    expect(trigger(7200)).toEqual(['OnCalendar=0/2:00']);
    expect(trigger(90)).toEqual(['OnBootSec=90s', 'OnUnitActiveSec=90s']);
    expect(systemdTimer({ ...T, intervalSeconds: 300 })).toContain('Description=run fano tick every 5 minutes for /srv/my research');
    expect(systemdTimer({ ...T, intervalSeconds: 30 })).toContain('AccuracySec=1s');
    expect(systemdTimer({ ...T, intervalSeconds: 30 })).toContain('RandomizedDelaySec=3s');
  });

  it('cron: */n when n minutes divide the hour, hours that divide the day, and a clear error otherwise', () => {
    expect(cronLine({ ...T, intervalSeconds: 60 }).startsWith('* * * * * ')).toBe(true);
    expect(cronLine({ ...T, intervalSeconds: 300 }).startsWith('*/5 * * * * ')).toBe(true);
    expect(cronLine({ ...T, intervalSeconds: 3600 }).startsWith('0 * * * * ')).toBe(true);
    expect(cronLine({ ...T, intervalSeconds: 21600 }).startsWith('0 */6 * * * ')).toBe(true);
    for (const bad of [30, 90, 420])
      expect(() => cronLine({ ...T, intervalSeconds: bad })).toThrow(/cron cannot run a tick every \d+ seconds \(tick.intervalSeconds\).*--systemd/);
  });

  const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  it.skipIf(!analyze)('systemd-analyze accepts the timers of other intervals', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fano-units-'));
    try {
      for (const sec of [30, 90, 300]) {
        const t = { home: dir, node: process.execPath, bin: join(REPO, 'bin', 'fano.js'), intervalSeconds: sec };
        writeFileSync(join(dir, `${unitName(dir)}.service`), systemdService(t));
        writeFileSync(join(dir, `${unitName(dir)}.timer`), systemdTimer(t));
        const r = spawnSync(analyze, ['verify', join(dir, `${unitName(dir)}.service`), join(dir, `${unitName(dir)}.timer`)], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fano schedule reads tick.intervalSeconds from the home', () => {
  it('prints the timer and the cron line for the configured interval', async () => {
    const { runSchedule } = await import('./schedule.js');
    const home = mkdtempSync(join(tmpdir(), 'fano-sched-'));
    try {
      writeFileSync(join(home, 'fano.config.yaml'), 'backends:\n  mock:\n    type: mock\ntick:\n  intervalSeconds: 300\n');
      const out: string[] = [];
      const target = { node: '/n', bin: '/b.js' };
      expect(await runSchedule({ home, kind: 'systemd', install: false, out: (s) => out.push(s), target })).toBe(0);
      expect(out.join('\n')).toContain('OnCalendar=*:0/5');
      out.length = 0;
      expect(await runSchedule({ home, kind: 'cron', install: false, out: (s) => out.push(s), target })).toBe(0);
      expect(out.join('\n')).toContain(`*/5 * * * * out=$('/n' '/b.js' --home '${home}' tick 2>&1)`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
