/**
 * The resident browser with real `fano` processes: `fano browser start` → ticks attach to it (no
 * Chromium of their own, checked in the process list while they run) and reuse its warm page (the
 * fake site counts one page load for all of them) → the browser is killed → the next tick launches
 * its own and still succeeds → `fano browser status` says the browser is dead → `stop` leaves no
 * Chromium behind.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive, readDriver, readResident, stopResident } from '../../src/gateway/browser/resident.js';
import { readState } from '../../src/store/store.js';
import { LOOPBACK_ONLY_ARGS, SKIP_BROWSER } from '../fixtures/fake-sites/harness.js';
import { startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';
import { runFano, startFano, tempHome } from '../support/cli.js';

const config = (url: string) => `
backends:
  chatgpt:
    type: browser
    url: ${url}
    timeouts: { normalMs: 20000, navigationMs: 15000 }
browser:
  executablePath: /usr/bin/chromium
  args: ${JSON.stringify(LOOPBACK_ONLY_ARGS)}
tick:
  maxRequests: 1
retries:
  transientDelaySeconds: 1
modules:
  echo: { enabled: true, turns: 2 }
  explorer: { enabled: false }
  documenter: { enabled: false }
  researcher: { enabled: false }
scheduler:
  consultation: { enabled: false }
`;
const seeds = `seeds:\n  - id: q1\n    type: question\n    text: "First seed"\n`;

/** Chromium main processes (not its helpers) whose command line mentions `needle`. */
function chromiums(needle: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => /chrom/.test(l) && !/--type=/.test(l) && l.includes(needle));
}

