import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { browserBackendSchema, configSchema, type FanoConfig } from '../../src/config/schema.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { BrowserSession } from '../../src/gateway/browser/session.js';
import { startCdpChromium } from '../../test/fixtures/fake-sites/cdp-chromium.js';
import { startFakeSites, type FakeSites } from '../../test/fixtures/fake-sites/server.js';
import type { BenchRow } from './types.js';

/**
 * The browser gateway's own cost: per request, the time fano adds on top of the fake site's own
 * answer time (server: prompt received -> answer finished), for new conversations and follow-up
 * turns, with the spare tab that preloads the start page while an answer streams (the default)
 * and without it (each new conversation then loads the page itself); and the browser start cost
 * per tick, launching Chromium on a profile vs attaching over CDP to one already running on
 * 127.0.0.1.
 */

const CHROMIUM = '/usr/bin/chromium';
const LOOPBACK_ONLY = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
const REQUESTS = 12;
const STARTS = 3;
const ANSWER_MS = 300;
const OVERHEAD_TARGET_MS = 100;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function timeStart(browser: FanoConfig['browser'], profile: string): Promise<number> {
  const session = new BrowserSession({ browser, profile });
  const t = performance.now();
  await session.page();
  const ms = performance.now() - t;
  await session.close();
  return ms;
}

/**
 * Median overhead of REQUESTS new conversations and a follow-up on each (after a warm-up: browser
 * start and first page load are counted separately, below).
 */
async function overheads(fake: FakeSites, browser: FanoConfig['browser'], home: string): Promise<{ fresh: number; followUp: number }> {
  const cfg = browserBackendSchema.parse({ type: 'browser', url: fake.url('chatgpt'), timeouts: { normalMs: 30_000, deepMs: 30_000, stableMs: 1_000, navigationMs: 15_000 } });
  const backend = createBrowserBackend('chatgpt', cfg, browser, { home });
  const fresh: number[] = [];
  const followUp: number[] = [];
  try {
    const ctx = { now: () => new Date(), bundleDir: null };
    const warm = await backend.send({ requestId: 'warm', prompt: `warm up [[ms=${ANSWER_MS}]]`, deep: false, conversation: null, harvestOnly: false }, ctx);
    if (warm.outcome !== 'ok') throw new Error(`warm-up request was ${warm.outcome}: ${warm.detail}`);
    for (let i = 0; i < REQUESTS; i += 1) {
      const r1 = await backend.send({ requestId: `n${i}`, prompt: `question ${i} [[ms=${ANSWER_MS}]]`, deep: false, conversation: null, harvestOnly: false }, ctx);
      const a1 = fake.stats().prompts.at(-1)?.answerMs ?? 0;
      const conversation = { backend: 'chatgpt', url: r1.url, turn: 1, submitted: null };
      const r2 = await backend.send({ requestId: `f${i}`, prompt: `follow-up ${i} [[ms=${ANSWER_MS}]]`, deep: false, conversation, harvestOnly: false }, ctx);
      const a2 = fake.stats().prompts.at(-1)?.answerMs ?? 0;
      if (r1.outcome !== 'ok' || r2.outcome !== 'ok') throw new Error(`bench request not ok: ${r1.outcome}/${r2.outcome}`);
      fresh.push(r1.durationMs - a1);
      followUp.push(r2.durationMs - a2);
    }
  } finally {
    await backend.close();
  }
  return { fresh: median(fresh), followUp: median(followUp) };
}

export async function benchGateway(): Promise<BenchRow[]> {
  if (!existsSync(CHROMIUM)) return [{ name: `skipped: ${CHROMIUM} not installed`, value: 0, unit: '' }];
  const fake = await startFakeSites();
  const home = await mkdtemp(path.join(tmpdir(), 'fano-bench-gw-'));
  const browser = configSchema.shape.browser.parse({ executablePath: CHROMIUM, args: LOOPBACK_ONLY });
  const rows: BenchRow[] = [];
  try {
    const on = await overheads(fake, browser, path.join(home, 'preload'));
    const off = await overheads(fake, { ...browser, preloadPage: false }, path.join(home, 'no-preload'));
    const ok = (v: number) => ({ target: `<= ${OVERHEAD_TARGET_MS} ms`, ok: v <= OVERHEAD_TARGET_MS });
    rows.push({ name: 'gateway overhead per follow-up turn (median)', value: on.followUp, unit: 'ms', ...ok(on.followUp) });
    rows.push({ name: 'gateway overhead per new conversation (median)', value: on.fresh, unit: 'ms', ...ok(on.fresh) });
    rows.push({ name: '  same without the spare tab (preloadPage: false)', value: off.fresh, unit: 'ms' });
    rows.push({ name: '  follow-up without the spare tab', value: off.followUp, unit: 'ms' });
    rows.push({ name: '  new conversation: without / with the spare tab', value: off.fresh / Math.max(1, on.fresh), unit: 'x' });

    const launches: number[] = [];
    for (let i = 0; i < STARTS; i += 1) launches.push(await timeStart(browser, path.join(home, 'state', 'profiles', 'launch')));
    rows.push({ name: 'browser start per tick: launch on profile (median)', value: median(launches), unit: 'ms' });
    const cdp = await startCdpChromium(CHROMIUM, LOOPBACK_ONLY);
    try {
      const attaches: number[] = [];
      for (let i = 0; i < STARTS; i += 1) attaches.push(await timeStart({ ...browser, cdpEndpoint: cdp.endpoint }, ''));
      rows.push({ name: 'browser start per tick: CDP attach (median)', value: median(attaches), unit: 'ms' });
      rows.push({ name: 'launch / attach', value: median(launches) / Math.max(1, median(attaches)), unit: 'x' });
    } finally {
      await cdp.close();
    }
  } finally {
    await fake.close();
    await rm(home, { recursive: true, force: true });
  }
  return rows;
}
