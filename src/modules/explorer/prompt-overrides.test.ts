import { describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { DEFAULT_TEMPLATES, loadTemplate, promptProblems } from './prompts.js';

describe('Explorer prompt overrides (state/explorer/prompts/<name>.md)', () => {
  it('a usable override replaces the default; a broken one is a problem and the default stands in', () => {
    const home = tempHome({ 'state/explorer/prompts/repair.md': 'Fix it: {{error}}\n' });
    expect(loadTemplate(home, 'repair')).toBe('Fix it: {{error}}');
    expect(loadTemplate(home, 'explore')).toBe(DEFAULT_TEMPLATES.explore);

    const typo = promptProblems('explor', Buffer.from('x'));
    expect(typo).toEqual([expect.objectContaining({ file: 'state/explorer/prompts/explor.md', line: null })]);
    expect(typo[0]!.message).toContain('did you mean explore.md');
    const bad = tempHome({ 'state/explorer/prompts/repair.md': 'Fix {{nonsense}}\n' });
    expect(promptProblems('repair', Buffer.from('Fix {{nonsense}}\n'))).toEqual([
      expect.objectContaining({ line: 1, message: 'unknown placeholder {{nonsense}}' }),
    ]);
    expect(loadTemplate(bad, 'repair')).toBe(DEFAULT_TEMPLATES.repair);
  });
});
