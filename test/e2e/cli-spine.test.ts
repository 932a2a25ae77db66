/** The spine through the built CLI: init, tick, status, verify, repair, locks, bad configs, corruption. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFano, startFano, tempHome } from '../support/cli.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const snapshot = (home: string) =>
  Object.fromEntries(
    readdirSync(join(home, 'state'))
      .filter((f) => f.endsWith('.json') || f.endsWith('.jsonl'))
      .map((f) => [f, sha(join(home, 'state', f))]),
  );

async function initHome(extraConfig = ''): Promise<string> {
  const home = tempHome();
  const r = await runFano(['init', home]);
  expect(r.code, r.stderr).toBe(0);
  // These tests drive the spine with the echo module (the Explorer has its own e2e tests).
  const cfg = join(home, 'fano.config.yaml');
  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8')
      .replace(/(\n {2}explorer:[^\n]*\n {4}enabled: )true/, '$1false')
      .replace(/(\n {2}echo:[^\n]*\n {4}enabled: )false/, '$1true'),
  );
  if (extraConfig) writeFileSync(join(home, 'fano.config.yaml'), readFileSync(join(home, 'fano.config.yaml'), 'utf8') + extraConfig);
  return home;
}

describe('fano init / tick / status', () => {
  it('init creates a home, and running it twice changes nothing', async () => {
    const home = await initHome();
    for (const f of ['fano.config.yaml', 'state/.gitignore', 'state/explorer/seeds.yaml']) expect(existsSync(join(home, f)), f).toBe(true);
    const before = readFileSync(join(home, 'fano.config.yaml'), 'utf8');
    writeFileSync(join(home, 'state/explorer/seeds.yaml'), 'seeds: []\n');
    const again = await runFano(['init', home]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('kept');
    expect(readFileSync(join(home, 'fano.config.yaml'), 'utf8')).toBe(before);
    expect(readFileSync(join(home, 'state/explorer/seeds.yaml'), 'utf8')).toBe('seeds: []\n');
  });

  it('ticks to results on the mock; status --json has the documented keys; an idle tick writes nothing to state/', async () => {
    const home = await initHome();
    for (let i = 0; i < 5; i++) expect((await runFano(['tick'], { home })).code).toBe(0);
    const st = await runFano(['status', '--json'], { home });
    expect(st.code).toBe(0);
    const s = JSON.parse(st.stdout);
    expect(s.home).toBe(home);
    expect(s.tasks.total).toBe(2);
    expect(s.tasks.byState.completed).toBe(2);
    expect(s.tasks.byModule.echo).toBe(2);
    expect(s.backends[0]).toMatchObject({
      name: 'mock',
      type: 'mock',
      status: 'available',
      requestsThisHour: 4,
      hourlyLimit: 500,
      deepUsedToday: 0,
      rateLimitedUntil: null,
      usedUpUntil: null,
    });
    expect(typeof s.backends[0].deepDailyLimit).toBe('number');
    expect(s.lastTick).toMatchObject({ outcome: 'idle' });
    expect(Date.parse(s.lastTick.startedAt)).not.toBeNaN();
    expect(s.log).toEqual({ checkpointSeq: expect.any(Number), pendingRecords: 0 });
    expect(s.weights.explorer).toBe(40);
    expect(s.weights.consultation).toBeUndefined(); // capped by its share of requests, not a weighed module
    expect(s.metrics).toBeTypeOf('object');
    expect(readFileSync(join(home, 'state/log.jsonl'), 'utf8')).toBe('');

    const before = snapshot(home);
    expect((await runFano(['tick'], { home })).code).toBe(0);
    expect(snapshot(home)).toEqual(before);
    const text = await runFano(['status'], { home });
    expect(text.stdout).toMatch(/mock\s+mock\s+available/);
  });

  it('tick --once runs exactly one task step', async () => {
    const home = await initHome();
    expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    const s = JSON.parse((await runFano(['status', '--json'], { home })).stdout);
    expect(s.backends[0].requestsThisHour).toBe(1);
    expect(s.lastTick.steps).toBe(1);
  });

  it('20 concurrent ticks: exactly one works, the rest exit 75 at once', async () => {
    const home = await initHome();
    // Make the winner's tick long enough that all 20 overlap it.
    writeFileSync(join(home, 'fano.config.yaml'), readFileSync(join(home, 'fano.config.yaml'), 'utf8').replace(/latencyMs: \d+/, 'latencyMs: 1500'));
    const runs = Array.from({ length: 20 }, () => startFano(['tick'], { home }).done);
    const results = await Promise.all(runs);
    const codes = results.map((r) => r.code).sort();
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 75)).toHaveLength(19);
    const busy = results.find((r) => r.code === 75)!;
    expect(busy.stderr).toMatch(/lock/i);
  });
});

describe('bad configs exit 78 and name file:line:col and the key, touching no state', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['syntax error', 'tick:\n  maxSeconds: [1, 2\n', /fano\.config\.yaml:\d+:\d+/],
    ['wrong type', 'tick:\n  maxSeconds: soon\n', /fano\.config\.yaml:2:15: tick\.maxSeconds: /],
    ['unknown key', 'tick:\n  maxSecond: 10\n', /fano\.config\.yaml:2:3: tick\.maxSecond: .*did you mean "maxSeconds"/],
  ];
  it.each(cases)('%s', async (_name, yaml, re) => {
    const home = tempHome({ 'fano.config.yaml': yaml });
    const r = await runFano(['tick'], { home });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(re);
    expect(existsSync(join(home, 'state'))).toBe(false);
  });

  it('a home without a config says how to make one', async () => {
    const r = await runFano(['tick'], { home: tempHome() });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('fano init');
  });
});

/** Past a killed tick's 2 s stale time (proper-lockfile may date the lock up to 1 s ahead). */
const staleLock = () => new Promise((r) => setTimeout(r, 3_500));

