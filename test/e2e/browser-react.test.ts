import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/gateway/backend.js';
import { createBrowserBackend } from '../../src/gateway/browser/index.js';
import { backendConfig, browserConfig, checkWholeAnswers, context, request, SKIP_BROWSER, tempHome } from '../fixtures/fake-sites/harness.js';
import { REACT_SELECTORS, startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';

/**
 * A thread page of the kind a popular React chat UI library builds, configured from
 * fano.config.yaml alone: its URL never changes, its messages are drawn in requestAnimationFrame
 * batches, and its typing indicator goes the moment the stream ends (and during pauses) while
 * the text may still be drawing. With the spare tab on (the default), the answering tab must keep
 * drawing, and only the finished-turn footer proves an answer complete.
 */

const SELECTORS = REACT_SELECTORS;

describe.skipIf(SKIP_BROWSER)('browser gateway: a React chat page whose URL never changes', () => {
  let fake: FakeSites;
  let home: Awaited<ReturnType<typeof tempHome>>;
  const backends: Backend[] = [];
  const answers = checkWholeAnswers(() => fake);

  beforeAll(async () => {
    fake = await startFakeSites();
    home = await tempHome();
    for (const name of ['realui-a', 'realui-b']) {
      backends.push(
        answers.wrap(
          createBrowserBackend(name, backendConfig({ url: fake.url('react'), selectors: SELECTORS, timeouts: { normalMs: 20_000 } }), browserConfig(), {
            home: home.home,
          }),
        ),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await fake?.close();
    await home?.cleanup();
  });

  test('50 answers, each with a 1.5 s pause mid-answer, spare tab on: every stored answer is the whole answer the site sent', async () => {
    // Two backends (two browsers) at once, 25 answers each, to keep the wall time down.
    const results = await Promise.all(
      backends.map(async (b, k) => {
        const out = [];
        for (let i = 0; i < 25; i += 1) out.push(await b.send(request(`Question ${k}-${i} [[pause=1500]]`), context()));
        return out;
      }),
    );
    const all = results.flat();
    expect(all.map((r) => r.outcome)).toEqual(Array(50).fill('ok'));
    const prompts = fake.stats().prompts.filter((p) => p.site === 'react');
    for (const r of all) {
      const n = Number(/REALUI-ANSWER (\d+):/.exec(r.text)?.[1]);
      expect(r.text).toBe(prompts.find((p) => p.answer.startsWith(`REALUI-ANSWER ${n}:`))?.answer);
      expect(r.url).toBeNull(); // the page never names a conversation: nothing to reopen
    }
  }, 240_000);

  test('the answering tab keeps drawing while the spare tab loads: every finished turn was drawn in front, without a stalled frame', () => {
    const rendered = fake.stats().rendered;
    expect(rendered.length).toBeGreaterThanOrEqual(50);
    for (const r of rendered) {
      expect(r.hidden).toBe('visible');
      // At 60 frames a second a frame comes every 17 ms; a tab Chromium stopped drawing has gaps of seconds.
      expect(r.maxFrameGapMs).toBeLessThan(1_000);
    }
  });

  test('an empty answer is known as empty as soon as its footer shows', async () => {
    const res = await backends[0]!.send(request('[[empty]] nothing'), context());
    expect(res).toMatchObject({ outcome: 'empty', sent: true, text: '' });
  });

  test('without a done marker, the quiet time decides: a configured 3 s waits out a 1.5 s pause', async () => {
    const { done: _done, ...noDone } = SELECTORS;
    const b = answers.wrap(
      createBrowserBackend(
        'realui-quiet',
        backendConfig({ url: fake.url('react'), selectors: noDone, timeouts: { stableMs: 3_000, normalMs: 20_000 } }),
        browserConfig(),
        { home: home.home },
      ),
    );
    try {
      const res = await b.send(request('A slow one [[pause=1500]]'), context());
      expect(res.outcome).toBe('ok');
      expect(res.text).toContain('It ends here.');
    } finally {
      await b.close();
    }
  });

  test('every ok answer of this file was compared with what the site sent', () => {
    expect(answers.count()).toBeGreaterThanOrEqual(51);
  });
});
