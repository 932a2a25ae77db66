import { describe, expect, test } from 'vitest';
import { browserBackendSchema } from '../../config/schema.js';
import { resolveSite, siteKind } from './sites.js';

const cfg = (o: object = {}) => browserBackendSchema.parse({ type: 'browser', ...o });

describe('resolveSite', () => {
  test('a built-in backend name picks its adapter defaults', () => {
    const s = resolveSite('gemini', cfg());
    expect(s.site).toBe('gemini');
    expect(s.url).toBe('https://gemini.google.com/app');
    expect(s.selectors.input[0]).toBe('rich-textarea .ql-editor');
    expect(s.conversationUrl?.test('https://gemini.google.com/app/abc123')).toBe(true);
  });

  test('a configured selector replaces the default list; a string becomes a one-item list', () => {
    const s = resolveSite('chatgpt', cfg({ selectors: { input: '#new-input', send: ['#a', '#b'] } }));
    expect(s.selectors.input).toEqual(['#new-input']);
    expect(s.selectors.send).toEqual(['#a', '#b']);
    expect(s.selectors.response[0]).toContain('assistant'); // untouched keys keep the defaults
  });

  test('site: picks the adapter for any backend name', () => {
    expect(siteKind('work-claude', cfg({ site: 'claude' }))).toBe('claude');
    expect(resolveSite('work-claude', cfg({ site: 'claude' })).url).toBe('https://claude.ai/new');
  });

  test('an unknown name is a custom site that works from config alone', () => {
    const s = resolveSite('mychat', cfg({ url: 'http://127.0.0.1:9/', selectors: { input: '#q', response: '.answer' }, patterns: { rateLimited: ['slow down'] } }));
    expect(s.site).toBe('custom');
    expect(s.selectors.busy).toEqual([]);
    expect(s.patterns.rateLimited).toEqual(['slow down']);
    expect(s.patterns.error).toContain('something went wrong');
    expect(s.conversationUrl).toBeNull();
  });

  test('a custom site without url/input/response names what is missing', () => {
    expect(() => resolveSite('mychat', cfg({ selectors: { input: '#q' } }))).toThrow(/url, selectors\.response/);
  });
});
