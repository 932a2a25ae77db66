import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, checkWholeAnswers, context, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
import { DEFAULT_FAKE_OPTIONS, startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * The other adapters (Gemini-like, Claude-like DOMs), deep-mode toggling and verification, and a
 * site fano has no adapter for, defined only in config.
 */
describe.skipIf(SKIP_BROWSER)('browser gateway: sites and deep mode', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let gemini: Backend;
  let claude: Backend;
  let custom: Backend;
  const answers = checkWholeAnswers(() => fake);

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    const deps = { home: home.home };
    // These tests change what a site shows on load (walls, banners, a toggle that snaps back)
    // between requests; a spare tab preloaded before the change would still show the old page.
    // The spare tab itself is tested in browser-gateway.test.ts and browser-session.test.ts.
    const browser = browserConfig({ preloadPage: false });
    gemini = answers.wrap(createBrowserBackend('gemini', backendConfig({ url: fake.url('gemini') }), browser, deps));
    claude = answers.wrap(createBrowserBackend('claude', backendConfig({ url: fake.url('claude') }), browser, deps));
    // A site with no built-in adapter: everything comes from config.
    custom = answers.wrap(
      createBrowserBackend(
        'mychat',
        backendConfig({
          url: fake.url('plain'),
          selectors: { input: '#q', send: '#go', response: '.msg.bot .answer', busy: '.spinner', userMessage: '.msg.user', chrome: '#notice' },
          patterns: { rateLimited: ['slow down'], loginRequired: ['members only'], challenge: ['prove you are human'], error: ['kaput'] },
        }),
        browser,
        deps,
      ),
    );
  });
  afterEach(() => {
    for (const s of ['gemini', 'claude', 'plain'] as const) fake.set(s, DEFAULT_FAKE_OPTIONS);
  });
  afterAll(async () => {
    await Promise.all([gemini?.close(), claude?.close(), custom?.close()]);
    await fake?.close();
    await home?.cleanup();
  });

  const last = () => fake.stats().prompts.at(-1);

  test('gemini: Deep Think through Tools, verified by its chip; the placeholder answer is waited out; off again after', async () => {
    const deep = await gemini.send(request('Think hard', { deep: true }), context());
    expect(deep.outcome).toBe('ok');
    expect(deep.text).not.toMatch(/I'm on it/);
    expect(deep.durationMs).toBeGreaterThanOrEqual(1_500); // the placeholder stays 1.5 s, with no busy sign
    expect(last()).toMatchObject({ site: 'gemini', prompt: 'Think hard', deep: true });
    const normal = await gemini.send(request('Quick one'), context());
    expect(normal.outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Quick one', deep: false });
  });

  test('gemini: a confirmation dialog before Deep Think is confirmed', async () => {
    fake.set('gemini', { deepDialog: true });
    expect((await gemini.send(request('Think again', { deep: true }), context())).outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Think again', deep: true });
  });

  test('gemini: a Deep Think chip that does not stick means the prompt is not sent, and says why', async () => {
    fake.set('gemini', { deepSticks: false });
    const before = fake.stats().total;
    const res = await gemini.send(request('Think hard', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'notSent', sent: false });
    expect(res.detail).toMatch(/deep mode could not be verified.*not sent/);
    expect(fake.stats().total).toBe(before);
  });

  test('gemini: "A lot of people are using Deep Think" written as the answer is overloaded, retried in 10 minutes', async () => {
    const t = Date.now();
    const res = await gemini.send(request('[[overload]] hi'), context());
    expect(res).toMatchObject({ outcome: 'overloaded', sent: true, text: '' });
    expect(Date.parse(res.resetAt ?? '') - t).toBeGreaterThan(9 * 60_000);
  });

  test('gemini: the Deep Think limit closes deep mode only; its banner does not stop a normal request', async () => {
    const res = await gemini.send(request('[[deeplimit]] hi', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'rateLimited', deepOnly: true });
    expect(new Date(res.resetAt ?? '').getMonth()).toBe(0);
    fake.set('gemini', { banner: "You've reached your limit for chats with Deep Think until Jan 10, 2:56 PM" });
    expect((await gemini.send(request('A normal question'), context())).outcome).toBe('ok');
  });

  test('gemini: error snack-bar is a siteError', async () => {
    const res = await gemini.send(request('[[error]] hi'), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: true });
  });

  test('gemini: rate-limit snack-bar on load, not sent, "in 3 hours"', async () => {
    fake.set('gemini', { banner: "You've reached your limit. Try again in 3 hours." });
    const t = Date.now();
    const res = await gemini.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'rateLimited', sent: false });
    expect(Date.parse(res.resetAt ?? '') - t).toBeGreaterThan(3 * 3_600_000 - 60_000);
  });

  test('claude: its limit banner (typographic apostrophe) on load: not sent, reset at 9:30 AM', async () => {
    fake.set('claude', { banner: 'You’ve hit your limit for Claude messages. Limits will reset at 9:30 AM. View your usage details.' });
    const before = fake.stats().total;
    const res = await claude.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'rateLimited', sent: false });
    const reset = new Date(res.resetAt ?? '');
    expect([reset.getHours(), reset.getMinutes()]).toEqual([9, 30]);
    expect(fake.stats().total).toBe(before);
  });

  test('claude: extended thinking is a switch in the model picker; answers are read from its DOM', async () => {
    const res = await claude.send(request('Ponder [[math]]', { deep: true }), context());
    expect(res.outcome).toBe('ok');
    expect(res.text).toContain('$E = mc^2$');
    expect(res.url).toMatch(/\/claude\/chat\/[0-9a-f]+$/);
    expect(last()).toMatchObject({ site: 'claude', deep: true });
    expect((await claude.send(request('Plainly'), context())).outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Plainly', deep: false });
  });

  test('claude: a stopped answer with its Continue button is truncated; a signed-out browser is sent to /login', async () => {
    expect((await claude.send(request('[[stop]] hi'), context())).outcome).toBe('truncated');
    fake.set('claude', { loggedIn: false });
    const res = await claude.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'loginRequired', sent: false });
    expect(res.detail).toMatch(/please log in|\/claude\/login/i);
  });

  test('custom site from config alone: ok, thread reuse, its own patterns', async () => {
    const first = await custom.send(request('Hello plain'), context());
    expect(first).toMatchObject({ outcome: 'ok', sent: true });
    expect(first.url).toMatch(/\/plain\/\?c=[0-9a-f]+$/);
    const second = await custom.send(request('And again', { conversation: { backend: 'mychat', url: first.url, turn: 1, submitted: null } }), context());
    expect(second.outcome).toBe('ok');
    expect(second.text).toMatch(/to: And again\./);
    expect(
      new Set(
        fake
          .stats()
          .prompts.filter((p) => p.site === 'plain')
          .map((p) => p.conv),
      ).size,
    ).toBe(1);

    fake.set('plain', { rateLimitText: 'Slow down! Come back in 2 hours.' });
    const rl = await custom.send(request('[[ratelimit]] x'), context());
    expect(rl.outcome).toBe('rateLimited');
    expect(rl.resetAt).not.toBeNull();
    fake.set('plain', { wall: 'login' });
    expect((await custom.send(request('x'), context())).outcome).toBe('loginRequired');
  });

  test('custom site described with role and text locators and a scoped chain', async () => {
    const b = answers.wrap(
      createBrowserBackend(
        'roles',
        backendConfig({
          url: fake.url('plain'),
          selectors: {
            input: 'role=textbox',
            send: 'role=button[name=/^ask$/i]',
            response: '.msg.bot >> .answer',
            busy: 'text="thinking…"',
            userMessage: '.msg.user',
            chrome: '#notice',
          },
        }),
        browserConfig({ preloadPage: false }),
        { home: `${home.home}/roles` },
      ),
    );
    try {
      const res = await b.send(request('Hello through roles'), context());
      expect(res).toMatchObject({ outcome: 'ok', sent: true });
      expect(res.text).toMatch(/to: Hello through roles\./);
    } finally {
      await b.close();
    }
  });

  test('custom site without a deep toggle: a deep request is not sent', async () => {
    const before = fake.stats().total;
    const res = await custom.send(request('deep please', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'notSent', sent: false });
    expect(res.detail).toMatch(/no deep-mode recipe/);
    expect(fake.stats().total).toBe(before);
  });

  test('every ok answer of this file was compared with what the site sent', () => {
    expect(answers.count()).toBeGreaterThanOrEqual(8);
  });
});
