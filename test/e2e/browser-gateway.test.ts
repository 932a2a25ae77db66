import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, checkWholeAnswers, context, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
import { DEFAULT_FAKE_OPTIONS, startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * The browser gateway against the ChatGPT-like fake site, in real headless Chromium: every
 * outcome, typing, threads, chrome-vs-answer classification and failure bundles. One browser
 * (one backend) for the whole file.
 */
describe.skipIf(SKIP_BROWSER)('browser gateway (chatgpt flavour)', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let backend: Backend;
  /**
   * For the tests that change what the site shows on load between requests (banner, walls): a
   * spare tab preloaded during an earlier test would still show the page from before the change.
   */
  let cold: Backend;
  let coldHome: Awaited<ReturnType<typeof tempHome>>;
  const events: Array<[string, object]> = [];
  const answers = checkWholeAnswers(() => fake);

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    coldHome = await tempHome();
    const cfg = backendConfig({ url: fake.url('chatgpt'), timeouts: { normalMs: 5_000 } });
    backend = answers.wrap(createBrowserBackend('chatgpt', cfg, browserConfig(), { home: home.home, log: (e, f) => events.push([e, f]) }));
    cold = answers.wrap(createBrowserBackend('chatgpt', cfg, browserConfig({ preloadPage: false }), { home: coldHome.home }));
  });
  afterEach(() => fake.set('chatgpt', DEFAULT_FAKE_OPTIONS));
  afterAll(async () => {
    await Promise.all([backend?.close(), cold?.close()]);
    await fake?.close();
    await Promise.all([home?.cleanup(), coldHome?.cleanup()]);
  });

  /** The `browser.request` log line of a request. */
  const logged = (requestId: string) =>
    events.find(([e, f]) => e === 'browser.request' && (f as { requestId: string }).requestId === requestId)?.[1] as
      { navigated: boolean; outcome: string } | undefined;

  const bundleDir = (name: string) => path.join(home.home, 'runs', 'tick-1', name);
  const submissions = () => fake.stats().submissions.chatgpt;

  test('ok: reads the last answer with markdown and math, in a new conversation URL, on a 0700 profile', async () => {
    const res = await backend.send(request('Explain [[math]]'), context(bundleDir('ok')));
    expect(res).toMatchObject({ outcome: 'ok', sent: true, bundle: null, detail: null, resetAt: null });
    expect(res.text).toContain('Here is **bold** text and inline math $E = mc^2$ with `code`.');
    expect(res.text).toContain('$$\\int_0^1 x^2 \\, dx = \\frac{1}{3}$$');
    expect(res.text).toContain('- first item\n- second item');
    expect(res.url).toMatch(/\/chatgpt\/c\/[0-9a-f]+$/);
    const st = await stat(path.join(home.home, 'state', 'profiles', 'chatgpt'));
    expect(st.mode & 0o777).toBe(0o700);
    expect(events.some(([e, f]) => e === 'browser.request' && (f as { outcome: string }).outcome === 'ok')).toBe(true);
  });

  test('a long multi-line prompt arrives intact', async () => {
    const lines = [
      '# Task: review the draft',
      '',
      'Keep these exactly:',
      '  - indented item <a href="x">&amp;</a>',
      '\tTabbed "quotes" and \'apostrophes\' $x^2$ \\ backslash',
      'Ünïcödé — ✓ 数学',
      '',
    ];
    for (let i = 0; i < 120; i += 1) lines.push(`Line ${i}: ${'lorem ipsum dolor sit amet '.repeat(2).trim()}`);
    lines.push('', 'Last line.');
    const prompt = lines.join('\n');
    expect(prompt.length).toBeGreaterThan(6_000);
    const before = fake.stats().prompts.length;
    const res = await backend.send(request(prompt), context());
    expect(res.outcome).toBe('ok');
    const got = fake.stats().prompts[before]?.prompt ?? '';
    expect(got.replace(/\t/g, ' ')).toBe(prompt.replace(/\t/g, ' '));
  });

  test('onSubmitted runs with the conversation URL before the answer is awaited', async () => {
    let seen: { url: string | null; status: string | undefined } | null = null;
    const res = await backend.send(
      request('Take your time [[slow]]', {
        onSubmitted: (info) => {
          seen = { url: info.url, status: fake.stats().prompts.at(-1)?.status };
          return Promise.resolve();
        },
      }),
      context(),
    );
    expect(res.outcome).toBe('ok');
    expect(seen).toEqual({ url: res.url, status: 'streaming' });
  });

  test('an error thrown by onSubmitted propagates (the tick must know its submitted mark failed)', async () => {
    const p = backend.send(request('hello', { onSubmitted: async () => Promise.reject(new Error('disk full')) }), context());
    await expect(p).rejects.toThrow('disk full');
  });

  test('threads: follow-up turns reuse the conversation URL, also after another conversation', async () => {
    const first = await backend.send(request('First question'), context());
    const other = await backend.send(request('Unrelated question'), context());
    expect(other.url).not.toBe(first.url);
    const conv = (url: string | null) => ({ backend: 'chatgpt', url, turn: 1, submitted: null });
    const second = await backend.send(request('Second question', { conversation: conv(first.url) }), context());
    const third = await backend.send(request('Third question', { conversation: conv(first.url) }), context());
    for (const r of [second, third]) {
      expect(r.outcome).toBe('ok');
      expect(r.url).toBe(first.url);
    }
    expect(second.text).toMatch(/to: Second question\./);
    expect(third.text).toMatch(/to: Third question\./);
    const id = first.url?.split('/').at(-1);
    expect(
      fake
        .stats()
        .prompts.filter((p) => p.conv === id)
        .map((p) => p.prompt),
    ).toEqual(['First question', 'Second question', 'Third question']);
  });

  test('a new conversation starts on the spare tab loaded during the previous answer; threads keep their page', async () => {
    const a = request('Spare one');
    const b = request('Spare two');
    const ra = await backend.send(a, context());
    const rb = await backend.send(b, context());
    expect([ra.outcome, rb.outcome]).toEqual(['ok', 'ok']);
    expect(rb.url).not.toBe(ra.url);
    expect(rb.text).toMatch(/to: Spare two\./);
    expect(logged(b.requestId)?.navigated).toBe(false);
    // A follow-up on the conversation just answered stays on its page...
    const conv = (url: string | null) => ({ backend: 'chatgpt', url, turn: 1, submitted: null });
    const fb = request('Spare two, again', { conversation: conv(rb.url) });
    expect((await backend.send(fb, context())).url).toBe(rb.url);
    expect(logged(fb.requestId)?.navigated).toBe(false);
    // ...and one on the older conversation, whose tab became the next spare, opens its URL.
    const fa = request('Spare one, again', { conversation: conv(ra.url) });
    const rfa = await backend.send(fa, context());
    expect(rfa).toMatchObject({ outcome: 'ok', url: ra.url });
    expect(rfa.text).toMatch(/to: Spare one, again\./);
    expect(logged(fa.requestId)?.navigated).toBe(true);
  });

  test('after a failed request the next new conversation loads the site afresh, not the spare', async () => {
    expect((await backend.send(request('[[error]] spare'), context())).outcome).toBe('siteError');
    const next = request('After the failure');
    expect((await backend.send(next, context())).outcome).toBe('ok');
    expect(logged(next.requestId)?.navigated).toBe(true);
  });

  test('an answer that itself says "Something went wrong" or "rate limit" is ok (patterns only see site chrome)', async () => {
    const words =
      "Something went wrong in the proof. You've reached our limit of messages? Rate limit exceeded. Log in to continue. Verify you are human. Network connection lost.";
    const res = await backend.send(request(`[[echo]] ${words}`), context(bundleDir('words')));
    expect(res.outcome).toBe('ok');
    expect(res.text).toBe(words);
  });

  test('rateLimited after the submit: sent, reset time parsed, bundle saved', async () => {
    const before = Date.now();
    const res = await backend.send(request('[[ratelimit]] hi'), context(bundleDir('ratelimit')));
    expect(res).toMatchObject({ outcome: 'rateLimited', sent: true, text: '', bundle: bundleDir('ratelimit') });
    const reset = Date.parse(res.resetAt ?? '');
    expect(reset - before).toBeGreaterThan(44 * 60_000);
    expect(reset - before).toBeLessThan(46 * 60_000 + 30_000);
    expect(res.detail).toContain('45 minutes');
  });

  test('rate-limit banner on the page: nothing typed or sent, reset time from "until 2:56 PM"', async () => {
    fake.set('chatgpt', { banner: "You've reached the current usage cap for GPT-5. You can continue after 2:56 PM." });
    const before = submissions();
    const res = await cold.send(request('hi'), context(bundleDir('banner')));
    expect(res).toMatchObject({ outcome: 'rateLimited', sent: false });
    const reset = new Date(res.resetAt ?? '');
    expect([reset.getHours(), reset.getMinutes()]).toEqual([14, 56]);
    expect(reset.getTime()).toBeGreaterThan(Date.now());
    expect(reset.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(submissions()).toBe(before);
  });

  test('login wall: loginRequired, not sent', async () => {
    fake.set('chatgpt', { wall: 'login' });
    const before = submissions();
    const res = await cold.send(request('hi'), context(bundleDir('login')));
    expect(res).toMatchObject({ outcome: 'loginRequired', sent: false, bundle: bundleDir('login') });
    expect(res.detail).toMatch(/log in or sign up/i);
    expect(submissions()).toBe(before);
  });

  test('challenge page: challenge, not sent', async () => {
    fake.set('chatgpt', { wall: 'challenge' });
    const before = submissions();
    const res = await cold.send(request('hi'), context(bundleDir('challenge')));
    expect(res).toMatchObject({ outcome: 'challenge', sent: false });
    expect(submissions()).toBe(before);
  });

  test('error toast: siteError, sent', async () => {
    const res = await backend.send(request('[[error]] hi'), context(bundleDir('error')));
    expect(res).toMatchObject({ outcome: 'siteError', sent: true, text: '' });
    expect(res.detail).toMatch(/something went wrong/i);
  });

  test('a lost stream ("Network connection lost") reloads the conversation and reads the whole answer', async () => {
    const res = await backend.send(request('[[drop]] hi'), context(bundleDir('drop')));
    expect(res).toMatchObject({ outcome: 'ok', sent: true });
    expect(res.text).toContain('It ends here.');
    expect(events.some(([e, f]) => e === 'browser.reconnecting' && (f as { reloads: number }).reloads === 1)).toBe(true);
  });

  test('a lost stream that never continues after the reload: truncated, partial text kept', async () => {
    const res = await backend.send(request('[[dropdead]] hi'), context(bundleDir('dropdead')));
    expect(res).toMatchObject({ outcome: 'truncated', sent: true });
    expect(res.text.length).toBeGreaterThan(0);
    expect(res.text).not.toContain('It ends here.');
  });

  test('"continue generating" marker: truncated', async () => {
    const res = await backend.send(request('[[stop]] hi'), context(bundleDir('stop')));
    expect(res).toMatchObject({ outcome: 'truncated', sent: true });
    expect(res.detail).toMatch(/stopped/);
  });

  test('empty answer: empty, never ok', async () => {
    const res = await backend.send(request('[[empty]] hi'), context(bundleDir('empty')));
    expect(res).toMatchObject({ outcome: 'empty', sent: true, text: '' });
  });

  test('never-finishing stream: timeout at the watchdog (normalMs)', async () => {
    const res = await backend.send(request('[[hang]] hi'), context(bundleDir('hang')));
    expect(res).toMatchObject({ outcome: 'timeout', sent: true, text: '' });
    expect(res.detail).toMatch(/5000 ms: the site still shows it is generating/);
    expect(res.durationMs).toBeGreaterThanOrEqual(5_000);
  });

  test('failure bundles hold a screenshot, the page HTML and the classification', async () => {
    const dir = bundleDir('ratelimit');
    const png = await readFile(path.join(dir, 'screenshot.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(await readFile(path.join(dir, 'page.html'), 'utf8')).toContain('prompt-textarea');
    const c = JSON.parse(await readFile(path.join(dir, 'classification.json'), 'utf8'));
    expect(c).toMatchObject({ backend: 'chatgpt', site: 'chatgpt', outcome: 'rateLimited', sent: true });
    expect(c.chrome.join(' ')).toMatch(/reached our limit/);
    // ok outcomes save nothing
    await expect(stat(bundleDir('ok'))).rejects.toThrow();
    await expect(stat(bundleDir('words'))).rejects.toThrow();
  });

  test('harvestOnly without a recorded URL cannot reattach: siteError, counted as sent', async () => {
    const res = await backend.send(request('x', { harvestOnly: true }), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: true });
  });

  test('a browser that cannot start is a siteError before sending, and close() is safe twice', async () => {
    const b = createBrowserBackend('chatgpt', backendConfig({ url: fake.url('chatgpt') }), browserConfig({ executablePath: '/nonexistent/chromium' }), {
      home: home.home,
    });
    const res = await b.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: false });
    expect(res.detail).toContain('/nonexistent/chromium');
    await b.close();
    await b.close();
  });

  test('every ok answer of this file was compared with what the site sent', () => {
    expect(answers.count()).toBeGreaterThanOrEqual(10);
  });
});