describe('crash traces and corruption', () => {
  async function workedHome(): Promise<string> {
    const home = await initHome();
    // A killed tick's lock goes stale after 2 s here (30 s by default).
    const cfg = join(home, 'fano.config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/lockStaleSeconds: \d+/, 'lockStaleSeconds: 2'));
    // Leave records in the log: crash after the 3rd append, before any checkpoint.
    const r = await runFano(['tick'], { home, env: { FANO_CRASH_AT: 'log.appended@3' } });
    expect(r.signal).toBe('SIGKILL');
    return home;
  }

  it('a torn last record is reported by verify (exit 0) and repaired by the next tick', async () => {
    const home = await workedHome();
    const log = join(home, 'state/log.jsonl');
    const text = readFileSync(log, 'utf8');
    writeFileSync(log, text + text.split('\n')[0]!.slice(0, 40)); // half a line, no newline
    const v = await runFano(['verify'], { home });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/torn/);
    await staleLock(); // the killed tick's lock goes stale
    const t = await runFano(['tick'], { home });
    expect(t.code, t.stderr).toBe(0);
    expect(readFileSync(join(home, 'state/log.broken.jsonl'), 'utf8')).toContain(text.split('\n')[0]!.slice(0, 40));
    expect((await runFano(['verify'], { home })).code).toBe(0);
  });

  it('a flipped byte mid-log is refused with 65, names file and line, changes nothing; repair recovers', async () => {
    const home = await workedHome();
    const log = join(home, 'state/log.jsonl');
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThan(3);
    lines[1] = lines[1]!.replace(/"seq":(\d)/, (_m, d) => `"seq":${(Number(d) + 1) % 10}`).replace('pending', 'pendinG');
    writeFileSync(log, lines.join('\n'));
    await staleLock();
    const before = snapshot(home);
    for (const args of [['tick'], ['verify']]) {
      const r = await runFano(args, { home });
      expect(r.code, args[0]).toBe(65);
      expect(r.stderr + r.stdout).toMatch(/log\.jsonl:2/);
    }
    expect(snapshot(home)).toEqual(before);
    const rep = await runFano(['repair'], { home });
    expect(rep.code, rep.stderr).toBe(0);
    expect((await runFano(['verify'], { home })).code).toBe(0);
    expect((await runFano(['tick'], { home })).code).toBe(0);
  });
});
