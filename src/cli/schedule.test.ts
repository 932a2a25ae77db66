import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserUnitName, cronBrowserLine, cronLine, installedCronLine, systemdBrowserService, systemdService, systemdTimer, unitName } from './schedule.js';

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
    for (const l of ['OnCalendar=minutely', 'Persistent=true', 'RandomizedDelaySec=5s', `Unit=${unitName(T.home)}.service`, 'WantedBy=timers.target']) expect(t).toContain(l);
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
    for (const l of ['Type=simple', 'ExecStart=/opt/node-20/bin/node /opt/fano/bin/fano.js --home "/srv/my research" browser start --foreground', 'Restart=on-failure', 'WantedBy=default.target']) expect(b).toContain(l);
    expect(systemdService(B)).toContain(`Wants=${browserUnitName(T.home)}.service\nAfter=${browserUnitName(T.home)}.service\n`);
    expect(systemdService(T)).not.toContain('Wants=');
  });

  it('cron: an @reboot line, marked for idempotent install, quiet unless it fails', () => {
    const l = cronBrowserLine(B);
    expect(l).toMatch(/^@reboot out=\$\('\/opt\/node-20\/bin\/node' '\/opt\/fano\/bin\/fano\.js' --home '\/srv\/my research' browser start 2>&1\) \|\| echo "fano browser start failed: \$out" # fano-[0-9a-f]{8}-browser$/);
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
