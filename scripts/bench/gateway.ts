import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { browserBackendSchema, configSchema, type FanoConfig } from '../../src/config/schema.js';
import type { Backend, LlmRequest } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { BrowserSession } from '../../src/gateway/browser/session.js';
import { startCdpChromium } from '../../test/fixtures/fake-sites/cdp-chromium.js';
import { REACT_SELECTORS, startFakeSites, type FakeSites } from '../../test/fixtures/fake-sites/server.js';
import type { BenchRow } from './types.js';

/**
 * The browser gateway's own cost: per request, the time fano adds on top of the fake site's own
 * answer time (server: prompt received -> answer finished), for new conversations and follow-up
 * turns on a site whose URL changes (the ChatGPT-like fake, with its transient URL and its
 * finished-turn bar), with the spare tab that preloads the start page while an answer streams (the
 * default) and without it; the same on a React chat page whose URL never changes and which draws
 * in animation frames; how long an empty answer takes to be known as empty; and the browser
 * start cost per tick, launching Chromium on a profile vs attaching over CDP to one already
 * running on 127.0.0.1.
 */

const CHROMIUM = '/usr/bin/chromium';
const LOOPBACK_ONLY = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
const REQUESTS = 12;
const STARTS = 3;
const ANSWER_MS = 1000;
const OVERHEAD_TARGET_MS = 150;
const EMPTY_TARGET_MS = 3000;
const ctx = { now: () => new Date(), bundleDir: null };
const req = (requestId: string, prompt: string, conversation: LlmRequest['conversation'] = null): LlmRequest => ({
  requestId,
  prompt,
  deep: false,
  conversation,
  harvestOnly: false,
});

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

/** One request's overhead: its duration minus the site's own answer time. */
async function overheadOf(fake: FakeSites, backend: Backend, r: LlmRequest): Promise<{ ms: number; url: string | null; outcome: string }> {
  const res = await backend.send(r, ctx);
  const site = fake.stats().prompts.at(-1)?.answerMs ?? 0;
  return { ms: res.durationMs - site, url: res.url, outcome: res.outcome };
}

/**
 * Median overhead of REQUESTS new conversations and a follow-up on each on the ChatGPT-like site
 * (after a warm-up: browser start and first page load are counted separately, below), and of an
 * empty answer.
 */
async function overheads(fake: FakeSites, browser: FanoConfig['browser'], home: string): Promise<{ fresh: number; followUp: number; empty: number }> {
  const cfg = browserBackendSchema.parse({ type: 'browser', url: fake.url('chatgpt'), timeouts: { normalMs: 30_000, deepMs: 30_000, navigationMs: 15_000 } });
  const backend = createBrowserBackend('chatgpt', cfg, browser, { home });
  const fresh: number[] = [];
  const followUp: number[] = [];
  const empty: number[] = [];
  try {
    const warm = await backend.send(req('warm', `warm up [[ms=${ANSWER_MS}]]`), ctx);
    if (warm.outcome !== 'ok') throw new Error(`warm-up request was ${warm.outcome}: ${warm.detail}`);
    for (let i = 0; i < REQUESTS; i += 1) {
      const r1 = await overheadOf(fake, backend, req(`n${i}`, `question ${i} [[ms=${ANSWER_MS}]]`));
      const r2 = await overheadOf(
        fake,
        backend,
        req(`f${i}`, `follow-up ${i} [[ms=${ANSWER_MS}]]`, { backend: 'chatgpt', url: r1.url, turn: 1, submitted: null }),
      );
      if (r1.outcome !== 'ok' || r2.outcome !== 'ok') throw new Error(`bench request not ok: ${r1.outcome}/${r2.outcome}`);
      fresh.push(r1.ms);
      followUp.push(r2.ms);
      if (i < 3) {
        const e = await overheadOf(fake, backend, req(`e${i}`, `nothing [[empty]]`));
        if (e.outcome !== 'empty') throw new Error(`an empty answer came back ${e.outcome}`);
        empty.push(e.ms);
      }
    }
  } finally {
    await backend.close();
  }
  return { fresh: median(fresh), followUp: median(followUp), empty: median(empty) };
}

/** Median overhead on the React page whose URL never changes (each request a new conversation, spare tab on). */
async function reactOverhead(fake: FakeSites, browser: FanoConfig['browser'], home: string): Promise<{ perRequest: number; empty: number }> {
  const cfg = browserBackendSchema.parse({
    type: 'browser',
    url: fake.url('react'),
    selectors: REACT_SELECTORS,
    timeouts: { normalMs: 30_000, navigationMs: 15_000 },
  });
  const backend = createBrowserBackend('realui', cfg, browser, { home });
  const times: number[] = [];
  const empty: number[] = [];
  try {
    await backend.send(req('warm', 'warm up'), ctx);
    for (let i = 0; i < REQUESTS; i += 1) {
      const r = await overheadOf(fake, backend, req(`r${i}`, `question ${i} [[ms=${ANSWER_MS}]]`));
      if (r.outcome !== 'ok') throw new Error(`bench request on the React page was ${r.outcome}`);
      times.push(r.ms);
    }
    for (let i = 0; i < 3; i += 1) {
      const e = await overheadOf(fake, backend, req(`e${i}`, 'nothing [[empty]]'));
      if (e.outcome !== 'empty') throw new Error(`an empty answer on the React page came back ${e.outcome}`);
      empty.push(e.ms);
    }
  } finally {
    await backend.close();
  }
  return { perRequest: median(times), empty: median(empty) };
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
    const react = await reactOverhead(fake, browser, path.join(home, 'react'));
    const ok = (v: number) => ({ target: `<= ${OVERHEAD_TARGET_MS} ms`, ok: v <= OVERHEAD_TARGET_MS });
    rows.push({ name: 'gateway overhead per follow-up turn (median, URL changes)', value: on.followUp, unit: 'ms', ...ok(on.followUp) });
    rows.push({ name: 'gateway overhead per new conversation (median, URL changes)', value: on.fresh, unit: 'ms', ...ok(on.fresh) });
    rows.push({ name: 'gateway overhead per request (median, URL never changes)', value: react.perRequest, unit: 'ms', ...ok(react.perRequest) });
    rows.push({ name: '  same without the spare tab (preloadPage: false)', value: off.fresh, unit: 'ms' });
    rows.push({ name: '  follow-up without the spare tab', value: off.followUp, unit: 'ms' });
    rows.push({ name: '  new conversation: without / with the spare tab', value: off.fresh / Math.max(1, on.fresh), unit: 'x' });
    const emptyMs = Math.max(on.empty, react.empty);
    rows.push({
      name: 'empty answer to the empty outcome (median, worst site)',
      value: emptyMs,
      unit: 'ms',
      target: `<= ${EMPTY_TARGET_MS} ms`,
      ok: emptyMs <= EMPTY_TARGET_MS,
    });

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
    await rm(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
  return rows;
}
