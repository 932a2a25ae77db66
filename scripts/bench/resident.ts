import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { browserBackendSchema, configSchema } from '../../src/config/schema.js';
import { createDriverBackend } from '../../src/gateway/browser/remote.js';
import { readDriver, readResident, stopResident, treeRssBytes } from '../../src/gateway/browser/resident.js';
import { startFakeSites, type FakeSites } from '../../test/fixtures/fake-sites/server.js';
import type { BenchRow } from './types.js';

/**
 * The resident browser and its driver (`fano browser start`) against a browser launched by every tick: the time
 * from starting `fano tick` (node start-up included) to the fake site receiving the tick's first
 * prompt, interleaved so machine noise hits both alike; and the resident browser's memory after
 * 100 requests.
 */

const CHROMIUM = '/usr/bin/chromium';
const LOOPBACK_ONLY = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
const RUNS = 5;
const REQUESTS = 100;
const TARGET_MS = 1000;
const TARGET_RATIO = 0.25;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function home(url: string): string {
  const h = mkdtempSync(join(tmpdir(), 'fano-bench-resident-'));
  mkdirSync(join(h, 'state', 'explorer'), { recursive: true });
  writeFileSync(
    join(h, 'fano.config.yaml'),
    `backends:\n  chatgpt:\n    type: browser\n    url: ${url}\n    hourlyLimit: 1000\nbrowser:\n  executablePath: ${CHROMIUM}\n  args: ${JSON.stringify(LOOPBACK_ONLY)}\ntick:\n  maxRequests: 1\nmodules:\n  echo: { enabled: true, turns: 1000 }\n  explorer: { enabled: false }\n  documenter: { enabled: false }\n  researcher: { enabled: false }\nscheduler:\n  consultation: { enabled: false }\n`,
  );
  writeFileSync(join(h, 'state', 'explorer', 'seeds.yaml'), 'seeds:\n  - id: q1\n    type: question\n    text: "A thread that goes on"\n');
  return h;
}

const fano = resolve('bin/fano.js');

/** One tick: milliseconds from spawning it to the site receiving its prompt. */
async function tickToSubmit(fake: FakeSites, h: string): Promise<number> {
  const before = fake.stats().total;
  const t0 = Date.now();
  const child = spawn(process.execPath, [fano, '--home', h, 'tick'], { stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const rec = fake.stats().prompts[before];
  if (code !== 0 || !rec) throw new Error(`bench tick exited ${code} and sent ${fake.stats().total - before} prompt(s)`);
  return rec.receivedAt - t0;
}

export async function benchResident(): Promise<BenchRow[]> {
  if (!existsSync(CHROMIUM)) return [{ name: `skipped: ${CHROMIUM} not installed`, value: 0, unit: '' }];
  const fake = await startFakeSites();
  const launching = home(fake.url('chatgpt'));
  const resident = home(fake.url('chatgpt'));
  try {
    const start = spawnSync(process.execPath, [fano, '--home', resident, 'browser', 'start', '--headless'], { encoding: 'utf8' });
    if (start.status !== 0) throw new Error(`fano browser start failed: ${start.stdout}${start.stderr}`);
    // Each home's first tick opens its thread; the measured ones are the thread's next turns.
    await tickToSubmit(fake, launching);
    await tickToSubmit(fake, resident);
    const withLaunch: number[] = [];
    const withResident: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      withLaunch.push(await tickToSubmit(fake, launching));
      withResident.push(await tickToSubmit(fake, resident));
    }
    const r = median(withResident);
    const l = median(withLaunch);
    const rows: BenchRow[] = [
      { name: 'tick start to first prompt submitted: launch per tick (median)', value: l, unit: 'ms' },
      { name: 'tick start to first prompt submitted: resident browser (median)', value: r, unit: 'ms', target: `<= ${TARGET_MS} ms`, ok: r <= TARGET_MS },
      { name: '  resident / launching', value: r / Math.max(1, l), unit: 'x', target: `<= ${TARGET_RATIO}`, ok: r / Math.max(1, l) <= TARGET_RATIO },
    ];

    // 100 requests through the resident driver (the ticks' path, without 100 node starts); the
    // memory is the browser's and the driver's.
    const rec = readResident(resident);
    const driver = readDriver(resident);
    if (!driver) throw new Error('fano browser start left no driver');
    const rss = () => (treeRssBytes(rec?.backends.chatgpt?.pid ?? 0) ?? 0) + (treeRssBytes(driver.pid) ?? 0);
    const cfg = browserBackendSchema.parse({ type: 'browser', url: fake.url('chatgpt'), timeouts: { normalMs: 30_000, navigationMs: 15_000 } });
    const backend = createDriverBackend('chatgpt', cfg, configSchema.shape.browser.parse({ executablePath: CHROMIUM, args: LOOPBACK_ONLY }), {
      home: resident,
      log: () => undefined,
      loadLocal: () => Promise.reject(new Error('the resident driver did not serve a bench request')),
    });
    const ctx = { now: () => new Date(), bundleDir: null };
    const startRss = rss();
    try {
      for (let i = 0; i < REQUESTS; i += 1) {
        const res = await backend.send({ requestId: `m${i}`, prompt: `memory ${i}`, deep: false, conversation: null, harvestOnly: false }, ctx);
        if (res.outcome !== 'ok') throw new Error(`memory request ${i}: ${res.outcome} ${res.detail}`);
      }
    } finally {
      await backend.close();
    }
    const endRss = rss();
    rows.push({ name: 'resident browser + driver memory at start', value: startRss / 1048576, unit: 'MB' });
    rows.push({ name: `resident browser + driver memory after ${REQUESTS} more requests`, value: endRss / 1048576, unit: 'MB' });
    return rows;
  } finally {
    await stopResident(resident).catch(() => undefined);
    await fake.close();
    rmSync(launching, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    rmSync(resident, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
