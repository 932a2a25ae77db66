import { describe, expect, test } from 'vitest';
import { locatorProblem, parseLocator } from './locator-syntax.js';

describe('parseLocator', () => {
  test('plain CSS and css=', () => {
    expect(parseLocator('button[data-testid="send-button"]').parts).toEqual([{ css: 'button[data-testid="send-button"]' }]);
    expect(parseLocator('css=div > p').parts).toEqual([{ css: 'div > p' }]);
    expect(parseLocator('a[href="/c/x"]').parts).toEqual([{ css: 'a[href="/c/x"]' }]);
  });

  test('role with a name regex, a quoted name and states', () => {
    expect(parseLocator('role=button[name=/send/i]').parts).toEqual([{ role: 'button', name: { kind: 're', source: 'send', flags: 'i' } }]);
    expect(parseLocator('role=switch[name="Extended thinking"][checked=true]').parts).toEqual([
      { role: 'switch', name: { kind: 'sub', value: 'Extended thinking' }, states: { checked: true } },
    ]);
    expect(parseLocator('role=button[name="Send"s]').parts).toEqual([{ role: 'button', name: { kind: 'exact', value: 'Send' } }]);
    expect(parseLocator('role=menuitemcheckbox[pressed]').parts).toEqual([{ role: 'menuitemcheckbox', states: { pressed: true } }]);
  });

  test('text: bare is a substring, quoted is exact, /re/ is a regex', () => {
    expect(parseLocator('text=Deep Think').parts).toEqual([{ text: { kind: 'sub', value: 'Deep Think' } }]);
    expect(parseLocator('text="Deep Think"').parts).toEqual([{ text: { kind: 'exact', value: 'Deep Think' } }]);
    expect(parseLocator('text=/^thinking(…)?$/i').parts).toEqual([{ text: { kind: 're', source: '^thinking(…)?$', flags: 'i' } }]);
  });

  test('>> chains, not inside quotes, brackets or regexes', () => {
    expect(parseLocator('form >> role=button[name=/^stop/i]').parts).toEqual([
      { css: 'form' },
      { role: 'button', name: { kind: 're', source: '^stop', flags: 'i' } },
    ]);
    expect(parseLocator('text=/a>>b/').parts).toEqual([{ text: { kind: 're', source: 'a>>b', flags: '' } }]);
    expect(parseLocator('[data-x=">>"] >> text=ok').parts).toEqual([{ css: '[data-x=">>"]' }, { text: { kind: 'sub', value: 'ok' } }]);
  });

  test.each([
    ['role=button[nam=/x/]', /unknown role attribute \[nam\]/],
    ['role=button[name=/(/]', /invalid regex/],
    ['text=/x/g', /regex flags may be i, m, s, u/],
    ['role=button[checked=maybe]', /takes true or false/],
    ['form >> ', /empty part/],
    ['text=', /empty text/],
    ['role=', /role locator must look like/],
  ])('%s is a syntax error', (source, message) => {
    expect(locatorProblem(source)).toMatch(message);
  });
});
