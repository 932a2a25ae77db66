/**
 * An exploration is a conversation on a real site: real `fano tick` processes drive headless
 * Chromium against the fake ChatGPT, and the thread's second turn is typed into the chat the first
 * one opened (the site keeps the seed and the first answer), carrying only what is new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadDoc } from '../../src/modules/explorer/types.js';
import { readState } from '../../src/store/store.js';
import { LOOPBACK_ONLY_ARGS, SKIP_BROWSER } from '../fixtures/fake-sites/harness.js';
import { startFakeSites, type FakeSites } from '../fixtures/fake-sites/server.js';
import { runFano, tempHome } from '../support/cli.js';

const config = (url: string) => `
backends:
  chatgpt:
    type: browser
    url: ${url}
    timeouts:
      normalMs: 20000
      deepMs: 20000
      navigationMs: 15000
browser:
  executablePath: /usr/bin/chromium
  args: ${JSON.stringify(LOOPBACK_ONLY_ARGS)}
tick:
  maxRequests: 1
  lockStaleSeconds: 2
scheduler:
  consultation:
    enabled: false
modules:
  explorer:
    enabled: true
  documenter:
    enabled: false
  researcher:
    enabled: false
`;
const SEEDS = `seeds:
  - id: q1
    type: question
    text: Why does the Fano plane have exactly seven lines?
`;

describe.skipIf(SKIP_BROWSER)('an exploration on a browser backend', () => {
  let fake: FakeSites;
  beforeAll(async () => {
    fake = await startFakeSites();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('sends its second turn to the chat the first one opened, with only the new turn', async () => {
    const home = tempHome({ 'fano.config.yaml': config(fake.url('chatgpt')), 'state/explorer/seeds.yaml': SEEDS });
    const before = fake.stats().prompts.length;
    for (let i = 0; i < 2; i++) {
      const r = await runFano(['tick'], { home });
      expect(r.code, r.stderr).toBe(0);
    }
    const prompts = fake.stats().prompts.slice(before);
    expect(prompts).toHaveLength(2);
    const [first, second] = prompts as [(typeof prompts)[0], (typeof prompts)[0]];
    expect(first.prompt).toMatch(/^SEED \(question, id q1\)/m);
    expect(second.conv, 'the second turn went to the first turn’s chat').toBe(first.conv);
    expect(second.prompt).not.toMatch(/^SEED \(/m);
    expect(second.prompt).toContain('NEW SINCE YOUR LAST ANSWER IN THIS CONVERSATION');

    const { state } = await readState(home);
    const thread = state.modules.explorer?.threads?.q1 as unknown as ThreadDoc;
    expect(thread.exchanges.map((e) => e.chat?.how)).toEqual(['opened', 'continued']);
    expect(thread.exchanges[0]!.chat!.url).toContain(first.conv);
    expect(thread.exchanges[1]!.chat!.url).toBe(thread.exchanges[0]!.chat!.url);
  }, 120_000);
});
