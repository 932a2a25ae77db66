import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BrowserSession } from '../../src/gateway/browser/session.js';
import { cdpPages } from '../fixtures/fake-sites/cdp-chromium.js';
import { browserConfig, SKIP_BROWSER, tempHome, useCdpChromium } from '../fixtures/fake-sites/harness.js';
import { startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * The browser session's spare tab (session.ts preload/takeSpare) in real headless Chromium: when
 * it is used, when it is not (too old, navigated since, discarded), and that close() leaves no tab
 * of ours behind in a browser we only attached to.
 */
describe.skipIf(SKIP_BROWSER)('browser session: the spare tab', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  let n = 0;

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
  });
  afterAll(async () => {
    await fake?.close();
    await home?.cleanup();
  });

  const session = (over: { spareMaxAgeMs?: number } = {}) => {
    n += 1;
    return new BrowserSession({ browser: browserConfig(), profile: path.join(home.home, `profile-${n}`), ...over });
  };

  test('a spare that loaded the start page becomes the page; the one it replaces is recycled as the next spare', async () => {
    const s = session();
    try {
      const first = await s.page();
      expect(await s.takeSpare(fake.url('chatgpt'))).toBeNull(); // nothing preloaded yet
      s.preload(fake.url('chatgpt'));
      s.preload(fake.url('chatgpt')); // at most one spare: a second call is a no-op
      const spare = await s.takeSpare(fake.url('chatgpt'));
      expect(spare).not.toBeNull();
      expect(spare).not.toBe(first);
      expect(spare?.url()).toBe(fake.url('chatgpt'));
      expect(await spare?.locator('#prompt-textarea').count()).toBe(1);
      expect(await s.page()).toBe(spare);
      // The replaced tab is loaded next, instead of opening a third one.
      s.preload(fake.url('chatgpt'));
      const again = await s.takeSpare(fake.url('chatgpt'));
      expect(again).toBe(first);
    } finally {
      await s.close();
    }
  });

  test('not used when too old, for another URL, navigated since it loaded, or discarded', async () => {
    const old = session({ spareMaxAgeMs: 0 });
    const s = session();
    try {
      await old.page();
      old.preload(fake.url('chatgpt'));
      await new Promise((r) => setTimeout(r, 5));
      expect(await old.takeSpare(fake.url('chatgpt'))).toBeNull();

      await s.page();
      s.preload(fake.url('chatgpt'));
      expect(await s.takeSpare(fake.url('gemini'))).toBeNull();
      expect(await s.takeSpare(fake.url('chatgpt'))).not.toBeNull(); // the other URL left it in place

      s.preload(fake.url('chatgpt'));
      s.discardSpare();
      expect(await s.takeSpare(fake.url('chatgpt'))).toBeNull();

      s.preload(fake.url('chatgpt'));
      const current = await s.page();
      await expect
        .poll(() =>
          current
            .context()
            .pages()
            .find((p) => p !== current)
            ?.url(),
        )
        .toBe(fake.url('chatgpt'));
      // Someone used the spare tab after it loaded: it no longer shows a fresh start page.
      await current
        .context()
        .pages()
        .find((p) => p !== current)
        ?.goto(`${fake.url('chatgpt')}#elsewhere`);
      expect(await s.takeSpare(fake.url('chatgpt'))).toBeNull();
      expect(await s.page()).toBe(current);
    } finally {
      await Promise.all([old.close(), s.close()]);
    }
  });

  test('a spare that the site did not load is not used, and the next preload tries again', async () => {
    const s = session();
    // A port nothing listens on: the load fails with a connection error.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((r) => closed.close(r));
    try {
      const current = await s.page();
      s.preload(dead);
      expect(await s.takeSpare(dead)).toBeNull();
      expect(current.context().pages()).toEqual([current]); // the failed tab is closed
      s.preload(fake.url('claude'));
      expect((await s.takeSpare(fake.url('claude')))?.url()).toBe(fake.url('claude'));
    } finally {
      await s.close();
    }
  });

  describe('attached over CDP', () => {
    const cdp = useCdpChromium();

    test('close() closes the page and the spare it opened, and leaves the user’s tabs open', async () => {
      const before = (await cdpPages(cdp.endpoint())).map((p) => p.id).sort();
      const s = new BrowserSession({ browser: browserConfig({ cdpEndpoint: cdp.endpoint() }), profile: '' });
      await s.page();
      s.preload(fake.url('chatgpt'));
      // Closed while the spare may still be loading: nothing of ours may stay behind.
      await s.close();
      expect((await cdpPages(cdp.endpoint())).map((p) => p.id).sort()).toEqual(before);
    });
  });
});
