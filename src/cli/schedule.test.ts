import { describe, expect, it } from 'vitest';
import { cronLine, installedCronLine, systemdService, systemdTimer, unitName } from './schedule.js';

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
