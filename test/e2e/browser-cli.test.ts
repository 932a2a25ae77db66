import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.js';
import { runLogin } from '../../src/cli/login.js';
import { configSchema, type FanoConfig } from '../../src/config/schema.js';
import { cdpClosePage, cdpPages } from '../fixtures/fake-sites/cdp-chromium.js';
import { CHROMIUM, LOOPBACK_ONLY_ARGS, SKIP_BROWSER, tempHome, useCdpChromium } from '../fixtures/fake-sites/harness.js';
import { DEFAULT_FAKE_OPTIONS, startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/** `fano login` and `fano doctor` against the fake sites. */

const timeouts = { normalMs: 5_000, deepMs: 5_000, navigationMs: 2_000 };

function config(fake: FakeSites, over: { chatgpt?: object; browser?: object } = {}): FanoConfig {
  return configSchema.parse({
    backends: {
      mock: { type: 'mock' },
      chatgpt: { type: 'browser', url: fake.url('chatgpt'), timeouts, ...(over.chatgpt ?? {}) },
      gemini: { type: 'browser', url: fake.url('gemini'), timeouts },
    },
    browser: { executablePath: CHROMIUM, args: LOOPBACK_ONLY_ARGS, ...(over.browser ?? {}) },
  });
}

describe('fano login without a display', () => {
  test('explains what to do and exits 64 without launching anything', async () => {
    const home = await tempHome();
    const lines: string[] = [];
    const fakeCfg = configSchema.parse({ backends: { chatgpt: { type: 'browser' } } });
    const code = await runLogin({ home: home.home, backend: 'chatgpt', config: fakeCfg, out: (s) => lines.push(s) }, { env: {}, platform: 'linux' });
    expect(code).toBe(64);
    const text = lines.join('\n');
    for (const hint of ['DISPLAY', 'ssh -X', 'xvfb-run', 'browser.cdpEndpoint']) expect(text).toContain(hint);
    await expect(access(path.join(home.home, 'state', 'profiles', 'chatgpt'))).rejects.toThrow();
    await home.cleanup();
  });

  test('unknown or non-browser backends are usage errors', async () => {
    const cfg = configSchema.parse({ backends: { mock: { type: 'mock' } } });
    const out: string[] = [];
    expect(await runLogin({ home: '/nonexistent', backend: 'nope', config: cfg, out: (s) => out.push(s) }, { env: { DISPLAY: ':0' } })).toBe(64);
    expect(await runLogin({ home: '/nonexistent', backend: 'mock', config: cfg, out: (s) => out.push(s) }, { env: { DISPLAY: ':0' } })).toBe(64);
    expect(out.join('\n')).toMatch(/unknown backend "nope"[\s\S]*type mock/);
  });
});

// Each doctor run launches Chromium in this process: seconds when quiet, tens of seconds on a loaded CI machine.
describe.skipIf(SKIP_BROWSER)('fano doctor and fano login (browser)', { timeout: 120_000 }, () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
  });
  afterEach(() => {
    fake.set('chatgpt', DEFAULT_FAKE_OPTIONS);
    fake.set('gemini', DEFAULT_FAKE_OPTIONS);
  });
  afterAll(async () => {
    await fake?.close();
    await home?.cleanup();
  });

  async function doctor(cfg: FanoConfig, backend?: string, json = false, send = false) {
    const lines: string[] = [];
    const code = await runDoctor({ home: home.home, backend, config: cfg, json, send, out: (s) => lines.push(s) });
    return { code, text: lines.join('\n') };
  }

  test('all good: exit 0, every check listed, nothing submitted', async () => {
    const before = fake.stats().total;
    const { code, text } = await doctor(config(fake), undefined, true);
    expect(code).toBe(0);
    const r = JSON.parse(text) as { ok: boolean; backends: Array<{ backend: string; checks: Array<{ name: string; status: string }> }>; notProbed: unknown[] };
    expect(r.ok).toBe(true);
    expect(r.backends.map((b) => b.backend)).toEqual(['chatgpt', 'gemini']);
    expect(r.notProbed).toEqual([{ backend: 'mock', type: 'mock' }]);
    const checks = Object.fromEntries(r.backends[0]?.checks.map((c) => [c.name, c.status]) ?? []);
    expect(checks).toMatchObject({
      config: 'ok',
      browser: 'ok',
      page: 'ok',
      'sign-in': 'ok',
      'selectors.input': 'ok',
      'selectors.send': 'ok',
      deep: 'ok',
      'selectors.response': 'skipped',
      'selectors.done': 'skipped',
    });
    expect(r.backends[0]).toMatchObject({
      adapter: { version: expect.any(Number), verifiedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), file: expect.stringMatching(/sites\/chatgpt\.yaml$/) },
    });
    expect(fake.stats().total).toBe(before);
  });

  test('the text report names the adapter version and date, the entry that matched, and what it could not check', async () => {
    const { code, text } = await doctor(config(fake), 'chatgpt');
    expect(code).toBe(0);
    expect(text).toMatch(/^chatgpt \(site chatgpt, adapter version \d+ verified \d{4}-\d{2}-\d{2}, /);
    expect(text).toMatch(/ok\s+selectors\.input\s+matched "#prompt-textarea"/);
    expect(text).toMatch(/skipped\s+selectors\.done\s+not checked: it shows only during or after an answer/);
  });

  test('only a late fallback matching is a warning that names the entries that no longer match', async () => {
    const { code, text } = await doctor(
      config(fake, { chatgpt: { selectors: { input: ['#prompt-v2', 'div.ProseMirror[contenteditable="true"]'] } } }),
      'chatgpt',
    );
    expect(code).toBe(0);
    expect(text).toMatch(
      /warning\s+selectors\.input\s+only fallback #2 of 2 matched: "div\.ProseMirror\[contenteditable=\\"true\\"\]".*"#prompt-v2".*no longer match/,
    );
  });

  test('a churned selector: exit 69 and the exact selector named', async () => {
    const { code, text } = await doctor(
      config(fake, { chatgpt: { selectors: { input: ['#prompt-v2', 'textarea.new-composer'], busy: 'div[[broken' } } }),
      'chatgpt',
    );
    expect(code).toBe(69);
    expect(text).toMatch(/FAILED\s+selectors\.input\s+missing: none of "#prompt-v2", "textarea\.new-composer" matched/);
    expect(text).toMatch(/FAILED\s+selectors\.busy\s+invalid CSS: div\[\[broken/);
    expect(text).toMatch(/ok\s+selectors\.send/);
    expect(text).toContain('problems found in: chatgpt');
  });

  test('a login wall: exit 69, points to fano login', async () => {
    fake.set('gemini', { wall: 'login' });
    const { code, text } = await doctor(config(fake), 'gemini');
    expect(code).toBe(69);
    expect(text).toMatch(/FAILED\s+sign-in\s+login wall .*fano login gemini/);
  });

  test('signed out (loggedIn selector missing) and a browser that does not start are failures', async () => {
    fake.set('chatgpt', { loggedIn: false });
    expect((await doctor(config(fake), 'chatgpt')).text).toMatch(/FAILED\s+sign-in\s+signed out: the page shows its sign-in buttons/);
    const broken = await doctor(config(fake, { browser: { executablePath: '/nonexistent/chromium' } }), 'chatgpt');
    expect(broken.code).toBe(69);
    expect(broken.text).toMatch(/FAILED\s+browser\s+could not launch \/nonexistent\/chromium/);
  });

  test('--send: a smoke prompt through the whole path, each stage timed, the answer shown', async () => {
    const before = fake.stats().total;
    const { code, text } = await doctor(config(fake), 'chatgpt', false, true);
    expect(code, text).toBe(0);
    expect(text).toMatch(
      /ok\s+send\s+page open [\d.]+ s, ready and signed in [\d.]+ s, .*prompt typed [\d.]+ s, sent [\d.]+ s, submit confirmed [\d.]+ s, answer complete [\d.]+ s \(total [\d.]+ s\); answer: "Answer \d+ to: Reply with one word: pong\./,
    );
    expect(fake.stats().total).toBe(before + 1);
    expect(fake.stats().prompts.at(-1)?.prompt).toBe('Reply with one word: pong');
  });

  test('--send names a broken response locator (the prompt went out, no answer was found) and fails', async () => {
    const { code, text } = await doctor(config(fake, { chatgpt: { selectors: { response: '.answer-v2 .markdown' } } }), 'chatgpt', false, true);
    expect(code).toBe(69);
    expect(text).toMatch(/FAILED\s+send\s+timeout: no finished answer after 5000 ms/);
    expect(text).toMatch(
      /FAILED\s+selectors\.response\s+the prompt went out .* none of "\.answer-v2 \.markdown" matched an answer: the response locator is broken/,
    );
  });

  test('unknown backend: 64', async () => {
    expect((await doctor(config(fake), 'nope')).code).toBe(64);
  });

  describe('attached over CDP', () => {
    const cdp = useCdpChromium();

    test('fano login opens a tab in the attached browser (no display needed) and returns when it is closed', async () => {
      const lines: string[] = [];
      const done = runLogin(
        { home: home.home, backend: 'chatgpt', config: config(fake, { browser: { cdpEndpoint: cdp.endpoint() } }), out: (s) => lines.push(s) },
        { env: {}, platform: 'linux' },
      );
      // The person closes the tab once the site has loaded in it (a close sent while Chromium is
      // still navigating the new tab can be lost), and looks that it is gone.
      let target: { id: string } | undefined;
      for (let i = 0; i < 300 && !target; i += 1) {
        target = (await cdpPages(cdp.endpoint())).find((p) => p.url === fake.url('chatgpt') && p.title === 'chatgpt (fake)');
        if (!target) await new Promise((r) => setTimeout(r, 100));
      }
      expect(target).toBeDefined();
      for (let i = 0; i < 50 && (await cdpPages(cdp.endpoint())).some((p) => p.id === target?.id); i += 1) {
        await cdpClosePage(cdp.endpoint(), target?.id ?? '');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await done).toBe(0);
      expect(lines.join('\n')).toMatch(/Sign in there[\s\S]*fano doctor chatgpt/);
      // The user's browser keeps running after fano detached.
      expect((await fetch(`${cdp.endpoint()}/json/version`)).ok).toBe(true);
    });

    test('doctor over CDP', async () => {
      const { code } = await doctor(config(fake, { browser: { cdpEndpoint: cdp.endpoint() } }), 'chatgpt');
      expect(code).toBe(0);
      expect((await fetch(`${cdp.endpoint()}/json/version`)).ok).toBe(true);
    });
  });
});
