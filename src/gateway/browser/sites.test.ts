import { describe, expect, test } from 'vitest';
import { browserBackendSchema } from '../../config/schema.js';
import { fileSiteCatalog } from '../../config/site-adapters.js';
import { resolveSite, siteKind } from './sites.js';

const cfg = (o: object = {}) => browserBackendSchema.parse({ type: 'browser', ...o });
const sites = fileSiteCatalog(null);

describe('resolveSite', () => {
  test('a backend named like an adapter uses it: url, parsed locators, deep recipe, settle times', () => {
    const s = resolveSite('gemini', cfg(), sites);
    expect(s.site).toBe('gemini');
    expect(s.adapter).toMatchObject({ version: expect.any(Number), verifiedAt: expect.stringMatching(/^\d{4}-/) });
    expect(s.url).toBe('https://gemini.google.com/app');
    expect(s.selectors.input[0]?.source).toBe('rich-textarea .ql-editor');
    expect(s.conversationUrl?.test('https://gemini.google.com/app/1a2b3c4d5e6f')).toBe(true);
    expect(s.deep?.on.map((x) => x.action)).toEqual(['click', 'choose', 'confirm']);
    expect(s.deep?.on[2]).toMatchObject({ action: 'confirm', optional: true });
    expect(s.settle.donePolls).toBe(3);
  });

  test('chatgpt: the transient /c/WEB: URL is not a conversation; the composer needs a signed-in marker', () => {
    const s = resolveSite('chatgpt', cfg(), sites);
    expect(s.conversationUrl?.test('https://chatgpt.com/c/68a1f0e2-1234-8000-9abc-0123456789ab')).toBe(true);
    expect(s.conversationUrl?.test('https://chatgpt.com/c/WEB:3f2a9c')).toBe(false);
    expect(s.transientUrl?.test('https://chatgpt.com/c/WEB:3f2a9c')).toBe(true);
    expect(s.auth).toEqual({ requireSignedIn: true, loginUrls: expect.arrayContaining(['auth.openai.com', '/log-in']) });
    expect(s.selectors.done.length).toBeGreaterThan(0);
  });

  test('a configured selector replaces the adapter list; a string becomes a one-item list', () => {
    const s = resolveSite('chatgpt', cfg({ selectors: { input: '#new-input', send: ['#a', 'role=button[name=/send/i]'] } }), sites);
    expect(s.selectors.input.map((l) => l.source)).toEqual(['#new-input']);
    expect(s.selectors.send[1]?.parts).toEqual([{ role: 'button', name: { kind: 're', source: 'send', flags: 'i' } }]);
    expect(s.selectors.response[0]?.source).toContain('assistant'); // untouched keys keep the adapter's
  });

  test('a configured deepMode toggle replaces the recipe with a one-switch one', () => {
    const s = resolveSite('claude', cfg({ selectors: { deepMode: '#think', deepModeActive: '#think.on' } }), sites);
    expect(s.deep?.on).toEqual([expect.objectContaining({ action: 'ensure', state: 'on' })]);
    expect(s.deep?.active.map((l) => l.source)).toEqual(['#think.on']);
  });

  test('site: picks the adapter for any backend name; timeouts.stableMs overrides the quiet time', () => {
    expect(siteKind('work-claude', cfg({ site: 'claude' }), sites)).toBe('claude');
    const s = resolveSite('work-claude', cfg({ site: 'claude', timeouts: { stableMs: 4000 } }), sites);
    expect(s.url).toBe('https://claude.ai/new');
    expect(s.settle.quietMs).toBe(4000);
  });

  test('an unknown name is a custom site that works from config alone', () => {
    const s = resolveSite(
      'mychat',
      cfg({ url: 'http://127.0.0.1:9/', selectors: { input: '#q', response: '.answer' }, patterns: { rateLimited: ['slow down'] } }),
      sites,
    );
    expect(s.site).toBe('custom');
    expect(s.adapter).toBeNull();
    expect(s.selectors.busy).toEqual([]);
    expect(s.patterns.rateLimited).toEqual(['slow down']);
    expect(s.patterns.error).toContain('something went wrong');
    expect(s.conversationUrl).toBeNull();
    expect(s.deep).toBeNull();
    expect(s.settle.quietMs).toBeGreaterThanOrEqual(1000);
  });

  test('a custom site without url/input/response names what is missing', () => {
    expect(() => resolveSite('mychat', cfg({ selectors: { input: '#q' } }), sites)).toThrow(/url, selectors\.response/);
  });
});
