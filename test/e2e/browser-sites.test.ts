import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, context, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
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

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    const deps = { home: home.home };
    // These tests change what a site shows on load (walls, banners, a toggle that snaps back)
    // between requests; a spare tab preloaded before the change would still show the old page.
    // The spare tab itself is tested in browser-gateway.test.ts and browser-session.test.ts.
    const browser = browserConfig({ preloadPage: false });
    gemini = createBrowserBackend('gemini', backendConfig({ url: fake.url('gemini') }), browser, deps);
    claude = createBrowserBackend('claude', backendConfig({ url: fake.url('claude') }), browser, deps);
    // A site with no built-in adapter: everything comes from config.
    custom = createBrowserBackend(
      'mychat',
      backendConfig({
        url: fake.url('plain'),
        selectors: { input: '#q', send: '#go', response: '.msg.bot .answer', busy: '.spinner', userMessage: '.msg.user', chrome: '#notice' },
        patterns: { rateLimited: ['slow down'], loginRequired: ['members only'], challenge: ['prove you are human'], error: ['kaput'] },
      }),
      browser,
      deps,
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

  test('gemini: deep mode is switched on and verified before sending, and off again for a normal request', async () => {
    const deep = await gemini.send(request('Think hard', { deep: true }), context());
    expect(deep.outcome).toBe('ok');
    expect(last()).toMatchObject({ site: 'gemini', prompt: 'Think hard', deep: true });
    const normal = await gemini.send(request('Quick one'), context());
    expect(normal.outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Quick one', deep: false });
  });

  test('gemini: a deep toggle that does not stick means the prompt is not sent, and says why', async () => {
    fake.set('gemini', { deepSticks: false });
    const before = fake.stats().total;
    const res = await gemini.send(request('Think hard', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: false });
    expect(res.detail).toMatch(/deep mode could not be verified.*not sent/);
    expect(fake.stats().total).toBe(before);
  });

  test('gemini: error snack-bar (a configured chrome container, no role=alert) is a siteError', async () => {
    const res = await gemini.send(request('[[error]] hi'), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: true });
  });

  test('gemini: rate-limit snack-bar on load, not sent, "in 3 hours"', async () => {
    fake.set('gemini', { banner: "You've reached your limit for Deep Think. Try again in 3 hours." });
    const t = Date.now();
    const res = await gemini.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'rateLimited', sent: false });
    expect(Date.parse(res.resetAt ?? '') - t).toBeGreaterThan(3 * 3_600_000 - 60_000);
  });

  test('claude: a checkbox deep toggle is verified; answers are read from its DOM', async () => {
    const res = await claude.send(request('Ponder [[math]]', { deep: true }), context());
    expect(res.outcome).toBe('ok');
    expect(res.text).toContain('$E = mc^2$');
    expect(res.url).toMatch(/\/claude\/chat\/[0-9a-f]+$/);
    expect(last()).toMatchObject({ site: 'claude', deep: true });
  });

  test('claude: interrupted-response warning is truncated; login wall is loginRequired', async () => {
    expect((await claude.send(request('[[stop]] hi'), context())).outcome).toBe('truncated');
    fake.set('claude', { wall: 'login' });
    expect(await claude.send(request('hi'), context())).toMatchObject({ outcome: 'loginRequired', sent: false });
  });

  test('custom site from config alone: ok, thread reuse, its own patterns', async () => {
    const first = await custom.send(request('Hello plain'), context());
    expect(first).toMatchObject({ outcome: 'ok', sent: true });
    expect(first.url).toMatch(/\/plain\/\?c=[0-9a-f]+$/);
    const second = await custom.send(request('And again', { conversation: { backend: 'mychat', url: first.url, turn: 1, submitted: null } }), context());
    expect(second.outcome).toBe('ok');
    expect(second.text).toMatch(/to: And again\./);
    expect(new Set(fake.stats().prompts.filter((p) => p.site === 'plain').map((p) => p.conv)).size).toBe(1);

    fake.set('plain', { rateLimitText: 'Slow down! Come back in 2 hours.' });
    const rl = await custom.send(request('[[ratelimit]] x'), context());
    expect(rl.outcome).toBe('rateLimited');
    expect(rl.resetAt).not.toBeNull();
    fake.set('plain', { wall: 'login' });
    expect((await custom.send(request('x'), context())).outcome).toBe('loginRequired');
  });

  test('custom site without a deep toggle: a deep request is not sent', async () => {
    const before = fake.stats().total;
    const res = await custom.send(request('deep please', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'siteError', sent: false });
    expect(res.detail).toMatch(/no deep-mode toggle/);
    expect(fake.stats().total).toBe(before);
  });
});