/** Runs `fano tick`, looking at the process list while it runs for a Chromium the tick launched itself. */
async function tickWatchingLaunches(home: string): Promise<{ code: number | null; stderr: string; launched: boolean }> {
  const { done } = startFano(['tick'], { home });
  let finished = false;
  let launched = false;
  const watch = (async () => {
    while (!finished) {
      // Playwright launches Chromium with a pipe for the protocol; the resident one has a port.
      if (chromiums(join(home, 'state', 'profiles')).some((l) => l.includes('--remote-debugging-pipe'))) launched = true;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const r = await done;
  finished = true;
  await watch;
  return { code: r.code, stderr: r.stderr, launched };
}

function tickLog(home: string): string {
  const runs = execFileSync('ls', ['-t', join(home, 'runs')], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.jsonl'));
  return readFileSync(join(home, 'runs', runs[0]!), 'utf8');
}

describe.skipIf(SKIP_BROWSER)('the resident browser', () => {
  let fake: FakeSites;
  let home: string;
  beforeAll(async () => {
    fake = await startFakeSites();
    home = tempHome({ 'fano.config.yaml': config(fake.url('chatgpt')), 'state/explorer/seeds.yaml': seeds });
  });
  afterAll(async () => {
    if (home) await stopResident(home).catch(() => undefined);
    await fake?.close();
  });

  it('start → ticks attach and reuse its warm page → killed → a tick launches its own → status says so → stop leaves nothing', async () => {
    const start = await runFano(['browser', 'start', '--headless'], { home });
    expect(start.code, start.stderr + start.stdout).toBe(0);
    expect(start.stdout).toMatch(/started the resident browser, headless/);
    const rec = readResident(home)!;
    expect(rec.backends.chatgpt?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(join(home, 'runs', 'browser.json')).mode & 0o777).toBe(0o600);
    // The warm page, opened by `start` itself.
    for (let i = 0; i < 100 && fake.stats().pageLoads.chatgpt === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    const loads = fake.stats().pageLoads.chatgpt;
    expect(loads).toBe(1);

    const status = JSON.parse((await runFano(['browser', 'status', '--json'], { home })).stdout);
    expect(status).toMatchObject({ running: true, healthy: true, mode: 'headless' });
    expect(status.memoryBytes).toBeGreaterThan(10 * 1048576);
    expect(status.backends[0]).toMatchObject({ name: 'chatgpt', alive: true, responding: true, signedIn: true });
    expect(status.backends[0].pages.map((p: { url: string }) => p.url)).toContain(fake.url('chatgpt'));

    // Two ticks on one thread (turn 1 on the warm start page, turn 2 on the same page), then a
    // new seed: its conversation starts with the site's own "new chat", not a page load.
    const requests: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      if (i === 2) expect((await runFano(['seed', 'add', 'Second seed', '--id', 'q2'], { home })).code).toBe(0);
      const t = await tickWatchingLaunches(home);
      expect(t.code, t.stderr).toBe(0);
      expect(t.launched, 'a tick launched a Chromium of its own').toBe(false);
      // Through the resident driver: the tick itself loads no Playwright.
      expect(tickLog(home)).toContain('"browser.driver"');
      expect(tickLog(home)).not.toContain('"browser.driver_unavailable"');
      requests.push(
        ...tickLog(home)
          .split('\n')
          .filter((l) => l.includes('"browser.request"')),
      );
    }
    expect(fake.stats().total).toBe(3);
    expect(fake.stats().pageLoads.chatgpt, `the ticks reused the warm page: ${requests.join('\n')}`).toBe(loads);
    expect(requests.map((l) => (JSON.parse(l) as { navigated: boolean }).navigated)).toEqual([false, false, false]);
    expect(requests[2]).toContain('"newchat"');
    expect(fake.stats().prompts.every((p) => p.client?.visibility === 'visible')).toBe(true);

    // Without its driver, a tick attaches to the resident browser itself (and says why).
    const driver = readDriver(home)!;
    expect(statSync(join(home, 'runs', 'browser-driver.json')).mode & 0o777).toBe(0o600);
    process.kill(driver.pid, 'SIGKILL');
    for (let i = 0; i < 100 && pidAlive(driver.pid); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect((await runFano(['browser', 'status'], { home })).stdout).toMatch(/driver +DEAD/);
    const direct = await tickWatchingLaunches(home);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.launched).toBe(false);
    expect(tickLog(home)).toMatch(/"browser\.driver_unavailable".*is not running/);
    expect(tickLog(home)).toContain('"browser.resident"');
    expect(fake.stats().total).toBe(4);
    // `start` on a running browser brings the driver back.
    expect((await runFano(['browser', 'start', '--headless'], { home })).stdout).toMatch(/already running[\s\S]*driver pid \d+/);
    expect(pidAlive(readDriver(home)!.pid)).toBe(true);

    expect((await runFano(['seed', 'add', 'Third seed', '--id', 'q3'], { home })).code).toBe(0);
    process.kill(rec.backends.chatgpt!.pid, 'SIGKILL');
    const dead = await runFano(['browser', 'status'], { home });
    expect(dead.code).toBe(69);
    expect(dead.stdout).toMatch(/DEAD[\s\S]*is not running: it died or was killed/);

    const t = await tickWatchingLaunches(home);
    expect(t.code, t.stderr).toBe(0);
    expect(t.launched).toBe(true);
    expect(tickLog(home)).toMatch(/"browser\.driver_unavailable".*is not running/);
    expect(tickLog(home)).toMatch(/"browser\.resident_unavailable".*is not running/);
    expect(fake.stats().total).toBe(5);
    const { state } = await readState(home);
    expect(Object.values(state.tasks).filter((x) => x.state === 'completed')).toHaveLength(2);

    const stop = await runFano(['browser', 'stop'], { home });
    expect(stop.code).toBe(0);
    expect(readResident(home)).toBeNull();
    expect(readDriver(home)).toBeNull();
    for (let i = 0; i < 100 && pidAlive(driver.pid); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(chromiums(join(home, 'state', 'profiles'))).toEqual([]);
    expect((await runFano(['browser', 'status'], { home })).stdout).toMatch(/no resident browser/);
  }, 300_000);

  it('fano login with a headless resident browser explains what to do instead of fighting it for the profile', async () => {
    expect((await runFano(['browser', 'start', '--headless'], { home })).code).toBe(0);
    try {
      const r = await runFano(['login', 'chatgpt'], { home, env: { DISPLAY: ':0' } });
      expect(r.code).toBe(64);
      expect(r.stdout).toMatch(/resident browser runs headless[\s\S]*fano browser stop/);
    } finally {
      await runFano(['browser', 'stop'], { home });
    }
  });
});
