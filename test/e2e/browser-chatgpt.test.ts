import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, checkWholeAnswers, context, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
import { DEFAULT_FAKE_OPTIONS, startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * The ChatGPT adapter (sites/chatgpt.yaml, configured with nothing but a url) against a fake that
 * does what the real site is documented to do: a thinking gap in which the stop button is gone,
 * the finished-turn action bar, a transient /c/WEB: URL after the submit, a composer shown to
 * signed-out guests, hydration that resets the composer, the model menu as the only way to deep
 * mode, and the site's own limit texts.
 */
describe.skipIf(SKIP_BROWSER)('browser gateway: the ChatGPT adapter against a ChatGPT-like site', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let chatgpt: Backend;
  /** Spare tab off: for the tests that change what the page shows on load between requests. */
  let cold: Backend;
  const events: Array<[string, object]> = [];
  const answers = checkWholeAnswers(() => fake);

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    const cfg = backendConfig({ url: fake.url('chatgpt') });
    const log = (e: string, f: object) => events.push([e, f]);
    chatgpt = answers.wrap(createBrowserBackend('chatgpt', cfg, browserConfig(), { home: home.home, log }));
    cold = answers.wrap(createBrowserBackend('chatgpt', cfg, browserConfig({ preloadPage: false }), { home: `${home.home}/cold`, log }));
  });
  afterEach(() => fake.set('chatgpt', DEFAULT_FAKE_OPTIONS));
  afterAll(async () => {
    await Promise.all([chatgpt?.close(), cold?.close()]);
    await fake?.close();
    await home?.cleanup();
  });

  const submissions = () => fake.stats().submissions.chatgpt;
  const last = () => fake.stats().prompts.at(-1);

  test('a thinking gap (stop button gone, "Thinking" shimmer, then more text) is waited out: the whole answer', async () => {
    const res = await chatgpt.send(request('Prove it [[think]]'), context());
    expect(res.outcome).toBe('ok');
    expect(res.text).toContain('It ends here.');
    expect(res.durationMs).toBeGreaterThanOrEqual(1_500);
  });

  test('the transient /c/WEB: URL is never recorded: the real conversation URL is, long answer or short', async () => {
    const seen: Array<string | null> = [];
    for (const p of ['Short one', 'Longer one [[ms=900]]']) {
      const res = await chatgpt.send(request(p, { onSubmitted: ({ url }) => Promise.resolve(void seen.push(url)) }), context());
      expect(res.outcome).toBe('ok');
      expect(res.url).toMatch(/\/chatgpt\/c\/[0-9a-f]{12}$/);
      expect(seen.at(-1)).toBe(res.url);
    }
    const logged = events.filter(([e]) => e === 'browser.submitted').map(([, f]) => (f as { url: string | null }).url);
    expect(logged.some((u) => u?.includes('WEB:'))).toBe(false);
  });

  test('a reopened conversation resets its composer while it loads: fano types after, and the prompt arrives', async () => {
    fake.set('chatgpt', { hydrateMs: 800 });
    const first = await cold.send(request('Opening question'), context());
    const other = await cold.send(request('Something else'), context());
    const conv = { backend: 'chatgpt', url: first.url, turn: 1, submitted: null };
    expect(other.url).not.toBe(first.url);
    const res = await cold.send(request('Follow-up after the reload', { conversation: conv }), context());
    expect(res).toMatchObject({ outcome: 'ok', url: first.url });
    expect(last()).toMatchObject({ prompt: 'Follow-up after the reload', conv: first.url?.split('/').at(-1) });
  });

  test('a signed-out guest sees a composer: nothing is sent, the backend needs a login', async () => {
    fake.set('chatgpt', { loggedIn: false });
    const before = submissions();
    const res = await cold.send(request('hello as a guest'), context());
    expect(res).toMatchObject({ outcome: 'loginRequired', sent: false });
    expect(res.detail).toMatch(/signed out.*guest composer.*fano login chatgpt/);
    expect(submissions()).toBe(before);
  });

  test('without the sign-in buttons too, a composer with no signed-in marker is still a guest one', async () => {
    fake.set('chatgpt', { loggedIn: false });
    const guest = answers.wrap(
      createBrowserBackend(
        'chatgpt',
        backendConfig({ url: fake.url('chatgpt'), selectors: { loggedOut: '#no-such-button' } }),
        browserConfig({ preloadPage: false }),
        { home: `${home.home}/guest` },
      ),
    );
    try {
      const before = submissions();
      const res = await guest.send(request('hello'), context());
      expect(res).toMatchObject({ outcome: 'loginRequired', sent: false });
      expect(res.detail).toMatch(/none of selectors.loggedIn is visible/);
      expect(submissions()).toBe(before);
    } finally {
      await guest.close();
    }
  });

  test('the site sending the browser to its sign-in URL is loginRequired, whatever the page says', async () => {
    fake.set('chatgpt', { wall: 'redirect' });
    const res = await cold.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'loginRequired', sent: false });
    expect(res.detail).toMatch(/sign-in page \(.*\/chatgpt\/log-in\)/);
  });

  test('"Suspicious activity detected" is accountBlocked, nothing typed', async () => {
    fake.set('chatgpt', { accountBlocked: true });
    const before = submissions();
    const res = await cold.send(request('hi'), context());
    expect(res).toMatchObject({ outcome: 'accountBlocked', sent: false });
    expect(res.detail).toMatch(/suspicious activity detected/i);
    expect(submissions()).toBe(before);
  });

  test('the site’s own limit words after a submit: too many messages is a rate limit, one message at a time a retry in a minute', async () => {
    const many = await chatgpt.send(request('[[toomany]] hi'), context());
    expect(many).toMatchObject({ outcome: 'rateLimited', sent: true });
    expect(many.detail).toMatch(/too many messages to the model/);
    const t = Date.now();
    const one = await chatgpt.send(request('[[onlyone]] hi'), context());
    expect(one).toMatchObject({ outcome: 'overloaded', sent: true });
    const retry = Date.parse(one.resetAt ?? '') - t;
    expect(retry).toBeGreaterThan(50_000);
    expect(retry).toBeLessThan(70_000);
  });

  test('a click the window swallowed: no sign of the submit, the prompt still in the composer → notSent, never sent', async () => {
    fake.set('chatgpt', { swallowClicks: true });
    const before = submissions();
    const res = await cold.send(request('swallowed'), context());
    expect(res).toMatchObject({ outcome: 'notSent', sent: false });
    expect(res.detail).toMatch(/no sign of the submit.*composer still holds the prompt/);
    expect(submissions()).toBe(before);
  });

  test('deep mode is the Thinking model of the model menu: chosen and verified, then back for a normal request', async () => {
    expect((await cold.send(request('Think hard', { deep: true }), context())).outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Think hard', deep: true });
    expect((await cold.send(request('Quick one'), context())).outcome).toBe('ok');
    expect(last()).toMatchObject({ prompt: 'Quick one', deep: false });
  });

  test('a model choice that snaps back means the deep prompt is not sent, and says which marker', async () => {
    fake.set('chatgpt', { deepSticks: false });
    const before = submissions();
    const res = await cold.send(request('Think hard', { deep: true }), context());
    expect(res).toMatchObject({ outcome: 'notSent', sent: false });
    expect(res.detail).toMatch(/deep mode could not be verified.*deep\.active.*not sent/);
    expect(submissions()).toBe(before);
  });

  test('"stop" buttons that are not busy signs — read-aloud playing on a finished turn, dictation in the composer — do not hold answers back', async () => {
    fake.set('chatgpt', { readAloud: true });
    for (const p of ['First with read-aloud', 'Second with read-aloud']) {
      const res = await cold.send(request(p), context());
      expect(res.outcome).toBe('ok');
      expect(res.durationMs).toBeLessThan(5_000); // busy would never clear: the watchdog is 8 s
    }
  });

  test('Chromium for real sites: no navigator.webdriver, English pages, and the answering tab in front', async () => {
    await chatgpt.send(request('Who am I?'), context());
    expect(last()?.client).toEqual({ webdriver: false, language: 'en-US', visibility: 'visible' });
  });

  test('every ok answer of this file was compared with what the site sent', () => {
    expect(answers.count()).toBeGreaterThanOrEqual(9);
  });
});
