import { describe, expect, test } from 'vitest';
import type { ChromeFinding } from './classify.js';
import type { RawSample } from './page-script.js';
import { judgeReady, SIGNED_IN_GRACE_MS, type ReadyContext } from './ready.js';

const page = (o: Partial<RawSample> = {}): RawSample => ({
  url: 'https://chat.example/',
  inputPresent: true,
  inputText: '',
  busy: false,
  thinking: false,
  done: false,
  responseCount: 0,
  userCount: 0,
  hasNew: false,
  text: '',
  stopped: false,
  chrome: [],
  deepActive: null,
  loggedIn: true,
  loggedOut: false,
  ...o,
});
const ctx = (o: Partial<ReadyContext> = {}): ReadyContext => ({
  backend: 'chatgpt',
  harvest: false,
  deep: false,
  reopening: false,
  threadGraceOver: false,
  requireSignedIn: true,
  loginUrls: ['auth.openai.com', '/log-in'],
  loggedInSources: ['[data-testid="accounts-profile-button"]'],
  elapsedMs: 0,
  retryAt: (f) => (f.kind === 'transient' || f.kind === 'overloaded' ? 'later' : f.resetAt),
  ...o,
});
const finding = (kind: ChromeFinding['kind']): ChromeFinding => ({ kind, text: 'the banner', pattern: 'p', resetAt: 'reset' });

describe('judgeReady', () => {
  test('a signed-in composer is ready', () => {
    expect(judgeReady(page(), null, ctx())).toBe('ready');
  });

  test('a banner stops it unsent, except a stale reconnect toast or a deep-only limit for a normal request', () => {
    expect(judgeReady(page(), finding('rateLimited'), ctx())).toEqual({
      outcome: 'rateLimited',
      detail: 'rate limited: the banner',
      resetAt: 'reset',
      deepOnly: false,
    });
    expect(judgeReady(page(), finding('transient'), ctx())).toMatchObject({ outcome: 'overloaded', resetAt: 'later' });
    expect(judgeReady(page(), finding('reconnecting'), ctx())).toBe('ready');
    expect(judgeReady(page(), finding('deepLimited'), ctx())).toBe('ready');
    expect(judgeReady(page(), finding('deepLimited'), ctx({ deep: true }))).toMatchObject({ outcome: 'rateLimited', deepOnly: true });
  });

  test('a sign-in URL or sign-in buttons are a login wall, whatever else the page shows', () => {
    expect(judgeReady(page({ url: 'https://auth.openai.com/authorize' }), null, ctx())).toMatchObject({
      outcome: 'loginRequired',
      detail: expect.stringContaining('sign-in page'),
    });
    expect(judgeReady(page({ loggedIn: false, loggedOut: true }), null, ctx())).toMatchObject({
      outcome: 'loginRequired',
      detail: expect.stringContaining('guest composer'),
    });
  });

  test('a composer without the signed-in marker is waited on, then is a guest composer', () => {
    expect(judgeReady(page({ loggedIn: false }), null, ctx({ elapsedMs: SIGNED_IN_GRACE_MS - 1 }))).toBe('wait');
    expect(judgeReady(page({ loggedIn: false }), null, ctx({ elapsedMs: SIGNED_IN_GRACE_MS }))).toMatchObject({
      outcome: 'loginRequired',
      detail: expect.stringContaining('none of selectors.loggedIn is visible'),
    });
    // A site that shows no composer to guests needs no marker.
    expect(judgeReady(page({ loggedIn: false }), null, ctx({ requireSignedIn: false }))).toBe('ready');
  });

  test('a reopened conversation waits for its turns (up to the grace time); a harvest needs no composer', () => {
    expect(judgeReady(page(), null, ctx({ reopening: true }))).toBe('wait');
    expect(judgeReady(page({ responseCount: 2 }), null, ctx({ reopening: true }))).toBe('ready');
    expect(judgeReady(page(), null, ctx({ reopening: true, threadGraceOver: true }))).toBe('ready');
    expect(judgeReady(page({ inputPresent: false, responseCount: 1 }), null, ctx({ harvest: true }))).toBe('ready');
    expect(judgeReady(page({ inputPresent: false }), null, ctx())).toBe('wait');
  });
});
